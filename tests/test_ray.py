"Tuning grids and a 24-refit association task as Ray tasks on a local Ray with 2 CPUs give the same results as the local executor (runs where Ray is installed: make ray)."
import numpy as np
import pandas as pd
import pytest

ray = pytest.importorskip("ray")

from vaes_biomed.data import DatasetSpec, encode_datasets
from vaes_biomed.settings import ModelConfig, RunSettings, TrainingConfig
from vaes_biomed.synthetic import make_synthetic
from vaes_biomed.tuning import fixed_split, tune_reconstruction, tune_stability


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def setting():
    sd = make_synthetic("tutorial", n_samples=150, seed=3)
    specs = [DatasetSpec(n, "categorical") if k == "categorical" else DatasetSpec(n, "continuous", log2=True, scale=True)
             for n, k in sd.kinds.items()]
    data = encode_datasets(sd.tables, specs)
    model = ModelConfig(num_hidden=[12], num_latent=3, beta=1e-4, dropout=0.1)
    training = TrainingConfig(lr=1e-3, num_epochs=6, batch_size=20, batch_dilation_steps=[], kld_warmup_steps=[])
    return data, model, training, {"model.num_latent": [2, 3], "model.num_hidden": [[8], [12]]}


def test_reconstruction_grid_on_ray_matches_local(local_ray, setting):
    data, model, training, grid = setting
    split = fixed_split(data.ids, 0.2, seed=0)
    local = tune_reconstruction(data, model, training, grid, split, RunSettings(seed=1, device="cpu", quiet=True, workers=1))
    on_ray = tune_reconstruction(data, model, training, grid, split,
                                 RunSettings(seed=1, device="cpu", quiet=True, executor="ray"))
    assert len(local) == 4 * len(data.datasets) * 2
    pd.testing.assert_frame_equal(on_ray, local)


def test_stability_grid_on_ray_matches_local(local_ray, setting):
    data, model, training, grid = setting
    run = dict(n_refits=3, seed=2, device="cpu", quiet=True)
    local = tune_stability(data, model, training, grid, RunSettings(**run, workers=2))
    on_ray = tune_stability(data, model, training, grid, RunSettings(**run, executor="ray"))
    pd.testing.assert_frame_equal(on_ray, local)
    assert np.isfinite(local.stability).all() and set(local.set) == {0, 1, 2, 3}


def test_24_refit_association_task_on_ray_matches_local(local_ray, setting):
    "The refits of a KS task split into Ray tasks (one per CPU) give the same table, calls and weights as one local process."
    from vaes_biomed.associations import AssociationSettings, identify_associations
    data, model, training, _ = setting
    settings = AssociationSettings("ks", "Continuous_B", "plus_std")
    base = dict(n_refits=24, seed=5, device="cpu", quiet=True)
    local = identify_associations(data, settings, model, training, RunSettings(**base, workers=1))
    on_ray = identify_associations(data, settings, model, training, RunSettings(**base, executor="ray"))
    pd.testing.assert_frame_equal(on_ray.table, local.table)
    pd.testing.assert_frame_equal(on_ray.trained.history, local.trained.history)
    for k, v in local.trained.model.state_dict().items():
        assert (on_ray.trained.model.state_dict()[k] == v).all(), k
    assert (local.table.ks_distance.abs() > 0).mean() > 0.5 and on_ray.trained.n_refits == 24   # real statistics
