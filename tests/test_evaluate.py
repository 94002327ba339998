"Scoring association tables against a ground truth: clear errors for bad input, and properties of the counts and AP."
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score

from vaes_biomed.data import DataError, DataWarning
from vaes_biomed.evaluate import (benchmark_summary, call_overlap, confusion_matrix, effect_size_matching, pair_scores,
                                  plot_confusion, plot_effect_size, plot_filling_order, plot_overlap, plot_precision_recall,
                                  plot_threshold_recall, plot_tp_fp, precision_recall, ranked_pairs, score_calls,
                                  threshold_recall, tp_fp_curve, truth_pairs)

P = ["p1", "p2"]
FEATURES = ["p1", "p2", "t1", "t2", "t3"]


@pytest.fixture
def truth():
    return pd.DataFrame({"feature_a_name": ["p1", "t2", "p1"], "feature_b_name": ["t1", "p2", "p2"],
                         "Correlation": [0.8, -0.5, 0.3]})


@pytest.fixture
def table():
    return pd.DataFrame({"feature_a_name": ["p1", "p1", "p2", "p2", "p2", "p1"],
                         "feature_b_name": ["t1", "t2", "p1", "t2", "t3", "t3"],
                         "ks_distance": [-0.9, 0.8, -0.7, 0.6, 0.5, 0.1],
                         "significant": [True, True, True, True, False, False]})


# ---- bad input ---------------------------------------------------------------------------------------------------

def test_table_missing_columns_named(truth, table):
    with pytest.raises(DataError, match=r"association table 'ks' lacks column\(s\) feature_b_name"):
        call_overlap({"ks": table.drop(columns="feature_b_name")}, truth, P)
    with pytest.raises(DataError, match=r"my table lacks column\(s\) feature_a_name, feature_b_name"):
        pair_scores(table.drop(columns=["feature_a_name", "feature_b_name"]), name="my table")
    with pytest.raises(DataError, match=r"lacks column\(s\) ks_distance"):
        pair_scores(table.drop(columns="ks_distance"), score_column="ks_distance")


def test_table_without_score_column(truth, table):
    with pytest.raises(DataError, match="no score column: expected one of ks_distance, bayes_k, proba, p_value"):
        precision_recall(table.drop(columns="ks_distance"), truth, P)


def test_unknown_score_column(truth, table):
    with pytest.raises(DataError, match="unknown score column 'pearson'"):
        precision_recall(table.assign(pearson=1.0), truth, P, score_column="pearson")


def test_ambiguous_score_columns(truth, table):
    with pytest.raises(DataError, match="several methods"):
        pair_scores(table.assign(p_value=0.5))
    # explicit choice resolves it
    assert len(pair_scores(table.assign(p_value=0.5), score_column="p_value")) == 6


def test_ground_truth_missing_columns(truth, table):
    with pytest.raises(DataError, match=r"ground truth lacks column\(s\) feature_b_name"):
        score_calls(table, truth.drop(columns="feature_b_name"), P)
    with pytest.raises(DataError, match=r"ground truth lacks column\(s\) Correlation"):
        effect_size_matching(table, truth.drop(columns="Correlation"), P)


def test_perturbed_features_empty_or_string(truth, table):
    with pytest.raises(DataError, match="perturbed_features is empty"):
        score_calls(table, truth, [])
    with pytest.raises(DataError, match="perturbed_features is empty"):
        precision_recall(table, truth, [])
    with pytest.raises(DataError, match="list of feature names, not the string 'p1'"):
        score_calls(table, truth, "p1")


def test_table_perturbs_unlisted_feature(truth, table):
    with pytest.raises(DataError, match=r"1 perturbed feature\(s\) in feature_a_name are not in perturbed_features \(p2\)"):
        score_calls(table, truth, ["p1"])


def test_unknown_feature_in_all_features(truth, table):
    with pytest.raises(DataError, match=r"not in all_features \(t3\)"):
        score_calls(table, truth, P, all_features=["p1", "p2", "t1", "t2"])


def test_missing_names_and_bad_values(truth, table):
    bad = table.copy(); bad.loc[2, "feature_b_name"] = None
    with pytest.raises(DataError, match="missing name.*feature_b_name.*row 2"):
        pair_scores(bad)
    with pytest.raises(DataError, match=r"p-value\(s\) outside \[0, 1\]"):
        pair_scores(table.drop(columns="ks_distance").assign(p_value=[0.1, 2.0, 0.1, 0.1, 0.1, 0.1]))
    with pytest.raises(DataError, match="missing value.*significant"):
        score_calls(table.assign(significant=[True, None, True, True, False, False]), truth, P)


def test_significant_read_from_text(truth, table):
    as_text = table.assign(significant=table.significant.map(str))
    assert score_calls(as_text, truth, P).equals(score_calls(table, truth, P))
    as_int = table.assign(significant=table.significant.astype(int))
    assert score_calls(as_int, truth, P).equals(score_calls(table, truth, P))
    with pytest.raises(DataError, match="non-boolean values such as 'yes' \\(first at row 1\\)"):
        score_calls(table.assign(significant=["True", "yes", "False", "True", "False", "False"]), truth, P)


