"Perturbation plans: clear errors for bad targets, and the masks they build."
import numpy as np
import pandas as pd
import pytest
import torch

from vaes_biomed.data import DatasetSpec, encode_datasets
from vaes_biomed.model import model_inputs
from vaes_biomed.perturb import perturbation_plan, perturbed_inputs


@pytest.fixture
def data():
    ids = [f"s{i}" for i in range(6)]
    cat = pd.DataFrame({"drug": ["a", "b", "a", None, "b", "a"]}, index=ids)
    con = pd.DataFrame({"p1": [1.0, 2, 3, 4, 5, 6], "p2": [2.0, 1, np.nan, 3, 5, 4]}, index=ids)
    return encode_datasets({"drugs": cat, "prot": con},
                           [DatasetSpec("drugs", "categorical"), DatasetSpec("prot", "continuous")], ids=ids)


def test_unknown_dataset_lists_the_datasets(data):
    with pytest.raises(KeyError, match="unknown target dataset 'protein'.*drugs, prot"):
        perturbation_plan(data, "protein", "plus_std")


def test_unknown_class_lists_the_classes(data):
    with pytest.raises(ValueError, match="target value 'c' is not a class of 'drugs'.*a, b"):
        perturbation_plan(data, "drugs", "c")


def test_continuous_perturbation_on_categorical_dataset(data):
    with pytest.raises(ValueError, match="'plus_std' is a continuous perturbation but 'drugs' is categorical"):
        perturbation_plan(data, "drugs", "plus_std")


def test_unknown_continuous_perturbation_lists_the_four(data):
    with pytest.raises(ValueError, match="minimum, maximum, plus_std, minus_std"):
        perturbation_plan(data, "prot", "double")


def test_categorical_mask_excludes_samples_at_target_or_missing(data):
    plan = perturbation_plan(data, "drugs", "a")
    # samples 0, 2, 5 already 'a'; sample 3 missing
    assert plan.feature_mask[0].tolist() == [True, False, True, True, False, True]


def test_minimum_sets_every_sample_and_plus_std_shifts(data):
    x, _ = model_inputs(data)
    col = 2 * 1 + 1  # drugs one-hot occupies 2 columns; p2 is the second continuous feature
    lo = perturbed_inputs(perturbation_plan(data, "prot", "minimum"), x)
    assert torch.allclose(lo[1, :, col], torch.full((6,), float(np.nanmin(data["prot"].values[:, 1]))))
    up = perturbed_inputs(perturbation_plan(data, "prot", "plus_std"), x)
    shift = float(np.nanstd(data["prot"].values[:, 1]))
    assert torch.allclose(up[1, :, col] - x[:, col], torch.full((6,), shift), atol=1e-6)
    assert torch.equal(up[1, :, :col], x[:, :col])  # nothing else changes
