"""Where a tuning grid's points train: in this process one after another, in a pool of local processes, or as
Ray tasks on a local Ray with the same number of CPUs; side by side in one run, with identical tables checked.

    python tests/benchmarks/executor_bench.py --out bench/executor [--workers 2] [--ray]

Run it outside the test suite, on an otherwise idle machine. `--ray` needs the optional extra `ray` (make ray
builds .venv-ray with it). Writes executor_tuning.tsv (one row per way and repeat) and machine.txt.
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import pandas as pd

from vaes_biomed.config import load_data_config, load_task_config
from vaes_biomed.data import encode_data
from vaes_biomed.executor import available_cores
from vaes_biomed.settings import RunSettings
from vaes_biomed.tasks import init_project
from vaes_biomed.tuning import fixed_split, tune_reconstruction


def grid_case(folder: Path, n_samples: int, epochs: int):
    "The tutorial set and its reconstruction-tuning task, widened to an 8-point grid."
    init_project("tutorial", folder, n_samples=n_samples)
    data = encode_data(load_data_config(folder / "config" / "data" / "tutorial.yaml", base_dir=folder), quiet=True)
    task = load_task_config(folder / "config" / "task" / "tutorial__tune_reconstruction.yaml",
                            [f"task.training_loop.num_epochs={epochs}"])
    grid = {"model.num_latent": [2, 3, 5, 8], "model.beta": [0.0001, 0.01]}
    return data, task, grid, fixed_split(data.ids, 0.1, seed=0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench/executor")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--ray", action="store_true", help="also as Ray tasks on a local Ray with --workers CPUs")
    a = ap.parse_args(argv)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    data, task, grid, split = grid_case(out / "project", a.samples, a.epochs)
    ways = {"sequential (1 process)": dict(workers=1), f"local pool ({a.workers} processes)": dict(workers=a.workers)}
    if a.ray:
        import ray
        ray.init(num_cpus=a.workers, include_dashboard=False, log_to_driver=False)
        ways[f"ray ({a.workers} CPUs, local)"] = dict(executor="ray", workers=a.workers)
    rows, tables = [], {}
    for r in range(a.repeats):
        for way, kw in ways.items():
            t0 = time.perf_counter()
            table = tune_reconstruction(data, task.model, task.training, grid, split,
                                        RunSettings(seed=0, device="cpu", quiet=True, **kw))
            rows.append(dict(way=way, repeat=r, seconds=round(time.perf_counter() - t0, 2), grid_points=8,
                             samples=a.samples, epochs=a.epochs))
            tables.setdefault(way, table)
            print(rows[-1], flush=True)
    first = next(iter(tables.values()))
    for way, t in tables.items(): pd.testing.assert_frame_equal(t, first)        # the same table every way
    res = pd.DataFrame(rows)
    best = res.groupby("way", sort=False).seconds.min()
    res["identical_tables"] = True
    res.to_csv(out / "executor_tuning.tsv", sep="\t", index=False)
    (out / "machine.txt").write_text(f"{platform.processor() or platform.machine()}, {available_cores()} cores, "
                                     f"python {platform.python_version()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}\n")
    base = best.iloc[0]
    print("best of", a.repeats, "(s):", best.to_dict(), "| speed-up over sequential:", (base / best).round(2).to_dict())
    if a.ray:
        pool, on_ray = best.iloc[1], best.iloc[2]
        print(f"ray / local pool: {on_ray / pool:.2f} (target: at most 1.20)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
