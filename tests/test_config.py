"""Tests of vaes_biomed.config: MOVE's data YAML."""
import re
from pathlib import Path

import pytest
import yaml

from vaes_biomed.config import data_config_to_yaml, load_data_config
from vaes_biomed.data import DataError, DatasetSpec

MOVE_YAML = """\
defaults:
  - base_data
raw_data_path: data/
interim_data_path: interim_data/
results_path: results/
sample_names: random.small.ids
categorical_inputs:
  - name: random.small.drugs
continuous_inputs:
  - name: random.small.proteomics
    log2: true
    scale: true
  - name: random.small.metagenomics
    scale: true
    weight: 2
"""


@pytest.fixture
def yml(tmp_path):
    p = tmp_path / 'random_small.yaml'
    p.write_text(MOVE_YAML)
    return p


def test_reads_move_yaml(yml, tmp_path):
    cfg = load_data_config(yml, base_dir=tmp_path)
    assert cfg.raw_data_path == str(tmp_path / 'data')
    assert cfg.interim_data_path == str(tmp_path / 'interim_data')
    assert cfg.sample_names == 'random.small.ids'
    assert cfg.specs == [DatasetSpec('random.small.drugs', 'categorical'),
                         DatasetSpec('random.small.proteomics', 'continuous', log2=True, scale=True),
                         DatasetSpec('random.small.metagenomics', 'continuous', scale=True, weight=2.0)]


def test_relative_paths_default_to_cwd(yml, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_data_config(yml).results_path == str(Path.cwd() / 'results')


def test_round_trip(yml, tmp_path):
    cfg = load_data_config(yml, base_dir=tmp_path)
    assert load_data_config(yaml.safe_load(data_config_to_yaml(cfg))) == cfg
    p = tmp_path / 'again.yaml'
    p.write_text(data_config_to_yaml(cfg))
    assert load_data_config(p) == cfg


def test_unknown_top_key(yml):
    yml.write_text(MOVE_YAML + 'raw_path: x/\n')
    with pytest.raises(DataError, match=re.escape(f"{yml}: unknown key 'raw_path'")):
        load_data_config(yml)


def test_unknown_dataset_key(yml):
    yml.write_text(MOVE_YAML.replace('log2: true', 'log_2: true'))
    with pytest.raises(DataError, match=re.escape(f"{yml}: continuous_inputs[0] ('random.small.proteomics'): unknown key 'log_2'")):
        load_data_config(yml)


def test_log2_on_categorical_is_unknown(yml):
    yml.write_text(MOVE_YAML.replace('  - name: random.small.drugs\n', '  - name: random.small.drugs\n    log2: true\n'))
    with pytest.raises(DataError, match=r"categorical_inputs\[0\] \('random\.small\.drugs'\): unknown key 'log2'"):
        load_data_config(yml)


def test_missing_required_key(yml):
    yml.write_text(MOVE_YAML.replace('sample_names: random.small.ids\n', ''))
    with pytest.raises(DataError, match=re.escape(f"{yml}: missing required key 'sample_names'")):
        load_data_config(yml)


def test_no_datasets():
    with pytest.raises(DataError, match="no datasets"):
        load_data_config({'sample_names': 'ids'})


def test_entry_without_name(yml):
    yml.write_text(MOVE_YAML.replace('  - name: random.small.metagenomics\n    scale', '  - scale'))
    with pytest.raises(DataError, match=re.escape(f"{yml}: continuous_inputs[1]: dataset entry without 'name'")):
        load_data_config(yml)


def test_bad_values(yml):
    with pytest.raises(DataError, match=r"'scale' must be true or false"):
        load_data_config({'sample_names': 'i', 'continuous_inputs': [{'name': 'p', 'scale': 'yes please'}]})
    with pytest.raises(DataError, match=r"data config: dataset 'p': weight must be"):
        load_data_config({'sample_names': 'i', 'continuous_inputs': [{'name': 'p', 'weight': -2}]})
    with pytest.raises(DataError, match="dataset named more than once: p"):
        load_data_config({'sample_names': 'i', 'categorical_inputs': [{'name': 'p'}], 'continuous_inputs': [{'name': 'p'}]})


def test_missing_config_file(tmp_path):
    with pytest.raises(DataError, match="data config file not found"):
        load_data_config(tmp_path / 'nope.yaml')
