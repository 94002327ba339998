"""Does one of upstream MOVE's own choices explain its AP on the tutorial KS task? (not part of `make test`)

    python tests/benchmarks/ap_variants.py [--seeds 0 1 2] [--variants ...] [--out bench]

vaes_biomed departs from MOVE 1.5.0 in three places that could change which pairs a KS run calls (MOVE_edits §6):
the last feature of each continuous dataset enters the loss, one Adam optimiser serves the whole run, and
reconstructions decode the latent means. This script runs vaes_biomed's tutorial KS task (`tutorial__id_assoc_ks`,
one refit) with each of MOVE's choices switched back on, one at a time and all together, on the same data and
seeds as `bench.py`, and scores the calls against the ground truth the same way:

- `vaes_biomed`: as shipped;
- `move_loss`: the last feature of every continuous dataset left out of the loss (MOVE's slice stops one short);
- `adam_reset`: a new Adam optimiser every epoch (`TrainingConfig.optimizer_reset`);
- `sampled`: reconstructions from a sampled z (`task.decoding=sampled`);
- `all_three`: all of the above.

The first two are not settings of the shipped tool (they are what vaes_biomed corrects), so this script patches them
in for its own runs only. The table goes to `{out}/tutorial_ks/ap_variants.tsv`; the recorded one is
`tests/benchmarks/recorded/ap_variants_tutorial_ks_1refit.tsv`.
"""
import argparse
import os
import shutil
import sys
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench import feature_names, score  # noqa: E402
from vaes_biomed import tasks  # noqa: E402
from vaes_biomed.model import VAELayout  # noqa: E402

VARIANTS = ("vaes_biomed", "move_loss", "adam_reset", "sampled", "all_three")
_column_weights = VAELayout.column_weights


def move_loss_weights(layout: VAELayout) -> tuple[np.ndarray, np.ndarray]:
    "Column weights with the last feature of each continuous dataset at 0, the other weights unchanged (MOVE's slice)."
    cat, con = _column_weights(layout)
    con, stop = con.copy(), 0
    for n in layout.con_sizes:
        stop += n
        con[stop - 1] = 0.0
    return cat, con


def patches(variant: str) -> list:
    "The patches that switch MOVE's choices on for one variant."
    out = []
    if variant in ("move_loss", "all_three"):
        out.append(mock.patch.object(VAELayout, "column_weights", move_loss_weights))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    ap.add_argument("--out", default="bench")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    out = Path(a.out).resolve() / "tutorial_ks"
    template = out / "project"
    if not template.exists(): tasks.init_project("tutorial", template)
    truth = pd.read_csv(template / "data" / "changes.tutorial.txt", sep="\t")
    perturbed = feature_names(template, "tutorial", "Continuous_B")
    targets = [f for d in ("Continuous_A", "Continuous_B") for f in feature_names(template, "tutorial", d)]
    rows = []
    for seed in a.seeds:
        for variant in a.variants:
            work = out / f"variant_{variant}_seed{seed}"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(template / "data", work / "data"); shutil.copytree(template / "config", work / "config")
            tasks.run_command(["task=encode_data", "data=tutorial", "--quiet"], cwd=work)
            extra = ["task.decoding=sampled"] if variant in ("sampled", "all_three") else []
            extra += ["task.training_loop.optimizer_reset=true"] if variant in ("adam_reset", "all_three") else []
            with ExitStack() as stack:
                for p in patches(variant): stack.enter_context(p)
                tasks.run_command(["task=tutorial__id_assoc_ks", "data=tutorial", "--quiet", f"seed={seed}",
                                 "task.num_refits=1", *extra], cwd=work)
            sig = work / "results" / "identify_associations" / "results_sig_assoc_ks.tsv"
            rows.append(dict(variant=variant, seed=seed, **score(sig, truth, perturbed, targets)))
            print(pd.DataFrame(rows[-1:]).round(3).to_string(index=False, header=len(rows) == 1), flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(out / "ap_variants.tsv", sep="\t", index=False)
    print(f"\nmedian over seeds {a.seeds}:\n" + table.groupby("variant").median(numeric_only=True).drop(columns="seed").round(3).to_string())


if __name__ == "__main__":
    main()
