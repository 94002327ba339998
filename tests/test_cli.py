"The vaes-biomed command: MOVE configs in, one clear line out for every config mistake."
import pandas as pd
import pytest

from vaes_biomed.cli import main
from vaes_biomed.tasks import init_project, run_command
from vaes_biomed.config import CONFIG_SETS, ConfigError, load_data_config, load_task_config

FAST = ["task.training_loop.num_epochs=1", "task.training_loop.kld_warmup_steps=[]",
        "task.training_loop.batch_dilation_steps=[]", "--quiet"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tutorial")
    init_project("tutorial", folder, n_samples=60)
    return folder


def test_init_writes_loadable_configs(project):
    cfg = load_data_config(project / "config" / "data" / "tutorial.yaml", base_dir=project)
    assert len(cfg.specs) == 4
    for name in CONFIG_SETS["tutorial"]["task"]:
        load_task_config(project / "config" / "task" / f"{name}.yaml")


def test_written_data_config_is_move_compatible(project):
    text = (project / "config" / "data" / "tutorial.yaml").read_text()
    assert text.startswith("defaults:\n- base_data") and "weight: 1\n" in text


def error_line(capsys, project, monkeypatch, *args):
    monkeypatch.chdir(project)
    assert main(list(args)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_unknown_task_type(project, capsys, monkeypatch):
    (project / "config" / "task" / "bad_type.yaml").write_text("defaults:\n  - identify_everything\n")
    err = error_line(capsys, project, monkeypatch, "task=bad_type", "data=tutorial")
    assert "bad_type.yaml: 'defaults': no task type in 'identify_everything'" in err


def test_unknown_dataset(project, capsys, monkeypatch):
    err = error_line(capsys, project, monkeypatch, "task=tutorial__id_assoc_ks", "data=tutorial",
                     "task.target_dataset=random.tutorial.Continuous_Z", *FAST)
    assert "tutorial__id_assoc_ks.yaml: 'target_dataset': unknown dataset 'random.tutorial.Continuous_Z'" in err


def test_target_value_of_the_wrong_kind(project, capsys, monkeypatch):
    err = error_line(capsys, project, monkeypatch, "task=tutorial__id_assoc_ks", "data=tutorial",
                     "task.target_dataset=random.tutorial.Categorical_A", *FAST)
    assert "'target_value': 'plus_std' is not a class of categorical dataset" in err
    err = error_line(capsys, project, monkeypatch, "task=tutorial__id_assoc_ks", "data=tutorial",
                     "task.target_value=1", *FAST)
    assert "'target_value': '1' is not a perturbation of continuous dataset" in err


def test_invalid_perturbation_type(project, capsys, monkeypatch):
    err = error_line(capsys, project, monkeypatch, "task=tutorial__id_assoc_ks", "data=tutorial",
                     "task.target_value=plus_2std", *FAST)
    assert "minimum, maximum, plus_std, minus_std" in err


@pytest.mark.parametrize("value", ["-0.1", "1.5", "0", "1"])
def test_threshold_outside_unit_interval(project, capsys, monkeypatch, value):
    err = error_line(capsys, project, monkeypatch, "task=tutorial__id_assoc_ks", "data=tutorial",
                     f"task.sig_threshold={value}", *FAST)
    assert "'sig_threshold': must be in (0, 1)" in err


def test_ttest_needs_four_latent_sizes(project, capsys, monkeypatch):
    err = error_line(capsys, project, monkeypatch, "task=tutorial__id_assoc_ttest", "data=tutorial",
                     "task.model.num_latent=[2,3]", *FAST)
    assert "tutorial__id_assoc_ttest.yaml: 'model.num_latent': the t-test needs exactly 4 latent sizes" in err


def test_missing_data_config_and_bad_argument(project, capsys, monkeypatch):
    err = error_line(capsys, project, monkeypatch, "task=tutorial__latent", "data=nope")
    assert "config/data/nope.yaml" in err
    err = error_line(capsys, project, monkeypatch, "task=tutorial__latent", "data=tutorial", "epochs=3")
    assert "'epochs': unknown argument" in err


def test_unknown_feature_name_warns_and_continues(project):
    with pytest.warns(UserWarning, match=r"tutorial__latent\.yaml: 'feature_names': no dataset has feature\(s\) Continuous_Q_1"):
        out = run_command(["task=tutorial__latent", "data=tutorial", "task.feature_names=[Continuous_Q_1,Continuous_B_1]",
                           "task.reducer=pca", *FAST], cwd=project)
    assert (project / "results" / "latent_space" / "latent_space_Continuous_B_1.png").is_file()
    assert out["type"] == "analyze_latent"


def test_explicit_weights_must_match_the_datasets(project):
    with pytest.raises(ConfigError, match="'model.continuous_weights': 3 weights for 2 continuous datasets"):
        run_command(["task=tutorial__id_assoc_ks", "data=tutorial", "task.model.continuous_weights=[1,2,3]", *FAST],
                    cwd=project)


def test_init_command_and_its_bad_arguments(tmp_path, capsys):
    assert main(["init", "tutorial", "--dir", str(tmp_path), "--n-samples", "40"]) == 0
    assert len((tmp_path / "data" / "random.tutorial.ids.txt").read_text().split()) == 40
    with pytest.raises(SystemExit) as e:
        main(["init", "tutorial", "--n-samples", "forty"])
    assert e.value.code == 2 and "invalid int value: 'forty'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["init", "amsc_real"])
    assert "invalid choice: 'amsc_real'" in capsys.readouterr().err


def test_decoding_key_is_checked_and_used(project, capsys, monkeypatch):
    err = error_line(capsys, project, monkeypatch, "task=tutorial__id_assoc_ks", "data=tutorial", "task.decoding=random", *FAST)
    assert "'decoding': must be 'mean' (decode the latent means) or 'sampled' (as MOVE), got 'random'" in err
    tables = {}
    for decoding in ("mean", "sampled"):
        run_command(["task=tutorial__id_assoc_ks", "data=tutorial", f"task.decoding={decoding}", *FAST], cwd=project)
        t = pd.read_csv(project / "results" / "identify_associations" / "results_all_assoc_ks.tsv", sep="\t")
        tables[decoding] = t.set_index(["feature_a_name", "feature_b_name"]).ks_distance.sort_index()
    assert not tables["mean"].equals(tables["sampled"])   # the key reached the statistics


def test_errors_from_inside_a_task_are_one_line(project, capsys, monkeypatch):
    # a batch larger than the data is refused by the training loop: still one line, no traceback
    err = error_line(capsys, project, monkeypatch, "task=tutorial__id_assoc_ks", "data=tutorial",
                     "task.batch_size=500", *FAST)
    assert "batch_size 500 is larger than the 60 training samples" in err


# --- init amsc -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def amsc_project(tmp_path_factory):
    import warnings
    from vaes_biomed.data import DataWarning
    folder = tmp_path_factory.mktemp("amsc")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)          # preprocessing counts what it drops
        out = init_project("amsc", folder, seed=7)
    return folder, out


def test_init_amsc_writes_a_runnable_project(amsc_project):
    folder, out = amsc_project
    assert set(out) == set(CONFIG_SETS["amsc"]["task"]) | {"data_config", "ground_truth", "raw", "kept"}
    assert out["kept"] == []
    assert out["ground_truth"] == folder / "raw" / "amsc_truth.tsv" and out["ground_truth"].is_file()
    assert {"matched", "variants", "prs", "truth"} <= set(out["raw"])
    cfg = load_data_config(out["data_config"], base_dir=folder)
    assert [s.name for s in cfg.specs] == ["cellType", "FFA", "Day", "RNA", "Cells", "Cyto", "PRS"]
    for name in CONFIG_SETS["amsc"]["task"]:
        load_task_config(folder / "config" / "task" / f"{name}.yaml")
    ids = (folder / "data" / "amsc_ids.txt").read_text().split()
    assert 200 < len(ids) < 350
    header = (folder / "data" / "RNA.tsv").read_text().split("\n", 1)[0].split("\t")
    assert header[0] == "ID" and 300 < len(header) - 1 < 600          # ~25% of the expressed genes of 3000


def test_init_amsc_is_seeded(amsc_project, tmp_path):
    import warnings
    from vaes_biomed.data import DataWarning
    folder, out = amsc_project
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        other = init_project("amsc", tmp_path, seed=8)
    assert other["raw"]["matched"].read_bytes() != out["raw"]["matched"].read_bytes()


def test_init_amsc_runs_a_task(amsc_project):
    folder, _ = amsc_project
    out = run_command(["task=amsc__latent", "data=amsc", "task.reducer=pca", "task.model.num_hidden=[32]",
                       "task.model.num_latent=4", *FAST], cwd=folder)
    assert out["type"] == "analyze_latent"
    assert (folder / "results" / "latent_space" / "latent_space_Day.png").is_file()


def test_init_amsc_refuses_n_samples(tmp_path, capsys):
    with pytest.raises(ConfigError, match="init amsc: n_samples does not apply"):
        init_project("amsc", tmp_path, n_samples=100)
    assert not (tmp_path / "config").exists()                  # refused before writing anything
    assert main(["init", "amsc", "--dir", str(tmp_path), "--n-samples", "100"]) == 2
    assert "n_samples does not apply" in capsys.readouterr().err


def test_init_keeps_edited_files_and_force_replaces_them(tmp_path, capsys):
    "A second `init` keeps an edited task config and the data, and lists them; --force writes them afresh."
    assert main(["init", "tutorial", "--dir", str(tmp_path), "--n-samples", "30"]) == 0
    task = tmp_path / "config" / "task" / "tutorial__latent.yaml"
    ids = tmp_path / "data" / "random.tutorial.ids.txt"
    task.write_text(task.read_text() + "# my edit\n")
    capsys.readouterr()
    assert main(["init", "tutorial", "--dir", str(tmp_path), "--n-samples", "50"]) == 0
    out = capsys.readouterr().out
    assert "# my edit" in task.read_text() and len(ids.read_text().split()) == 30
    assert "--force replaces them" in out and str(task) in out
    assert main(["init", "tutorial", "--dir", str(tmp_path), "--n-samples", "50", "--force"]) == 0
    assert "# my edit" not in task.read_text() and len(ids.read_text().split()) == 50


def test_messages_go_through_logging_and_quiet_silences_them(project, capsys, monkeypatch):
    "The command's messages are log records (logger vaes_biomed, INFO) shown on stdout; --quiet keeps only the summary."
    monkeypatch.chdir(project)
    assert main(["task=encode_data", "data=tutorial"]) == 0
    out = capsys.readouterr().out
    assert "loaded 4 encoded datasets from the cache" in out or "encoded 4 datasets for" in out, out
    assert main(["task=encode_data", "data=tutorial", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "loaded 4 encoded" not in out and "encoded 4 datasets" not in out and "task: encode_data" in out, out
