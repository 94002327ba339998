"The repository's identity is written once: version and URL in settings.ini, and every copy of them agrees."
import configparser
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CFG = configparser.ConfigParser(delimiters=["="]); CFG.read(ROOT / "settings.ini")
URL, VERSION = CFG["DEFAULT"]["git_url"], CFG["DEFAULT"]["version"]
SLUG = URL.removeprefix("https://github.com/")


def test_version_has_one_source():
    import vaes_biomed
    assert vaes_biomed.__version__ == VERSION
    assert re.search(rf"^version: {re.escape(VERSION)}$", (ROOT / "CITATION.cff").read_text(), re.M)
    assert f"## {VERSION}" in (ROOT / "CHANGELOG.md").read_text()


def test_colab_badge_and_install_cells_use_the_repository_url():
    badges = re.findall(r"colab\.research\.google\.com/github/([^/]+/[^/]+)/blob/main/(nbs/\S+?\.ipynb)", (ROOT / "README.md").read_text())
    assert badges and all(slug == SLUG and (ROOT / path).is_file() for slug, path in badges), badges
    installs = []
    for nb in (ROOT / "nbs").glob("*.ipynb"):
        for cell in json.loads(nb.read_text())["cells"]:
            installs += re.findall(r"pip install -q git\+(\S+)", "".join(cell["source"]))
    assert installs and set(installs) == {URL}, installs
    assert f"repository-code: \"{URL}\"" in (ROOT / "CITATION.cff").read_text()


def test_license_matches_settings():
    assert CFG["DEFAULT"]["license"] == "mit" and (ROOT / "LICENSE").read_text().startswith("MIT License")
