"""Sphinx configuration of the sigtest documentation.

Build locally with ``python -m sphinx -W docs docs/_build/html`` (needs ``pip install ".[docs]"``).
The notebooks of the gallery are rendered with the outputs committed in ``notebooks/``; they are
not executed here (the test suite executes them with nbmake).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if (ROOT / "sigtest" / "__init__.py").is_file():
    sys.path.insert(0, str(ROOT))

import sigtest  # noqa: E402
from docutils import nodes  # noqa: E402
from docutils.parsers.rst import Directive  # noqa: E402

project = "sigtest"
author = "The sigtest developers"
copyright = "the sigtest developers"
version = release = sigtest.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax served from the site itself: formulas render offline
    "numpydoc",
    "myst_nb",
]

source_suffix = {".rst": "restructuredtext", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints"]
templates_path = ["_templates"]

# Every cross-reference must resolve: unknown targets are warnings, and -W makes them errors.
nitpicky = True

# API reference: one page per public name, generated from the docstrings at build time.
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Types in Parameters/Returns link to their pages when they are sigtest's public classes.
numpydoc_xref_param_type = True
numpydoc_xref_ignore = "all"
numpydoc_xref_aliases = {
    name: f"sigtest.{name}"
    for name in sigtest.__all__
    if isinstance(getattr(sigtest, name), type) or name == "ReturnsLike"
}
numpydoc_validation_checks: set[str] = set()

# Gallery: every notebook of notebooks/ (SIGTEST_NOTEBOOKS names another folder), copied into
# gallery/ at each build (the copies are not tracked), rendered with its committed outputs and
# never executed here.
NOTEBOOKS = Path(os.environ.get("SIGTEST_NOTEBOOKS", ROOT / "notebooks"))
GALLERY = HERE / "gallery"
_wanted = {nb.name: nb for nb in NOTEBOOKS.glob("*.ipynb")}
for _old in GALLERY.glob("*.ipynb"):
    if _old.name not in _wanted:
        _old.unlink()
for _name, _nb in _wanted.items():
    _copy = GALLERY / _name
    if not _copy.exists() or _copy.read_bytes() != _nb.read_bytes():
        shutil.copyfile(_nb, _copy)

nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath"]

html_theme = "pydata_sphinx_theme"
html_title = f"sigtest {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False
html_copy_source = False

# numpydoc's single backticks: a link where the target exists, plain code otherwise (as numpy).
default_role = "autolink"

# No network at build time, hence no intersphinx: names of other libraries stay plain text.
nitpick_ignore_regex = [
    ("py:(class|obj|data|func)", r"(numpy|pandas|polars|dask|collections\.abc|typing|scipy)\..*"),
    # Private typing aliases and modules that public docstrings mention; not part of the API.
    ("py:data", r"(Measure|MeasureName|CIMethod|Remainder|Bootstrap|NanPolicy)"),
    ("py:mod", r"sigtest\._\w+"),
    ("py:(func|class|data|obj)", r"sigtest\._\w+\..*"),
    # numpydoc's built-in type links point into the Python and numpy docs (intersphinx, offline).
    ("py:(class|data|obj|func)", r"(python|numpy|scipy|pandas):.*"),
    ("std:(term|ref)", r"(python|numpy):.*"),
]


def _resolve_in_owner_module(app, env, node, contnode):
    """Resolve a short name in a docstring the way Python would: in the module that defines it.

    The API pages document ``sigtest.effective_trials`` (the public path), so Sphinx looks up a
    short target such as ``MAX_GRAM_SIZE`` in ``sigtest``; the docstring means
    ``sigtest.trials.MAX_GRAM_SIZE``. Only names documented on these pages are found, so a
    broken reference stays a warning (an error with ``-W``).
    """
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    source = node.source or ""
    if "docstring of " not in source or not target or target.startswith("."):
        return None
    owner = source.split("docstring of ", 1)[1].strip()
    domain = env.get_domain("py")
    parts = owner.split(".")
    for stop in range(len(parts) - 1, 0, -1):
        full = ".".join(parts[:stop]) + "." + target
        if full in domain.objects:
            node = node.deepcopy()
            node["reftarget"] = full
            return domain.resolve_xref(
                env, node.get("refdoc"), app.builder, node["reftype"], full, node, contnode
            )
    return None


class ReferencesDirective(Directive):
    """``.. sigtest-references::`` followed by names of ``sigtest._references``, one a line: the
    references as the library itself prints them (``Reference.text()``), so that the guide and
    ``cite()`` never disagree."""

    has_content = True

    def run(self):
        from sigtest import _references

        items = nodes.bullet_list()
        for name in (line.strip() for line in self.content):
            if not name:
                continue
            ref = getattr(_references, name, None)
            if ref is None:
                raise self.error(f"sigtest-references: no reference named {name!r}")
            para = nodes.paragraph(text=ref.text())
            items += nodes.list_item("", para)
        return [items]


def setup(app):
    app.connect("missing-reference", _resolve_in_owner_module)
    app.add_directive("sigtest-references", ReferencesDirective)
