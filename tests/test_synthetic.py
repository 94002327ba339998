"""Tests of vaes_biomed.synthetic: the paper's multimodal generator and MOVE's file layout."""
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from vaes_biomed.synthetic import (GROUND_TRUTH_COLUMNS, SyntheticData, SyntheticDatasetSpec,
                                   ground_truth_pairs, make_synthetic, mean_profile, synthetic_settings,
                                   write_move_layout)

ORDER = ['Continuous_A', 'Continuous_B', 'Categorical_A', 'Categorical_B']
SIZES = {'tutorial': {'Continuous_A': 10, 'Continuous_B': 10, 'Categorical_A': 1, 'Categorical_B': 1},
         'paper': {'Continuous_A': 50, 'Continuous_B': 100, 'Categorical_A': 1, 'Categorical_B': 1}}


@pytest.fixture(scope='module')
def tutorial():
    return make_synthetic('tutorial', n_samples=300)


@pytest.fixture(scope='module')
def paper():
    return make_synthetic('paper', n_samples=600)


# --- settings ---------------------------------------------------------------------------------

def test_presets():
    t, p = synthetic_settings('tutorial'), synthetic_settings('paper')
    assert (t.n_samples, t.n_features, p.n_samples, p.n_features) == (1000, 22, 5000, 152)
    assert (t.alpha, t.norm_diag, t.smallest_coef, t.largest_coef) == (0.97, True, 0.1, 0.9)
    assert (p.alpha, p.norm_diag, p.smallest_coef, p.largest_coef) == (0.99, False, 0.0, 1.0)
    assert [d.name for d in t.datasets] == ORDER == [d.name for d in p.datasets]
    assert [d.offset for d in t.datasets] == [500, 400, 10, 1]
    assert [d.offset for d in p.datasets] == [700, 300, 10, 10]
    assert [d.kind for d in t.datasets] == ['continuous', 'continuous', 'categorical', 'categorical']
    assert t.extra_correlations and t.corr_threshold == 0.02
    assert synthetic_settings('tutorial', n_samples=50).n_samples == 50


def test_unknown_preset():
    with pytest.raises(ValueError, match=r"unknown synthetic preset 'large'.*tutorial, paper"):
        synthetic_settings('large')
    with pytest.raises(ValueError, match='unknown synthetic preset'):
        make_synthetic('nope')


def test_bad_settings():
    with pytest.raises(ValueError, match='kind must be one of'):
        SyntheticDatasetSpec('x', 2, 0, (1,), (1,), 0, 'ordinal')
    with pytest.raises(ValueError, match='frequencies'):
        SyntheticDatasetSpec('x', 2, 0, (1, 2), (1,), 0, 'continuous')
    with pytest.raises(ValueError, match='n_samples'):
        synthetic_settings(n_samples=1)


def test_mean_profile_by_hand():
    a, b, cat_a, _ = synthetic_settings('tutorial').datasets
    # j = 0: offset + sum(coef) * (sin(phase) + 1)
    assert mean_profile(a)[0] == pytest.approx(500 + (500 + 100 + 50) * (0 + 1))
    assert mean_profile(b)[0] == pytest.approx(400 + (80 + 20 + 10) * (1 + 1))
    assert mean_profile(cat_a)[0] == pytest.approx(10 + (0.2 + 0.1 + 0.05) * 2)
    # j = 2 of Continuous_B: 400 + 80(sin(0.002 + pi/2) + 1) + 20(sin(0.1 + pi/2) + 1) + 10(sin(0.16 + pi/2) + 1)
    expected = 400 + 80 * (math.cos(0.002) + 1) + 20 * (math.cos(0.1) + 1) + 10 * (math.cos(0.16) + 1)
    assert mean_profile(b)[2] == pytest.approx(expected)
    assert mean_profile(a).shape == (10,)


def test_mean_profile_phase_pi():
    # Categorical_B at j = 0: sin(pi) = 0, so the mean is offset + sum(coef) = 1 + 10.15
    cat_b = synthetic_settings('tutorial').datasets[3]
    assert mean_profile(cat_b)[0] == pytest.approx(1 + 10 + 0.1 + 0.05)


# --- generated data ----------------------------------------------------------------------------

@pytest.mark.parametrize('preset,n', [('tutorial', 300), ('tutorial', 50), ('paper', 600)])
def test_shapes_and_names(preset, n):
    d = make_synthetic(preset, n_samples=n)
    assert isinstance(d, SyntheticData)
    assert d.ids == [str(i) for i in range(1, n + 1)]
    assert list(d.tables) == ORDER
    for name, t in d.tables.items():
        assert t.shape == (n, SIZES[preset][name])
        assert list(t.columns) == [f'{name}_{j}' for j in range(1, SIZES[preset][name] + 1)]
        assert list(t.index) == d.ids and t.index.name == 'ID'
    assert d.kinds == dict(zip(ORDER, ['continuous', 'continuous', 'categorical', 'categorical']))
    nf = sum(SIZES[preset].values())
    assert d.covariance.shape == (nf, nf)


def test_default_sample_counts():
    s = synthetic_settings('tutorial')
    assert make_synthetic(settings=s).tables['Continuous_A'].shape == (1000, 10)


def test_same_seed_same_tables_other_seed_other(tutorial):
    again = make_synthetic('tutorial', n_samples=300)
    for k in ORDER: pd.testing.assert_frame_equal(again.tables[k], tutorial.tables[k])
    pd.testing.assert_frame_equal(again.ground_truth, tutorial.ground_truth)
    np.testing.assert_array_equal(again.covariance, tutorial.covariance)
    other = make_synthetic('tutorial', n_samples=300, seed=99)
    assert not np.allclose(other.tables['Continuous_A'].to_numpy(), tutorial.tables['Continuous_A'].to_numpy())
    assert not np.allclose(other.covariance, tutorial.covariance)


