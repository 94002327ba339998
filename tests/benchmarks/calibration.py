"""Calls with an effect-size floor against MOVE's decision, on the same refits (not part of `make test`).

    python tests/benchmarks/calibration.py [--case null_control tutorial large move_small breast_cancer]
                                           [--methods bayes ks ttest] [--seeds 0 1 2] [--out bench/calibration]
                                           [--decoding mean] [--move-small-refits 40]

For each case, seed and method it trains the refits once (saved under `{out}/{case}_seed{S}/models` and reused
on a rerun), then runs `identify_associations` twice on them: `decision="move"` (MOVE's rule) and the default
`decision="effect"`. Each run's tidy table (`associations_{method}.tsv`) is scored against the case's ground
truth with `vaes_biomed.evaluate`:
- calls, precision, recall and AP at the task's nominal FDR 0.05, and the AP of the called pairs alone;
- the realised FDR (FP / calls) at nominal 0.05 and 0.10, the decision replayed from its q column;
- for the effect decision, the recall that MOVE's ranking (its own score, all pairs) reaches at the same realised
  FDR ("recall at matched realised FDR"), beside the effect decision's own recall;
- the association step's wall time on the saved refits (both decisions, side by side).

Cases:
- `null_control`: the tutorial set (`make_synthetic('tutorial')`, 1000 samples) with every column permuted on its own
  (`null_control`); the tutorial task settings (hidden 15, latent 3, 300 epochs), 24 refits. Every call is false.
- `tutorial`: the same data unpermuted, 24 refits; truth: `changes.tutorial.txt` (|r| > 0.02).
- `large`: the paper's large set (`synthetic_large`: 5000 samples, 150 features), its task settings (5 refits).
- `move_small`: upstream MOVE's tutorial data (`../shared/data/move_tutorial_small`) with MOVE's Bayes settings
  (drugs -> proteomics, 40 refits, hidden 1000, latent 150, 40 epochs); truth: the 96 drug -> proteomics effects.
- `breast_cancer`: scikit-learn's Wisconsin breast cancer data (569 samples, 30 features, shipped with
  scikit-learn), the diagnosis perturbed to malignant; truth: each feature's standardised group difference d.
  Reported: the AUC of |d| >= 1.4 against |d| < 0.7 by the decision's ranking (q, then |effect|), and the share of
  the small-effect features called.
The t-test trains four latent sizes; for `move_small` it is left out unless asked for (4 x 40 refits at hidden 1000).
"""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from dataclasses import replace

from vaes_biomed.associations import AssociationSettings, CallSettings, identify_associations
from vaes_biomed.settings import RunSettings
from vaes_biomed.training import load_or_train_ensemble
from vaes_biomed.config import CONFIG_SETS, load_data_config, load_task_config
from vaes_biomed.data import DatasetSpec, MultiOmicsData, encode_data, encode_datasets
from vaes_biomed.evaluate import ap_over_calls, benchmark_summary, fdr_calibration, recall_at_fdr
from vaes_biomed.model import ModelConfig
from vaes_biomed.synthetic import make_synthetic, null_control
from vaes_biomed.training import TrainingConfig

SHARED = Path(__file__).resolve().parents[2] / "nbs" / "data" / "move_tutorial_small"   # MOVE's tutorial data (MIT)


def synthetic_case(preset: str, config_set: str, null: bool, refits: int | None):
    "Encoded synthetic data, its truth, and the config set's task settings."
    synth = make_synthetic(preset)
    if null: synth = null_control(synth, seed=1)
    specs = [DatasetSpec(n, k, log2=k == "continuous") for n, k in synth.kinds.items()]
    data = encode_datasets(synth.tables, specs, ids=synth.ids)
    tasks = CONFIG_SETS[config_set]["task"]
    prefix = "tutorial" if config_set == "tutorial" else config_set
    bayes = load_task_config(tasks[f"{prefix}__id_assoc_bayes"])
    ttest = load_task_config(tasks[f"{prefix}__id_assoc_ttest"])
    n_refits = refits or bayes.num_refits
    return dict(data=data, truth=synth.ground_truth, target=("Continuous_B", "plus_std"),
                model=bayes.model, training=bayes.training, refits=n_refits,
                ttest_sizes=list(ttest.latent_sizes), targets=[c for n in ("Continuous_A", "Continuous_B")
                                                                      for c in synth.tables[n].columns])


