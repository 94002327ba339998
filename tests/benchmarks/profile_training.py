"""Where the time of an association run goes, and how far each stage runs from its floor (not part of `make test`).

    python tests/benchmarks/profile_training.py [--cases tutorial_ks amsc move_small_bayes] [--epochs 2]
                                                [--out tests/benchmarks/recorded]

For each case it builds the data and the task's model exactly as the task does, then:

1. measures this machine's ceilings with torch on one thread and on every core: a large matrix product
   (GFLOP/s) and a large vector update (GB/s of memory traffic);
2. trains the task's ensemble for `--epochs` epochs in this process on one thread, timing each part of a
   step: the forward and backward pass (`TrainingPass`), Adam (`FlatAdam.step`), the random draws, and the
   rest of the loop; and, with torch's profiler, the ten ops that take the most time;
3. counts the work of the whole run with `training.training_cost`: optimiser steps, linear-layer FLOPs,
   and the bytes the weights, gradients and Adam's moments move;
4. times the perturbation stage (`perturbation_statistics` with Bayes' statistics) and counts its FLOPs;
5. projects the full run on one thread from the measured time per step, and divides it by the floor:
   the larger of FLOPs at the measured GEMM rate and bytes at the measured bandwidth, over every core;

With `--chunks` it times one epoch of ensembles of 1, 2, 4, 8 and all the case's refits on one thread, as ms per
step per refit, beside the ensemble size `training.CACHE_BYTES` picks (`profile_chunks.tsv`): at MOVE's sizes a step
streams every weight, gradient and Adam moment, and an ensemble whose Adam state stays in the cache steps faster.

With `--whole` it instead runs each case's whole association task as the command does (`identify_associations`,
refits split over the local cores when worth it) and records its wall time and peak memory (this process or its
largest worker) in `profile_whole.tsv`; run one case per process for a clean peak.

Cases:
- `tutorial_ks`: `vaes-biomed init tutorial` (1000 samples), task `tutorial__id_assoc_ks`, 24 refits
  (hidden 15, latent 3, 300 epochs).
- `amsc`: the synthetic AMSC cohort at full size, preprocessed, task `amsc__id_assoc_bayes_ffa`
  (hidden 500, latent 50, 300 epochs, 24 refits).
- `move_small_bayes`: upstream MOVE's tutorial data `random.small` (drugs + proteomics, 500 samples), MOVE's
  Bayes task settings (hidden 1000, latent 150, 40 epochs, 40 refits, batch 10).

Writes `profile_training.tsv` (one row per case and part) and `profile_ops.tsv` (top ops) to `--out`.
"""
from __future__ import annotations

import argparse
import os
import resource
import platform
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from vaes_biomed.associations import AssociationSettings, identify_associations, perturbation_statistics
from vaes_biomed.config import load_data_config, load_task_config
from vaes_biomed.data import DatasetSpec, encode_data, encode_datasets, read_dataset_tsv
from vaes_biomed.executor import available_cores
from vaes_biomed.model import VAE, TrainingPass, layout_of, model_inputs
from vaes_biomed.perturb import perturbation_plan
from vaes_biomed.settings import ModelConfig, RunSettings, TrainingConfig
from vaes_biomed.training import (CACHE_BYTES, FlatAdam, TrainedVAE, _train_members, latent_width, linear_shapes,
                                  n_parameters, training_cost)
from vaes_biomed.tasks import init_project

MOVE_SMALL = Path(__file__).resolve().parents[3] / "shared" / "data" / "move_tutorial_small"


