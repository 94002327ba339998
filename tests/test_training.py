"Training: schedules, reproducibility, errors."
import numpy as np
import pytest
import torch

from vaes_biomed.model import VAE, VAELayout, ModelConfig
from vaes_biomed.training import (TrainingConfig, _train_members, kld_weight_schedule, batch_size_schedule,
                                  resolve_device)


def toy(n=120, seed=0):
    g = torch.Generator().manual_seed(seed)
    con = torch.randn(n, 5, generator=g)
    cls = (con[:, 0] > 0).long()
    x = torch.cat([torch.nn.functional.one_hot(cls, 2).float(), con], 1)
    return VAELayout(cat_shapes=[(1, 2)], con_sizes=[5]), x, torch.ones(n, 5, dtype=torch.bool)


MCFG = ModelConfig(num_hidden=[8], num_latent=2, beta=0.01, dropout=0.1)


def test_kld_schedule_reaches_one_at_last_step():
    w = kld_weight_schedule(10, [2, 4, 6, 8])
    assert w[0] == 0 and w[1] == 0.25 and w[6] == 0.75 and w[7] == 1 and w[-1] == 1
    assert np.all(np.diff(w) >= 0)


def test_batch_dilation_truncates():
    assert batch_size_schedule(5, 7, [2, 3]).tolist() == [7, 10, 15, 15, 15]


def test_same_seed_same_weights_different_seed_different():
    lay, x, obs = toy()
    cfg = TrainingConfig(lr=1e-3, num_epochs=3, batch_size=16, kld_warmup_steps=[2], batch_dilation_steps=[])
    def run(seeds):
        m = VAE(lay, MCFG, seeds=seeds)
        _train_members(m, x, obs, cfg, device="cpu", quiet=True)
        return m.state_dict()
    a, b, c = run([3, 4]), run([3, 4]), run([5, 4])
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["out.weight"], c["out.weight"])


def test_history_has_every_epoch_and_member():
    lay, x, obs = toy()
    m = VAE(lay, MCFG, seeds=[0, 1, 2])
    h = _train_members(m, x, obs, TrainingConfig(lr=1e-3, num_epochs=4, batch_size=16, batch_dilation_steps=[3], kld_warmup_steps=[]),
                  device="cpu", quiet=True)
    assert len(h) == 12 and set(h.refit) == {0, 1, 2}
    assert h[h.epoch == 3].batch_size.unique().tolist() == [24]
    assert h[h.epoch == 3].n_batches.unique().tolist() == [120 // 24]
    assert {"total", "ce", "sse", "kld"} <= set(h.columns)


def test_batch_larger_than_data_is_an_error():
    lay, x, obs = toy(n=8)
    with pytest.raises(ValueError, match="batch_size 10 is larger than the 8 training samples"):
        _train_members(VAE(lay, MCFG), x, obs, TrainingConfig(batch_size=10, batch_dilation_steps=[], kld_warmup_steps=[]), device="cpu", quiet=True)


def test_dilation_beyond_data_warns_and_caps():
    lay, x, obs = toy(n=30)
    with pytest.warns(UserWarning, match="capped at 30"):
        h = _train_members(VAE(lay, MCFG), x, obs, TrainingConfig(num_epochs=3, batch_size=25, batch_dilation_steps=[2], kld_warmup_steps=[]),
                      device="cpu", quiet=True)
    assert h.batch_size.max() == 30


def test_missing_cuda_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="no CUDA"):
        resolve_device("cuda")


def test_early_stopping_stops_and_restores():
    lay, x, obs = toy(n=200)
    m = VAE(lay, MCFG, seeds=[0, 1])
    cfg = TrainingConfig(lr=5e-2, num_epochs=80, batch_size=20, early_stopping=True, patience=1, batch_dilation_steps=[], kld_warmup_steps=[])
    h = _train_members(m, x, obs, cfg, device="cpu", quiet=True)
    assert h.epoch.max() < 80
    for _, g in h.groupby("refit"):
        assert g.epoch.max() == g.loc[g.val_total.idxmin(), "epoch"] + 2


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_ensemble_members_equal_lone_runs_and_differ_from_each_other(dropout):
    "One batched ensemble is K separate runs: refit k ends where a lone model with seed k ends."
    lay, x, obs = toy()
    mcfg = ModelConfig(num_hidden=[8, 6], num_latent=2, beta=0.01, dropout=dropout)
    cfg = TrainingConfig(lr=1e-3, num_epochs=3, batch_size=16, batch_dilation_steps=[2], kld_warmup_steps=[2])
    seeds = [8, 9, 10, 11]
    ens = VAE(lay, mcfg, seeds=seeds)
    _train_members(ens, x, obs, cfg, device="cpu", quiet=True)
    for k, s in enumerate(seeds):
        solo = VAE(lay, mcfg, seeds=[s])
        _train_members(solo, x, obs, cfg, device="cpu", quiet=True)
        for name, t in solo.state_dict().items():
            torch.testing.assert_close(ens.state_dict()[name][k], t[0], atol=1e-5, rtol=1e-4)
    w = ens.state_dict()["out.weight"]
    assert all((w[i] - w[j]).abs().max() > 1e-2 for i in range(4) for j in range(i + 1, 4))


