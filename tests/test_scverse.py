"MuData input: the same data as TSVs and as a .h5mu encode to the same arrays; bad MuData gets one clear line."
import warnings

import numpy as np
import pandas as pd
import pytest

mudata = pytest.importorskip("mudata")
anndata = pytest.importorskip("anndata")
import scipy.sparse as sp  # noqa: E402

from vaes_biomed import data as D  # noqa: E402
from vaes_biomed.config import load_data_config  # noqa: E402
from vaes_biomed.data import DataError, DataWarning, MultiOmicsData, encode_data  # noqa: E402
from vaes_biomed.tasks import init_project, run_command  # noqa: E402


def tutorial_as_mudata(folder):
    "The tutorial project's TSVs as one MuData: continuous datasets as modalities, categorical ones as obs columns."
    raw = folder / "data"
    ids = (raw / "random.tutorial.ids.txt").read_text().split()
    def read(n):
        t = pd.read_csv(raw / f"random.tutorial.{n}.tsv", sep="\t", index_col=0, keep_default_na=False, na_values=[""])
        t.index = t.index.astype(str)
        return t.reindex(ids)
    mods = {f"random.tutorial.{n}": anndata.AnnData(read(n).to_numpy(dtype=np.float64),
                                                    obs=pd.DataFrame(index=ids), var=pd.DataFrame(index=read(n).columns))
            for n in ("Continuous_A", "Continuous_B")}
    md = mudata.MuData(mods)
    for n in ("Categorical_A", "Categorical_B"):
        md.obs[f"random.tutorial.{n}"] = read(n).iloc[:, 0].astype(str).to_numpy()
    return md


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mu")
    init_project("tutorial", folder, n_samples=80)
    md = tutorial_as_mudata(folder)
    md.write(str(folder / "cohort.h5mu"))
    text = (folder / "config" / "data" / "tutorial.yaml").read_text()
    (folder / "config" / "data" / "mu.yaml").write_text(
        text.replace("sample_names: random.tutorial.ids", "mudata_path: cohort.h5mu").replace("interim_data/", "interim_mu/")
        .replace("results/", "results_mu/"))
    return folder


def test_tsv_and_h5mu_give_the_same_arrays_and_calls(project):
    tsv = encode_data(load_data_config(project / "config" / "data" / "tutorial.yaml", base_dir=project), quiet=True)
    mu = encode_data(load_data_config(project / "config" / "data" / "mu.yaml", base_dir=project), quiet=True)
    assert mu.ids == tsv.ids and mu.names == tsv.names
    for a in tsv.datasets:
        b = mu[a.name]
        # categorical: the same classes; a label written as "1" in a TSV is the same class as "1" in obs
        assert a.feature_names == b.feature_names or a.kind == "categorical"
        np.testing.assert_array_equal(a.values, b.values)
    fast = ["task.training_loop.num_epochs=3", "task.training_loop.kld_warmup_steps=[]",
            "task.training_loop.batch_dilation_steps=[]", "task.num_refits=2", "--quiet"]
    one = run_command(["task=tutorial__id_assoc_ks", "data=tutorial", *fast], cwd=project)
    two = run_command(["task=tutorial__id_assoc_ks", "data=mu", *fast], cwd=project)
    t1 = pd.read_csv(one["files"]["associations"], sep="\t")
    t2 = pd.read_csv(two["files"]["associations"], sep="\t")
    pd.testing.assert_frame_equal(t1, t2)


def small_mudata(n=12, **extra):
    rng = np.random.default_rng(0)
    ids = [f"s{i}" for i in range(n)]
    rna = anndata.AnnData(rng.normal(size=(n, 4)).astype(np.float32), obs=pd.DataFrame(index=ids),
                          var=pd.DataFrame(index=[f"g{i}" for i in range(4)]))
    md = mudata.MuData({"rna": rna, **extra})
    md.obs["diagnosis"] = ["a", "b"] * (n // 2)
    return md


def test_from_mudata_is_the_three_line_entry():
    data = MultiOmicsData.from_mudata(small_mudata(), categorical=["diagnosis"])
    assert [(d.name, d.kind) for d in data.datasets] == [("diagnosis", "categorical"), ("rna", "continuous")]
    assert data.ids[:2] == ["s0", "s1"]


def test_missing_modality_and_obs_column_name_the_input():
    md = small_mudata()
    with pytest.raises(DataError, match=r"continuous input 'prot': no modality of that name \(modalities: rna\)"):
        D.mudata_tables(md, [], ["prot"], "cohort.h5mu")
    with pytest.raises(DataError, match=r"cohort.h5mu: categorical input 'sex': neither an obs column nor a modality"):
        D.mudata_tables(md, ["sex"], ["rna"], "cohort.h5mu")


def test_duplicate_obs_names_are_refused():
    md = small_mudata()
    md.obs_names = ["s0"] * 2 + [f"s{i}" for i in range(2, 12)]
    with pytest.raises(DataError, match=r"1 duplicate obs names \(first: 's0'\)"):
        D.mudata_tables(md, [], ["rna"], "cohort.h5mu")


def test_modality_with_fewer_samples_gets_counted_missing_rows():
    rng = np.random.default_rng(1)
    prot = anndata.AnnData(rng.normal(size=(9, 2)).astype(np.float32), obs=pd.DataFrame(index=[f"s{i}" for i in range(9)]),
                           var=pd.DataFrame(index=["p0", "p1"]))
    md = small_mudata(prot=prot)
    with pytest.warns(DataWarning, match=r"3 .*missing"):
        data = MultiOmicsData.from_mudata(md, categorical=["diagnosis"])
    assert data["prot"].missing[9:].all() and not data["prot"].missing[:9].any()


def test_sparse_modality_is_densified_with_a_warning_above_the_limit(monkeypatch):
    rng = np.random.default_rng(2)
    x = sp.random(12, 5, density=0.4, random_state=3, format="csr", dtype=np.float32)
    atac = anndata.AnnData(x, obs=pd.DataFrame(index=[f"s{i}" for i in range(12)]), var=pd.DataFrame(index=[f"a{i}" for i in range(5)]))
    md = small_mudata(atac=atac)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)                    # below the limit: silent
        D.mudata_tables(md, [], ["atac"], "cohort.h5mu")
    monkeypatch.setattr(D, "SPARSE_DENSIFY_WARN", 10)
    with pytest.warns(DataWarning, match=r"modality 'atac' is a sparse 12 x 5 matrix; densified \(60 values\)"):
        _, tables = D.mudata_tables(md, [], ["atac"], "cohort.h5mu")
    np.testing.assert_array_equal(tables["atac"].to_numpy(), x.toarray())


