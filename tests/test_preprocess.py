"""Tests of vaes_biomed.preprocess: AMSC files -> MOVE layout; every bad input named, every drop counted."""
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

from vaes_biomed.config import CONFIG_SETS, load_data_config, load_task_config
from vaes_biomed.data import DataError, DataWarning, encode_data
from vaes_biomed.preprocess import (condition_counts, filter_genes, filter_lp, prepare_prs, preprocess_amsc,
                                    read_amsc_files, residualise, split_matched_table, unphase_genotypes, zscore)
from vaes_biomed.synthetic import AMSC_PLANTED_PRS, AMSC_PRS_COLUMNS, make_amsc_cohort, write_amsc_cohort

DATASETS = ['cellType', 'FFA', 'Day', 'RNA', 'Cells', 'Cyto', 'PRS']


@pytest.fixture(scope='module')
def cohort():
    return make_amsc_cohort(n_patients=20, n_genes=300, n_lp=90, seed=3)


@pytest.fixture(scope='module')
def raw(cohort, tmp_path_factory):
    folder = tmp_path_factory.mktemp('raw')
    write_amsc_cohort(cohort, folder)
    return folder


@pytest.fixture(scope='module')
def files(raw):
    return read_amsc_files(raw)


@pytest.fixture(scope='module')
def tables(files):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DataWarning)
        return split_matched_table(files['matched'], 'amsc_matched.tsv')


def quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DataWarning)
        return f(*a, **k)


def changed(df, col, row, value):
    "A copy of a raw table with one cell changed (file line numbers kept)."
    out = df.copy()
    out.attrs = dict(df.attrs)
    out[col] = out[col].astype(object)
    out.loc[row, col] = value
    return out


# --- reading ----------------------------------------------------------------------------------

def test_read_files(files, cohort):
    assert sorted(files) == ['matched', 'nuisance', 'prs', 'truth', 'variants']
    assert files['matched'].shape == cohort.matched.shape
    assert files['matched'].patient.iloc[0] == 'P01'
    assert files['variants'].iloc[:, 1].isin(['0|0', '0|1', '1|0', '1|1']).all()


@pytest.mark.parametrize('missing', ['amsc_matched.tsv', 'amsc_variants.tsv', 'amsc_prs.tsv'])
def test_missing_file(cohort, tmp_path, missing):
    write_amsc_cohort(cohort, tmp_path)
    (tmp_path / missing).unlink()
    with pytest.raises(DataError, match=re.escape(f"table not found: {tmp_path / missing}")):
        read_amsc_files(tmp_path)


def test_truth_is_optional(cohort, tmp_path):
    paths = write_amsc_cohort(cohort, tmp_path)
    paths['truth'].unlink(); paths['nuisance'].unlink()
    assert sorted(read_amsc_files(tmp_path)) == ['matched', 'prs', 'variants']


@pytest.mark.parametrize('column', ['ID', 'FFA', 'cellType', 'Day', 'patient', 'age', 'sex', 'batch'])
def test_matched_file_missing_required_column(cohort, tmp_path, column):
    write_amsc_cohort(cohort, tmp_path)
    cohort.matched.drop(columns=column).to_csv(tmp_path / 'amsc_matched.tsv', sep='\t', index=False)
    with pytest.raises(DataError, match=re.escape(f"amsc_matched.tsv: missing required column '{column}'")):
        read_amsc_files(tmp_path)


@pytest.mark.parametrize('key', ['variants', 'prs'])
def test_patient_tables_need_patient(cohort, tmp_path, key):
    write_amsc_cohort(cohort, tmp_path)
    getattr(cohort, key).drop(columns='patient').to_csv(tmp_path / f'amsc_{key}.tsv', sep='\t', index=False)
    with pytest.raises(DataError, match=f"amsc_{key}.tsv: missing required column 'patient'"):
        read_amsc_files(tmp_path)


