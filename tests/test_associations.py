"Association methods: statistics against references, the calling rules, and clear errors."
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from vaes_biomed.associations import (AssociationSettings, bayes_table, continuous_targets, expected_fdr, fdr_cutoff,
                                      identify_associations, write_associations,
                                      ks_table, paired_ttest, signed_ks, ttest_table)
from vaes_biomed.training import load_or_train_ensemble
from vaes_biomed.data import DatasetSpec, encode_datasets
from vaes_biomed.model import ModelConfig
from vaes_biomed.perturb import perturbation_plan
from vaes_biomed.settings import RunSettings
from vaes_biomed.training import TrainingConfig

MCFG = ModelConfig(num_hidden=[8], num_latent=2, beta=1e-4, dropout=0.0)
TCFG = TrainingConfig(lr=1e-3, num_epochs=2, batch_size=10, kld_warmup_steps=[], batch_dilation_steps=[])
QUIET = RunSettings(quiet=True)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    ids = [f"s{i}" for i in range(60)]
    a = rng.normal(size=(60, 3))
    tables = {"rna": pd.DataFrame(a, index=ids, columns=["g1", "g2", "g3"]),
              "prot": pd.DataFrame(a[:, :2] + rng.normal(size=(60, 2)), index=ids, columns=["p1", "p2"]),
              "drug": pd.DataFrame({"d1": rng.integers(0, 2, 60)}, index=ids)}
    specs = [DatasetSpec("drug", "categorical"), DatasetSpec("rna", "continuous"), DatasetSpec("prot", "continuous")]
    return encode_datasets(tables, specs, ids=ids)


def test_signed_ks_is_antisymmetric_and_zero_for_equal_samples():
    g = np.random.default_rng(3)
    a, b = torch.tensor(g.normal(size=(20, 31))), torch.tensor(g.normal(0.5, 1, size=(20, 31)))
    ab, ba = signed_ks(a, b), signed_ks(b, a)
    assert torch.allclose(ab.abs(), ba.abs())
    d_plus = np.array([stats.ks_2samp(a[i].numpy(), b[i].numpy(), alternative="greater").statistic for i in range(20)])
    d_minus = np.array([stats.ks_2samp(a[i].numpy(), b[i].numpy(), alternative="less").statistic for i in range(20)])
    clear = np.abs(d_plus - d_minus) > 1e-9          # where D+ = D- exactly, both directions count as positive
    assert clear.sum() >= 15 and torch.allclose(ab[clear], -ba[clear])
    assert torch.all(signed_ks(a, a) == 0)     # (agreement with scipy's ks_2samp is checked in 05_associations)


def test_sound_cutoff_never_exceeds_threshold():
    g = np.random.default_rng(5)
    for _ in range(50):
        fdr = expected_fdr(np.sort(g.exponential(3, size=40))[::-1])
        n = fdr_cutoff(fdr, 0.05)
        assert n == 0 or fdr[n - 1] <= 0.05
        assert n == len(fdr) or fdr[n] > 0.05


def test_self_associations_are_last_and_never_called(data):
    plan = perturbation_plan(data, "rna", "plus_std")
    targets = continuous_targets(data)
    prob = np.full((3, 5), 0.5); prob[[0, 1, 2], [0, 1, 2]] = 1.0       # only the self pairs moved
    table = bayes_table(plan, targets, prob)
    assert not table.significant.any()
    assert (table.tail(3).feature_a_name == table.tail(3).feature_b_name).all()
    ks = np.zeros((2, 3, 5)); ks[:, [0, 1, 2], [0, 1, 2]] = -1.0
    table = ks_table(plan, targets, ks, 60)
    assert not table.significant.any() and (table.ks_distance == 0).all()
    pv = {L: np.ones((1, 3, 5)) for L in (1, 2, 3, 4)}
    for L in pv: pv[L][:, [0, 1, 2], [0, 1, 2]] = 1e-9
    assert not ttest_table(plan, targets, pv).significant.any()


