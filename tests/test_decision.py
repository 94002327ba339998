"The effect-size decision: calls on a null control, the tidy table, MOVE's rule kept, and clear errors."
import numpy as np
import pandas as pd
import pytest

from vaes_biomed.associations import AssociationSettings, CallSettings, TIDY_COLUMNS, identify_associations, write_associations
from vaes_biomed.data import DatasetSpec, encode_datasets
from vaes_biomed.decision import bh_qvalues, estimate_delta, posterior_fdr, refit_probability
from vaes_biomed.model import ModelConfig
from vaes_biomed.settings import RunSettings
from vaes_biomed.synthetic import make_synthetic, null_control
from vaes_biomed.training import TrainingConfig

MODEL = ModelConfig(num_hidden=[15], num_latent=3, beta=1e-4, dropout=0.1)
TRAIN = TrainingConfig(lr=3e-4, num_epochs=60, batch_size=10, batch_dilation_steps=[20, 40], kld_warmup_steps=[10, 20, 30])


def encoded(synth):
    specs = [DatasetSpec(n, k, log2=k == "continuous") for n, k in synth.kinds.items()]
    return encode_datasets(synth.tables, specs, ids=synth.ids)


@pytest.fixture(scope="module")
def null_run(tmp_path_factory):
    "The tutorial set (400 samples) with every column permuted: both decisions, on the same 6 refits."
    data = encoded(null_control(make_synthetic("tutorial", n_samples=400), seed=1))
    models = tmp_path_factory.mktemp("null_models")
    return {(m, d): identify_associations(data, AssociationSettings(m, "Continuous_B", "plus_std", decision=d), MODEL, TRAIN,
                                          RunSettings(n_refits=6, seed=0, quiet=True), models_dir=models)
            for m in ("bayes", "ks") for d in ("effect", "move")}


@pytest.mark.parametrize("method", ["bayes", "ks"])
def test_null_control_gets_almost_no_calls(null_run, method):
    "No association is left in a null control: the effect decision calls (almost) nothing; MOVE's Bayes rule does."
    assert null_run[method, "effect"].calls.called.sum() <= 2
    assert null_run["bayes", "move"].calls.called.sum() >= 4      # every one of them false


def test_tidy_table_matches_the_move_files(null_run, tmp_path):
    r = null_run["ks", "effect"]
    assert list(r.associations.columns) == TIDY_COLUMNS
    assert len(r.associations) == 10 * 20 - 10                 # self pairs left out
    assert set(r.associations.decision) == {"effect"} and (r.associations.delta >= 0.05).all()
    assert (r.associations.refits_agreeing <= 6).all() and (r.associations.n_refits == 6).all()
    assert int(r.associations.called.sum()) == int(r.table.significant.sum())
    lo, hi, eff = r.associations.ci_low_sd, r.associations.ci_high_sd, r.associations.effect_sd
    assert ((lo <= eff + 1e-12) & (eff <= hi + 1e-12)).all()


def test_planted_pairs_are_called_and_written(tmp_path):
    "On data with planted pairs the effect decision calls them, and the tidy table goes beside MOVE's files."
    rng = np.random.default_rng(0)
    ids = [f"s{i}" for i in range(300)]
    a = rng.normal(size=(300, 3))
    tables = {"a": pd.DataFrame(a, index=ids, columns=["a1", "a2", "a3"]),
              "b": pd.DataFrame(np.c_[a[:, 0] + 0.3 * rng.normal(size=300), rng.normal(size=(300, 2))], index=ids,
                                columns=["b1", "b2", "b3"])}
    data = encode_datasets(tables, [DatasetSpec("a", "continuous"), DatasetSpec("b", "continuous")], ids=ids)
    cfg = ModelConfig(num_hidden=[16], num_latent=4, beta=1e-4, dropout=0.1)
    tr = TrainingConfig(lr=1e-3, num_epochs=30, batch_size=10, batch_dilation_steps=[], kld_warmup_steps=[])
    four = RunSettings(n_refits=4, quiet=True)
    bayes = lambda **decision: AssociationSettings("bayes", "a", "plus_std", decision=CallSettings(**decision))
    r = identify_associations(data, bayes(), cfg, tr, four, models_dir=tmp_path / "models")
    write_associations(r, tmp_path)
    called = set(zip(r.associations.feature_a[r.associations.called], r.associations.feature_b[r.associations.called]))
    assert ("a1", "b1") in called and len(called) <= 2
    written = pd.read_csv(tmp_path / "associations_bayes.tsv", sep="\t")
    assert list(written.columns) == TIDY_COLUMNS and int(written.called.sum()) == len(called)
    sig = pd.read_csv(tmp_path / "results_sig_assoc_bayes.tsv", sep="\t")
    assert set(zip(sig.feature_a_name, sig.feature_b_name)) == called
    # a fixed delta is used as given, and a min_refit_agreement above the refits is refused
    fixed = identify_associations(data, bayes(delta=0.2), cfg, tr, four, models_dir=tmp_path / "models")
    assert (fixed.associations.delta == 0.2).all()
    with pytest.raises(ValueError, match=r"min_refit_agreement must be a whole number from 0 to num_refits \(4\)"):
        identify_associations(data, bayes(min_refit_agreement=5), cfg, tr, four, models_dir=tmp_path / "models")
    with pytest.raises(ValueError, match=r"whole number from 0 to num_refits \(4\), got 'two'"):
        identify_associations(data, bayes(min_refit_agreement="two"), cfg, tr, four, models_dir=tmp_path / "models")


@pytest.mark.parametrize("bad, message", [
    (dict(decision="bh"), "unknown decision 'bh'"), (dict(delta=-1.0), "delta must be a number >= 0"),
    (dict(delta="big"), "delta must be a number >= 0"), (dict(probability_unit="cells"), "unknown probability unit"),
])
def test_call_settings_refuse_bad_values(bad, message):
    with pytest.raises(ValueError, match=message):
        CallSettings(**bad)


def test_posterior_fdr_holds_on_simulated_probabilities():
    "When the probabilities are honest, the realised FDR of the calls stays near the nominal one."
    g = np.random.default_rng(1)
    realised = []
    for _ in range(200):
        p = g.beta(0.3, 0.3, 500)                      # honest: each pair is real with probability p
        real = g.random(500) < p
        called = posterior_fdr(p) <= 0.05
        realised.append((~real[called]).mean() if called.any() else 0.0)
    assert abs(np.mean(realised) - 0.05) < 0.01


def test_bh_and_refit_probability_edge_cases():
    assert np.array_equal(bh_qvalues(np.array([np.nan, 0.01, 0.02])), [1.0, 0.02, 0.02])
    assert np.isnan(refit_probability(np.full((3, 1), np.nan), 0.1)).all()
    assert estimate_delta(np.zeros(100)) == 0.05
