"""Bad-input and property tests of vaes_biomed.data."""
import re
import warnings

import logging

import numpy as np
import pandas as pd
import pytest

from vaes_biomed.data import (DataConfig, DataError, DatasetSpec, DataWarning, EncodedDataset, MultiOmicsData,
                              align_to_ids, decode_categorical, decode_continuous, encode_categorical,
                              encode_continuous, encode_data, encode_datasets, load_interim, read_dataset_tsv,
                              read_ids)


def write(path, text):
    path.write_text(text)
    return path


def quiet(fn, *args, **kw):
    "Call fn with DataWarnings silenced."
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DataWarning)
        return fn(*args, **kw)


@pytest.fixture
def raw(tmp_path):
    "A small MOVE raw folder and its config."
    d = tmp_path / 'data'
    d.mkdir()
    write(d / 'small.ids.txt', 's1\ns2\ns3\ns4\n')
    write(d / 'small.drugs.tsv', 'ID\tD1\tD2\ns1\t0\t1\ns2\t1\t0\ns3\t\t2\ns4\t2\t1\n')
    write(d / 'small.prot.tsv', 'ID\tP1\tP2\ns1\t1\t0\ns2\t2\t7\ns3\t3\t3\ns4\t4\t1\n')
    cfg = DataConfig(str(d), str(tmp_path / 'interim'), str(tmp_path / 'results'), 'small.ids',
                     [DatasetSpec('small.drugs', 'categorical')],
                     [DatasetSpec('small.prot', 'continuous', log2=True, weight=2)])
    return cfg


# ---------------------------------------------------------------- bad input

def test_missing_id_file(tmp_path):
    p = tmp_path / 'nope.ids.txt'
    with pytest.raises(DataError, match=re.escape(str(p))):
        read_ids(p)


def test_missing_id_file_via_config(raw, tmp_path):
    (tmp_path / 'data' / 'small.ids.txt').unlink()
    with pytest.raises(DataError, match=r"sample ID file not found: .*small\.ids\.txt"):
        encode_data(raw, quiet=True)


def test_duplicate_ids_in_id_file(tmp_path):
    p = write(tmp_path / 'ids.txt', 'a\nb\n\nc\nb\n')
    with pytest.raises(DataError, match=re.escape(f"{p}: duplicate sample ID 'b' on lines 2 and 5")):
        read_ids(p)


def test_empty_id_file(tmp_path):
    p = write(tmp_path / 'ids.txt', '\n\n')
    with pytest.raises(DataError, match=r"ids\.txt.*empty"):
        read_ids(p)


def test_missing_dataset_file(tmp_path):
    p = tmp_path / 'x.tsv'
    with pytest.raises(DataError, match=re.escape(f"dataset file not found: {p}")):
        read_dataset_tsv(p)


def test_config_names_dataset_that_does_not_exist(raw):
    raw.continuous_inputs.append(DatasetSpec('small.rna', 'continuous'))
    with pytest.raises(DataError, match=r"dataset 'small\.rna' \(continuous\): file not found, expected .*small\.rna\.tsv"):
        encode_data(raw, quiet=True)


def test_duplicate_sample_ids_in_tsv(tmp_path):
    p = write(tmp_path / 'd.tsv', 'ID\tA\ns1\t1\ns2\t2\ns1\t3\n')
    with pytest.raises(DataError, match=re.escape(f"{p}: duplicate sample ID 's1' on lines 2 and 4")):
        read_dataset_tsv(p)


def test_duplicate_sample_ids_in_dataframe():
    t = pd.DataFrame({'A': [1.0, 2.0]}, index=['s1', 's1'])
    with pytest.raises(DataError, match=r"DataFrame 'x': duplicate sample ID 's1'"):
        align_to_ids(t, ['s1'], "DataFrame 'x'")


def test_duplicate_feature_names(tmp_path):
    p = write(tmp_path / 'd.tsv', 'ID\tA\tB\tA\ns1\t1\t2\t3\n')
    with pytest.raises(DataError, match=re.escape(f"{p}: duplicate feature name 'A' (columns 2 and 4)")):
        read_dataset_tsv(p)


def test_non_numeric_value_in_file(tmp_path):
    p = write(tmp_path / 'd.tsv', 'ID\tA\tB\ns1\t1\t2\ns2\t3\tx1\ns3\t4\ty\n')
    t = read_dataset_tsv(p)
    msg = f"{p}: column 'B', line 3 (sample 's2'): non-numeric value 'x1' (and 1 more)"
    with pytest.raises(DataError, match=re.escape(msg)):
        encode_continuous(t, 'd', str(p))