def test_empty_file(cohort, tmp_path):
    write_amsc_cohort(cohort, tmp_path)
    (tmp_path / 'amsc_prs.tsv').write_text('')
    with pytest.raises(DataError, match='amsc_prs.tsv: empty file'):
        read_amsc_files(tmp_path)


# --- splitting --------------------------------------------------------------------------------

@pytest.mark.parametrize('column', ['ID', 'FFA', 'cellType', 'Day'])
def test_split_missing_required_column(files, column):
    with pytest.raises(DataError, match=f"m.tsv: missing required column '{column}'"):
        split_matched_table(files['matched'].drop(columns=column), 'm.tsv')


def test_split_tables(tables, cohort):
    assert list(tables) == ['demographics', 'FFA', 'cellType', 'Day', 'RNA', 'Cells', 'Cytoplasm', 'Nuclei']
    n = len(cohort.matched)
    assert all(len(t) == n and t.index.name == 'ID' for t in tables.values())
    assert list(tables['RNA'].columns) == cohort.genes
    assert sum(tables[k].shape[1] for k in ('Cells', 'Cytoplasm', 'Nuclei')) == len(cohort.lp_features)
    assert list(tables['demographics'].columns) == ['patient', 'sex', 'age', 'batch', 'BMI', 'T2D']


def test_duplicate_ids_name_both_lines(files):
    m = files['matched']
    bad = changed(m, 'ID', 5, m.ID[1])
    with pytest.raises(DataError, match=re.escape(f"m.tsv: column 'ID': duplicate ID '{m.ID[1]}' (line 3 and line 7)")):
        split_matched_table(bad, 'm.tsv')


def test_duplicate_ids_in_a_dataframe_name_rows(files):
    m = files['matched'].copy()
    m.attrs = {}
    m.loc[5, 'ID'] = m.ID[1]
    with pytest.raises(DataError, match=re.escape("(row 2 and row 6)")):
        split_matched_table(m, 'DataFrame')


def test_missing_id(files):
    with pytest.raises(DataError, match=re.escape("m.tsv: column 'ID', line 4: missing ID")):
        split_matched_table(changed(files['matched'], 'ID', 2, None), 'm.tsv')


@pytest.mark.parametrize('col,value,expected', [('cellType', 'SC', 'sc or vc'), ('cellType', 'visceral', 'sc or vc'),
                                                ('FFA', 2, '0 or 1'), ('FFA', 'yes', '0 or 1'),
                                                ('Day', 'D3', 'a whole number of days'), ('Day', 3.5, 'a whole number')])
def test_unknown_condition_values(files, col, value, expected):
    m = files['matched']
    with pytest.raises(DataError, match=re.escape(f"m.tsv: column '{col}', line 6 (ID '{m.ID[4]}'): unknown {col} value "
                                                  f"{value!r} (expected {expected}")):
        split_matched_table(changed(m, col, 4, value), 'm.tsv')


def test_missing_conditions_are_warned_and_kept_missing(files):
    m = changed(changed(files['matched'], 'cellType', 0, None), 'cellType', 3, None)
    with pytest.warns(DataWarning, match=r"column 'cellType': 2 missing value\(s\)"):
        t = split_matched_table(m, 'm.tsv')
    assert t['cellType'].cellType.isna().sum() == 2
    assert int(condition_counts(t).to_numpy().sum()) == len(m) - 2


def test_unknown_columns_are_warned(files):
    with pytest.warns(DataWarning, match=r"ignored 2 column\(s\).*'notes', 'plate'"):
        split_matched_table(files['matched'].assign(notes='x', plate=1), 'm.tsv')


def test_no_genes_or_no_lp(files, cohort):
    with pytest.raises(DataError, match="m.tsv: no gene columns"):
        split_matched_table(files['matched'].drop(columns=cohort.genes), 'm.tsv')
    cyto = [c for c in cohort.lp_features if c.startswith('Cytoplasm_')]
    with pytest.raises(DataError, match="m.tsv: no Cytoplasm features"):
        split_matched_table(files['matched'].drop(columns=cyto), 'm.tsv')