def machine_ceilings(threads: int) -> dict[str, float]:
    "GEMM GFLOP/s (2048 x 2048 float32 product) and memory GB/s (an in-place update of 64 M floats: 3 streams)."
    torch.set_num_threads(threads)
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    torch.mm(a, b)
    t0 = time.perf_counter(); reps = 4
    for _ in range(reps): torch.mm(a, b)
    gflops = reps * 2 * 2048 ** 3 / (time.perf_counter() - t0) / 1e9
    x, y = torch.randn(64 * 2 ** 20), torch.randn(64 * 2 ** 20)
    x.add_(y, alpha=0.5)
    t0 = time.perf_counter()
    for _ in range(reps): x.add_(y, alpha=0.5)                       # read x, read y, write x
    gbs = reps * 3 * x.numel() * 4 / (time.perf_counter() - t0) / 1e9
    return dict(gflops=gflops, gbs=gbs)


def case_tutorial(work: Path):
    init_project("tutorial", work / "tutorial")
    data = encode_data(load_data_config(work / "tutorial" / "config" / "data" / "tutorial.yaml", base_dir=work / "tutorial"), quiet=True)
    task = load_task_config(work / "tutorial" / "config" / "task" / "tutorial__id_assoc_ks.yaml", ["task.num_refits=24"])
    return data, task.model, task.training, 24, (task.target_dataset, task.target_value), "ks"


def case_amsc(work: Path):
    from vaes_biomed.preprocess import preprocess_amsc
    from vaes_biomed.synthetic import make_amsc_cohort, write_amsc_cohort
    write_amsc_cohort(make_amsc_cohort(seed=0), work / "raw")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        preprocess_amsc(work / "raw", work / "amsc")
    data = encode_data(load_data_config(work / "amsc" / "config" / "data" / "amsc.yaml", base_dir=work / "amsc"), quiet=True)
    task = load_task_config(work / "amsc" / "config" / "task" / "amsc__id_assoc_bayes_ffa.yaml")
    return data, task.model, task.training, task.num_refits, (task.target_dataset, task.target_value), "bayes"


def case_move_small(work: Path):
    ids = [l.strip() for l in (MOVE_SMALL / "random.small.ids.txt").read_text().splitlines() if l.strip()]
    tables = {n: read_dataset_tsv(MOVE_SMALL / f"random.small.{n}.tsv") for n in ("drugs", "proteomics")}
    data = encode_datasets(tables, [DatasetSpec("drugs", "categorical"), DatasetSpec("proteomics", "continuous", log2=True)], ids)
    return data, ModelConfig(num_hidden=[1000], num_latent=150), TrainingConfig(num_epochs=40, batch_size=10), 40, ("drugs", "1"), "bayes"


CASES = {"tutorial_ks": case_tutorial, "amsc": case_amsc, "move_small_bayes": case_move_small}


class PartTimer:
    "Seconds spent inside a few methods, by wrapping them for the duration of a `with` block."
    def __init__(self, targets: dict):
        self.targets, self.seconds, self._orig = targets, {k: 0.0 for k in targets}, {}

    def __enter__(self):
        for name, (owner, attr) in self.targets.items():
            fn = getattr(owner, attr); self._orig[name] = fn
            def timed(*a, _fn=fn, _name=name, **k):
                t0 = time.perf_counter()
                try: return _fn(*a, **k)
                finally: self.seconds[_name] += time.perf_counter() - t0
            setattr(owner, attr, timed)
        return self

    def __exit__(self, *exc):
        for name, (owner, attr) in self.targets.items(): setattr(owner, attr, self._orig[name])


def perturbation_flops(model: VAE, n_samples: int, n_rows: int) -> float:
    "Forward FLOPs of decoding every perturbed copy (and the baseline) through every refit."
    per_row = 2 * sum(a * b for a, b in linear_shapes(model.layout, model.config))
    return float(model.n_refits * per_row * n_samples * (n_rows + 1))


def peak_mib() -> float:
    "Peak resident memory so far of this process and of its largest finished child (MiB, Linux)."
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def whole_task(name: str, work: Path) -> dict:
    "Wall time and peak memory of the case's whole association task, as `vaes-biomed` runs it."
    data, mcfg, tcfg, K, (target, value), method = CASES[name](work)
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    res = identify_associations(data, AssociationSettings(method, target, value), mcfg, tcfg, RunSettings(n_refits=K, quiet=True))
    return dict(case=name, stage="whole task", part=f"{method}, {K} refits, split over {available_cores()} cores when worth it",
                measured_s=round(time.perf_counter() - t0, 1), peak_MiB=round(peak_mib()), calls=int(res.table.significant.sum()))


