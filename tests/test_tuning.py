"Hyperparameter tuning: clear errors for bad splits and grids, and properties of the split and of stability."
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch

from vaes_biomed.settings import RunSettings
from vaes_biomed.data import DataError, DataWarning, DatasetSpec, encode_datasets
from vaes_biomed.model import ModelConfig, VAE, layout_of, model_inputs, project
from vaes_biomed.training import TrainingConfig
from vaes_biomed.tuning import (apply_params, box_stats, expand_grid, fixed_split, latent_stability,
                                plot_stability, plot_tuning_grid, tune_reconstruction, tune_stability)

IDS = [f"s{i}" for i in range(40)]


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    cat = pd.DataFrame({"c1": rng.choice(["a", "b"], 40), "c2": rng.choice(["a", "b", None], 40)}, index=IDS)
    con = pd.DataFrame(rng.normal(size=(40, 5)), index=IDS, columns=[f"p{i}" for i in range(5)])
    con.iloc[3] = np.nan                                   # a sample with no observed continuous value
    return encode_datasets({"cat": cat, "con": con}, [DatasetSpec("cat", "categorical"), DatasetSpec("con", "continuous")])


MCFG = ModelConfig(num_hidden=[8], num_latent=2, dropout=0.1)
TCFG = TrainingConfig(lr=1e-3, num_epochs=2, batch_size=8, batch_dilation_steps=[], kld_warmup_steps=[])


# --- the split file -------------------------------------------------------------------------------------

def test_split_file_with_unknown_and_missing_ids_names_file_and_counts(tmp_path):
    p = tmp_path / "split.tsv"
    pd.DataFrame({"id": IDS[:37] + ["x1", "x2"], "split": ["train"] * 39}).to_csv(p, sep="\t", index=False)
    with pytest.raises(DataError, match=r"split\.tsv: .*2 unknown ID\(s\) not among the 40 samples.*3 sample\(s\) missing"):
        fixed_split(IDS, path=p)


def test_split_file_with_only_missing_ids(tmp_path):
    p = tmp_path / "split.tsv"
    fixed_split(IDS[:30], path=p)
    with pytest.raises(DataError, match=r"0 unknown ID\(s\).*10 sample\(s\) missing from it"):
        fixed_split(IDS, path=p)


def test_split_file_bad_label_and_column(tmp_path):
    p = tmp_path / "split.tsv"
    pd.DataFrame({"id": IDS, "split": ["train"] * 39 + ["validation"]}).to_csv(p, sep="\t", index=False)
    with pytest.raises(DataError, match=r"row 40 \(ID 's39'\) has split 'validation'"):
        fixed_split(IDS, path=p)
    pd.DataFrame({"sample": IDS, "split": ["train"] * 40}).to_csv(p, sep="\t", index=False)
    with pytest.raises(DataError, match="no column 'id'"):
        fixed_split(IDS, path=p)


def test_reused_split_with_other_fraction_warns(tmp_path):
    p = tmp_path / "split.tsv"
    first = fixed_split(IDS, 0.1, path=p)
    with pytest.warns(DataWarning, match="4 test samples; test_fraction 0.25 would give 10"):
        again = fixed_split(IDS, 0.25, path=p)
    assert again.equals(first)


@pytest.mark.parametrize("frac", [0, 1, -0.1, 1.5])
def test_bad_test_fraction(frac):
    with pytest.raises(ValueError, match="test_fraction must be in"):
        fixed_split(IDS, frac)


def test_test_fraction_too_small_for_the_samples():
    with pytest.raises(ValueError, match="gives 0 test samples"):
        fixed_split(IDS[:3], 0.1)


def test_split_deterministic_with_seed():
    a, b, c = fixed_split(IDS, 0.25, seed=3), fixed_split(IDS, 0.25, seed=3), fixed_split(IDS, 0.25, seed=4)
    assert a.equals(b) and not a.equals(c)
    assert (a.split == "test").sum() == 10 and a.id.tolist() == IDS


def test_tune_reconstruction_refuses_a_split_of_other_samples(data):
    split = fixed_split(IDS[:-1] + ["other"], 0.1)
    with pytest.raises(DataError, match=r"split table: .*1 unknown ID\(s\).*1 sample\(s\) missing"):
        tune_reconstruction(data, MCFG, TCFG, {}, split, RunSettings(quiet=True))


# --- the grid ------------------------------------------------------------------------------------------

def test_unknown_grid_key_lists_allowed():
    with pytest.raises(ValueError, match=r"unknown hyperparameter 'model.hidden'.*allowed: .*model.num_hidden"):
        expand_grid({"model.hidden": [[10]]})


