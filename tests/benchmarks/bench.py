"""vaes_biomed against upstream MOVE (move-dl 1.5.0) on the same data, configs and seeds (not part of `make test`).

    python tests/benchmarks/bench.py [--case tutorial_ks|large_bayes] [--refits N] [--seeds 0 1 2]
                                     [--upstream /path/to/venv/bin/move-dl] [--upstream-first]
                                     [--project-upstream-after M] [--out bench]

Cases (the issue's benchmark set):
- `tutorial_ks`: the tutorial project (`vaes-biomed init tutorial`: 1000 samples, 22 features), task
  `tutorial__id_assoc_ks` (hidden 15, latent 3, 300 epochs, batch 10), perturbing Continuous_B by +1 std;
  `--refits 1` and `--refits 24`.
- `large_bayes`: the paper's large synthetic set (`vaes-biomed init synthetic_large`: 5000 samples x 150
  features), task `synthetic_large__id_assoc_bayes` (hidden 50, latent 10, 200 epochs, 5 refits).

For each seed it copies one project, encodes it (not timed), then times the association task of each
tool in a fresh process: `vaes-biomed task=... data=... seed=S task.num_refits=N` and, when given,
upstream's `move-dl data=... task=... seed=S task.num_refits=N` (upstream lives in its own virtual
environment: it pins numpy<2). Both run with OMP_NUM_THREADS=1 unless it is set. It reports wall time, peak
memory (max RSS of the process) and the significant calls scored against the ground truth over the
continuous pairs: precision, recall, AP with missed truths scored 0 (`vaes_biomed.evaluate`), and AP over
the called pairs only (sklearn's average_precision_score on the significant list; upstream writes only
significant pairs, so this is the AP both tools can be given), and the ratio of upstream's time to ours.

`--project-upstream-after M` stops upstream once it has saved M refits and projects its time for all of them
(time to the first saved refit plus the median gap between saves for each further refit; a lower bound, since
upstream's final aggregation is left out), for runs too long to wait for; those rows have no scores. Each row
records the 1-minute load average when its run started (`load_before`), and `machine.txt` the machine.
The tables go to `{out}/{case}/{case}_refits{N}.tsv`; the recorded ones are in `tests/benchmarks/recorded/`.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.metrics import average_precision_score

from vaes_biomed.tasks import init_project
from vaes_biomed.evaluate import benchmark_summary, infer_score_column

CASES = {  # case: (config set, task, method, perturbed dataset, target datasets)
    "tutorial_ks": ("tutorial", "tutorial__id_assoc_ks", "ks", "Continuous_B", ["Continuous_A", "Continuous_B"]),
    "large_bayes": ("synthetic_large", "synthetic_large__id_assoc_bayes", "bayes", "Continuous_B",
                    ["Continuous_A", "Continuous_B"]),
}

_MEASURE = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(p.returncode)")

def run(cmd: list[str], cwd: Path) -> tuple[float, float]:
    "Wall seconds and peak RSS (MiB) of one command, run under its own small parent process."
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], cwd=cwd, capture_output=True, text=True,
                       env=dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1")))
    wall = time.perf_counter() - t0
    if p.returncode != 0: sys.exit(f"{' '.join(cmd)} failed in {cwd}:\n{(p.stdout + p.stderr)[-3000:]}")
    return wall, int(p.stderr.strip().splitlines()[-1]) / 1024


def run_projected(cmd: list[str], cwd: Path, n_refits: int, measure: int) -> tuple[float, float, str]:
    "Run upstream until `measure` refits are saved, stop it, and project its wall time for `n_refits`."
    # upstream trains refits strictly one after another and saves each to interim_data/models/ when done, so
    # the time to the first save plus (n_refits - 1) times the median gap between saves is its time for all
    # refits, minus the final aggregation and file writing (a lower bound: favourable to upstream)
    models = cwd / "interim_data" / "models"
    before = set(models.glob("*.pt")) if models.exists() else set()
    t0 = time.time()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
                         env=dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1")))
    saved, peak = [], 0.0
    while p.poll() is None:
        saved = sorted(f.stat().st_mtime for f in set(models.glob("*.pt")) - before) if models.exists() else []
        status = Path(f"/proc/{p.pid}/status")   # peak resident memory so far (Linux)
        if status.exists():
            peak = max([peak] + [int(l.split()[1]) / 1024 for l in status.read_text().splitlines() if l.startswith("VmHWM")])
        if len(saved) >= measure: break
        time.sleep(2)
    os.killpg(p.pid, signal.SIGTERM)
    err = p.communicate()[1]
    if len(saved) < measure: sys.exit(f"{' '.join(cmd)} ended before {measure} refits were saved:\n{err[-3000:]}")
    gaps = np.diff(saved)
    per_refit = float(np.median(gaps)) if len(gaps) else saved[0] - t0
    wall = (saved[0] - t0) + (n_refits - 1) * per_refit
    return wall, peak, f"projected from {len(saved)} measured refits ({per_refit:.0f} s each after the first)"


def machine_description(upstream: str | None) -> str:
    "The machine and software a benchmark ran on (CPU model, cores, memory, versions, threads, date)."
    import platform, torch
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    mem = (next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal"))
           / 2 ** 20 if Path("/proc/meminfo").exists() else float("nan"))
    up = subprocess.run([str(Path(upstream).parent / "python"), "-c", "import torch; print(torch.__version__)"],
                        capture_output=True, text=True).stdout.strip() if upstream else "not run"
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, torch {torch.__version__} (upstream's torch: {up}); "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '1')}; {time.strftime('%Y-%m-%d')}")


def feature_names(project: Path, data_set: str, dataset: str) -> list[str]:
    "Feature names of one dataset of a synthetic project (its TSV header)."
    path = project / "data" / f"random.{data_set}.{dataset}.tsv"
    return list(pd.read_csv(path, sep="\t", nrows=0).columns[1:])


def score(sig_path: Path, truth: pd.DataFrame, perturbed: list[str], targets: list[str]) -> dict:
    "Precision, recall and both APs of a significant-associations table against the ground truth."
    sig = pd.read_csv(sig_path, sep="\t")
    s = benchmark_summary({"m": sig}, truth, perturbed, targets=targets).iloc[0]
    true_pairs = {frozenset(p) for p in zip(truth.feature_a_name, truth.feature_b_name)}
    sig = sig[sig.feature_a_name != sig.feature_b_name]
    col = infer_score_column(sig) if len(sig) else None
    best = pd.DataFrame({"pair": [frozenset(p) for p in zip(sig.feature_a_name, sig.feature_b_name)],
                         "score": sig[col].abs() if col else []}).groupby("pair").score.max()
    ap_calls = average_precision_score([p in true_pairs for p in best.index], best.values) if len(best) else np.nan
    return dict(calls=int(s.calls), precision=s.precision, recall=s.recall, AP=s.AP, AP_calls=ap_calls)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", choices=list(CASES), default="tutorial_ks")
    ap.add_argument("--refits", type=int, default=None, help="task.num_refits for both tools (default: the config's)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--upstream", default=None, help="path to upstream's move-dl executable")
    ap.add_argument("--upstream-first", action="store_true", help="run upstream before vaes_biomed for each seed")
    ap.add_argument("--project-upstream-after", type=int, default=None, metavar="M",
                    help="stop upstream after M saved refits and project its time for all of them (no scores)")
    ap.add_argument("--ours-args", nargs="*", default=[], metavar="KEY=VALUE",
                    help="extra arguments for vaes-biomed only, e.g. task.decision=move to reproduce MOVE-decision records")
    ap.add_argument("--out", default="bench")
    a = ap.parse_args()
    data_set, task, method, pert_ds, target_ds = CASES[a.case]
    out = Path(a.out) / a.case; template = out / "project"
    if not template.exists(): init_project(data_set, template)
    truth = pd.read_csv(template / "data" / f"changes.{data_set}.txt", sep="\t")
    perturbed = feature_names(template, data_set, pert_ds)
    targets = [f for d in target_ds for f in feature_names(template, data_set, d)]
    ours = shutil.which("vaes-biomed") or str(Path(sys.executable).parent / "vaes-biomed")
    # (tool, encode command run first and not timed, timed association command)
    tools = [("vaes_biomed", [ours, "task=encode_data", f"data={data_set}", "--quiet"],
              [ours, f"task={task}", f"data={data_set}", "--quiet", *a.ours_args])]
    if a.upstream: tools.append(("move-dl 1.5.0", [a.upstream, f"data={data_set}", "task=encode_data"],
                                 [a.upstream, f"data={data_set}", f"task={task}"]))
    if a.upstream_first: tools.reverse()
    refits = [f"task.num_refits={a.refits}"] if a.refits else []
    rows = []
    for seed in a.seeds:
        for name, encode, cmd in tools:
            work = out / f"{name.split()[0]}_seed{seed}"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(template / "data", work / "data"); shutil.copytree(template / "config", work / "config")
            run(encode, work)
            load = os.getloadavg()[0]   # other work on the machine at the start (1-minute load average)
            n_refits = a.refits or int(yaml.safe_load((work / "config" / "task" / f"{task}.yaml").read_text())["num_refits"])
            if name != "vaes_biomed" and a.project_upstream_after and a.project_upstream_after < n_refits:
                wall, peak, note = run_projected(cmd + refits + [f"seed={seed}"], work, n_refits, a.project_upstream_after)
                scores = dict(calls=np.nan, precision=np.nan, recall=np.nan, AP=np.nan, AP_calls=np.nan)
            else:
                (wall, peak), note = run(cmd + refits + [f"seed={seed}"], work), "measured"
                sig = work / "results" / "identify_associations" / f"results_sig_assoc_{method}.tsv"
                scores = score(sig, truth, perturbed, targets)
            rows.append(dict(case=a.case, tool=name, seed=seed, refits=n_refits, seconds=round(wall, 1),
                             peak_MiB=round(peak), **scores, timing=note, load_before=round(load, 2)))
            print(pd.DataFrame(rows[-1:]).round(3).to_string(index=False, header=len(rows) == 1), flush=True)
    table = pd.DataFrame(rows)
    med = table.groupby("tool").median(numeric_only=True).drop(columns="seed")
    if len(med) == 2:
        med.loc["upstream / vaes_biomed"] = med.loc["move-dl 1.5.0"] / med.loc["vaes_biomed"]
    print(f"\nmedian over seeds {a.seeds}:\n" + med.round(3).to_string())
    table.to_csv(out / f"{a.case}_refits{n_refits}.tsv", sep="\t", index=False)
    (out / "machine.txt").write_text(machine_description(a.upstream) + "\n")
    print(f"machine: {(out / 'machine.txt').read_text()}", end="")


if __name__ == "__main__":
    main()
