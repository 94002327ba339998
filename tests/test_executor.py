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