def move_small_case(refits: int):
    "MOVE's tutorial data (drugs + proteomics) with MOVE's Bayes settings."
    d = dict(raw_data_path=str(SHARED), interim_data_path=str(Path(ARGS.out) / "move_small_interim"),
             results_path=str(Path(ARGS.out) / "move_small_results"), sample_names="random.small.ids",
             categorical_inputs=[dict(name="random.small.drugs")],
             continuous_inputs=[dict(name="random.small.proteomics", log2=True, scale=True)])
    data = encode_data(load_data_config(d), quiet=True)
    task = load_task_config(dict(defaults=["identify_associations_bayes"], target_dataset="random.small.drugs",
                                 target_value=1, num_refits=refits, batch_size=10,
                                 model=dict(num_hidden=[1000], num_latent=150), training_loop=dict(lr=1e-4, num_epochs=40)))
    changes = pd.read_csv(SHARED / "changes.small.txt", sep="\t")
    changes = changes[changes.dataset_feature.str.startswith("proteomics_")]
    truth = pd.DataFrame(dict(feature_a_name=changes.drug_feature, feature_b_name=changes.dataset_feature))
    return dict(data=data, truth=truth, target=("random.small.drugs", "1"), model=task.model,
                training=task.training, refits=refits, ttest_sizes=[100, 150, 200, 250],
                targets=list(data["random.small.proteomics"].feature_names))


def breast_cancer_case(refits: int = 24):
    "scikit-learn's breast cancer data: the diagnosis (categorical) and 30 cell-nucleus measurements (continuous)."
    from sklearn.datasets import load_breast_cancer
    bc = load_breast_cancer(as_frame=True)
    x = bc.data.copy(); x.columns = [c.replace(" ", "_") for c in x.columns]
    ids = [f"s{i}" for i in range(len(x))]; x.index = ids
    label = pd.DataFrame({"diagnosis": np.where(bc.target == 0, "malignant", "benign")}, index=ids)
    # the label weighs as much as the 30 measurements together and the latent space has 2 dimensions, so that the
    # model must carry the diagnosis (with weight 1 and 10 dimensions it reconstructs the measurements from themselves
    # and a changed label moves almost nothing; see MOVE_edits section 8)
    data = encode_datasets({"diagnosis": label, "nuclei": x}, [DatasetSpec("diagnosis", "categorical", weight=30.0),
                                                              DatasetSpec("nuclei", "continuous", log2=True)], ids=ids)
    v, g = data["nuclei"].values, label.diagnosis.to_numpy() == "malignant"
    d = (v[g].mean(0) - v[~g].mean(0)) / np.sqrt((v[g].var(0) + v[~g].var(0)) / 2)
    truth = pd.DataFrame(dict(feature_a_name="diagnosis", feature_b_name=data["nuclei"].feature_names, d=d))
    return dict(data=data, truth=truth, target=("diagnosis", "malignant"),
                model=ModelConfig(num_hidden=[200], num_latent=2, beta=1e-4, dropout=0.1),
                training=TrainingConfig(lr=1e-3, num_epochs=50, batch_size=16, batch_dilation_steps=[25],
                                        kld_warmup_steps=[10, 20]),
                refits=refits, ttest_sizes=[2, 3, 4, 5], targets=list(data["nuclei"].feature_names))


def real_scores(tidy: pd.DataFrame, truth: pd.DataFrame) -> dict:
    "AUC of the large effects (|d| >= 1.4) over the small ones (|d| < 0.7) by the ranking, and the small ones called."
    d = truth.set_index("feature_b_name").d.abs()
    rank = tidy.assign(d=tidy.feature_b.map(d)).reset_index(drop=True)     # the tidy table is best first
    big, small = rank.index[rank.d >= 1.4].to_numpy(), rank.index[rank.d < 0.7].to_numpy()
    auc = float(np.mean([[b < s for s in small] for b in big])) if len(big) and len(small) else np.nan
    return dict(auc_large_over_small=auc, small_called=int(rank.called[rank.d < 0.7].sum()), n_small=len(small),
                large_called=int(rank.called[rank.d >= 1.4].sum()), n_large=len(big))