def profile_case(name: str, work: Path, epochs: int, ceil: dict) -> tuple[list[dict], pd.DataFrame]:
    data, mcfg, tcfg, K, (target, value), _ = CASES[name](work)
    layout, n = layout_of(data), data.n_samples
    torch.set_num_threads(1)
    short = TrainingConfig(**{**tcfg.__dict__, "num_epochs": epochs})
    x, obs = model_inputs(data)
    model = VAE(layout, mcfg, seeds=list(range(K)))
    parts = {"forward + backward": (TrainingPass, "__call__"), "Adam": (FlatAdam, "step"),
             "random draws": (TrainingPass, "draw_noise")}
    with PartTimer(parts) as timer:
        t0 = time.perf_counter()
        _train_members(model, x, obs, short, quiet=True)
        total = time.perf_counter() - t0
    measured_steps = training_cost(layout, mcfg, short, n, K)["steps"]
    # the ops of a few more steps, by torch's profiler (one thread)
    prof_cfg = TrainingConfig(**{**tcfg.__dict__, "num_epochs": 1})
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        _train_members(VAE(layout, mcfg, seeds=list(range(K))), x, obs, prof_cfg, quiet=True)
    ops = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)[:10]
    op_total = sum(e.self_cpu_time_total for e in prof.key_averages())
    op_rows = pd.DataFrame([dict(case=name, op=e.key, calls=e.count, self_share=round(e.self_cpu_time_total / op_total, 3))
                            for e in ops])
    # perturbations (Bayes' statistics) on the trained ensemble
    trained = TrainedVAE(model, pd.DataFrame(), x, obs, data=data)
    plan = perturbation_plan(data, target, value)
    t0 = time.perf_counter()
    perturbation_statistics(trained, plan, ("bayes_move", "changes"))
    t_pert = time.perf_counter() - t0
    full = training_cost(layout, mcfg, tcfg, n, K)
    per_step = total / measured_steps
    rows = []
    base = dict(case=name, samples=n, inputs=layout.n_inputs, hidden=str(mcfg.num_hidden), latent=mcfg.num_latent,
                refits=K, epochs=tcfg.num_epochs, batch=tcfg.batch_size)
    for part, secs in [*timer.seconds.items(), ("rest of the loop", total - sum(timer.seconds.values()))]:
        rows.append(dict(base, stage="training", part=part, share=round(secs / total, 3)))
    flop_floor = full["flops"] / (ceil["gflops_all"] * 1e9)
    byte_floor = full["bytes"] / (ceil["gbs_all"] * 1e9)
    projected = per_step * full["steps"]
    rows.append(dict(base, stage="training", part="whole run", steps=full["steps"], gflop=round(full["flops"] / 1e9, 1),
                     gbytes=round(full["bytes"] / 1e9, 1), ms_per_step_1thread=round(1e3 * per_step, 3),
                     projected_s_1thread=round(projected, 1), flop_floor_s=round(flop_floor, 2),
                     byte_floor_s=round(byte_floor, 2), times_floor_1thread=round(projected / max(flop_floor, byte_floor), 1)))
    pf = perturbation_flops(model, n, plan.n_features)
    p_floor = pf / (ceil["gflops_all"] * 1e9)
    rows.append(dict(base, stage="perturbations", part="Bayes statistics", gflop=round(pf / 1e9, 2),
                     measured_s_1thread=round(t_pert, 2), flop_floor_s=round(p_floor, 3),
                     times_floor_1thread=round(t_pert / p_floor, 1)))
    return rows, op_rows


