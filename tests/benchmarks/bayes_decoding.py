"""Why vaes_biomed's Bayes calls differ from upstream MOVE's on the large synthetic set: the decoding (not part of `make test`).

    python tests/benchmarks/bayes_decoding.py [--bench bench] [--seeds 0 1 2] [--out FILE]

Run after `tests/benchmarks/bench.py --case large_bayes` (it reuses that run's projects and saved refits in
`{bench}/large_bayes/vaes_biomed_seed{S}/`). For each seed it computes the Bayes calls twice on the very same
refits: the Bayes task decoding the latent means, as vaes_biomed does by default, and decoding a sampled z
(`decoding="sampled"`), as upstream MOVE's `reconstruct` does (baseline and every perturbed copy each get their own
draw), and scores both against the ground truth the way bench.py does.
"""
import argparse
import os
import sys
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench import feature_names, score  # noqa: E402
from vaes_biomed import associations as A  # noqa: E402
from vaes_biomed.config import load_data_config, load_task_config  # noqa: E402
from vaes_biomed.data import encode_data  # noqa: E402
from vaes_biomed.settings import RunSettings  # noqa: E402
from vaes_biomed.training import load_or_train_ensemble  # noqa: E402

SET, TASK = "synthetic_large", "synthetic_large__id_assoc_bayes"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default="bench", help="bench.py's --out folder")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--out", default=None, help="table to write (default: {bench}/large_bayes/large_bayes_decoding.tsv)")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    rows, here = [], Path.cwd()
    for seed in a.seeds:
        proj = (here / a.bench / "large_bayes" / f"vaes_biomed_seed{seed}").resolve()
        if not (proj / "interim_data" / "models").exists():
            sys.exit(f"{proj}: no saved refits; run tests/benchmarks/bench.py --case large_bayes --seeds {seed} first")
        os.chdir(proj)
        data = encode_data(load_data_config(Path(f"config/data/{SET}.yaml")), quiet=True)
        task = load_task_config(Path(f"config/task/{TASK}.yaml"), [f"seed={seed}"])
        fit = load_or_train_ensemble(data, task.model, task.training, task.num_refits, seed,
                               Path("interim_data/models"), quiet=True)
        if not fit.reused: sys.exit(f"{proj}: the saved refits do not match the task")
        truth = pd.read_csv(f"data/changes.{SET}.txt", sep="\t")
        perturbed = feature_names(proj, SET, "Continuous_B")
        tg = [f for d in ("Continuous_A", "Continuous_B") for f in feature_names(proj, SET, d)]
        for label, decoding in [("latent mean (vaes_biomed)", "mean"), ("sampled z (upstream)", "sampled")]:
            # the task itself, on the saved refits checked above, decoding the latent means or a sampled z
            settings = A.AssociationSettings("bayes", task.target_dataset, task.target_value, task.sig_threshold, decoding)
            res = A.identify_associations(data, settings, task.model, task.training,
                                          RunSettings(task.num_refits, seed, quiet=True), Path("interim_data/models"))
            sig = proj / "results" / "decoding_check.tsv"
            sig.parent.mkdir(exist_ok=True)
            res.significant.to_csv(sig, sep="\t", index=False)
            rows.append(dict(case="large_bayes", seed=seed, decoding=label, **score(sig, truth, perturbed, tg)))
            print(pd.DataFrame(rows[-1:]).round(3).to_string(index=False, header=len(rows) == 1), flush=True)
        os.chdir(here)
    out = Path(a.out) if a.out else here / a.bench / "large_bayes" / "large_bayes_decoding.tsv"
    pd.DataFrame(rows).to_csv(out, sep="\t", index=False)
    print(f"written {out}")


if __name__ == "__main__":
    main()