def test_non_numeric_value_in_dataframe():
    t = pd.DataFrame({'A': ['1', '2.5', 'abc']}, index=['s1', 's2', 's3'])
    with pytest.raises(DataError, match=re.escape("DataFrame 'd': column 'A', row 's3': non-numeric value 'abc'")):
        encode_datasets({'d': t}, [DatasetSpec('d', 'continuous')])


def test_infinite_value(tmp_path):
    p = write(tmp_path / 'd.tsv', 'ID\tA\ns1\t1\ns2\tinf\n')
    with pytest.raises(DataError, match=r"column 'A', line 3 \(sample 's2'\): infinite value"):
        encode_continuous(read_dataset_tsv(p), 'd', str(p))


def test_ragged_rows(tmp_path):
    p = write(tmp_path / 'd.tsv', 'ID\tA\tB\ns1\t1\t2\ns2\t3\t4\t5\n')
    with pytest.raises(DataError, match=re.escape(f"{p}, line 3: expected 3 tab-separated fields (as in the header), found 4")):
        read_dataset_tsv(p)


@pytest.mark.parametrize('text,why', [('', 'no header row'), ('ID\tA\tB\n', 'no data rows'),
                                      ('ID\ns1\ns2\n', 'no feature columns')])
def test_empty_dataset(tmp_path, text, why):
    p = write(tmp_path / 'd.tsv', text)
    with pytest.raises(DataError, match=re.escape(f"{p}: empty dataset ({why})")):
        read_dataset_tsv(p)


def test_empty_after_dropping():
    t = pd.DataFrame({'A': [1.0, 1.0], 'B': [np.nan, np.nan]}, index=['s1', 's2'])
    with pytest.raises(DataError, match="DataFrame 'd': dataset 'd' is empty after dropping"):
        quiet(encode_continuous, t, 'd', "DataFrame 'd'")


def test_all_missing_continuous_feature(tmp_path):
    p = write(tmp_path / 'd.tsv', 'ID\tA\tB\tC\ns1\t1\tNA\t5\ns2\t2\t\t5\n')
    with pytest.warns(DataWarning, match=r"d\.tsv: dataset 'd': dropped 2 feature\(s\), 1 with zero variance: 'C'; 1 all missing: 'B'"):
        ds = encode_continuous(read_dataset_tsv(p), 'd', str(p))
    assert ds.feature_names == ['A'] and ds.dropped == ['B', 'C']


def test_all_missing_categorical_feature():
    t = pd.DataFrame({'A': ['x', 'y'], 'B': [None, 'NA']}, index=['s1', 's2'])
    with pytest.warns(DataWarning, match=r"DataFrame 'c': dataset 'c': dropped 1 all-missing feature\(s\): 'B'"):
        ds = encode_categorical(t, 'c', "DataFrame 'c'")
    assert ds.feature_names == ['A'] and ds.dropped == ['B']


def test_negative_values_with_log2(tmp_path):
    p = write(tmp_path / 'd.tsv', 'ID\tA\tB\ns1\t1\t2\ns2\t3\t-0.5\n')
    with pytest.raises(DataError, match=re.escape(f"{p}: column 'B', line 3 (sample 's2'): negative value")):
        encode_continuous(read_dataset_tsv(p), 'd', str(p), log2=True)
    # without log2 negative values are fine
    assert encode_continuous(read_dataset_tsv(p), 'd', str(p)).n_features == 2


def test_ids_in_table_not_in_list():
    t = pd.DataFrame({'A': [1.0, 2.0, 3.0, 4.0]}, index=['s1', 's2', 'x1', 'x2'])
    with pytest.warns(DataWarning, match=r"DataFrame 't': 2 sample ID\(s\) not in the ID list were dropped \('x1', 'x2'\)"):
        out = align_to_ids(t, ['s1', 's2'], "DataFrame 't'")
    assert list(out.index) == ['s1', 's2']


def test_ids_in_list_missing_from_table(tmp_path):
    p = write(tmp_path / 'd.tsv', 'ID\tA\tB\ns1\t1\t2\ns2\t3\t5\ns3\t4\t4\n')
    t = read_dataset_tsv(p)
    with pytest.warns(DataWarning, match=r"d\.tsv: 2 of 5 sample ID\(s\) in the ID list are absent .*\('s4', 's5'\)"):
        a = align_to_ids(t, ['s1', 's2', 's3', 's4', 's5'], str(p))
    ds = encode_continuous(a, 'd', str(p))
    np.testing.assert_array_equal(ds.missing.all(axis=1), [False, False, False, True, True])
    assert not ds.missing[:3].any()