def test_condition_counts(tables, cohort):
    c = condition_counts(tables)
    m = cohort.matched
    assert list(c.columns) == [0, 3, 8, 14]
    assert int(c.to_numpy().sum()) == len(m)
    for (ct, ffa), row in c.iterrows():
        for day, k in row.items():
            assert k == ((m.cellType == ct) & (m.FFA == ffa) & (m.Day == day)).sum()


# --- gene filters -----------------------------------------------------------------------------

def toy_counts():
    return pd.DataFrame({'rare': [50] + [0] * 9, 'ten': [10] * 10, 'two': [11, 11] + [0] * 8,
                         'flat': [100, 101] * 5, 'mid': [20, 40] * 5, 'wild': [15, 3000] * 5},
                        index=pd.Index([f's{i}' for i in range(10)], name='ID'))


def test_filter_genes_by_hand():
    with pytest.warns(DataWarning) as rec:
        out = filter_genes(toy_counts(), source='toy')
    msgs = [str(r.message) for r in rec]
    assert "toy: dropped 2 of 6 gene(s) with > 10 counts in fewer than 20% of the samples" in msgs
    assert any('dropped 3 of 4 expressed gene(s)' in m for m in msgs)
    assert list(out.columns) == ['wild']
    np.testing.assert_allclose(out.wild.to_numpy()[:2], [4.0, np.log2(3001)])
    # 75th percentile of the expressed genes' log2 variances, by hand (numpy's linear interpolation)
    v = np.sort(np.log2(1 + toy_counts()[['two', 'flat', 'mid', 'wild']].to_numpy()).var(axis=0, ddof=1))
    assert out.attrs['variance_cut'] == pytest.approx(v[2] + 0.25 * (v[3] - v[2]))
    # with > 5 counts 'ten' is expressed too, and as the flattest gene (variance 0) it is the one at the 0% quantile
    assert list(quiet(filter_genes, toy_counts(), min_count=5, variance_quantile=0).columns) == ['two', 'flat', 'mid', 'wild']


def test_no_gene_passes():
    with pytest.raises(DataError, match=r"toy: no gene has > 10 counts in >= 20% of the 10 samples \(2 genes checked\)"):
        filter_genes(toy_counts()[['rare', 'ten']], source='toy')
    with pytest.raises(DataError, match='no gene has > 100 counts'):
        quiet(filter_genes, toy_counts(), min_count=100, min_fraction=0.9, source='toy')


def test_equal_variances_leave_no_gene():
    with pytest.raises(DataError, match='no gene has a variance above the 75% quantile'):
        quiet(filter_genes, toy_counts()[['mid']].assign(mid2=[20, 40] * 5), source='toy')


def test_bad_counts():
    with pytest.raises(DataError, match=re.escape("toy: column 'ten', row 4 (ID 's3'): a count must be a whole number >= 0, got -2")):
        filter_genes(toy_counts().assign(ten=[10, 10, 10, -2] + [10] * 6), source='toy')
    with pytest.raises(DataError, match=re.escape("column 'mid', row 2 (ID 's1'): a count must be a whole number >= 0, got 40.5")):
        filter_genes(toy_counts().assign(mid=[20, 40.5] * 5), source='toy')
    with pytest.raises(DataError, match=re.escape("column 'flat', row 1 (ID 's0'): non-numeric value 'n.d.' (and 4 more)")):
        filter_genes(toy_counts().astype(object).assign(flat=['n.d.', 1] * 4 + ['1', 'x']), source='toy')


def test_gene_with_missing_counts_is_dropped_and_counted():
    with pytest.warns(DataWarning, match=r"dropped 1 of 6 gene\(s\) with missing counts \(2 values\): 'wild'"):
        out = filter_genes(toy_counts().assign(wild=[15, np.nan, 15, np.nan] + [15, 3000] * 3), source='toy')
    assert 'wild' not in out.columns and out.attrs['n_missing'] == 1