def test_nan_scores_warn_and_count_as_unscored(truth, table):
    with_nan = table.copy(); with_nan.loc[0, "ks_distance"] = np.nan     # p1 - t1, a truth
    with pytest.warns(DataWarning, match="1 of 6 scores in 'ks_distance' are NaN"):
        curve, ap = precision_recall(with_nan, truth, P)
    # p1 - t1 becomes a missed truth: the same as dropping its row
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, ap_dropped = precision_recall(table.drop(index=0), truth, P)
    assert ap == pytest.approx(ap_dropped)
    assert curve.recall.max() == pytest.approx(2 / 3)
    with pytest.warns(DataWarning, match="NaN"):
        ranked, _ = ranked_pairs(with_nan, truth, P)
    assert np.isnan(ranked.score.iloc[-1]) and ranked.feature_b_name.iloc[-1] == "t1"


def test_ground_truth_self_and_duplicate_pairs_warn(table, truth):
    gt = pd.concat([truth, pd.DataFrame({"feature_a_name": ["p1", "t1"], "feature_b_name": ["p1", "p1"],
                                         "Correlation": [1.0, 0.2]})])
    with pytest.warns(DataWarning) as record:
        pairs = truth_pairs(gt, P)
    messages = " ".join(str(w.message) for w in record)
    assert "1 self pair(s) ignored" in messages and "1 pair(s) listed more than once" in messages
    assert len(pairs) == 3
    assert pairs.set_index(["feature_a_name", "feature_b_name"]).Correlation[("p1", "t1")] == 0.8   # largest kept


def test_empty_tables_dict(truth):
    with pytest.raises(DataError, match="tables is empty"):
        benchmark_summary({}, truth, P)
    with pytest.raises(DataError, match="tables is empty"):
        call_overlap({}, truth, P)


# ---- properties --------------------------------------------------------------------------------------------------

def test_hand_counts(truth, table):
    s = score_calls(table, truth, P, all_features=FEATURES)
    assert [s.truths, s.calls, s.TP, s.FP, s.FN] == [3, 4, 3, 1, 0]
    assert s.pairs == 10 and s.TN == 10 - 4 - 0
    cm = confusion_matrix(table, truth, P, FEATURES)
    assert cm.values.tolist() == [[3, 0], [1, 6]]


def test_perfect_ranking_has_ap_one(truth):
    rng = np.random.default_rng(3)
    names = [f"t{i}" for i in range(30)]
    tab = pd.DataFrame({"feature_a_name": "p1", "feature_b_name": names})
    true = set(rng.choice(names, 7, replace=False))
    gt = pd.DataFrame({"feature_a_name": sorted(true), "feature_b_name": "p1"})   # reversed order on purpose
    tab["proba"] = np.where(tab.feature_b_name.isin(true), rng.uniform(0.6, 1, 30), rng.uniform(0, 0.5, 30))
    curve, ap = precision_recall(tab, gt, ["p1"])
    assert ap == pytest.approx(1.0)
    assert curve.recall.iloc[6] == pytest.approx(1.0) and curve.precision.iloc[6] == pytest.approx(1.0)
    # the worst ranking: all truths last
    tab["proba"] = 1 - tab["proba"]
    _, worst = precision_recall(tab, gt, ["p1"])
    assert worst == pytest.approx(np.mean([(k + 1) / (23 + k + 1) for k in range(7)]))


def test_reversing_pairs_changes_nothing(truth, table):
    # both features perturbed: reversing every pair of the table and of the ground truth
    rev = table.rename(columns={"feature_a_name": "feature_b_name", "feature_b_name": "feature_a_name"})
    rev_truth = truth.rename(columns={"feature_a_name": "feature_b_name", "feature_b_name": "feature_a_name"})
    everyone = FEATURES
    a = score_calls(table, truth, everyone, all_features=FEATURES)
    b = score_calls(rev, rev_truth, everyone, all_features=FEATURES)
    pd.testing.assert_series_equal(a, b)
    assert precision_recall(table, truth, everyone)[1] == pytest.approx(precision_recall(rev, rev_truth, everyone)[1])


def test_pair_in_both_directions_counts_once(truth, table):
    both = pd.concat([table, pd.DataFrame({"feature_a_name": ["p1"], "feature_b_name": ["p2"],
                                           "ks_distance": [0.05], "significant": [False]})])
    assert score_calls(both, truth, P).equals(score_calls(table, truth, P))
    ps = pair_scores(both).set_index(["feature_a_name", "feature_b_name"])
    assert ps.loc[("p1", "p2"), "score"] == pytest.approx(0.7) and ps.loc[("p1", "p2"), "significant"]
    assert precision_recall(both, truth, P)[1] == pytest.approx(precision_recall(table, truth, P)[1])


