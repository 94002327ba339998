"""vaes_biomed against upstream MOVE (move-dl 1.5.0) on the same data, configs and seeds (not part of `make test`).

    python tests/benchmarks/bench.py [--case tutorial_ks|large_bayes] [--refits N] [--seeds 0 1 2]
                                     [--upstream /path/to/venv/bin/move-dl] [--out bench]

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
"""
import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from vaes_biomed.cli import init_project
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
              [ours, f"task={task}", f"data={data_set}", "--quiet"])]
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
            wall, peak = run(cmd + refits + [f"seed={seed}"], work)
            sig = work / "results" / "identify_associations" / f"results_sig_assoc_{method}.tsv"
            rows.append(dict(case=a.case, tool=name, seed=seed, refits=a.refits or "config", seconds=round(wall, 1),
                             peak_MiB=round(peak), **score(sig, truth, perturbed, targets)))
            print(pd.DataFrame(rows[-1:]).round(3).to_string(index=False, header=len(rows) == 1), flush=True)
    table = pd.DataFrame(rows)
    med = table.groupby("tool").median(numeric_only=True).drop(columns="seed")
    if len(med) == 2:
        med.loc["upstream / vaes_biomed"] = med.loc["move-dl 1.5.0"] / med.loc["vaes_biomed"]
    print(f"\nmedian over seeds {a.seeds}:\n" + med.round(3).to_string())
    table.to_csv(out / f"{a.case}_refits{a.refits or 'config'}.tsv", sep="\t", index=False)


if __name__ == "__main__":
    main()