def test_cohort_gene_filter_keeps_planted_genes(tables, cohort):
    out = quiet(filter_genes, tables['RNA'])
    a = out.attrs
    assert a['n_low_count'] > 0.3 * a['n_genes']
    assert out.shape[1] == a['n_genes'] - a['n_low_count'] - a['n_low_variance']
    planted = cohort.truth[cohort.truth.dataset == 'RNA'].feature
    assert planted.isin(out.columns).mean() > 0.8


# --- residualisation --------------------------------------------------------------------------

def test_residualise_removes_sex(tables, cohort):
    lg = quiet(filter_genes, tables['RNA'])
    demo = tables['demographics']
    res = residualise(lg, demo)
    sex = cohort.nuisance[(cohort.nuisance.driver == 'sex') & cohort.nuisance.feature.isin(lg.columns)]
    gene = sex.loc[sex.effect.abs().idxmax(), 'feature']
    from scipy import stats
    f = (demo.sex == 2).to_numpy()
    assert stats.ttest_ind(lg[gene][f], lg[gene][~f]).pvalue < 1e-6
    assert abs(np.corrcoef(res[gene], demo.sex)[0, 1]) < 1e-8
    X = np.column_stack([np.ones(len(demo)), demo.age, demo.sex] + [(demo.batch == b).to_numpy(float) for b in (2, 3, 4)])
    R = res.to_numpy()
    cos = np.abs(X.T @ R) / np.outer(np.linalg.norm(X, axis=0), np.linalg.norm(R, axis=0))
    assert cos.max() < 1e-9
    assert res.attrs['design'] == ['intercept', 'age', 'sex', 'batch=2', 'batch=3', 'batch=4']


def test_residualise_matches_numpy_lstsq():
    rng = np.random.default_rng(0)
    cov = pd.DataFrame({'age': rng.uniform(20, 70, 30), 'sex': rng.integers(1, 3, 30), 'batch': ['a', 'b', 'c'] * 10})
    y = pd.DataFrame({'g': 1 + 0.2 * cov.age + rng.normal(size=30)})
    X = np.column_stack([np.ones(30), cov.age, cov.sex, cov.batch == 'b', cov.batch == 'c']).astype(float)
    expected = y.g.to_numpy() - X @ np.linalg.solve(X.T @ X, X.T @ y.g.to_numpy())
    np.testing.assert_allclose(residualise(y, cov).g.to_numpy(), expected, atol=1e-10)
    exact = pd.DataFrame({'g': 3 - 0.5 * cov.age + 2 * cov.sex})
    assert np.abs(residualise(exact, cov).g).max() < 1e-9


@pytest.mark.parametrize('column', ['age', 'sex', 'batch'])
def test_covariate_column_missing(tables, column):
    lg = quiet(filter_genes, tables['RNA'])
    with pytest.raises(DataError, match=f"amsc_matched.tsv: covariate column '{column}' missing"):
        residualise(lg, tables['demographics'].drop(columns=column), source='amsc_matched.tsv')


def test_non_numeric_covariate_names_column_and_first_bad_row(tables):
    lg = quiet(filter_genes, tables['RNA'])
    demo = tables['demographics'].copy()
    demo['age'] = demo.age.astype(object)
    demo.iloc[6, demo.columns.get_loc('age')] = 'n/a?'
    demo.iloc[9, demo.columns.get_loc('age')] = 'old'
    with pytest.raises(DataError, match=re.escape(f"m.tsv: column 'age', line 8 (ID '{demo.index[6]}'): "
                                                  "non-numeric value 'n/a?' (and 1 more)")):
        residualise(lg, demo, source='m.tsv')


def test_missing_covariate_value(tables):
    lg = quiet(filter_genes, tables['RNA'])
    demo = tables['demographics'].copy()
    demo['sex'] = demo.sex.astype(float)
    demo.iloc[[2, 5], demo.columns.get_loc('sex')] = np.nan
    with pytest.raises(DataError, match=re.escape("column 'sex', line 4") + ".*missing covariate value \\(2 missing\\)"):
        residualise(lg, demo, source='m.tsv')


