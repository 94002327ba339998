"The README's Python example runs as written, in a project that `vaes-biomed init tutorial` wrote."
import re
from pathlib import Path

import pandas as pd

from vaes_biomed.tasks import init_project

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 1, "the README has one Python example"
    init_project("tutorial", tmp_path, n_samples=60)
    monkeypatch.chdir(tmp_path)
    # the shipped task trains 300 epochs; the example's code runs unchanged on a shortened copy of the task file
    task = tmp_path / "config" / "task" / "tutorial__id_assoc_ks.yaml"
    task.write_text(task.read_text().replace("num_epochs: 300", "num_epochs: 3"))
    scope = {}
    exec(compile(blocks[0], "README.md", "exec"), scope)
    result = scope["result"]
    assert len(result.associations) == 10 * 20 - 10 and result.trained.n_refits == 3
    written = pd.read_csv(tmp_path / "results" / "identify_associations" / "associations_ks.tsv", sep="\t")
    assert len(written) == len(result.associations)
    assert "feature_a" in capsys.readouterr().out