def test_pairs_without_samples_are_counted_not_called(data):
    plan = perturbation_plan(data, "rna", "plus_std")
    prob = np.full((3, 5), 0.99); prob[0, 3] = np.nan
    with pytest.warns(UserWarning, match="Bayes: 1 of 15 pairs had no sample"):
        table = bayes_table(plan, continuous_targets(data), prob)
    row = table[(table.feature_a_name == "g1") & (table.feature_b_name == "p1")]
    assert not row.significant.item()
    ks = np.full((2, 3, 5), 0.5); ks[:, 1, 4] = np.nan
    with pytest.warns(UserWarning, match="KS: 1 of 15 pairs"):
        table = ks_table(plan, continuous_targets(data), ks, 60)
    assert table.iloc[-1][["feature_a_name", "feature_b_name"]].tolist() == ["g2", "p2"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(method="wilcoxon"), "unknown association method 'wilcoxon'"),
    (dict(n_refits=0), "n_refits must be a whole number >= 1"),
    (dict(sig_threshold=1.5), "sig_threshold must be in"),
    (dict(target_dataset="protein"), "unknown target dataset 'protein'"),
    (dict(target_value="3"), "not a class of 'drug'"),
    (dict(decoding="sample"), "unknown decoding 'sample' \\(one of mean, sampled\\)"),
])
def test_bad_task_settings(data, kwargs, message):
    settings, run = dict(method="ks", target_dataset="drug", target_value="1"), dict(quiet=True)
    for k, v in kwargs.items(): (run if k == "n_refits" else settings)[k] = v
    with pytest.raises((ValueError, KeyError), match=message):
        identify_associations(data, AssociationSettings(**settings), MCFG, TCFG, RunSettings(**run))


def test_needs_a_continuous_dataset():
    ids = [f"s{i}" for i in range(20)]
    only_cat = encode_datasets({"drug": pd.DataFrame({"d1": [0, 1] * 10}, index=ids)},
                               [DatasetSpec("drug", "categorical")], ids=ids)
    with pytest.raises(ValueError, match="at least one continuous dataset"):
        identify_associations(only_cat, AssociationSettings("ks", "drug", "1"), MCFG, TCFG, QUIET)


def test_unknown_plot_pair_names_the_feature(data, tmp_path):
    with pytest.raises(ValueError, match="'g9' is not a perturbed feature of 'rna'"):
        res = identify_associations(data, AssociationSettings("ks", "rna", "plus_std"), MCFG, TCFG, QUIET)
        write_associations(res, tmp_path, plot_pairs=[("g9", "p1")])


@pytest.mark.parametrize("method", ["bayes", "ks"])
def test_statistics_do_not_depend_on_the_pass_size(data, method):
    "One perturbed feature per pass and all of them in one pass give the same statistics (the chunking bounds memory only)."
    from vaes_biomed.associations import bayes_probabilities, ks_statistics
    fit = load_or_train_ensemble(data, MCFG, TCFG, n_refits=3, quiet=True)
    plan = perturbation_plan(data, "rna", "plus_std")
    fn = bayes_probabilities if method == "bayes" else ks_statistics
    one = fn(fit, plan, max_rows=1)
    whole = fn(fit, plan, max_rows=10 ** 9)
    assert one.shape[-2:] == (3, 5) and np.isfinite(one).all()
    np.testing.assert_allclose(one, whole, atol=1e-6)


def test_bayes_with_sampled_decoding_is_seeded_and_differs_from_the_means(data):
    "MOVE's sampled decoding: the same generator seed gives the same probabilities; the latent means give others."
    from vaes_biomed.associations import bayes_probabilities
    fit = load_or_train_ensemble(data, MCFG, TCFG, n_refits=2, quiet=True)
    plan = perturbation_plan(data, "rna", "plus_std")
    draw = lambda s: bayes_probabilities(fit, plan, sample=True, generator=torch.Generator().manual_seed(s))
    np.testing.assert_array_equal(draw(0), draw(0))
    assert not np.array_equal(draw(0), draw(1))
    means = bayes_probabilities(fit, plan)
    np.testing.assert_array_equal(means, bayes_probabilities(fit, plan))
    assert np.abs(means - draw(0)).max() > 0.05


@pytest.mark.parametrize("method, column", [("ks", "ks_distance"), ("bayes", "bayes_k")])
def test_sampled_decoding_in_the_task_is_seeded(data, tmp_path, method, column):
    "identify_associations(decoding='sampled'): the same seed repeats the table; the latent means give other numbers."
    run = lambda decoding: identify_associations(data, AssociationSettings(method, "rna", "plus_std", decoding=decoding), MCFG, TCFG,
                                                 RunSettings(n_refits=2, seed=3, quiet=True), models_dir=tmp_path)
    key = lambda r: r.table.set_index(["feature_a_name", "feature_b_name"])[column].sort_index()
    first, again, means = run("sampled"), run("sampled"), run("mean")
    pd.testing.assert_series_equal(key(first), key(again))
    assert not np.allclose(key(first), key(means))
    if method == "ks":   # the QC table is decoded the same way as the statistics
        pd.testing.assert_frame_equal(first.qc, again.qc)
        assert not np.allclose(first.qc.select_dtypes("number"), means.qc.select_dtypes("number"))