def chunk_sizes(name: str, work: Path) -> list[dict]:
    "ms per step per refit of one epoch of ensembles of several sizes (one thread), and the size CACHE_BYTES picks."
    data, mcfg, tcfg, K, _, _ = CASES[name](work)
    layout, n = layout_of(data), data.n_samples
    torch.set_num_threads(1)
    one_epoch = TrainingConfig(**{**tcfg.__dict__, "num_epochs": 1, "batch_dilation_steps": [], "kld_warmup_steps": []})
    x, obs = model_inputs(data)
    padded = ModelConfig(**{**mcfg.__dict__, "num_latent": latent_width(mcfg.num_latent)})
    picked = max(1, CACHE_BYTES // (16 * n_parameters(layout, padded)))
    rows = []
    for k in sorted({1, 2, 4, 8, K, min(K, picked)}):
        if k > K: continue
        _train_members(VAE(layout, mcfg, seeds=list(range(k))), x, obs, one_epoch, quiet=True)   # warm-up
        t0 = time.perf_counter()
        _train_members(VAE(layout, mcfg, seeds=list(range(k))), x, obs, one_epoch, quiet=True)
        secs = time.perf_counter() - t0
        steps = training_cost(layout, mcfg, one_epoch, n, k)["steps"]
        rows.append(dict(case=name, refits_together=k, adam_state_MiB=round(16 * k * n_parameters(layout, padded) / 2 ** 20, 1),
                         ms_per_step_per_refit=round(1e3 * secs / steps / k, 3), picked_by_CACHE_BYTES=k == min(K, picked)))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    ap.add_argument("--epochs", type=int, default=2, help="epochs trained per case (the time per step is projected)")
    ap.add_argument("--out", default="bench/profile")
    ap.add_argument("--whole", action="store_true", help="run each case's whole association task instead (minutes)")
    ap.add_argument("--chunks", action="store_true", help="time ensembles of several sizes instead (the cache's effect)")
    a = ap.parse_args(argv)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    if a.chunks:
        with tempfile.TemporaryDirectory() as tmp:
            rows = [r for c in a.cases for r in chunk_sizes(c, Path(tmp) / c)]
        print(pd.DataFrame(rows).to_string(index=False))
        pd.DataFrame(rows).to_csv(out / "profile_chunks.tsv", sep="\t", index=False)
        return 0
    if a.whole:
        with tempfile.TemporaryDirectory() as tmp:
            rows = [whole_task(c, Path(tmp) / c) for c in a.cases]
        print(pd.DataFrame(rows).to_string(index=False))
        path = out / "profile_whole.tsv"
        old = pd.read_csv(path, sep="\t") if path.exists() else pd.DataFrame()
        pd.concat([old[~old.case.isin(a.cases)] if len(old) else old, pd.DataFrame(rows)]).to_csv(path, sep="\t", index=False)
        return 0
    cores = available_cores()
    one, every = machine_ceilings(1), machine_ceilings(cores)
    ceil = dict(gflops_1=one["gflops"], gbs_1=one["gbs"], gflops_all=every["gflops"], gbs_all=every["gbs"])
    print(f"ceilings: 1 thread {one['gflops']:.0f} GFLOP/s, {one['gbs']:.1f} GB/s; "
          f"{cores} threads {every['gflops']:.0f} GFLOP/s, {every['gbs']:.1f} GB/s")
    rows, ops = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for c in a.cases:
            r, o = profile_case(c, Path(tmp) / c, a.epochs, ceil)
            rows += r; ops.append(o)
            print(pd.DataFrame(r).dropna(axis=1, how="all").to_string(index=False))
    table = pd.DataFrame(rows).assign(**{k: round(v, 1) for k, v in ceil.items()})
    table.to_csv(out / "profile_training.tsv", sep="\t", index=False)
    pd.concat(ops).to_csv(out / "profile_ops.tsv", sep="\t", index=False)
    (out / "machine_profile.txt").write_text(f"{platform.processor() or platform.machine()}, {cores} cores; "
                                             f"torch {torch.__version__}; {time.strftime('%Y-%m-%d')}\n")
    print(pd.concat(ops).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
