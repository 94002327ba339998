"Running independent jobs: results in job order wherever they ran, clear errors for bad settings and a missing Ray."
import operator
import sys

import pytest

from vaes_biomed.executor import available_cores, map_jobs
from vaes_biomed.settings import RunSettings


def test_order_is_kept_in_a_pool():
    jobs = list(range(7, 0, -1))
    assert map_jobs(operator.mul, jobs, 3, RunSettings(workers=2, quiet=True)) == [3 * j for j in jobs]


def test_an_error_in_a_job_reaches_the_caller():
    with pytest.raises(ZeroDivisionError):
        map_jobs(operator.floordiv, [2, 0, 1], 4, RunSettings(workers=2, quiet=True))


@pytest.mark.parametrize("bad, message", [(dict(executor="spark"), "executor must be one of local, ray, got 'spark'"),
                                          (dict(workers=0), "workers must be a whole number >= 1"),
                                          (dict(workers=1.5), "workers must be a whole number >= 1"),
                                          (dict(workers="two"), "workers must be a whole number >= 1")])
def test_bad_run_settings(bad, message):
    with pytest.raises(ValueError, match=message):
        RunSettings(**bad)


def test_ray_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)          # import ray now fails, installed or not
    with pytest.raises(ImportError, match=r"executor 'ray' needs Ray: pip install 'vaes_biomed\[ray\]'"):
        map_jobs(operator.add, [1], 1, RunSettings(executor="ray", quiet=True))


def test_available_cores_is_positive():
    assert available_cores() >= 1


@pytest.fixture(scope="module")
def small_task():
    from vaes_biomed.data import DatasetSpec, encode_datasets
    from vaes_biomed.settings import ModelConfig, TrainingConfig
    from vaes_biomed.synthetic import make_synthetic
    sd = make_synthetic("tutorial", n_samples=120, seed=3)
    specs = [DatasetSpec(n, "categorical") if k == "categorical" else DatasetSpec(n, "continuous", log2=True)
             for n, k in sd.kinds.items()]
    return (encode_datasets(sd.tables, specs), ModelConfig(num_hidden=[12], num_latent=3),
            TrainingConfig(lr=1e-3, num_epochs=4, batch_size=20, batch_dilation_steps=[], kld_warmup_steps=[]))


def test_association_refits_split_over_processes_match_one_process(small_task):
    from vaes_biomed.associations import AssociationSettings, identify_associations
    data, model, training = small_task
    settings = AssociationSettings("bayes", "Continuous_B", "plus_std")
    one = identify_associations(data, settings, model, training, RunSettings(n_refits=5, seed=1, quiet=True, workers=1))
    split = identify_associations(data, settings, model, training, RunSettings(n_refits=5, seed=1, quiet=True, workers=2))
    import pandas as pd
    pd.testing.assert_frame_equal(split.table, one.table)
    pd.testing.assert_frame_equal(split.associations, one.associations)


def test_small_ensembles_are_not_split_unless_asked(small_task, monkeypatch):
    "Starting processes costs seconds: work estimated below SPLIT_SECONDS trains here, unless workers are given."
    import vaes_biomed.training as training_module
    data, model, training = small_task
    calls = []
    monkeypatch.setattr(training_module, "map_jobs", lambda fn, jobs, shared, *a, **k: calls.append(len(jobs)) or
                        [fn(shared, j) for j in jobs])
    training_module.train_ensemble(data, model, training, n_refits=4, quiet=True, run=RunSettings(quiet=True))
    assert calls == []
    training_module.train_ensemble(data, model, training, n_refits=4, quiet=True, run=RunSettings(quiet=True, workers=2))
    assert calls == [2]
    monkeypatch.setattr(training_module, "SPLIT_SECONDS", 0.0)          # a long run: every core takes a share
    training_module.train_ensemble(data, model, training, n_refits=4, quiet=True, run=RunSettings(quiet=True))
    assert calls == [2, min(4, available_cores())] or available_cores() == 1
