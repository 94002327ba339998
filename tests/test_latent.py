"Latent-space analysis: 2-D views, reconstruction scores, feature importance, rankings, the analyze_latent task."
import sys
import types
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch

from vaes_biomed.data import DatasetSpec, encode_datasets, decode_categorical
from vaes_biomed.model import VAE, ModelConfig, layout_of, model_inputs, project
from vaes_biomed.settings import RunSettings
from vaes_biomed.training import TrainingConfig
from vaes_biomed.latent import (reduce_2d, plot_embedding, reconstruction_scores, reconstruction_metrics,
                                plot_reconstruction_metrics, feature_columns, feature_importance, importance_ranking,
                                pool_rankings, input_values, plot_feature_importance, analyze_latent)


def small_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    ids = [f"s{i}" for i in range(n)]
    cat = pd.DataFrame({"g1": rng.choice(["a", "b", "c"], n), "g2": rng.choice(["a", "b"], n).astype(object)}, index=ids)
    cat.iloc[3, 1] = None                                      # one missing categorical value
    con = pd.DataFrame(rng.normal(size=(n, 4)), index=ids, columns=["e1", "e2", "e3", "e4"])
    con.iloc[5, 2] = np.nan                                    # one missing continuous value
    return encode_datasets({"cat": cat, "con": con}, [DatasetSpec("cat", "categorical"), DatasetSpec("con", "continuous")])


@pytest.fixture(scope="module")
def data(): return small_data()


@pytest.fixture(scope="module")
def model(data): return VAE(layout_of(data), ModelConfig(num_hidden=[8], num_latent=3), seeds=[0, 1]).eval()


Z = np.random.default_rng(1).normal(size=(30, 4))


# ---- reduce_2d ---------------------------------------------------------------------------------------------------
def test_unknown_reducer_lists_choices():
    with pytest.raises(ValueError, match="'mds'.*umap, t-sne, pca"): reduce_2d(Z, "mds")


@pytest.mark.parametrize("bad, msg", [(Z[:, 0], "2-D array"), (Z[:, :1], "at least 2 latent dimensions"),
                                      (Z[:2], "at least 3 samples")])
def test_bad_latent_shapes(bad, msg):
    with pytest.raises(ValueError, match=msg): reduce_2d(bad, "pca")


def test_nan_in_z_names_row():
    z = Z.copy(); z[4, 2] = np.nan
    with pytest.raises(ValueError, match="1 NaN.*row 4"): reduce_2d(z, "pca")


def test_pca_and_tsne_shapes_and_determinism():
    for m in ("pca", "t-sne"):
        a, b = reduce_2d(Z, m, seed=3), reduce_2d(Z, m, seed=3)
        assert a.shape == (30, 2) and np.allclose(a, b)


def test_umap_called_with_two_components_and_seed(monkeypatch):
    calls = {}
    class FakeUMAP:                                             # stands in for umap.UMAP (its JIT takes ~10 s)
        def __init__(self, **kw): calls.update(kw)
        def fit_transform(self, z): return z[:, :2] * 2
    monkeypatch.setitem(sys.modules, "umap", types.SimpleNamespace(UMAP=FakeUMAP))
    out = reduce_2d(Z, "umap", seed=7)
    assert calls["n_components"] == 2 and calls["random_state"] == 7
    assert np.allclose(out, Z[:, :2] * 2)


def test_umap_keeps_torch_threads(monkeypatch):
    class ThreadGrabbingUMAP:                                 # numba's OpenMP layer does this to torch
        def __init__(self, **kw): pass
        def fit_transform(self, z): torch.set_num_threads(torch.get_num_threads() + 1); return z[:, :2]
    monkeypatch.setitem(sys.modules, "umap", types.SimpleNamespace(UMAP=ThreadGrabbingUMAP))
    before = torch.get_num_threads()
    reduce_2d(Z, "umap")
    assert torch.get_num_threads() == before


def test_umap_missing_falls_back_to_tsne(monkeypatch):
    monkeypatch.setitem(sys.modules, "umap", None)            # makes `import umap` raise ImportError
    with pytest.warns(UserWarning, match="t-SNE"): out = reduce_2d(Z, "umap", seed=2)
    assert np.allclose(out, reduce_2d(Z, "t-sne", seed=2))


# ---- plot_embedding ----------------------------------------------------------------------------------------------
def test_plot_embedding_bad_shapes():
    with pytest.raises(ValueError, match="N x 2"): plot_embedding(Z)
    with pytest.raises(ValueError, match="5 values for 30 points"): plot_embedding(Z[:, :2], np.arange(5))


