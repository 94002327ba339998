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


# --- the AMSC-like cohort ----------------------------------------------------------------------

from vaes_biomed.synthetic import (AMSC_FILES, AMSC_PLANTED_PRS, AMSC_PRS_COLUMNS, AMSC_TRUTH_COLUMNS, AMSCCohort,
                                   lp_feature_names, lp_feature_parts, make_amsc_cohort, write_amsc_cohort)

AMSC_HEAD = ['ID', 'patient', 'sex', 'age', 'batch', 'BMI', 'T2D', 'FFA', 'cellType', 'Day']


@pytest.fixture(scope='module')
def amsc():
    return make_amsc_cohort(n_patients=20, n_genes=400, n_lp=120, n_variants=8, seed=5)


def test_amsc_layout(amsc):
    assert isinstance(amsc, AMSCCohort)
    m = amsc.matched
    assert list(m.columns) == AMSC_HEAD + amsc.genes + amsc.lp_features
    assert (len(amsc.genes), len(amsc.lp_features)) == (400, 120)
    assert all(g.startswith('ENSG') and len(g) == 15 for g in amsc.genes)
    assert m.ID.is_unique and m.patient.nunique() == 20
    assert m.ID.str.fullmatch(r'P\d\d_(sc|vc)_FFA[01]_D(0|3|8|14)').all()
    assert set(m.cellType) == {'sc', 'vc'} and set(m.FFA) == {0, 1} and set(m.Day) == {0, 3, 8, 14}
    assert (m.groupby('patient')[['sex', 'age', 'batch', 'BMI', 'T2D']].nunique() == 1).all().all()
    assert m.groupby('patient').size().max() < 16                      # never every combination
    assert list(amsc.variants.columns[:1]) == ['patient'] and amsc.variants.shape[1] == 9
    assert list(amsc.prs.columns) == ['patient'] + AMSC_PRS_COLUMNS + ['geneticBatch']
    assert set(m.patient) - set(amsc.variants.patient) == set(m.patient) - set(amsc.prs.patient) != set()


def test_amsc_counts_are_integers_and_lp_has_work_for_the_filters(amsc):
    counts = amsc.matched[amsc.genes]
    assert all(counts[c].dtype == np.int64 for c in amsc.genes) and (counts.to_numpy() >= 0).all()
    assert 0.3 < ((counts > 10).mean() < 0.2).mean() < 0.7             # many genes fail the count filter
    lp = amsc.matched[amsc.lp_features]
    for comp in ('Cells_', 'Cytoplasm_', 'Nuclei_'):
        part = lp.loc[:, lp.columns.str.startswith(comp)]
        assert part.isna().any().sum() >= 1 and (part.abs() > 5).any().sum() >= 1
    broken = lp.columns[(lp.isna() | (lp.abs() > 5)).any()]
    assert not set(broken) & set(amsc.truth.feature)


def test_amsc_truth(amsc):
    t = amsc.truth
    assert list(t.columns) == AMSC_TRUTH_COLUMNS
    assert set(t.driver) == {'FFA', 'Day', 'cellType', AMSC_PLANTED_PRS}
    assert t.feature.isin(amsc.matched.columns).all() and t.feature.is_unique
    assert set(t.dataset) <= {'RNA', 'Cells', 'Cyto', 'Nuclei'}
    assert (t[t.dataset == 'Cyto'].feature.str.startswith('Cytoplasm_')).all()
    lp_ffa = t[(t.driver == 'FFA') & (t.dataset != 'RNA')]
    assert (lp_ffa.effect > 0).all() and all(lp_feature_parts(f)['channel'] == 'BODIPY' for f in lp_ffa.feature)
    assert set(t[(t.driver == AMSC_PLANTED_PRS) & (t.dataset != 'RNA')].dataset) == {'Cyto'}
    assert set(amsc.nuisance.driver) == {'sex', 'age', 'batch'} and not set(amsc.nuisance.feature) & set(t.feature)


