"Toy models of superposition: covariance, model, data, schedules, training."
import math

import numpy as np
import pytest
import torch

from vaes_biomed.superposition import (ToyConfig, ToyModel, ToyTraining, base_correlation, correlated_covariance,
                                       covariance_to_correlation, generate_batch, instance_losses, toy_loss,
                                       constant_lr, linear_lr, cosine_lr, train_toy_model, feature_norms,
                                       represented_features, plot_covariances, plot_feature_arrows)


def test_shapes():
    m = ToyModel(ToyConfig(n_features=6, n_hidden=3, alphas=(0, 0.5), seed=1))
    assert m.W.shape == (2, 6, 3) and m.b.shape == (2, 6)
    assert m.mean.shape == (2, 6) and m.cov.shape == (2, 6, 6) and m.importance.shape == (2, 6)
    x = generate_batch(m, 11, torch.Generator().manual_seed(0))
    assert x.shape == (11, 2, 6)
    out = m(x)
    assert out.shape == (11, 2, 6) and (out >= 0).all()
    assert instance_losses(out, x, m.importance).shape == (2,)
    assert feature_norms(m).shape == (2, 6) and represented_features(m).shape == (2,)


def test_buffers_are_not_parameters():
    m = ToyModel()
    assert {n for n, _ in m.named_parameters()} == {"W", "b"}
    assert {"mean", "cov", "scale_tril", "importance", "alphas"} <= set(m.state_dict())


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.5, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_covariance_positive_definite(alpha, seed):
    cov = correlated_covariance(5, alpha, torch.Generator().manual_seed(seed))
    assert torch.equal(cov, cov.T)
    assert torch.linalg.eigvalsh(cov).min() >= 0.01 - 1e-6   # C C^T is PSD, + 0.01 I
    torch.linalg.cholesky(cov)


def test_alpha_zero_is_independent():
    # C = I, so C C^T + 0.01 I = 1.01 I exactly: no correlation at all
    cov = correlated_covariance(5, 0.0, torch.Generator().manual_seed(3))
    assert torch.equal(cov, 1.01 * torch.eye(5))
    assert torch.allclose(covariance_to_correlation(cov), torch.eye(5))


@pytest.mark.parametrize("alpha", [0.3, 1.0])
def test_alpha_positive_matches_formula(alpha):
    R = base_correlation(5, torch.Generator().manual_seed(4))
    assert torch.equal(R, R.T) and torch.equal(torch.diagonal(R), torch.ones(5))
    off = ~torch.eye(5, dtype=torch.bool)
    assert (R[off] >= 0).all() and (R[off] <= 1).all()
    C = torch.eye(5) + alpha * (R - torch.eye(5))
    expected = C @ C.T + 0.01 * torch.eye(5)
    cov = correlated_covariance(5, alpha, torch.Generator().manual_seed(4))
    assert torch.allclose(cov, expected)
    corr = covariance_to_correlation(cov)
    assert torch.allclose(corr, covariance_to_correlation(expected))
    assert (corr[off] > 0).all()                       # non-negative R: every pair positively correlated


def test_correlation_grows_with_alpha():
    m = ToyModel(ToyConfig(alphas=(0, 0.3, 0.6, 1.0), seed=5))
    off = ~torch.eye(5, dtype=torch.bool)
    mean_corr = covariance_to_correlation(m.cov)[:, off].mean(-1)
    assert mean_corr[0] == 0 and (mean_corr.diff() > 0).all()


def test_variances_scale_covariance():
    v = torch.tensor([1.0, 4.0, 1.0, 9.0, 1.0])
    base = correlated_covariance(5, 0.5, torch.Generator().manual_seed(6))
    scaled = correlated_covariance(5, 0.5, torch.Generator().manual_seed(6), variances=v)
    assert torch.allclose(scaled, v.sqrt()[:, None] * base * v.sqrt()[None, :])


def test_batch_has_model_covariance():
    m = ToyModel(ToyConfig(alphas=(0, 1.0), seed=7))
    x = generate_batch(m, 100_000, torch.Generator().manual_seed(0))
    emp = torch.einsum("bif,big->ifg", x, x) / x.shape[0]
    assert torch.allclose(emp, m.cov, atol=0.06)


def test_instances_share_base_correlation():
    m = ToyModel(ToyConfig(alphas=(1.0, 1.0), seed=8))
    assert torch.equal(m.cov[0], m.cov[1])


