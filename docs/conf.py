"Sphinx configuration of the documentation site (myst-nb, the book theme), built by docs/build_site.py."
from configparser import ConfigParser
from pathlib import Path

_cfg = ConfigParser(delimiters=["="])
_cfg.read(Path(__file__).resolve().parents[1] / "settings.ini", encoding="utf-8")
_s = _cfg["DEFAULT"]

project = _s["lib_name"]
author = _s["author"]
copyright = _s["copyright"]
release = version = _s["version"]

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# the narrative notebooks arrive executed (quick mode) from build_site.py; the design notes are prose only
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
nb_merge_streams = True
# nbdev docstrings use single backticks for code
default_role = "literal"
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"exclude-members": "__init__, __new__, __weakref__, __dict__, __dataclass_fields__"}

html_theme = "sphinx_book_theme"
html_title = f"{project} {version}"
html_theme_options = {
    "repository_url": _s["git_url"],
    "repository_branch": _s["branch"],
    "path_to_docs": "docs",
    "use_repository_button": True,
    "show_toc_level": 2,
}
# build_site.py copies the static files (MathJax) into the generated sources
html_static_path = [str(Path(__file__).resolve().parent / "_src" / "_static")]
# MathJax 3 copied into _static by build_site.py; its SVG output carries its own glyphs, so nothing is fetched
mathjax_path = "tex-svg-full.js"
suppress_warnings = ["mystnb.unknown_mime_type", "misc.highlighting_failure"]


def _markdown_docstring(app, what, name, obj, options, lines):
    "nbdev docstrings are Markdown: keep `|x|` (an absolute value) from being read as an rST substitution."
    import re
    for i, line in enumerate(lines):
        parts = line.split("`")                  # even parts lie outside backticks
        lines[i] = "`".join(re.sub(r"(?<!\\)\|", r"\\|", p) if k % 2 == 0 else p for k, p in enumerate(parts))


def setup(app):
    app.connect("autodoc-process-docstring", _markdown_docstring)