def test_residualise_needs_covariates_for_every_sample_and_complete_values(tables):
    lg = quiet(filter_genes, tables['RNA'])
    with pytest.raises(DataError, match=r"no covariates for 2 sample\(s\)"):
        residualise(lg, tables['demographics'].iloc[2:])
    bad = lg.copy()
    bad.iloc[0, 1] = np.nan
    with pytest.raises(DataError, match=f"column '{lg.columns[1]}': 1 missing value"):
        residualise(bad, tables['demographics'])


# --- z-score and LP ---------------------------------------------------------------------------

def test_zscore():
    z = zscore(pd.DataFrame({'a': [1., 2., 3., np.nan], 'b': [0., 10., 20., 30.]}))
    np.testing.assert_allclose(z.a.dropna(), [-np.sqrt(1.5), 0, np.sqrt(1.5)])
    np.testing.assert_allclose(z.b.std(ddof=0), 1.0)
    with pytest.warns(DataWarning, match=r"t: dropped 2 constant or empty column\(s\): 'c', 'e'"):
        z = zscore(pd.DataFrame({'a': [1., 2.], 'c': [3., 3.], 'e': [np.nan, np.nan]}), source='t')
    assert list(z.columns) == ['a']


def lp_toy():
    return pd.DataFrame({'ok': [0.1, -1.2, 4.9, 0.0], 'gap': [0.3, np.nan, np.nan, np.nan], 'big': [0.2, -5.5, 1., 7.],
                         'edge': [5.0, -5.0, 0.0, 1.0], 'gap2': [np.nan, 1, 1, 1]},
                        index=pd.Index(list('abcd'), name='ID'))


def test_filter_lp_counts_what_it_drops():
    with pytest.warns(DataWarning) as rec:
        out = filter_lp(lp_toy(), source='lp')
    msgs = [str(r.message) for r in rec]
    assert msgs == ["lp: dropped 2 of 5 feature(s) with missing values (4 values): 'gap', 'gap2'",
                    "lp: dropped 1 of 3 complete feature(s) with a value beyond ±5 (2 values): 'big'"]
    assert list(out.columns) == ['ok', 'edge']
    assert list(quiet(filter_lp, lp_toy(), max_abs=10).columns) == ['ok', 'big', 'edge']


def test_filter_lp_errors():
    with pytest.raises(DataError, match='lp: no feature left'):
        quiet(filter_lp, lp_toy()[['gap', 'big']], source='lp')
    with pytest.raises(DataError, match=re.escape("lp: column 'ok', row 3 (ID 'c'): non-numeric value 'high'")):
        filter_lp(lp_toy().astype(object).assign(ok=[0.1, -1.2, 'high', 0.0]), source='lp')


def test_cohort_lp_filters_drop_exactly_the_broken_features(tables, cohort):
    for k in ('Cells', 'Cytoplasm', 'Nuclei'):
        t = tables[k]
        n_nan = int(t.isna().any().sum())
        with pytest.warns(DataWarning, match=rf"dropped {n_nan} of {t.shape[1]} feature\(s\) with missing values"):
            out = filter_lp(t)
        broken = t.columns[(t.isna() | (t.abs() > 5)).any()]
        assert len(broken) >= 2
        assert sorted(set(t.columns) - set(out.columns)) == sorted(broken)


# --- genotypes and PRS ------------------------------------------------------------------------

IDS = pd.Series(['A', 'A', 'B', 'C'], index=pd.Index(['A_1', 'A_2', 'B_1', 'C_1'], name='ID'))


def geno():
    g = pd.DataFrame({'patient': ['A', 'B'], 'rs1': ['0|1', '1|1'], 'rs2': ['1|0', '0|0']})
    g.attrs['first_line'] = 2
    return g


