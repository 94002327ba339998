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


# --- task configs -------------------------------------------------------------------------------------
from vaes_biomed.config import ConfigError, load_task_config, CONFIG_SETS

KS_TASK = """
defaults:
  - identify_associations_ks
model:
  num_hidden: [15]
  num_latent: 3
training_loop:
  lr: 1e-4
  num_epochs: 5
target_dataset: random.tutorial.Continuous_B
target_value: plus_std
"""


def write(tmp_path, text, name="task.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_task_typo_names_file_and_key(tmp_path):
    p = write(tmp_path, KS_TASK + "num_refit: 3\n")
    with pytest.raises(ConfigError, match=r"task\.yaml: 'num_refit': unknown key for a identify_associations_ks task"):
        load_task_config(p)


def test_task_nested_typo_and_bad_type(tmp_path):
    p = write(tmp_path, KS_TASK.replace("num_latent: 3", "num_latnt: 3"))
    with pytest.raises(ConfigError, match=r"'model\.num_latnt': unknown key"):
        load_task_config(p)
    p = write(tmp_path, KS_TASK.replace("num_epochs: 5", "num_epochs: five"))
    with pytest.raises(ConfigError, match=r"'training_loop\.num_epochs': expected int, got 'five'"):
        load_task_config(p)


def test_task_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="task config file not found"):
        load_task_config(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_task_config(write(tmp_path, "model: [1, 2\n"))


def test_task_type_from_defaults_with_or_without_schema():
    for name in ("identify_associations_bayes", "identify_associations_bayes_schema"):
        cfg = load_task_config({"defaults": [name], "target_dataset": "d", "target_value": "1"})
        assert cfg.type == "identify_associations_bayes"
    with pytest.raises(ConfigError, match=r"no task type in 'base_data'"):
        load_task_config({"defaults": ["base_data"]})


def test_overrides_and_move_interpolations(tmp_path):
    p = write(tmp_path, KS_TASK)
    cfg = load_task_config(p, ["task.model.cuda=true", "task.batch_size=16", "task.num_refits=2"])
    assert cfg.cuda is True and cfg.training.batch_size == 16 and cfg.num_refits == 2
    assert cfg.model.num_latent == 3
    with pytest.raises(ConfigError, match="expected key=value"):
        load_task_config(p, ["task.num_refits"])


@pytest.mark.parametrize("override, key", [
    ("task.batch_size=1", "batch_size"), ("task.model.dropout=1", "model.dropout"),
    ("task.training_loop.lr=0", "training_loop.lr"), ("task.num_refits=0", "num_refits"),
    ("task.sig_threshold=0", "sig_threshold"),
])
def test_impossible_settings_name_the_key(tmp_path, override, key):
    with pytest.raises(ConfigError, match=f"'{key}': must"):
        load_task_config(write(tmp_path, KS_TASK), [override])


def test_every_shipped_task_config_loads():
    n = 0
    for cs in CONFIG_SETS.values():
        for name, d in cs["task"].items():
            load_task_config(d, name=name); n += 1
    assert n >= 9


@pytest.mark.parametrize("text, key, message", [
    ("delta: -0.1\n", "delta", "delta must be a number >= 0"),
    ("delta: big\n", "delta", "delta must be a number >= 0"),
    ("delta: .nan\n", "delta", "delta must be a number >= 0"),
    ("decision: bh\n", "decision", r"unknown decision 'bh' \(one of effect, move\)"),
    ("num_refits: 3\nmin_refit_agreement: 4\n", "min_refit_agreement", r"min_refit_agreement must be a whole number from 0 to num_refits \(3\), got 4"),
])
def test_bad_decision_keys_name_the_file_and_key(tmp_path, text, key, message):
    "A bad delta, an unknown decision and a min_refit_agreement above num_refits: one line naming the file and the key."
    p = write(tmp_path, KS_TASK + text)
    with pytest.raises(ConfigError, match=rf"task\.yaml: '{key}': {message}") as e:
        load_task_config(p)
    assert "\n" not in str(e.value)


def test_bad_bayes_probability_unit(tmp_path):
    bayes = KS_TASK.replace("identify_associations_ks", "identify_associations_bayes")
    with pytest.raises(ConfigError, match=r"'probability_unit': unknown probability unit 'cells' \(one of auto, refits, samples\)"):
        load_task_config(write(tmp_path, bayes + "probability_unit: cells\n"))
    assert load_task_config(write(tmp_path, bayes + "probability_unit: samples\n")).probability_unit == "samples"


def test_decision_keys_defaults_and_values(tmp_path):
    cfg = load_task_config(write(tmp_path, KS_TASK))
    assert (cfg.decision, cfg.delta, cfg.min_refit_agreement) == ("effect", None, 0)
    cfg = load_task_config(write(tmp_path, KS_TASK + "decision: MOVE\ndelta: 0.1\nnum_refits: 4\nmin_refit_agreement: 4\n"))
    assert (cfg.decision, cfg.delta, cfg.min_refit_agreement) == ("move", 0.1, 4)
    assert load_task_config(write(tmp_path, KS_TASK + "delta: auto\n")).delta is None


def test_a_data_config_names_one_scverse_file(tmp_path):
    (tmp_path / "data.yaml").write_text("mudata_path: a.h5mu\nanndata_path: b.h5ad\ncontinuous_inputs:\n  - name: rna\n")
    with pytest.raises(DataError, match=r"data.yaml: give 'mudata_path' or 'anndata_path', not both \(got 'a.h5mu' and 'b.h5ad'\)"):
        load_data_config(tmp_path / "data.yaml", base_dir=tmp_path)


@pytest.mark.parametrize("key, value, message", [
    ("executor", "dask", "'executor': must be 'local' (this machine's cores) or 'ray' (a Ray cluster), got 'dask'"),
    ("workers", 0, "'workers': must be a whole number >= 1"),
    ("workers", "many", "'workers': must be a whole number >= 1")])
def test_bad_executor_settings_name_the_file_and_key(tmp_path, key, value, message):
    from vaes_biomed.config import ConfigError, load_task_config
    f = tmp_path / "tune.yaml"
    f.write_text(yaml.safe_dump({"defaults": ["tune_model_reconstruction"], "grid": {"model.num_latent": [2, 3]}, key: value}))
    with pytest.raises(ConfigError) as e:
        load_task_config(f)
    assert str(f) in str(e.value) and message in str(e.value) and "\n" not in str(e.value)


def test_executor_keys_reach_the_run_settings(tmp_path):
    from vaes_biomed.config import load_task_config
    from vaes_biomed.tasks import _run
    f = tmp_path / "tune.yaml"
    f.write_text(yaml.safe_dump({"defaults": ["tune_model_stability"], "grid": {"model.num_latent": [2, 3]},
                                 "executor": "ray", "workers": "2", "ray_address": "ray://head:10001"}))
    run = _run(load_task_config(f), "cpu", True)
    assert (run.executor, run.workers, run.ray_address, run.n_refits) == ("ray", 2, "ray://head:10001", 3)