def test_categorical_binary(tutorial, paper):
    for d in (tutorial, paper, make_synthetic('tutorial', n_samples=50)):
        for k in ('Categorical_A', 'Categorical_B'):
            col = d.tables[k].iloc[:, 0]
            assert col.dtype.kind == 'i'
            assert set(col.unique()) == {0, 1}


def test_continuous_are_float(paper):
    for k in ('Continuous_A', 'Continuous_B'):
        assert paper.tables[k].to_numpy().dtype == np.float64
        assert np.isfinite(paper.tables[k].to_numpy()).all()


def test_covariance_spd(tutorial, paper):
    for d in (tutorial, paper):
        c = d.covariance
        np.testing.assert_allclose(c, c.T)
        assert np.linalg.eigvalsh(c).min() > 0
    np.testing.assert_allclose(np.diag(tutorial.covariance), 1.0)        # normalised diagonal


def test_extra_correlations_toggle():
    s = synthetic_settings('tutorial', n_samples=400)
    plain = make_synthetic(settings=replace(s, extra_correlations=False))
    extra = make_synthetic(settings=s)
    # the first half of the features is drawn the same way either way
    np.testing.assert_array_equal(plain.tables['Continuous_A'].to_numpy(), extra.tables['Continuous_A'].to_numpy())
    assert not np.allclose(plain.tables['Continuous_B'].to_numpy()[:, 5:], extra.tables['Continuous_B'].to_numpy()[:, 5:])
    # each second-half continuous feature is (x_i + x_j)/2 + const: exactly correlated with such a mean
    xa = extra.matrix
    for k in range(11, 20):
        best = max(np.corrcoef(xa[:, k], (xa[:, i] + xa[:, j]) / 2)[0, 1]
                   for i in range(11) for j in range(i + 1, 11))
        assert best == pytest.approx(1.0)


# --- ground truth ------------------------------------------------------------------------------

def test_ground_truth(tutorial, paper):
    for d in (tutorial, paper):
        gt = d.ground_truth
        assert list(gt.columns) == GROUND_TRUTH_COLUMNS
        assert len(gt) > 0
        assert (gt.Correlation.abs() > 0.02).all()
        assert (gt.feature_a_id < gt.feature_b_id).all()                  # unordered, no self pairs
        assert not gt.duplicated(['feature_a_id', 'feature_b_id']).any()
        names = [c for k in ORDER for c in d.tables[k].columns]
        assert gt.feature_a_name.tolist() == [names[i] for i in gt.feature_a_id]
        assert gt.feature_b_name.tolist() == [names[i] for i in gt.feature_b_id]
        x = pd.concat([d.tables[k] for k in ORDER], axis=1).to_numpy(dtype=float)
        r = np.corrcoef(x, rowvar=False)
        np.testing.assert_allclose(r[gt.feature_a_id, gt.feature_b_id], gt.Correlation, atol=1e-9)
        # and nothing above the threshold is missing
        iu = np.triu_indices(len(names), k=1)
        assert (np.abs(r[iu]) > 0.02).sum() == len(gt)


def test_ground_truth_pairs_small():
    x = np.array([[1., 2., 5., 1.], [2., 4.1, 3., 1.], [3., 5.9, 4., 1.], [4., 8., 1., 1.]])
    gt = ground_truth_pairs(x, list('abcd'), threshold=0.9)
    assert gt[['feature_a_name', 'feature_b_name']].values.tolist() == [['a', 'b']]
    assert gt.Correlation.iloc[0] == pytest.approx(np.corrcoef(x[:, 0], x[:, 1])[0, 1])
    assert len(ground_truth_pairs(x, list('abcd'), threshold=1.0)) == 0    # strict >, constant column ignored
    with pytest.raises(ValueError, match='does not match'):
        ground_truth_pairs(x, list('abc'))


# --- files -------------------------------------------------------------------------------------

def test_write_move_layout(tutorial, tmp_path):
    paths = write_move_layout(tutorial, tmp_path / 'data', project='tutorial')
    assert paths['ids'] == tmp_path / 'data' / 'random.tutorial.ids.txt'
    assert paths['changes'] == tmp_path / 'data' / 'changes.tutorial.txt'
    lines = paths['ids'].read_text().splitlines()
    assert lines == tutorial.ids and len(lines) == 300                  # no header, N lines
    for k in ORDER:
        p = paths[k]
        assert p.name == f'random.tutorial.{k}.tsv'
        header = p.read_text().splitlines()[0].split('\t')
        assert header == ['ID'] + list(tutorial.tables[k].columns)
        back = pd.read_csv(p, sep='\t', index_col=0, dtype={'ID': str})
        assert list(back.index) == tutorial.ids
        np.testing.assert_array_equal(back.to_numpy(), tutorial.tables[k].to_numpy())
    changes = pd.read_csv(paths['changes'], sep='\t')
    assert list(changes.columns) == GROUND_TRUTH_COLUMNS
    np.testing.assert_array_equal(changes[['feature_a_id', 'feature_b_id']].to_numpy(),
                                  tutorial.ground_truth[['feature_a_id', 'feature_b_id']].to_numpy())
    np.testing.assert_allclose(changes.Correlation, tutorial.ground_truth.Correlation, rtol=0, atol=1e-15)


def test_write_move_layout_project_name(tmp_path):
    d = make_synthetic('tutorial', n_samples=20)
    paths = write_move_layout(d, tmp_path, project='small')
    assert sorted(p.name for p in paths.values()) == sorted(
        ['random.small.ids.txt', 'changes.small.txt'] + [f'random.small.{k}.tsv' for k in ORDER])
    assert all(p.exists() for p in paths.values())
