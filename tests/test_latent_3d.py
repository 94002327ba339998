"Bad input to the 3-D latent plots and the rotating GIF writer gets a clear error."
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from vaes_biomed.latent_3d import plot_latent_3d, plot_latent_movement_3d, rotating_gif

Z = np.random.default_rng(0).normal(size=(20, 3))


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.mark.parametrize("bad", [Z[:, :2], Z[:, None, :], Z.ravel(), np.zeros((20, 4))])
def test_plot_latent_3d_wrong_shape(bad):
    with pytest.raises(ValueError, match="z must be N x 3"):
        plot_latent_3d(bad)


def test_plot_latent_3d_no_samples():
    with pytest.raises(ValueError, match="no samples"):
        plot_latent_3d(np.zeros((0, 3)))


def test_plot_latent_3d_nonfinite_names_row():
    z = Z.copy(); z[7, 0] = np.nan
    with pytest.raises(ValueError, match="row 7"):
        plot_latent_3d(z)


def test_plot_latent_3d_colour_length():
    with pytest.raises(ValueError, match="each of the 20 samples"):
        plot_latent_3d(Z, np.arange(19.0), "x")


def test_plot_latent_3d_colour_all_missing():
    with pytest.raises(ValueError, match="no non-missing value"):
        plot_latent_3d(Z, np.full(20, np.nan), "x", categorical=False)


def test_movement_mismatched_lengths():
    with pytest.raises(ValueError, match=r"z_base has shape \(20, 3\) but z_pert has \(19, 3\)"):
        plot_latent_movement_3d(Z, Z[:-1])


def test_movement_wrong_shapes():
    with pytest.raises(ValueError, match="z_base must be N x 3"):
        plot_latent_movement_3d(Z[:, :2], Z)
    with pytest.raises(ValueError, match="z_pert must be N x 3"):
        plot_latent_movement_3d(Z, np.zeros((20, 5)))


def test_movement_colour_length_and_max_arrows():
    with pytest.raises(ValueError, match="each of the 20 samples"):
        plot_latent_movement_3d(Z, Z + 1, colour=np.arange(5))
    with pytest.raises(ValueError, match="max_arrows must be >= 1"):
        plot_latent_movement_3d(Z, Z + 1, max_arrows=0)


def test_movement_arrows_end_at_perturbed_positions():
    fig = plot_latent_movement_3d(Z, Z + 0.5, max_arrows=5, seed=1)
    seg = np.asarray(fig.axes[0].collections[-1]._segments3d)
    assert seg.shape == (15, 2, 3)
    np.testing.assert_allclose(seg[:5, 0] - seg[:5, 1], 0.5)          # tip minus tail is the shift


@pytest.mark.parametrize("name", ["rot.mp4", "rot.png", "rot", "rot.gif.txt"])
def test_rotating_gif_unknown_suffix(tmp_path, name):
    with pytest.raises(ValueError, match="unknown suffix"):
        rotating_gif(plot_latent_3d(Z), tmp_path / name, frames=2)
    assert not (tmp_path / name).exists()


def test_rotating_gif_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="frames must be >= 2"):
        rotating_gif(plot_latent_3d(Z), tmp_path / "a.gif", frames=0)
    with pytest.raises(ValueError, match="fps must be > 0"):
        rotating_gif(plot_latent_3d(Z), tmp_path / "a.gif", fps=0)
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="no 3-D axes"):
        rotating_gif(fig, tmp_path / "a.gif")
    with pytest.raises(TypeError, match="matplotlib Figure"):
        rotating_gif(lambda: "not a figure", tmp_path / "a.gif")


def test_rotating_gif_writes_frames(tmp_path):
    from PIL import Image
    out = rotating_gif(plot_latent_3d(Z), tmp_path / "ok.GIF", frames=3, fps=5)
    with Image.open(out) as im:
        assert im.n_frames == 3


def test_arrow_colour_must_be_known():
    with pytest.raises(ValueError, match="arrow_colour must be 'points'.*got 'rainbow'"):
        plot_latent_movement_3d(Z, Z + 0.1, arrow_colour="rainbow")


@pytest.mark.parametrize("bad", [np.zeros((5, 2)), np.zeros(3), np.zeros((2, 3, 1))])
def test_direction_colours_wrong_shape(bad):
    from vaes_biomed.latent_3d import direction_colours
    with pytest.raises(ValueError, match=r"arrows must be N x 3, got shape"):
        direction_colours(bad)


def test_direction_colours_are_valid_rgba_for_any_arrows():
    from vaes_biomed.latent_3d import direction_colours
    d = np.random.default_rng(1).normal(size=(200, 3)) * np.random.default_rng(2).choice([0, 1e-9, 1, 1e6], size=(200, 1))
    c = direction_colours(d)
    assert c.shape == (200, 4) and np.isfinite(c).all() and (c >= 0).all() and (c <= 1).all()
    assert np.allclose(c[(d == 0).all(1), :3], 0.5)              # a zero arrow is grey