def test_unphase_and_align():
    with pytest.warns(DataWarning, match=r"v.tsv: 1 patient\(s\) not genotyped \('C'\): their 1 sample\(s\) get missing values"):
        out = unphase_genotypes(geno(), IDS, source='v.tsv')
    assert list(out.index) == ['A_1', 'A_2', 'B_1', 'C_1']
    assert out.loc['A_1'].tolist() == ['0/1', '0/1'] and out.loc['B_1'].tolist() == ['1/1', '0/0']
    assert out.loc['C_1'].isna().all()


@pytest.mark.parametrize('value', ['0/1', '2|0', '01', '1|1|0', 'AA'])
def test_genotype_not_phased(value):
    bad = geno()
    bad.loc[1, 'rs2'] = value
    with pytest.raises(DataError, match=re.escape(f"v.tsv: column 'rs2', line 3 (patient 'B'): genotype '{value}' is not "
                                                  "one of 0|0, 0|1, 1|0, 1|1")):
        unphase_genotypes(bad, IDS, source='v.tsv')


def test_genotype_missing_calls_and_duplicates():
    g = geno()
    g.loc[0, 'rs1'] = np.nan
    with pytest.warns(DataWarning, match=r"1 missing genotype call\(s\) stay missing"):
        out = unphase_genotypes(g, IDS.iloc[:3])
    assert out.loc['A_1', 'rs1'] is None or pd.isna(out.loc['A_1', 'rs1'])
    with pytest.raises(DataError, match=re.escape("column 'patient': duplicate patient 'A' (line 2 and line 3)")):
        unphase_genotypes(geno().assign(patient=['A', 'A']), IDS)
    with pytest.warns(DataWarning, match=r"1 patient\(s\) without samples are ignored \('B'\)"):
        unphase_genotypes(geno(), IDS.iloc[:2])


def test_prepare_prs(files, tables, cohort):
    ids = tables['demographics'].patient
    not_typed = set(cohort.matched.patient) - set(cohort.prs.patient)
    n_missing = int(cohort.matched.patient.isin(not_typed).sum())
    with pytest.warns(DataWarning, match=rf"{len(not_typed)} patient\(s\) without PRS .*their {n_missing} sample\(s\)"):
        prs = prepare_prs(files['prs'], ids)
    assert list(prs.columns) == AMSC_PRS_COLUMNS and 'geneticBatch' not in prs
    np.testing.assert_allclose(prs.mean(), 0, atol=1e-12)
    np.testing.assert_allclose(prs.std(ddof=0), 1, atol=1e-12)
    assert int(prs.isna().any(axis=1).sum()) == n_missing
    raw = cohort.matched.patient.map(cohort.prs.set_index('patient')[AMSC_PLANTED_PRS])
    assert np.corrcoef(raw.dropna(), prs[AMSC_PLANTED_PRS].dropna())[0, 1] == pytest.approx(1, abs=1e-12)


def test_prepare_prs_errors(files, tables):
    ids = tables['demographics'].patient
    p = files['prs']
    bad = changed(p, 'gps_t2d', 2, 'high')
    with pytest.raises(DataError, match=re.escape(f"p.tsv: column 'gps_t2d', line 4 (patient '{p.patient[2]}'): "
                                                  "non-numeric value 'high'")):
        prepare_prs(bad, ids, source='p.tsv')
    with pytest.raises(DataError, match="p.tsv: missing required column 'patient'"):
        prepare_prs(p.drop(columns='patient'), ids, source='p.tsv')
    with pytest.raises(DataError, match='no PRS columns'):
        prepare_prs(p[['patient', 'geneticBatch']], ids, source='p.tsv')


# --- end to end -------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def project(raw, tmp_path_factory):
    out = tmp_path_factory.mktemp('project')
    return out, quiet(preprocess_amsc, raw, out, quick=True)