def test_too_many_categorical_classes():
    t = pd.DataFrame({'A': [str(i) for i in range(25)]}, index=[f"s{i}" for i in range(25)])
    with pytest.warns(DataWarning, match=r"DataFrame 'c': categorical dataset 'c' has 25 classes \(more than max_classes=20\)"):
        ds = encode_categorical(t, 'c', "DataFrame 'c'")
    assert ds.n_classes == 25


def test_unknown_spec_name():
    with pytest.raises(DataError, match=r"no table named 'rna'; available tables: a, b"):
        encode_datasets({'a': pd.DataFrame({'x': [1.0]}), 'b': pd.DataFrame({'y': [1.0]})},
                        [DatasetSpec('rna', 'continuous')])


def test_bad_spec_kind_and_weight():
    with pytest.raises(DataError, match=r"dataset 'x': kind must be 'categorical' or 'continuous', got 'numeric'"):
        DatasetSpec('x', 'numeric')
    with pytest.raises(DataError, match=r"weight must be a finite number"):
        DatasetSpec('x', 'continuous', weight='heavy')


def test_getitem_unknown_dataset():
    mo = quiet(encode_datasets, {'a': pd.DataFrame({'x': [1.0, 2.0]})}, [DatasetSpec('a', 'continuous')])
    with pytest.raises(KeyError, match="known datasets: a"):
        mo['b']


# ---------------------------------------------------------------- properties

def test_value_equal_to_mean_is_not_missing():
    t = pd.DataFrame({'A': [1.0, 2.0, 3.0], 'B': [0.0, 0.0, 6.0]}, index=['s1', 's2', 's3'])
    ds = encode_continuous(t, 'd', "DataFrame 'd'")
    assert ds.values[1, 0] == 0.0                 # s2's A equals the mean of A
    assert not ds.missing.any()
    # upstream's rule (0 means missing) would have lost it
    assert (ds.values == 0).sum() == 1


def test_categorical_round_trip():
    t = pd.DataFrame({'A': [1.0, 2.0, np.nan, 1.0], 'B': ['2', '1.0', 'x', None]}, index=list('pqrs'))
    ds = encode_categorical(t, 'c', "DataFrame 'c'")
    assert ds.mapping == {'1': 0, '2': 1, 'x': 2}      # numbers numerically, then text; float and text agree
    back = decode_categorical(ds, index=t.index)
    assert back['A'].tolist() == ['1', '2', None, '1']
    assert back['B'].tolist() == ['2', '1', 'x', None]
    # probabilities decode by argmax, and round-trip through the one-hot
    probs = ds.values * 0.8 + 0.2 / ds.n_classes
    assert decode_categorical(ds, probs).iloc[:, 0].tolist() == ['1', '2', '1', '1']
    assert decode_categorical(ds, np.log(probs))['B'].tolist() == ['2', '1', 'x', '1']


def test_categorical_string_dtype_frame():
    # pandas 3 gives text columns the `str` dtype with NaN for missing
    t = pd.DataFrame({'A': pd.array(['a', None, 'b'], dtype='str')}, index=['s1', 's2', 's3'])
    ds = encode_categorical(t, 'c', "DataFrame 'c'")
    np.testing.assert_array_equal(ds.missing[:, 0], [False, True, False])
    assert decode_categorical(ds)['A'].tolist() == ['a', None, 'b']


@pytest.mark.parametrize('log2,scale', [(False, True), (True, True), (True, False), (False, False)])
def test_continuous_round_trip(log2, scale):
    rng = np.random.default_rng(0)
    x = rng.gamma(2.0, 3.0, size=(30, 5))
    x[rng.random(x.shape) < 0.2] = np.nan
    t = pd.DataFrame(x, index=[f"s{i}" for i in range(30)], columns=[f"f{j}" for j in range(5)])
    ds = encode_continuous(t.astype(object).astype(str), 'd', "DataFrame 'd'", log2=log2, scale=scale)  # from text
    back = decode_continuous(ds, index=t.index)
    np.testing.assert_allclose(back.to_numpy(), x, rtol=1e-5, atol=1e-5)
    if scale:
        np.testing.assert_allclose(np.nanmean(ds.values, 0), 0, atol=1e-5)
        np.testing.assert_allclose(np.nanstd(ds.values, 0), 1, atol=1e-5)


