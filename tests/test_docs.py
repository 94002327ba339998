"The documentation site's sources: an API page for every library notebook, naming everything its module exports."
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"docs_{name}", ROOT / "docs" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod


build_site, conf, check_site = _load("build_site"), _load("conf"), _load("check_site")


def test_every_module_has_one_library_notebook():
    modules = sorted(p.stem for p in (ROOT / "vaes_biomed").glob("*.py") if not p.stem.startswith("_"))
    exported = [m for _, m in build_site.library_notebooks()]
    assert sorted(exported) == modules, set(modules) ^ set(exported)


@pytest.mark.parametrize("nb,module", build_site.library_notebooks(), ids=lambda v: getattr(v, "stem", v))
def test_api_page_documents_every_exported_name(nb, module):
    page = build_site.api_page(nb, module)
    mod = importlib.import_module(f"vaes_biomed.{module}")
    title, _ = build_site.notebook_title(nb)
    assert page.startswith(f"# `vaes_biomed.{module}`: {title}")
    for name in mod.__all__:
        obj = getattr(mod, name)
        kind = "autoclass" if isinstance(obj, type) else "autofunction" if callable(obj) else "py:data"
        assert f".. {kind}:: vaes_biomed.{module}.{name}\n" in page, name


def test_constants_show_their_type_and_a_short_value():
    nb = ROOT / "nbs" / "00a_settings.ipynb"
    page = build_site.api_page(nb, "settings")
    entry = page.split(".. py:data:: vaes_biomed.settings.METHODS\n", 1)[1].split("```", 1)[0]
    assert ":type: tuple" in entry and "'bayes'" in entry
    long = page.split(".. py:data:: vaes_biomed.settings.GRID_KEYS\n", 1)[1].split("```", 1)[0]
    value = long.split(":value: ", 1)[1].strip()
    assert len(value) <= 120 and value.endswith("...")


def test_a_notebook_without_a_title_is_named(tmp_path):
    nb = tmp_path / "99_untitled.ipynb"
    nb.write_text(json.dumps({"cells": [{"cell_type": "markdown", "source": "no heading here", "metadata": {}}]}))
    with pytest.raises(ValueError, match="99_untitled.ipynb: no '# ' title"):
        build_site.notebook_title(nb)


def test_markdown_docstrings_keep_absolute_values():
    lines = ["the largest |KS| over refits, `a|b` kept as code", r"already \|escaped\|"]
    conf._markdown_docstring(None, "function", "f", None, {}, lines)
    assert lines == [r"the largest \|KS\| over refits, `a|b` kept as code", r"already \|escaped\|"]


def test_image_outputs_counts_every_figure_kind(tmp_path):
    out = lambda mime: {"output_type": "display_data", "data": {mime: "x"}, "metadata": {}}
    nb = {"cells": [{"cell_type": "code", "outputs": [out("image/png"), out("text/plain"), out("image/gif")]},
                    {"cell_type": "markdown", "source": "![](a.png)"},
                    {"cell_type": "code", "outputs": [{"output_type": "stream", "text": "hi"}, out("image/svg+xml")]}]}
    p = tmp_path / "nb.ipynb"; p.write_text(json.dumps(nb))
    assert check_site.image_outputs(p) == 3


def test_the_colab_cell_is_hidden_on_the_site(tmp_path):
    dest = tmp_path / "t.ipynb"
    build_site.prepare_notebook(ROOT / "nbs" / "Tutorial_VAEs_for_biomedical_data_integration.ipynb", dest)
    cells = json.loads(dest.read_text())["cells"]
    tagged = [c for c in cells if "remove-cell" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and "".join(tagged[0]["source"]).startswith(build_site.COLAB_CELL)


def test_repeated_figures_names_the_cell(tmp_path):
    png = lambda v: {"output_type": "display_data", "data": {"image/png": v}, "metadata": {}}
    nb = {"cells": [{"cell_type": "code", "id": "once", "outputs": [png("a"), png("b")]},
                    {"cell_type": "code", "id": "twice", "outputs": [png("a"), {"output_type": "execute_result", "data": {"image/png": "a"}}]}]}
    p = tmp_path / "nb.ipynb"; p.write_text(json.dumps(nb))
    assert check_site.repeated_figures(p) == ["twice"]


def test_progress_bars_keep_their_last_state():
    bar = [{"output_type": "stream", "name": "stderr", "text": "\rtraining:   0%|  | 0/10"},
           {"output_type": "stream", "name": "stderr", "text": "\rtraining:  50%|# | 5/10"},
           {"output_type": "stream", "name": "stderr", "text": "\rtraining: 100%|##| 10/10\n"},
           {"output_type": "stream", "name": "stdout", "text": "trained\r\n"},
           {"output_type": "display_data", "data": {"text/plain": "x"}, "metadata": {}},
           {"output_type": "stream", "name": "stdout", "text": "after\n"}]
    out = build_site.merge_streams(bar)
    assert [o.get("name") for o in out] == ["stderr", "stdout", None, "stdout"]
    assert out[0]["text"] == "training: 100%|##| 10/10\n" and out[1]["text"] == "trained\n" and out[3]["text"] == "after\n"