def test_ensemble_of_one_is_the_single_model():
    lay, x, obs = toy()
    cfg = TrainingConfig(lr=1e-3, num_epochs=2, batch_size=16, batch_dilation_steps=[], kld_warmup_steps=[])
    a, b = VAE(lay, MCFG, seeds=5), VAE(lay, MCFG, seeds=[5])
    ha, hb = (_train_members(m, x, obs, cfg, device="cpu", quiet=True) for m in (a, b))
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    assert ha.total.tolist() == hb.total.tolist()


def test_optimizer_reset_changes_the_run_only_after_the_first_epoch():
    lay, x, obs = toy()
    run = lambda reset: _train_members(VAE(lay, MCFG, seeds=[1]), x, obs, TrainingConfig(lr=1e-3, num_epochs=3, batch_size=16,
                                  optimizer_reset=reset, batch_dilation_steps=[], kld_warmup_steps=[]), device="cpu", quiet=True).total.values
    one, fresh = run(False), run(True)
    assert one[0] == fresh[0] and abs(one[2] - fresh[2]) > 1e-6


class _Planted:
    "A pickle that runs code when unpickled: what an attacker could leave in a models folder."
    def __init__(self, marker): self.marker = str(marker)
    def __reduce__(self): return (open, (self.marker, "w"))


def test_planted_pickle_in_models_folder_is_refused_not_run(tmp_path):
    import pandas as pd
    from vaes_biomed.data import DatasetSpec, encode_datasets
    from vaes_biomed.training import load_or_train_ensemble
    rng = np.random.default_rng(0)
    ids = [f"s{i}" for i in range(40)]
    data = encode_datasets({"con": pd.DataFrame(rng.normal(size=(40, 4)), index=ids)}, [DatasetSpec("con", "continuous")])
    cfg = TrainingConfig(lr=1e-3, num_epochs=2, batch_size=10, kld_warmup_steps=[], batch_dilation_steps=[])
    marker = tmp_path / "code_ran"
    models = tmp_path / "models"; models.mkdir()
    torch.save({"format": 2, "payload": _Planted(marker)}, models / "refits_latent2.pt")   # a pickle with a code hook
    with pytest.warns(UserWarning, match="cannot be read as a saved model"):
        fit = load_or_train_ensemble(data, MCFG, cfg, n_refits=1, path=models, quiet=True)
    assert not marker.exists()                                   # nothing ran
    assert not fit.reused and fit.history.epoch.max() == 2       # retrained instead
    again = load_or_train_ensemble(data, MCFG, cfg, n_refits=1, path=models, quiet=True)
    assert again.reused                                          # and the retrained file is a plain one that loads


def test_saved_ensemble_loads_with_weights_only(tmp_path):
    from vaes_biomed.training import save_ensemble
    import pandas as pd
    lay = VAELayout(cat_shapes=[(1, 2)], con_sizes=[3])
    p = save_ensemble(VAE(lay, MCFG, seeds=[0, 1]), tmp_path / "m.pt", pd.DataFrame(dict(epoch=[1], total=[0.5])),
                      meta=dict(training=dict(lr=1e-3, kld_warmup_steps=[1, 2]), data="abc"))
    saved = torch.load(p, weights_only=True)                     # no code allowed, and none needed
    assert saved["format"] == 2 and saved["history"]["total"] == [0.5]


# --- saved refits: reused for the same request, retrained for another ------------------------------------
from vaes_biomed.data import DatasetSpec, encode_datasets  # noqa: E402
from vaes_biomed.training import load_or_train_ensemble  # noqa: E402
import warnings  # noqa: E402
import pandas as pd  # noqa: E402

TCFG_SHORT = TrainingConfig(lr=1e-3, num_epochs=2, batch_size=10, kld_warmup_steps=[], batch_dilation_steps=[])


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    ids = [f"s{i}" for i in range(80)]
    return encode_datasets({"drug": pd.DataFrame({"d1": rng.integers(0, 2, 80)}, index=ids),
                            "rna": pd.DataFrame(rng.normal(size=(80, 5)), index=ids)},
                           [DatasetSpec("drug", "categorical"), DatasetSpec("rna", "continuous")], ids=ids)


def test_saved_refits_reused_and_changed_shape_retrained(data, tmp_path):
    first = load_or_train_ensemble(data, MCFG, TCFG_SHORT, n_refits=2, path=tmp_path, quiet=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = load_or_train_ensemble(data, MCFG, TCFG_SHORT, n_refits=2, path=tmp_path, quiet=True)
    assert all(torch.equal(a, b) for a, b in zip(first.model.state_dict().values(), again.model.state_dict().values()))
    with pytest.warns(UserWarning, match="seeds"):
        third = load_or_train_ensemble(data, MCFG, TCFG_SHORT, n_refits=3, path=tmp_path, quiet=True)
    assert third.model.n_refits == 3


def test_rerun_on_changed_data_retrains(data, tmp_path):
    load_or_train_ensemble(data, MCFG, TCFG_SHORT, n_refits=1, path=tmp_path, quiet=True)
    with pytest.warns(UserWarning, match="data"):
        load_or_train_ensemble(data.subset(np.arange(50)), MCFG, TCFG_SHORT, n_refits=1, path=tmp_path, quiet=True)