def run_case(case: str, seed: int, methods: list[str]) -> list[dict]:
    c = {"null_control": lambda: synthetic_case("tutorial", "tutorial", True, 24),
         "tutorial": lambda: synthetic_case("tutorial", "tutorial", False, 24),
         "large": lambda: synthetic_case("paper", "synthetic_large", False, None),
         "move_small": lambda: move_small_case(ARGS.move_small_refits),
         "breast_cancer": lambda: breast_cancer_case()}[case]()
    data, truth, (tds, tv) = c["data"], c["truth"], c["target"]
    perturbed = list(data[tds].feature_names)
    models = Path(ARGS.out) / f"{case}_seed{seed}" / "models"
    rows = []
    for method in methods:
        if method == "ttest" and case == "move_small" and not ARGS.move_small_ttest: continue
        res, seconds = {}, {}
        sizes = c["ttest_sizes"] if method == "ttest" else [c["model"].num_latent]
        for L in sizes:      # train (or load) the refits first, so that the timings below are the association step only
            load_or_train_ensemble(data, replace(c["model"], num_latent=L), c["training"], c["refits"], seed, models, quiet=True)
        for decision in ("move", "effect"):
            t0 = time.perf_counter()
            settings = AssociationSettings(method, tds, tv, 0.05, ARGS.decoding, CallSettings(decision),
                                           c["ttest_sizes"] if method == "ttest" else None)
            res[decision] = identify_associations(data, settings, c["model"], c["training"],
                                                  RunSettings(c["refits"], seed, quiet=True), models)
            seconds[decision] = time.perf_counter() - t0
        for decision, r in res.items():
            row = dict(case=case, seed=seed, method=method, decision=decision, decoding=ARGS.decoding,
                       refits=c["refits"], delta=r.calls.delta, seconds=round(seconds[decision], 2))
            if case == "breast_cancer":
                row.update(calls=int(r.calls.called.sum()), **real_scores(r.associations, truth))
            else:
                s = benchmark_summary({"m": r.table}, truth, perturbed, targets=c["targets"]).iloc[0]
                row.update(calls=int(s.calls), precision=s.precision, recall=s.recall, AP=s.AP,
                           AP_calls=ap_over_calls(r.table, truth))
                cal = fdr_calibration(r.associations, truth, perturbed, c["targets"], thresholds=(0.05, 0.10))
                row.update(realised_fdr_05=cal.realised[0], recall_05=cal.recall[0], calls_05=int(cal.calls[0]),
                           realised_fdr_10=cal.realised[1], recall_10=cal.recall[1], calls_10=int(cal.calls[1]))
                if decision == "effect" and len(truth):
                    row["move_recall_at_matched_fdr"] = recall_at_fdr(res["move"].table, truth, perturbed,
                                                                      cal.realised[0], c["targets"])
            rows.append(row)
            print(pd.DataFrame([row]).round(3).to_string(index=False), flush=True)
    return rows


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", nargs="+", default=["null_control", "tutorial", "large", "move_small", "breast_cancer"])
    ap.add_argument("--methods", nargs="+", default=["bayes", "ks", "ttest"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--decoding", default="mean", choices=["mean", "sampled"])
    ap.add_argument("--move-small-refits", type=int, default=40)
    ap.add_argument("--move-small-ttest", action="store_true")
    ap.add_argument("--out", default="bench/calibration")
    ARGS = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    Path(ARGS.out).mkdir(parents=True, exist_ok=True)
    rows = [r for case in ARGS.case for seed in ARGS.seeds for r in run_case(case, seed, ARGS.methods)]
    table = pd.DataFrame(rows)
    name = f"calibration_{'_'.join(ARGS.case)}_{ARGS.decoding}.tsv"
    table.to_csv(Path(ARGS.out) / name, sep="\t", index=False)
    print(f"\nmedian over seeds {ARGS.seeds}:")
    print(table.groupby(["case", "method", "decision"]).median(numeric_only=True).drop(columns="seed").round(3).to_string())


if __name__ == "__main__":
    main()