def test_self_pairs_ignored(truth, table):
    selfs = pd.DataFrame({"feature_a_name": ["p1", "p2"], "feature_b_name": ["p1", "p2"],
                          "ks_distance": [1.0, 1.0], "significant": [True, True]})
    with_self = pd.concat([table, selfs], ignore_index=True)
    assert score_calls(with_self, truth, P).equals(score_calls(table, truth, P))
    assert precision_recall(with_self, truth, P)[1] == pytest.approx(precision_recall(table, truth, P)[1])
    assert len(tp_fp_curve(with_self, truth, P)) == len(tp_fp_curve(table, truth, P))


def test_random_scores_ap_near_prevalence():
    rng = np.random.default_rng(7)
    n_a, n_b = 40, 250
    a = np.repeat([f"a{i}" for i in range(n_a)], n_b)
    b = np.tile([f"b{j}" for j in range(n_b)], n_a)
    true = rng.random(n_a * n_b) < 0.1
    gt = pd.DataFrame({"feature_a_name": b[true], "feature_b_name": a[true]})
    tab = pd.DataFrame({"feature_a_name": a, "feature_b_name": b, "p_value": rng.random(n_a * n_b)})
    _, ap = precision_recall(tab, gt, [f"a{i}" for i in range(n_a)])
    assert ap == pytest.approx(true.mean(), abs=0.015)
    # all truths scored: equal to scikit-learn
    assert ap == pytest.approx(average_precision_score(true, -np.log10(tab.p_value)), abs=1e-12)


def test_unscored_truths_lower_ap_by_their_fraction(truth, table):
    extra = pd.concat([truth, pd.DataFrame({"feature_a_name": ["p2"], "feature_b_name": ["c"], "Correlation": [0.4]})])
    _, ap3 = precision_recall(table, truth, P)
    _, ap4 = precision_recall(table, extra, P)
    assert ap4 == pytest.approx(ap3 * 3 / 4)


def test_threshold_recall_matches_naive_count(truth, table):
    tr = threshold_recall(table, truth, P)
    ps = pair_scores(table)
    ps["truth"] = [(a, b) in {("p1", "t1"), ("p2", "t2"), ("p1", "p2")} for a, b in zip(ps.feature_a_name, ps.feature_b_name)]
    for t, r in zip(tr.threshold, tr.recall):
        assert r == pytest.approx(ps.truth[ps.score >= t].sum() / 3)


def test_benchmark_summary_and_plots(truth, table):
    tt = pd.DataFrame({"feature_a_name": ["p1", "p2"], "feature_b_name": ["t1", "t3"], "p_value": [1e-4, 0.01],
                       "significant": [True, True]})
    bayes = table.drop(columns="ks_distance").assign(bayes_k=table.ks_distance * 10)
    # four methods, so the automatic overlap plot is an UpSet chart
    tables = {"ks": table, "ttest": tt, "bayes": bayes, "bayes2": bayes.copy()}
    summary = benchmark_summary(tables, truth, P, FEATURES)
    assert summary.loc["ks", "TP"] == 3 and summary.loc["ttest", "FP"] == 1
    assert summary.loc["bayes", "AP"] == pytest.approx(summary.loc["ks", "AP"])   # same ranking
    pairs, counts = call_overlap(tables, truth, P)
    figs = [plot_overlap(counts), plot_overlap(counts.drop(columns="bayes2"), kind="venn"),
            plot_confusion(confusion_matrix(table, truth, P, FEATURES)),
            plot_precision_recall({m: precision_recall(t, truth, P)[0] for m, t in tables.items()}, {"ks": 0.5}, 0.3),
            plot_tp_fp({m: tp_fp_curve(t, truth, P) for m, t in tables.items()}),
            plot_threshold_recall({m: threshold_recall(t, truth, P) for m, t in tables.items()}),
            plot_filling_order({m: tp_fp_curve(t, truth, P) for m, t in tables.items()}, calls=summary.calls.to_dict()),
            plot_effect_size({m: effect_size_matching(t, truth, P)[0] for m, t in tables.items()})]
    assert all(isinstance(f, matplotlib.figure.Figure) for f in figs)
    with pytest.raises(ValueError, match="needs 2 or 3 methods"):
        plot_overlap(counts, kind="venn")
    for f in figs: plt.close(f)


def test_panel_plots_refuse_an_empty_dict():
    from vaes_biomed.evaluate import plot_effect_size, plot_filling_order, plot_threshold_recall
    for plot in (plot_threshold_recall, plot_effect_size, plot_filling_order):
        with pytest.raises(DataError, match="nothing to plot"):
            plot({})


def test_threshold_recall_accepts_a_single_threshold(truth, table):
    from vaes_biomed.evaluate import threshold_recall
    one = threshold_recall(table, truth, P, thresholds=0.3)
    many = threshold_recall(table, truth, P, thresholds=[0.3])
    assert len(one) == 1 and one.recall.tolist() == many.recall.tolist()
