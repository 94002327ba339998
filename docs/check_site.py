"""Check the built site in a real headless browser: `python docs/check_site.py` (what `make docs-check` runs).

Serves docs/_build/html on localhost, opens the index and the tutorial page in Chromium (Debian's package, driven
by Playwright; no browser is downloaded), and fails unless every figure on them has loaded and has a size, the
tutorial shows at least as many figures as its executed notebook made, its formulas were typeset by MathJax, no
request left the machine or failed, and no notebook cell shows the same figure twice. Screenshots go to docs/_build/screenshots/.
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DOCS = Path(__file__).resolve().parent
HTML, SHOTS = DOCS / "_build" / "html", DOCS / "_build" / "screenshots"
TUTORIAL = "Tutorial_VAEs_for_biomedical_data_integration"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
# images in the article body: loaded, with a decoded size
FIGURES_JS = """() => Array.from(document.querySelectorAll('article img, main img')).map(i => (
    {src: i.getAttribute('src').slice(0, 80), ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth}))"""


def image_outputs(nb_path: Path) -> int:
    "How many image outputs (PNG, GIF, JPEG, SVG) an executed notebook holds."
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    return sum(any(k.startswith("image/") for k in o.get("data", {}))
               for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", []))


def repeated_figures(nb_path: Path) -> list[str]:
    "The cells of an executed notebook that show the same image twice (a figure returned and also auto-shown)."
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    out = []
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] != "code": continue
        images = [str(v) for o in c.get("outputs", []) for k, v in o.get("data", {}).items() if k.startswith("image/")]
        if len(images) != len(set(images)): out.append(c.get("id", str(i)))
    return out


def _serve(root: Path) -> tuple[ThreadingHTTPServer, str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def check_page(browser, base: str, path: str, shot: str, min_figures: int, need_math: bool) -> list[str]:
    "Open one page, take its screenshots and return what is wrong with it (an empty list when nothing is)."
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    failed, outside = [], []
    local = lambda url: url.startswith((base, "data:", "about:", "blob:"))
    page.on("requestfailed", lambda r: failed.append(r.url) if not r.url.startswith("about:") else None)
    page.on("request", lambda r: None if local(r.url) else outside.append(r.url))
    response = page.goto(f"{base}/{path}", wait_until="load")
    problems = [] if response and response.ok else [f"{path}: HTTP {response.status if response else 'no response'}"]
    page.wait_for_load_state("networkidle")
    if need_math:
        try: page.wait_for_selector(".MathJax, .MathJax_Display, mjx-container", timeout=20_000)
        except Exception: problems.append(f"{path}: no formula was typeset by MathJax")
    figures = page.evaluate(FIGURES_JS)
    broken = [f["src"] for f in figures if not f["ok"]]
    if broken: problems.append(f"{path}: {len(broken)} figure(s) did not load: {broken[:3]}")
    if len(figures) < min_figures: problems.append(f"{path}: {len(figures)} figure(s) on the page, expected at least {min_figures}")
    if failed: problems.append(f"{path}: {len(failed)} request(s) failed: {failed[:3]}")
    if outside: problems.append(f"{path}: {len(outside)} request(s) left the machine: {outside[:3]}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=shot == "index")
    first = page.locator("article img, main img").first
    if figures:
        first.scroll_into_view_if_needed(); page.screenshot(path=str(SHOTS / f"{shot}_first_figure.png"))
    print(f"{path}: {len(figures)} figure(s), {len(figures) - len(broken)} loaded; screenshots in {SHOTS.relative_to(DOCS.parent)}/{shot}*.png")
    page.close()
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chromium", default="/usr/bin/chromium", help="the browser to drive (default: Debian's chromium)")
    a = ap.parse_args(argv)
    if not (HTML / "index.html").exists():
        print(f"docs-check: {HTML / 'index.html'} is missing: run make docs first", file=sys.stderr); return 1
    if not Path(a.chromium).exists():
        print(f"docs-check: no browser at {a.chromium}: install Debian's chromium package or pass --chromium", file=sys.stderr); return 1
    from playwright.sync_api import sync_playwright
    tutorial_figures = image_outputs(DOCS / "_src" / "notebooks" / f"{TUTORIAL}.ipynb")
    problems = [f"{nb.name}: cell {cid} shows the same figure twice"
                for nb in sorted((DOCS / "_src" / "notebooks").glob("*.ipynb")) for cid in repeated_figures(nb)]
    server, base = _serve(HTML)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=a.chromium, headless=True, args=FLAGS)
            problems += check_page(browser, base, "index.html", "index", 1, False)
            problems += check_page(browser, base, f"notebooks/{TUTORIAL}.html", "tutorial", max(tutorial_figures, 1), True)
            browser.close()
    finally:
        server.shutdown()
    for p in problems: print(f"docs-check: {p}", file=sys.stderr)
    print("docs-check: passed" if not problems else f"docs-check: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