def test_empty_value_list():
    with pytest.raises(ValueError, match=r"grid\['model.num_latent'\] is an empty list"):
        expand_grid({"model.num_latent": []})


def test_scalar_value_and_duplicate_batch_size():
    with pytest.raises(ValueError, match="must be a list of values"):
        expand_grid({"model.num_latent": 5})
    with pytest.raises(ValueError, match="same setting"):
        expand_grid({"batch_size": [10], "training_loop.batch_size": [20]})


def test_grid_size_is_product():
    sets = expand_grid({"model.num_hidden": [[10], [20, 10]], "model.num_latent": [2, 3, 4], "model.beta": [0.1]})
    assert len(sets) == 6 and len({str(s) for s in sets}) == 6


def test_apply_params_refuses_bad_key_and_value():
    with pytest.raises(ValueError, match="unknown hyperparameter 'lr'"):
        apply_params(MCFG, TCFG, {"lr": 0.1})
    with pytest.raises(ValueError, match="num_latent must be >= 1"):
        apply_params(MCFG, TCFG, {"model.num_latent": 0})
    with pytest.raises(ValueError, match="num_latent must be >= 1"):  # checked before any training
        tune_stability(None, MCFG, TCFG, {"model.num_latent": [2, 0]}, RunSettings(n_refits=3, quiet=True))


# --- box statistics and stability -------------------------------------------------------------------------

def test_box_stats_all_missing():
    s = box_stats([np.nan] * 3)
    assert s["n"] == 0 and s["n_missing"] == 3 and np.isnan(s["median"])


def test_box_stats_matches_numpy():
    v = np.random.default_rng(1).normal(size=101)
    s = box_stats(v)
    np.testing.assert_allclose([s["q1"], s["median"], s["q3"]], np.percentile(v, [25, 50, 75]))


def test_stability_symmetric_and_zero_for_identical():
    z = np.random.default_rng(2).normal(size=(2, 30, 3))
    np.testing.assert_allclose(latent_stability(z), latent_stability(z[::-1]), atol=1e-12)
    assert latent_stability(np.stack([z[0], z[0]]))[0] == 0.0
    assert latent_stability(z)[0] > 0


def test_stability_invariant_to_rotation_and_scale():
    "Cosine similarities do not change when a refit's latent axes are rotated and rescaled."
    z = np.random.default_rng(3).normal(size=(30, 3))
    q, _ = np.linalg.qr(np.random.default_rng(4).normal(size=(3, 3)))
    np.testing.assert_allclose(latent_stability(np.stack([z, 2.5 * z @ q])), [0.0], atol=1e-6)


def test_stability_needs_two_refits(data):
    with pytest.raises(ValueError, match="K >= 2"):
        latent_stability(np.zeros((1, 5, 2)))
    with pytest.raises(ValueError, match="n_refits must be >= 2"):
        tune_stability(data, MCFG, TCFG, {}, RunSettings(n_refits=1, quiet=True))


def test_members_with_equal_seeds_are_identical_before_training(data):
    model = VAE(layout_of(data), MCFG, seeds=[7, 7, 7])
    x, _ = model_inputs(data)
    assert (latent_stability(project(model, x)) == 0).all()


# --- end to end, tiny --------------------------------------------------------------------------------------

def test_tables_and_plots(data):
    split = fixed_split(data.ids, 0.2, seed=1)
    recon = tune_reconstruction(data, MCFG, TCFG, {"model.num_latent": [2, 3]}, split, RunSettings(n_refits=2, device="cpu", quiet=True))
    assert len(recon) == 2 * 2 * 2
    con_test = recon[(recon.dataset == "con") & (recon.split == "test")]
    # two refits pooled; sample s3 has no continuous value: it is counted as missing, not scored
    in_test = "s3" in set(split.id[split.split == "test"])
    assert (con_test.n + con_test.n_missing == 2 * 8).all()
    assert (con_test.n_missing == 2 * in_test).all()
    stab = tune_stability(data, MCFG, TCFG, {"model.num_latent": [2]}, RunSettings(n_refits=3, device="cpu", quiet=True))
    assert stab.refit.tolist() == [1, 2] and (stab.stability > 0).all()
    fig = plot_tuning_grid(recon); plt.close(fig)
    fig = plot_stability(stab); plt.close(fig)
    with pytest.raises(ValueError, match="x='model.beta' is not a column"):
        plot_stability(stab, x="model.beta")