def test_mask_marks_exactly_missing(tmp_path):
    p = write(tmp_path / 'd.tsv', 'ID\tA\tB\tC\ns1\t1\tNA\tx\ns2\t\t2\ty\ns3\t0\tnan\t\ns4\t5\t3\tNaN\n')
    t = read_dataset_tsv(p)
    expect = np.array([[0, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 1]], dtype=bool)
    num = encode_continuous(t[['A', 'B']], 'n', str(p))
    np.testing.assert_array_equal(num.missing, expect[:, :2])
    np.testing.assert_array_equal(np.isnan(num.values), expect[:, :2])
    cat = encode_categorical(t, 'c', str(p))
    np.testing.assert_array_equal(cat.missing, expect)
    np.testing.assert_array_equal(cat.values.sum(-1) == 0, expect)


def test_encode_datasets_order_and_subset():
    a = pd.DataFrame({'x': ['u', 'v', 'u']}, index=['s1', 's2', 's3'])
    b = pd.DataFrame({'y': [1.0, 2.0, 4.0]}, index=['s3', 's2', 's1'])
    mo = encode_datasets({'b': b, 'a': a}, [DatasetSpec('a', 'categorical'), DatasetSpec('b', 'continuous')])
    assert mo.ids == ['s1', 's2', 's3'] and mo.names == ['a', 'b']
    assert [d.name for d in mo.categorical] == ['a'] and [d.name for d in mo.continuous] == ['b']
    np.testing.assert_allclose(decode_continuous(mo['b'])['y'], [4.0, 2.0, 1.0], rtol=1e-6)  # aligned to ids
    sub = mo.subset(np.array([False, True, True]))
    assert sub.ids == ['s2', 's3'] and sub.n_samples == 2
    np.testing.assert_array_equal(sub['b'].values, mo['b'].values[1:])
    assert mo.subset([2, 0]).ids == ['s3', 's1']


def test_cache_round_trip(raw, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="vaes_biomed")       # the messages are log records (shown by the command)
    first = encode_data(raw)
    assert 'encoded' in caplog.text
    interim = tmp_path / 'interim'
    for name in ('small.drugs.npy', 'small.drugs.txt', 'small.prot.npy', 'small.prot.txt', 'mappings.json',
                 'ids.txt', 'vaes_biomed_manifest.json'):
        assert (interim / name).is_file(), name
    assert np.load(interim / 'small.drugs.npy').shape == (4, 2, 3)
    caplog.clear()
    second = encode_data(raw)
    assert 'from the cache' in caplog.text
    assert second.ids == first.ids and second.names == first.names
    for a, b in zip(first.datasets, second.datasets):
        np.testing.assert_array_equal(a.values, b.values)
        assert (a.feature_names, a.mapping, a.weight, a.log2, a.scale, a.dropped) == \
               (b.feature_names, b.mapping, b.weight, b.log2, b.scale, b.dropped)
        if a.mean is not None:
            np.testing.assert_array_equal(a.mean, b.mean)
            np.testing.assert_array_equal(a.std, b.std)
    loaded = load_interim(interim)
    np.testing.assert_array_equal(loaded['small.prot'].values, first['small.prot'].values)
    # changing a raw file re-encodes
    write(tmp_path / 'data' / 'small.prot.tsv', 'ID\tP1\tP2\ns1\t1\t0\ns2\t2\t7\ns3\t3\t3\ns4\t40\t1\n')
    caplog.clear()
    third = encode_data(raw)
    assert 'encoded' in caplog.text
    assert not np.array_equal(third['small.prot'].values, first['small.prot'].values)
    # changing a spec re-encodes; force re-encodes
    raw.continuous_inputs[0] = DatasetSpec('small.prot', 'continuous', log2=False)
    assert encode_data(raw, quiet=True)['small.prot'].log2 is False
    caplog.clear()
    encode_data(raw, force=True)
    assert 'encoded' in caplog.text


def test_damaged_cache_is_rebuilt(raw, tmp_path):
    encode_data(raw, quiet=True)
    (tmp_path / 'interim' / 'small.prot.npy').unlink()
    assert encode_data(raw, quiet=True)['small.prot'].n_features == 2
    assert (tmp_path / 'interim' / 'small.prot.npy').is_file()


def test_encoded_dataset_shapes_checked():
    with pytest.raises(DataError, match="do not fit"):
        EncodedDataset('x', 'categorical', np.zeros((2, 3), dtype=np.float32), ['a', 'b', 'c'])
    with pytest.raises(DataError, match="has 2 rows, expected 3"):
        MultiOmicsData(['a', 'b', 'c'], [EncodedDataset('x', 'continuous', np.zeros((2, 1)), ['f'])])


def test_from_frames_refuses_what_is_not_a_table():
    with pytest.raises(DataError, match=r"from_frames: table 'a' is a list; expected a pandas DataFrame"):
        MultiOmicsData.from_frames({"a": [[1, 2], [3, 4]]})