def test_preprocess_writes_move_layout(project, cohort, raw):
    folder, res = project
    for name in DATASETS + ['Nuclei', 'Genotypes']:
        assert res[name] == folder / 'data' / f'{name}.tsv' and res[name].is_file()
        assert res[name].read_text().split('\t', 1)[0] == 'ID'
    assert res['ids'].read_text().split() == cohort.matched.ID.tolist()
    assert res['ground_truth'] == raw / 'amsc_truth.tsv'
    assert sorted(res['task_configs']) == sorted(CONFIG_SETS['amsc']['task'])
    s = res['summary']
    assert s['samples'] == len(cohort.matched) and s['genes'] == 300
    assert s['genes'] - s['genes_low_count'] - s['genes_low_variance'] - s['genes_missing'] == s['genes_kept']
    assert s['Cells_kept'] == s['Cells_features'] - s['Cells_missing'] - s['Cells_extreme']
    assert {'RNA_log2', 'RNA_residualised', 'RNA', 'conditions', 'demographics'} <= set(res['tables'])


def test_preprocess_output_encodes(project):
    folder, res = project
    cfg = load_data_config(res['data_config'], base_dir=folder)
    assert [s.name for s in cfg.specs] == DATASETS
    assert [s.kind for s in cfg.specs] == ['categorical'] * 3 + ['continuous'] * 4
    assert not any(s.log2 or s.scale for s in cfg.continuous_inputs)
    data = encode_data(cfg, quiet=True)
    assert data.names == DATASETS
    assert data['FFA'].mapping == {'0': 0, '1': 1} and data['cellType'].mapping == {'sc': 0, 'vc': 1}
    assert data['Day'].mapping == {'0': 0, '3': 1, '8': 2, '14': 3}
    np.testing.assert_allclose(data['RNA'].values, res['tables']['RNA'].to_numpy(), atol=1e-6)


def test_quick_shrinks_task_configs_only(project, raw, tmp_path):
    folder, res = project
    quick = load_task_config(res['task_configs']['amsc__id_assoc_bayes_ffa'])
    assert (quick.num_refits, quick.training.num_epochs) == (3, 20)
    assert load_task_config(res['task_configs']['amsc__tune_stability']).num_refits == 2
    assert yaml.safe_load(res['task_configs']['amsc__tune_reconstruction'].read_text())['grid'] == \
        CONFIG_SETS['amsc']['task']['amsc__tune_reconstruction']['grid']
    full = quiet(preprocess_amsc, raw, tmp_path, quick=False)
    t = load_task_config(full['task_configs']['amsc__id_assoc_bayes_ffa'])
    assert (t.num_refits, t.training.num_epochs, t.model.num_hidden, t.model.num_latent) == (24, 300, [500], 50)
    for name in DATASETS:                            # the data do not depend on quick
        assert full[name].read_bytes() == res[name].read_bytes()


def test_other_cohort_other_output(project, tmp_path):
    folder, res = project
    other_raw = tmp_path / 'raw_other'
    write_amsc_cohort(make_amsc_cohort(n_patients=20, n_genes=300, n_lp=90, seed=4), other_raw)
    other = quiet(preprocess_amsc, other_raw, tmp_path / 'other', quick=True)
    assert other['RNA'].read_bytes() != res['RNA'].read_bytes()


def test_preprocess_is_deterministic(raw, project, tmp_path):
    folder, res = project
    again = quiet(preprocess_amsc, raw, tmp_path / 'again', quick=True)
    for name in DATASETS + ['ids']:
        assert again[name].read_bytes() == res[name].read_bytes()
    assert again['data_config'].read_text() == res['data_config'].read_text()


def test_preprocess_warns_with_counts(raw, tmp_path):
    with pytest.warns(DataWarning) as rec:
        preprocess_amsc(raw, tmp_path)
    msgs = [str(r.message) for r in rec]
    assert any(re.search(r"\(RNA\): dropped \d+ of 300 gene\(s\) with > 10 counts", m) for m in msgs)
    assert any(re.search(r"\(Cytoplasm\): dropped \d+ of \d+ feature\(s\) with missing values", m) for m in msgs)
    assert any(re.search(r"amsc_variants.tsv: \d+ patient\(s\) not genotyped", m) for m in msgs)
