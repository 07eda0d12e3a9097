"""The documentation site builds without a warning, documents every public name and has no broken
internal link; the code on the guide pages runs.

The site is built once per session, as the README says (``python -m sphinx -W``), from a copy of
``docs/`` in a temporary folder, so the build leaves nothing in the checkout.
"""

from __future__ import annotations

import doctest
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import sigtest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GUIDE_PAGES = sorted((DOCS / "guide").glob("*.rst"))
CODE_PAGES = [DOCS / "index.rst", *GUIDE_PAGES, DOCS / "peers.rst"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

pytest.importorskip("sphinx", reason="the docs extra (pip install '.[docs]') builds the site")
pytest.importorskip("numpydoc")
pytest.importorskip("myst_nb")
pytest.importorskip("pydata_sphinx_theme")
pytest.importorskip("sphinx-mathjax-offline")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the HTML site with warnings as errors; return the output folder."""
    work = tmp_path_factory.mktemp("docs")
    src = work / "docs"
    shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns("_build", "generated", "*.ipynb"))
    out = work / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-E", "-b", "html",
           "-d", str(work / "doctrees"), str(src), str(out)]
    env = {**os.environ, "SIGTEST_NOTEBOOKS": str(ROOT / "notebooks")}  # the gallery's source
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"sphinx -W failed:\n{proc.stdout}\n{proc.stderr}"
    assert "WARNING" not in proc.stderr, proc.stderr
    return out


def test_every_public_name_has_an_api_page(site):
    generated = site / "api" / "generated"
    names = (p.name[len("sigtest."):-len(".html")] for p in generated.glob("sigtest.*.html"))
    pages = {n for n in names if "." not in n}  # sigtest.datasets.* are documented too
    assert pages == set(sigtest.__all__), (
        f"missing from docs/api/index.rst: {sorted(set(sigtest.__all__) - pages)}; "
        f"not public: {sorted(pages - set(sigtest.__all__))}"
    )


def test_api_pages_show_the_docstrings(site):
    # A page generated from a failed import is an empty shell: each function page must carry its
    # parameters, its references and its runnable example.
    for name in sigtest.__all__:
        obj = getattr(sigtest, name)
        if not inspect.isfunction(obj):
            continue
        html = (site / "api" / "generated" / f"sigtest.{name}.html").read_text(encoding="utf-8")
        for heading in ("Parameters", "Returns", "References", "Examples"):
            assert f">{heading}" in html, f"sigtest.{name}: no {heading} section on its page"
        assert "&gt;&gt;&gt;" in html, f"sigtest.{name}: no example on its page"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key == "id" and value:
                self.ids.add(value)
            if key == "name" and tag == "a" and value:
                self.ids.add(value)
            if value and ((key == "href" and tag == "a") or (key == "src" and tag == "img")):
                self.links.append(value)


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_internal_links_resolve(site):
    # The offline linkcheck: every relative link of every page points at a file of the site, and
    # every #fragment at an id on the target page (sphinx's linkcheck builder would only list them).
    pages = {p: _parse(p) for p in site.rglob("*.html")}
    broken = []
    n_checked = 0
    for page, parsed in pages.items():
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith("mailto:"):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            n_checked += 1
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {link} (no such file)")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(site)}: {link} (no such anchor)")
    assert n_checked > 500, n_checked
    assert not broken, "\n".join(broken[:50])


def test_gallery_shows_the_committed_outputs(site):
    for nb_path in NOTEBOOKS:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        n_images = sum(
            "image/png" in out.get("data", {})
            for cell in nb["cells"] if cell["cell_type"] == "code"
            for out in cell.get("outputs", [])
        )
        html = (site / "gallery" / f"{nb_path.stem}.html").read_text(encoding="utf-8")
        assert len(re.findall(r"<img[^>]+\.png", html)) >= n_images, nb_path.name
        gallery = (site / "gallery" / "index.html").read_text(encoding="utf-8")
        assert f'href="{nb_path.stem}.html"' in gallery, f"{nb_path.name} is not in the gallery"


def test_guide_lists_its_pages(site):
    index = (site / "guide" / "index.html").read_text(encoding="utf-8")
    for page in GUIDE_PAGES:
        if page.stem != "index":
            assert f'href="{page.stem}.html"' in index, f"{page.name} is not in the guide's toctree"


@pytest.mark.parametrize("page", CODE_PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_code_on_the_page_runs(page):
    # Every ``>>>`` example of the guide and of the comparison page is a doctest (the pages print
    # rounded numbers, so the standard library's options suffice).
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    text = page.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=flags)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{page.name}: {result.failed} of {result.attempted} examples failed"
    if page.parent.name != "guide" or page.stem != "index":
        assert result.attempted > 0, f"{page.name} has no runnable example"


def test_readme_says_how_to_build_the_site():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python -m sphinx -W docs docs/_build/html" in readme
    assert '".[docs]"' in readme
