"""Build the documentation site: `python docs/build_site.py` (what `make docs` runs).

1. Write the Sphinx sources into docs/_src: the index, one API page per library notebook (its title, its summary
   and autodoc entries for the names its module exports), the design notes, and the four narrative notebooks.
2. Execute the narrative notebooks in quick mode (VAES_BIOMED_QUICK=1), in nbs/ so that their relative paths hold,
   and keep the executed copies under docs/_build/executed; a copy is reused while the notebook and the package
   are unchanged. The committed notebooks stay clean.
3. Run sphinx-build with myst-nb and the book theme into docs/_build/html. Nothing is fetched from the network:
   MathJax comes from the sphinx-mathjax-offline package.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS, DOCS = ROOT / "nbs", ROOT / "docs"
SRC, BUILD = DOCS / "_src", DOCS / "_build"
NARRATIVE = ["Tutorial_VAEs_for_biomedical_data_integration", "MOVE_edits", "AMSC_analysis",
             "Toy_models_of_superposition"]
COLAB_CELL = "# Running in Google Colab?"


def _cells(nb_path: Path) -> list[dict]:
    return json.loads(nb_path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def library_notebooks() -> list[tuple[Path, str]]:
    "Each library notebook (one that exports a module) with the module it exports, in file order."
    out = []
    for nb in sorted(NBS.glob("[0-9]*.ipynb")):
        for cell in _cells(nb):
            for line in _source(cell).splitlines():
                if line.strip().startswith("#| default_exp"):
                    out.append((nb, line.split("default_exp", 1)[1].strip()))
                    break
            else:
                continue
            break
    return out


def notebook_title(nb: Path) -> tuple[str, str]:
    "The notebook's first '# ' heading and the '> ' summary line under it."
    for cell in _cells(nb):
        if cell["cell_type"] != "markdown": continue
        lines = _source(cell).splitlines()
        heads = [l for l in lines if l.startswith("# ")]
        if heads:
            summary = next((l[1:].strip() for l in lines if l.startswith(">")), "")
            return heads[0][2:].strip(), summary
    raise ValueError(f"{nb.name}: no '# ' title heading in any markdown cell")


def api_page(nb: Path, module: str) -> str:
    "The MyST source of one API page: the notebook's title and summary, then autodoc for the module's `__all__`."
    import importlib
    title, summary = notebook_title(nb)
    mod = importlib.import_module(f"vaes_biomed.{module}")
    names = list(getattr(mod, "__all__", []))
    lines = [f"# `vaes_biomed.{module}`: {title}", "", summary, "",
             f"Exported from [`nbs/{nb.name}`]({_github(nb)}); the notebook shows each function at work, with its tests.", ""]
    if not names:
        lines += ["This module exports no public names.", ""]
    for name in names:
        obj = getattr(mod, name)
        if isinstance(obj, type):
            lines += ["```{eval-rst}", f".. autoclass:: vaes_biomed.{module}.{name}", "   :members:", "```", ""]
        elif callable(obj):
            lines += ["```{eval-rst}", f".. autofunction:: vaes_biomed.{module}.{name}", "```", ""]
        else:   # a constant: its type's docstring would say nothing, so show its type and the start of its value
            value = repr(obj).replace("\n", " ")
            lines += ["```{eval-rst}", f".. py:data:: vaes_biomed.{module}.{name}", f"   :type: {type(obj).__name__}",
                      f"   :value: {value[:117] + '...' if len(value) > 120 else value}", "```", ""]
    return "\n".join(lines)


def _github(nb: Path) -> str:
    from configparser import ConfigParser
    cfg = ConfigParser(delimiters=["="]); cfg.read(ROOT / "settings.ini", encoding="utf-8")
    d = cfg["DEFAULT"]
    return f"{d['git_url']}/blob/{d['branch']}/nbs/{nb.name}"


def _fingerprint(nb: Path) -> str:
    h = hashlib.sha1(nb.read_bytes())
    for py in sorted((ROOT / "vaes_biomed").glob("*.py")): h.update(py.read_bytes())
    return h.hexdigest()


def execute_notebook(name: str, timeout: int = 1800) -> Path:
    "Run one narrative notebook in quick mode (cwd nbs/) and return its executed copy, reused while nothing changed."
    import nbformat
    from nbclient import NotebookClient
    src = NBS / f"{name}.ipynb"
    out_dir = BUILD / "executed"; out_dir.mkdir(parents=True, exist_ok=True)
    out, stamp = out_dir / src.name, out_dir / f"{name}.sha1"
    key = _fingerprint(src)
    if out.exists() and stamp.exists() and stamp.read_text() == key:
        print(f"  {name}: unchanged, executed copy reused"); return out
    nb = nbformat.read(src, as_version=4)
    os.environ.update(VAES_BIOMED_QUICK="1", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    t0 = time.time()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(NBS)}}).execute()
    nbformat.write(nb, out); stamp.write_text(key)
    print(f"  {name}: executed in quick mode in {time.time() - t0:.0f} s")
    return out


def terminal_text(text: str) -> str:
    "What a terminal would show for `text`: a carriage return rewrites its line, so a progress bar keeps its last state."
    return "\n".join(line.rsplit("\r", 1)[-1] if "\r" in line.rstrip("\r") else line.rstrip("\r") for line in text.split("\n"))


def merge_streams(outputs: list[dict]) -> list[dict]:
    "Join consecutive stream outputs of one stream and replay their carriage returns, as a terminal would."
    out = []
    for o in outputs:
        if o.get("output_type") == "stream" and out and out[-1].get("output_type") == "stream" and out[-1]["name"] == o["name"]:
            out[-1] = dict(out[-1], text=_text(out[-1]) + _text(o))
        else:
            out.append(dict(o))
    for o in out:
        if o.get("output_type") == "stream": o["text"] = terminal_text(_text(o))
    return out


def _text(o: dict) -> str:
    return "".join(o["text"]) if isinstance(o["text"], list) else o["text"]


def prepare_notebook(nb_path: Path, dest: Path) -> None:
    "Copy a notebook for the site: its Colab install cell tagged `remove-cell`, progress bars shown in their last state."
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] != "code": continue
        if _source(cell).startswith(COLAB_CELL):
            cell.setdefault("metadata", {}).setdefault("tags", []).append("remove-cell")
        cell["outputs"] = merge_streams(cell.get("outputs", []))
    dest.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def mathjax_file() -> Path:
    "MathJax 3 (TeX in, SVG out, glyphs built in) from the sphinx-mathjax-offline package: formulas render offline."
    from importlib.metadata import distribution
    f = Path(distribution("sphinx-mathjax-offline").locate_file("sphinx-mathjax-offline/static/mathjax/tex-svg-full.js"))
    if not f.exists(): raise FileNotFoundError(f"{f}: sphinx-mathjax-offline has no tex-svg-full.js")
    return f


def write_sources(executed: dict[str, Path]) -> None:
    "Write docs/_src: index, API pages, design notes, narrative notebooks, images, MathJax."
    if SRC.exists(): shutil.rmtree(SRC)
    (SRC / "api").mkdir(parents=True); (SRC / "notebooks").mkdir()
    shutil.copy(DOCS / "index.md", SRC / "index.md")
    shutil.copytree(ROOT / "images", SRC / "images")
    pages = []
    for nb, module in library_notebooks():
        (SRC / "api" / f"{nb.stem}.md").write_text(api_page(nb, module), encoding="utf-8"); pages.append(nb.stem)
    (SRC / "api" / "index.md").write_text("\n".join(
        ["# API reference", "", "One page per library notebook, in the order the modules build on each other.", "",
         "```{toctree}", ":maxdepth: 1", "", *pages, "```", ""]), encoding="utf-8")
    prepare_notebook(NBS / "design.ipynb", SRC / "design.ipynb")
    for name, path in executed.items(): prepare_notebook(path, SRC / "notebooks" / f"{name}.ipynb")
    (SRC / "_static").mkdir(); shutil.copy(mathjax_file(), SRC / "_static" / "tex-svg-full.js")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-execute", action="store_true", help="render the narrative notebooks without running them (a quick look at the layout)")
    a = ap.parse_args(argv)
    executed = {}
    print("executing the narrative notebooks (quick mode):")
    for name in NARRATIVE:
        executed[name] = NBS / f"{name}.ipynb" if a.skip_execute else execute_notebook(name)
    write_sources(executed)
    html = BUILD / "html"
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(DOCS), "-j", "auto", "--keep-going", "-W", str(SRC), str(html)]
    print(" ".join(cmd))
    rc = subprocess.call(cmd)
    if rc == 0: print(f"site built: {html / 'index.html'}  (view: python -m http.server -d {html.relative_to(ROOT)} 8000)")
    return rc


if __name__ == "__main__":
    sys.exit(main())
