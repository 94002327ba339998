"The package's structure: imports run one way (in notebook order), config and CLI help start without torch, short signatures."
import ast
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "vaes_biomed"


def module_order() -> dict[str, str]:
    "Each exported module -> the name of the notebook that writes it (whose sort order is the dependency order)."
    out = {}
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            src = "".join(cell["source"])
            if src.startswith("#| default_exp"): out[src.split()[2]] = nb.stem
    return out


def package_imports(path: Path, top_level_only: bool) -> set[str]:
    "The vaes_biomed modules a module imports (relative or absolute), at the top level or anywhere."
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module: found.add(node.module.split(".")[0])
            elif node.module and node.module.startswith("vaes_biomed."): found.add(node.module.split(".")[1])
    return found


def test_imports_follow_the_notebook_order():
    order = module_order()
    assert {"settings", "config", "tasks", "cli", "training", "associations"} <= set(order)
    late = []
    for mod, nb in order.items():
        for dep in package_imports(PKG / f"{mod}.py", top_level_only=False):
            if dep in order and order[dep] >= nb: late.append(f"{mod} ({nb}) imports {dep} ({order[dep]})")
    # cli imports tasks and demo lazily, demo imports tasks: every import points to an earlier notebook
    assert not late, late


def test_no_import_cycle():
    graph = {m: package_imports(PKG / f"{m}.py", top_level_only=False) for m in module_order()}
    seen, stack = set(), []
    def visit(m):
        if m in stack: raise AssertionError(f"import cycle: {' -> '.join(stack[stack.index(m):] + [m])}")
        if m in seen or m not in graph: return
        stack.append(m)
        for d in graph[m]: visit(d)
        stack.pop(); seen.add(m)
    for m in graph: visit(m)


@pytest.mark.parametrize("code", ["import vaes_biomed.config", "import vaes_biomed.settings",
                                  "from vaes_biomed.cli import main; main(['--help'])"])
def test_config_and_help_load_neither_torch_nor_matplotlib(code):
    probe = f"import sys, io, contextlib\nwith contextlib.redirect_stdout(io.StringIO()): {code}\n" \
            "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", (code, out)


def test_public_functions_take_at_most_eight_parameters():
    import importlib
    too_long = []
    for mod in module_order():
        m = importlib.import_module(f"vaes_biomed.{mod}")
        for name in getattr(m, "__all__", []):
            obj = getattr(m, name)
            if not inspect.isfunction(obj) or name.startswith("plot_") or obj.__module__ != m.__name__: continue
            n = len(inspect.signature(obj).parameters)
            if n > 8: too_long.append(f"{mod}.{name}: {n}")
    assert not too_long, too_long