def test_plot_embedding_legend_labels_and_missing():
    codes = np.array([0, 1, np.nan] * 10)
    fig = plot_embedding(Z[:, :2], codes, "g", class_labels={"x": 0, "y": 1})
    assert sorted(t.get_text() for t in fig.axes[0].get_legend().get_texts()) == ["missing", "x", "y"]
    plt.close(fig)


# ---- reconstruction scores ---------------------------------------------------------------------------------------
def perfect_output(data):
    x, obs = model_inputs(data)
    n_cat = layout_of(data).n_cat_inputs
    is_cat = torch.arange(x.shape[1]) < n_cat
    return torch.where(is_cat, torch.where(x > 0, 0.0, -30.0), x), obs


def test_perfect_reconstruction_scores_one(data):
    out, obs = perfect_output(data)
    s = reconstruction_scores(out, data, obs)
    assert np.allclose(s.value, 1.0, atol=1e-6)
    assert len(s) == data.n_samples * 2


def test_wrong_class_everywhere_scores_zero(data):
    out, obs = perfect_output(data)
    n_cat = layout_of(data).n_cat_inputs
    out[:, :n_cat] = torch.where(out[:, :n_cat] == 0, -30.0, 0.0)      # every true class now least likely
    s = reconstruction_scores(out, data, obs)
    acc = s[s.metric == "accuracy"].value
    assert np.allclose(acc, 0.0)
    out[:, n_cat:] = -out[:, n_cat:]                                   # opposite profile: cosine -1
    s = reconstruction_scores(out, data, obs)
    assert np.allclose(s[s.metric == "cosine_similarity"].value, -1.0, atol=1e-6)


def test_hand_built_accuracy_counts_only_present_features():
    # sample s0: f1 right, f2 wrong, f3 missing -> 1/2; sample s1: right, right, wrong -> 2/3
    tables = {"cat": pd.DataFrame({"f1": ["a", "b"], "f2": ["b", "b"], "f3": [None, "b"]}, index=["s0", "s1"]).astype(object)}
    d = encode_datasets(tables, [DatasetSpec("cat", "categorical")])
    assert d["cat"].mapping == {"a": 0, "b": 1}
    p = torch.tensor([[0.9, 0.1, 0.8, 0.2, 0.3, 0.7],
                      [0.1, 0.9, 0.4, 0.6, 0.6, 0.4]])
    s = reconstruction_scores(torch.log(p), d)
    assert s.value.tolist() == pytest.approx([0.5, 2 / 3])


def test_metrics_ranges_and_shape(data, model):
    m = reconstruction_metrics(model, data)
    assert list(m.columns) == ["refit", "id", "dataset", "kind", "metric", "value"]
    assert len(m) == 2 * data.n_samples * 2
    acc, cos = m[m.metric == "accuracy"].value, m[m.metric == "cosine_similarity"].value
    assert acc.between(0, 1).all() and cos.between(-1 - 1e-6, 1 + 1e-6).all()


def test_metrics_reject_wrong_x_shape(data, model):
    x, _ = model_inputs(data)
    with pytest.raises(ValueError, match="x has shape"): reconstruction_metrics(model, data, x[:, :-1])


def test_plot_reconstruction_metrics_unknown_member(data, model):
    m = reconstruction_metrics(model, data)
    with pytest.raises(ValueError, match=r"refits: \[0, 1\]"): plot_reconstruction_metrics(m, refit=3)
    with pytest.raises(KeyError, match="value"): plot_reconstruction_metrics(m.drop(columns="value"))
    plt.close(plot_reconstruction_metrics(m, refit=None))


# ---- feature importance ------------------------------------------------------------------------------------------
def test_ignored_feature_has_zero_importance(data):
    m = VAE(layout_of(data), ModelConfig(num_hidden=[8], num_latent=3), seeds=[0]).eval()
    cols = feature_columns(data)
    ignored, used = cols["con"][1, 0], cols["con"][0, 0]
    with torch.no_grad():
        m.enc_linear[0].weight[:, ignored, :] = 0               # the encoder never looks at e2
    imp = feature_importance(m, data)
    assert imp["con"].shape == (data.n_samples, 4) and list(imp["con"].columns) == ["e1", "e2", "e3", "e4"]
    assert np.abs(imp["con"]["e2"]).max() < 1e-6
    assert np.abs(imp["con"]["e1"]).sum() > 1e-2
    assert used != ignored


def test_batched_importance_equals_loop(data, model):
    imp = feature_importance(model, data, refit=1, max_rows=1)   # one feature per pass
    x, _ = model_inputs(data)
    z0 = project(model, x)[1]
    for name, c in feature_columns(data).items():
        for j, cc in enumerate(c):
            xm = x.clone(); xm[:, cc] = 0
            want = (project(model, xm)[1] - z0).sum(-1).numpy()
            assert np.allclose(imp[name].iloc[:, j], want, atol=1e-5)


