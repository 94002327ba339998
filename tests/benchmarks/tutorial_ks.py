"""Tutorial KS task, vaes_biomed against upstream MOVE on the same data, settings and seeds (not part of `make test`).

    python tests/benchmarks/tutorial_ks.py [--seeds 0 1 2] [--upstream /path/to/venv/bin/move-dl] [--out bench_tutorial_ks]

For each seed it copies one tutorial project (`vaes-biomed init tutorial`: data + MOVE configs), encodes
it (not timed), and times `vaes-biomed task=tutorial__id_assoc_ks data=tutorial seed=S` and, when given,
upstream's `move-dl data=tutorial task=tutorial__id_assoc_ks seed=S` (move-dl 1.5.0 lives in its own virtual
environment: it pins numpy<2), each in a fresh process, and reports wall time, peak memory (max RSS of the
process) and the scores of the significant calls against the ground truth over continuous pairs:
precision, recall, AP with missed truths scored 0 (vaes_biomed's `evaluate`), and AP over the called pairs
only (sklearn's average_precision_score on the significant list, which is what upstream's own figure uses).
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
from vaes_biomed.evaluate import benchmark_summary


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


def score(sig_path: Path, truth: pd.DataFrame) -> dict:
    "Precision, recall and both APs of a results_sig_assoc_ks.tsv against the ground truth."
    sig = pd.read_csv(sig_path, sep="\t")
    perturbed = [f"Continuous_B_{i}" for i in range(1, 11)]
    targets = [f"Continuous_{d}_{i}" for d in "AB" for i in range(1, 11)]
    s = benchmark_summary({"ks": sig}, truth, perturbed, targets=targets).iloc[0]
    true_pairs = {frozenset(p) for p in zip(truth.feature_a_name, truth.feature_b_name)}
    sig = sig[sig.feature_a_name != sig.feature_b_name]
    best = pd.DataFrame({"pair": [frozenset(p) for p in zip(sig.feature_a_name, sig.feature_b_name)],
                         "score": sig.ks_distance.abs()}).groupby("pair").score.max()
    ap_calls = average_precision_score([p in true_pairs for p in best.index], best.values) if len(best) else np.nan
    return dict(calls=int(s.calls), precision=s.precision, recall=s.recall, AP=s.AP, AP_calls=ap_calls)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--upstream", default=None, help="path to upstream's move-dl executable")
    ap.add_argument("--out", default="bench_tutorial_ks")
    a = ap.parse_args()
    out = Path(a.out); template = out / "project"
    if not template.exists(): init_project("tutorial", template)
    truth = pd.read_csv(template / "data" / "changes.tutorial.txt", sep="\t")
    ours = shutil.which("vaes-biomed") or str(Path(sys.executable).parent / "vaes-biomed")
    # (tool, encode command run first and not timed, timed association command)
    tools = [("vaes_biomed", [ours, "task=encode_data", "data=tutorial", "--quiet"],
              [ours, "task=tutorial__id_assoc_ks", "data=tutorial", "--quiet"])]
    if a.upstream: tools.append(("move-dl 1.5.0", [a.upstream, "data=tutorial", "task=encode_data"],
                                 [a.upstream, "data=tutorial", "task=tutorial__id_assoc_ks"]))
    rows = []
    for seed in a.seeds:
        for name, encode, cmd in tools:
            work = out / f"{name.split()[0]}_seed{seed}"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(template / "data", work / "data"); shutil.copytree(template / "config", work / "config")
            run(encode, work)
            wall, peak = run(cmd + [f"seed={seed}"], work)
            rows.append(dict(tool=name, seed=seed, seconds=round(wall, 1), peak_MiB=round(peak),
                             **score(work / "results" / "identify_associations" / "results_sig_assoc_ks.tsv", truth)))
            print(pd.DataFrame(rows[-1:]).round(3).to_string(index=False, header=len(rows) == 1), flush=True)
    table = pd.DataFrame(rows)
    print("\nmedian over seeds:\n" + table.groupby("tool").median(numeric_only=True).drop(columns="seed").round(3).to_string())
    table.to_csv(out / "tutorial_ks.tsv", sep="\t", index=False)


if __name__ == "__main__":
    main()
