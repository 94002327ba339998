"Properties of the VAE and its loss that the notebook shows less sharply."
import numpy as np
import pytest
import torch

from vaes_biomed.model import (VAE, VAELayout, ModelConfig, vae_loss, project, reconstruct, split_output,
                               EnsembleBatchNorm, categorical_accuracy)


def small_model(seeds=(0,), cat=((2, 3),), con=(4, 2)):
    lay = VAELayout(cat_shapes=list(cat), con_sizes=list(con))
    return VAE(lay, ModelConfig(num_hidden=[8, 6], num_latent=3, beta=0.1, dropout=0.2), seeds=list(seeds)), lay


def batch(lay, n=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    parts = [torch.nn.functional.one_hot(torch.randint(0, c, (n, f), generator=g), c).float().reshape(n, -1)
             for f, c in lay.cat_shapes]
    parts.append(torch.randn(n, lay.n_con_inputs, generator=g))
    return torch.cat(parts, 1), torch.ones(n, lay.n_con_inputs, dtype=torch.bool)


def loss_of(model, lay, x, obs):
    model.eval()
    with torch.no_grad():
        out, mu, lv = model(x[None])
        return vae_loss(out, x[None], obs[None], mu, lv, lay, 0.1, 1.0)


@pytest.mark.parametrize("col", [0, 3, 4, 5])  # every feature, incl. the last of each continuous dataset
def test_every_continuous_feature_enters_the_loss(col):
    model, lay = small_model()
    x, obs = batch(lay)
    x2 = x.clone(); x2[:, lay.n_cat_inputs + col] += 2.0
    assert abs(loss_of(model, lay, x2, obs)["sse"] - loss_of(model, lay, x, obs)["sse"]) > 1e-3


def test_missing_continuous_values_do_not_change_the_loss():
    model, lay = small_model()
    x, obs = batch(lay)
    obs[3, 1] = False
    model.eval()
    with torch.no_grad():
        out, mu, lv = model(x[None])
        a = vae_loss(out, x[None], obs[None], mu, lv, lay, 0.1, 1.0)["sse"]
        x2 = x.clone(); x2[3, lay.n_cat_inputs + 1] = 1e6
        b = vae_loss(out, x2[None], obs[None], mu, lv, lay, 0.1, 1.0)["sse"]
    assert torch.allclose(a, b)


def test_value_at_the_mean_is_not_missing():
    "A z-scored value of exactly 0 is a real observation: it enters the loss."
    model, lay = small_model()
    x, obs = batch(lay)
    x[:, lay.n_cat_inputs] = 0.0
    model.eval()
    with torch.no_grad():
        out, mu, lv = model(x[None])
        with_obs = vae_loss(out, x[None], obs[None], mu, lv, lay, 0.1, 1.0)["sse"]
        obs2 = obs.clone(); obs2[:, 0] = False
        without = vae_loss(out, x[None], obs2[None], mu, lv, lay, 0.1, 1.0)["sse"]
    assert with_obs > without


def test_dataset_weights_scale_their_terms():
    lay1 = VAELayout(cat_shapes=[(2, 3)], con_sizes=[4, 2], con_weights=[1, 1], cat_weights=[1])
    lay2 = VAELayout(cat_shapes=[(2, 3)], con_sizes=[4, 2], con_weights=[1, 3], cat_weights=[2])
    model = VAE(lay1, ModelConfig(num_hidden=[8], num_latent=3), seeds=0).eval()
    x, obs = batch(lay1)
    with torch.no_grad():
        out, mu, lv = model(x[None])
        a = vae_loss(out, x[None], obs[None], mu, lv, lay1, 0.1, 1.0)
        b = vae_loss(out, x[None], obs[None], mu, lv, lay2, 0.1, 1.0)
    assert torch.allclose(b["ce"], 2 * a["ce"])
    err = (out[0, :, 6:] - x[:, 6:]) ** 2
    expected = err[:, :4].sum() / (12 * 4) + 3 * err[:, 4:].sum() / (12 * 2)
    assert torch.allclose(b["sse"][0], expected, atol=1e-5)


def test_members_are_independent_in_the_loss():
    "Refit k's loss depends only on refit k's weights."
    model, lay = small_model(seeds=(0, 1))
    x, obs = batch(lay)
    xb = x.expand(2, *x.shape)
    out, mu, lv = model(xb, torch.Generator().manual_seed(0))
    t = vae_loss(out, xb, obs.expand(2, *obs.shape), mu, lv, lay, 0.1, 1.0)["total"]
    t[0].backward()
    assert model.out.weight.grad[1].abs().max() == 0
    assert model.out.weight.grad[0].abs().max() > 0


def test_reconstruct_deterministic_and_sampling_differs():
    model, lay = small_model(seeds=(0, 1, 2))
    x, _ = batch(lay, n=30)
    assert torch.equal(reconstruct(model, x), reconstruct(model, x))
    g = torch.Generator().manual_seed(1)
    assert not torch.allclose(reconstruct(model, x, sample=True, generator=g), reconstruct(model, x))
    assert project(model, x).shape == (3, 30, 3)
    cats, cons = split_output(reconstruct(model, x), lay)
    assert cats[0].shape == (3, 30, 2, 3) and [c.shape[-1] for c in cons] == [4, 2]


def test_batchnorm_rejects_single_sample_batches_in_training():
    bn = EnsembleBatchNorm(1, 3)
    with pytest.raises(ValueError, match="at least 2"):
        bn(torch.randn(1, 1, 3))


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="num_latent"):
        ModelConfig(num_latent=0)
    with pytest.raises(ValueError, match="weight"):
        VAELayout(con_sizes=[3], con_weights=[1, 2])


def test_categorical_accuracy_ignores_missing():
    onehot = torch.tensor([[[1., 0.], [0., 0.]]])   # second feature missing
    logp = torch.log(torch.tensor([[[0.9, 0.1], [0.9, 0.1]]]))
    assert categorical_accuracy(logp, onehot).item() == 1.0




def test_latent_kl_is_zero_only_at_the_prior():
    from vaes_biomed.model import latent_kl
    lay = VAELayout(cat_shapes=[], con_sizes=[4])
    vae = VAE(lay, ModelConfig(num_hidden=[6], num_latent=3), seeds=[0])
    x = torch.randn(30, 4)
    kl = latent_kl(vae, x)
    assert kl.shape == (1, 3) and (kl > 0).all()
    with torch.no_grad():
        for p in (vae.mu_head.weight, vae.mu_head.bias, vae.logvar_head.weight, vae.logvar_head.bias): p.zero_()
    assert torch.allclose(latent_kl(vae, x), torch.zeros(1, 3), atol=1e-7)
    assert vae.training                                          # the mode is restored