def test_schedules_start_middle_end():
    for f in (constant_lr, linear_lr, cosine_lr):
        assert f(0, 1000) == 1.0
    assert constant_lr(500, 1000) == 1.0 and constant_lr(1000, 1000) == 1.0
    assert linear_lr(500, 1000) == pytest.approx(0.5) and linear_lr(1000, 1000) == pytest.approx(0.0)
    assert cosine_lr(500, 1000) == pytest.approx(0.5) and cosine_lr(1000, 1000) == pytest.approx(0.0)
    assert cosine_lr(250, 1000) == pytest.approx(0.5 * (1 + math.cos(math.pi / 4)))
    lin = [linear_lr(s, 100) for s in range(101)]
    cos = [cosine_lr(s, 100) for s in range(101)]
    assert np.all(np.diff(lin) < 0) and np.all(np.diff(cos) < 0)


def test_loss_values():
    x = torch.tensor([[[1.0, -2.0], [0.0, 3.0]]])
    out = torch.tensor([[[1.0, 0.0], [1.0, 3.0]]])
    imp = torch.tensor([[1.0, 0.5], [1.0, 1.0]])
    assert torch.allclose(instance_losses(out, x, imp), torch.tensor([1.0, 0.5]))
    assert toy_loss(out, x, imp).item() == pytest.approx(1.5)
    assert toy_loss(x.abs(), x, imp).item() == 0
    assert toy_loss(x.abs(), x, imp, target="signed").item() == pytest.approx(4.0)
    with pytest.raises(ValueError, match="target"): toy_loss(out, x, imp, target="nope")


def test_same_seed_same_weights():
    a, b = ToyModel(ToyConfig(seed=2)), ToyModel(ToyConfig(seed=2))
    ha = train_toy_model(a, ToyTraining(steps=150, batch_size=128), seed=3, quiet=True)
    hb = train_toy_model(b, ToyTraining(steps=150, batch_size=128), seed=3, quiet=True)
    assert torch.equal(a.W, b.W) and torch.equal(a.b, b.b)
    np.testing.assert_array_equal(ha["loss"], hb["loss"])
    c = ToyModel(ToyConfig(seed=2))
    train_toy_model(c, ToyTraining(steps=150, batch_size=128), seed=4, quiet=True)
    assert not torch.equal(a.W, c.W)                   # the data seed matters too


def test_loss_decreases():
    m = ToyModel(ToyConfig(seed=0))
    cov_before = m.cov.clone()
    h = train_toy_model(m, ToyTraining(steps=400, batch_size=256, log_every=50), seed=0, quiet=True)
    assert h["loss"].shape == (len(h["step"]), 4) and h["step"][0] == 0 and h["step"][-1] == 399
    assert (h["loss"][-3:].mean(0) < 0.9 * h["loss"][:2].mean(0)).all()   # every instance improves
    assert torch.equal(m.cov, cov_before)


def test_schedule_is_applied():
    m = ToyModel(ToyConfig(seed=0))
    w0 = m.W.detach().clone()
    train_toy_model(m, ToyTraining(steps=20, batch_size=8, lr_schedule=lambda s, n: 0.0, weight_decay=0.0), quiet=True)
    assert torch.equal(m.W.detach(), w0)               # a zero multiplier never moves the weights


def test_represented_features_counts():
    m = ToyModel(ToyConfig(alphas=(0, 0), seed=0))
    with torch.no_grad():
        m.W.zero_()
        m.W[0, 0] = torch.tensor([1.0, 0.0]); m.W[0, 1] = torch.tensor([0.0, 0.9])
        m.W[1, 2] = torch.tensor([0.3, 0.3])
    assert represented_features(m).tolist() == [2, 0]
    assert represented_features(m, threshold=0.4).tolist() == [2, 1]


def test_bad_config():
    with pytest.raises(ValueError): ToyConfig(alphas=(0, 2))
    with pytest.raises(ValueError): ToyConfig(alphas=())
    with pytest.raises(ValueError): ToyConfig(n_hidden=0)
    with pytest.raises(ValueError): ToyConfig(target="x")
    with pytest.raises(ValueError): ToyTraining(steps=0)


def test_figures():
    import matplotlib; matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    m = ToyModel()
    assert len(plot_covariances(m).axes) == 5
    fig = plot_feature_arrows(m)
    assert [ax.get_title() for ax in fig.axes] == ["α = 0", "α = 0.3", "α = 0.6", "α = 1"]
    with pytest.raises(ValueError, match="2 hidden"): plot_feature_arrows(torch.zeros(1, 5, 3))
    plt.close("all")