def test_non_numeric_continuous_modality_is_refused():
    words = anndata.AnnData(np.array([["x", "y"]] * 12, dtype=object), obs=pd.DataFrame(index=[f"s{i}" for i in range(12)]),
                            var=pd.DataFrame(index=["w0", "w1"]))
    md = small_mudata(words=words)
    with pytest.raises(DataError, match=r"modality 'words' has non-numeric values in column 'w0' \(2 such column\(s\), first at row 's0'\)"):
        D.mudata_tables(md, [], ["words"], "cohort.h5mu")


def test_unreadable_file_is_one_line(tmp_path):
    bad = tmp_path / "broken.h5mu"; bad.write_text("not hdf5")
    with pytest.raises(DataError, match="broken.h5mu: cannot be read as a MuData file"):
        D.read_mudata(bad)


def test_results_go_back_into_the_mudata(tmp_path):
    from vaes_biomed.api import add_to_mudata, find_associations
    from vaes_biomed.settings import ModelConfig, TrainingConfig
    md = small_mudata(n=40)
    data = MultiOmicsData.from_mudata(md, categorical=["diagnosis"])
    res = find_associations(data, target="diagnosis", value="b", method="ks", n_refits=2,
                            model=ModelConfig(num_hidden=[8], num_latent=2),
                            training=TrainingConfig(num_epochs=2, kld_warmup_steps=[], batch_dilation_steps=[]))
    add_to_mudata(md, res)
    md.write(str(tmp_path / "with_results.h5mu"))
    back = mudata.read_h5mu(str(tmp_path / "with_results.h5mu"))
    table = back.uns["vaes_biomed_associations_ks"]
    assert list(table.feature_b) == list(res.associations.feature_b)
    assert back.obsm["X_vaes_biomed"].shape == (40, 2)
    with pytest.raises(ValueError, match="not those the model was trained on"):
        add_to_mudata(small_mudata(n=12), res)


# --- AnnData: one matrix, obs columns categorical, var groups as datasets ----------------------------------------
def small_anndata(n=12):
    rng = np.random.default_rng(4)
    ad = anndata.AnnData(rng.normal(size=(n, 4)), obs=pd.DataFrame({"diagnosis": ["a", "b"] * (n // 2)},
                                                                     index=[f"s{i}" for i in range(n)]),
                         var=pd.DataFrame({"feature_types": ["rna", "rna", "prot", "prot"]}, index=["g0", "g1", "p0", "p1"]))
    return ad


def test_anndata_whole_matrix_or_var_groups():
    ad = small_anndata()
    ids, tables = D.anndata_tables(ad, ["diagnosis"], ["all"], src="cohort.h5ad")
    assert ids[:2] == ["s0", "s1"] and list(tables["all"].columns) == ["g0", "g1", "p0", "p1"]
    assert tables["diagnosis"].diagnosis.tolist()[:2] == ["a", "b"]
    _, tables = D.anndata_tables(ad, [], ["rna", "prot"], "feature_types", "cohort.h5ad")
    assert list(tables["rna"].columns) == ["g0", "g1"] and list(tables["prot"].columns) == ["p0", "p1"]
    np.testing.assert_array_equal(tables["prot"].to_numpy(), ad.X[:, 2:])


def test_anndata_errors_name_the_key():
    ad = small_anndata()
    with pytest.raises(DataError, match=r"2 continuous inputs \(rna, prot\) but one matrix: name the var column"):
        D.anndata_tables(ad, [], ["rna", "prot"], src="cohort.h5ad")
    with pytest.raises(DataError, match=r"'anndata_var_group': no var column 'modality' \(var columns: feature_types\)"):
        D.anndata_tables(ad, [], ["rna"], "modality", "cohort.h5ad")
    with pytest.raises(DataError, match=r"continuous input 'atac': no var has feature_types == 'atac' \(values: prot, rna\)"):
        D.anndata_tables(ad, [], ["atac"], "feature_types", "cohort.h5ad")


def test_anndata_through_a_data_config(tmp_path):
    small_anndata(n=40).write_h5ad(tmp_path / "cohort.h5ad")
    (tmp_path / "data.yaml").write_text("anndata_path: cohort.h5ad\nanndata_var_group: feature_types\n"
                                        "categorical_inputs:\n  - name: diagnosis\n"
                                        "continuous_inputs:\n  - name: rna\n  - name: prot\n")
    cfg = load_data_config(tmp_path / "data.yaml", base_dir=tmp_path)
    data = encode_data(cfg, quiet=True)
    assert [(d.name, d.kind, d.n_features) for d in data.datasets] == [("diagnosis", "categorical", 1),
                                                                        ("rna", "continuous", 2), ("prot", "continuous", 2)]
    assert data.n_samples == 40