def test_importance_bad_member(data, model):
    with pytest.raises(ValueError, match="refit 2 out of range"): feature_importance(model, data, refit=2)


def test_ranking_and_pooling():
    imp = {"d": pd.DataFrame({"a": [1.0, -1.0], "b": [0.1, 0.1], "c": [-3.0, 0.0]})}
    r = importance_ranking(imp)
    assert r.feature.tolist() == ["c", "a", "b"] and r["rank"].tolist() == [1, 2, 3]
    assert r.importance.tolist() == pytest.approx([3.0, 2.0, 0.2])
    p = pool_rankings([r, r.assign(rank=[2, 1, 3])], top=1)
    assert p.feature.tolist()[:2] in (["c", "a"], ["a", "c"]) and p.mean_rank.tolist() == pytest.approx([1.5, 1.5, 3.0])
    assert p.n_top.tolist() == [1, 1, 0]


def test_pool_rankings_bad_input():
    with pytest.raises(ValueError, match="no rankings"): pool_rankings([])
    with pytest.raises(KeyError, match="ranking 1 lacks"):
        pool_rankings([pd.DataFrame(dict(rank=[1], dataset="d", feature="a")), pd.DataFrame(dict(feature=["a"]))])
    with pytest.warns(UserWarning, match="1 features are missing"):
        pool_rankings([pd.DataFrame(dict(rank=[1, 2], dataset="d", feature=["a", "b"])),
                       pd.DataFrame(dict(rank=[1], dataset="d", feature=["a"]))])


def test_plot_feature_importance_checks(data, model):
    imp = feature_importance(model, data)
    with pytest.raises(ValueError, match="shape"): plot_feature_importance(imp["con"], input_values(data["con"])[:5])
    with pytest.raises(ValueError, match="top must be"): plot_feature_importance(imp["con"], input_values(data["con"]), top=0)
    fig = plot_feature_importance(imp["cat"], input_values(data["cat"]), categorical=True, class_labels=data["cat"].mapping)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()][::-1] == \
        imp["cat"].abs().sum().sort_values(ascending=False).index.tolist()
    plt.close(fig)


def test_input_values_marks_missing(data):
    v = input_values(data["cat"])
    assert np.isnan(v[3, 1]) and np.isnan(v).sum() == 1
    labels = decode_categorical(data["cat"])                 # labels back from the one-hot, independently
    codes = labels.apply(lambda col: col.map(data["cat"].mapping)).to_numpy(dtype=float)
    assert np.array_equal(v, codes, equal_nan=True)


# ---- analyze_latent ----------------------------------------------------------------------------------------------
MCFG = ModelConfig(num_hidden=[8], num_latent=3, beta=0.01, dropout=0.2)
TCFG = TrainingConfig(lr=1e-3, num_epochs=2, batch_size=10, batch_dilation_steps=[], kld_warmup_steps=[])
QUIET = RunSettings(quiet=True)


def test_unknown_colour_feature_fails_before_training(data, tmp_path):
    with pytest.raises(KeyError, match="'e9' is not a feature.*'g1'"):
        analyze_latent(data, MCFG, TCFG, tmp_path / "out", QUIET, colour_by=["e1", "e9"])
    assert not (tmp_path / "out").exists()                  # nothing trained or written


def test_unknown_reducer_in_task(data, tmp_path):
    with pytest.raises(ValueError, match="umap, t-sne, pca"):
        analyze_latent(data, MCFG, TCFG, tmp_path, QUIET, reducer="isomap")


def test_analyze_latent_writes_files(data, tmp_path):
    res = analyze_latent(data, MCFG, TCFG, tmp_path, RunSettings(device="cpu", quiet=True), reducer="pca",
                         colour_by=["g1", "cat:g2", "e3"])
    names = {p.name for p in tmp_path.iterdir()}
    assert {"model.pt", "loss_curve.tsv", "loss_curve.png", "latent_space.tsv", "latent_space_g1.png",
            "latent_space_cat_g2.png", "latent_space_e3.png", "reconstruction_metrics.tsv", "reconstruction_metrics.png",
            "feature_importance_cat.tsv", "feature_importance_con.tsv", "feature_importance_cat.png",
            "feature_importance_con.png", "feature_importance_ranking.tsv"} == names
    assert set(res["reconstruction"]) == {"cat", "con"}
    imp = pd.read_csv(tmp_path / "feature_importance_con.tsv", sep="\t", index_col=0)
    assert imp.shape == (data.n_samples, 4) and imp.index.tolist() == data.ids
