"""Every public function documents itself for a paper: numpydoc sections, a DOI, a runnable example."""

import inspect

import pytest

import sigtest

FUNCTIONS = [n for n in sigtest.__all__ if inspect.isfunction(getattr(sigtest, n))]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_public_function_docstring(name):
    doc = inspect.getdoc(getattr(sigtest, name)) or ""
    for section in ("Parameters\n---", "Returns\n---", "References\n---", "Examples\n---"):
        assert section in doc, f"{name}: missing {section.splitlines()[0]}"
    assert ">>> " in doc, f"{name}: the example has no doctest"
    assert "doi" in doc.lower(), f"{name}: references without a DOI"


def test_every_public_name_is_exported_once():
    assert len(sigtest.__all__) == len(set(sigtest.__all__))
    for name in sigtest.__all__:
        assert hasattr(sigtest, name), name