def test_amsc_planted_ffa_effect(amsc):
    from scipy import stats
    m, t = amsc.matched, amsc.truth
    planted = t[(t.driver == 'FFA') & (t.dataset != 'RNA')].feature.tolist()
    p = stats.ttest_ind(m.loc[m.FFA == 1, planted], m.loc[m.FFA == 0, planted]).pvalue
    assert p.max() < 1e-4
    d14 = (m.loc[(m.Day == 14) & (m.FFA == 1), planted].mean() - m.loc[(m.Day == 14) & (m.FFA == 0), planted].mean()).mean()
    d0 = (m.loc[(m.Day == 0) & (m.FFA == 1), planted].mean() - m.loc[(m.Day == 0) & (m.FFA == 0), planted].mean()).mean()
    assert d14 > d0 + 0.5                                              # grows over the days
    genes = t[(t.driver == 'FFA') & (t.dataset == 'RNA')]
    lg = np.log2(1 + m[genes.feature])
    diff = lg[m.FFA == 1].mean() - lg[m.FFA == 0].mean()
    assert (np.sign(diff.to_numpy()) == np.sign(genes.effect.to_numpy())).all()


def test_amsc_same_seed_same_tables_other_seed_other(amsc):
    again = make_amsc_cohort(n_patients=20, n_genes=400, n_lp=120, n_variants=8, seed=5)
    for k in ('matched', 'variants', 'prs', 'truth', 'nuisance'):
        pd.testing.assert_frame_equal(getattr(again, k), getattr(amsc, k))
    other = make_amsc_cohort(n_patients=20, n_genes=400, n_lp=120, n_variants=8, seed=6)
    assert other.matched.ID.tolist() != amsc.matched.ID.tolist()
    assert not other.truth.feature.equals(amsc.truth.feature)
    assert not other.prs.equals(amsc.prs)


@pytest.mark.parametrize('seed', range(4))
def test_amsc_smallest_sizes(seed):
    c = make_amsc_cohort(n_patients=4, n_genes=200, n_lp=60, n_variants=1, seed=seed)
    assert c.matched.patient.nunique() == 4 and len(c.lp_features) == 60
    assert set(c.truth.driver) == {'FFA', 'Day', 'cellType', AMSC_PLANTED_PRS}


@pytest.mark.parametrize('kw,msg', [(dict(n_patients=3), 'n_patients must be >= 4'), (dict(n_genes=150), 'n_genes must be >= 200'),
                                    (dict(n_lp=10), 'n_lp must be >= 60'), (dict(n_variants=0), 'n_variants must be >= 1')])
def test_amsc_bad_sizes(kw, msg):
    with pytest.raises(ValueError, match=msg):
        make_amsc_cohort(**kw)


def test_lp_names():
    names = lp_feature_names(300, np.random.default_rng(0))
    assert len(set(names)) == 300
    parts = pd.DataFrame([lp_feature_parts(f) for f in names])
    assert set(parts.compartment) == {'Cells', 'Cytoplasm', 'Nuclei'}
    assert set(parts.measure) == {'Texture', 'Intensity', 'Granularity', 'RadialDistribution', 'Correlation', 'AreaShape'}
    assert lp_feature_parts('Cytoplasm_Texture_Contrast_Mito_3_00') == dict(compartment='Cytoplasm', measure='Texture',
                                                                           channel='Mito')
    assert lp_feature_parts('Cells_Correlation_Overlap_BODIPY_AGP')['channel'] == 'Combination'
    assert lp_feature_parts('Nuclei_AreaShape_Zernike_3_1')['channel'] == 'Compartimental'


def test_write_amsc_cohort_round_trip(amsc, tmp_path):
    paths = write_amsc_cohort(amsc, tmp_path / 'raw')
    assert {k: p.name for k, p in paths.items()} == AMSC_FILES
    assert {'matched', 'variants', 'prs', 'truth'} <= set(paths)
    pd.testing.assert_frame_equal(pd.read_csv(paths['matched'], sep='\t'), amsc.matched)
    pd.testing.assert_frame_equal(pd.read_csv(paths['variants'], sep='\t', dtype=str), amsc.variants)
    pd.testing.assert_frame_equal(pd.read_csv(paths['prs'], sep='\t'), amsc.prs)
    pd.testing.assert_frame_equal(pd.read_csv(paths['truth'], sep='\t'), amsc.truth)
    assert paths['matched'].read_text().split('\n', 1)[0].split('\t')[:10] == AMSC_HEAD
