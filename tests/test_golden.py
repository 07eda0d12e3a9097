"""Every public function reproduces the golden numbers of ``tests/reference/golden.json``.

The file holds a few thousand numbers (long distributions as digests) from every public function
on fixed inputs and seeds, in memory and on Dask, written by ``tests/reference/golden.py`` before
the execution layer was redesigned. Equality is exact (bit for bit): a refactoring must not move
a single number. A deliberate change is made by rewriting the file in the commit that names it.
"""

import importlib.util
import json
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parent / "reference"


def _golden_module():
    spec = importlib.util.spec_from_file_location("sigtest_golden", REFERENCE / "golden.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def computed():
    pytest.importorskip("dask.array")
    mod = _golden_module()
    return mod.summarize(mod.collect())


@pytest.fixture(scope="module")
def stored():
    return json.loads((REFERENCE / "golden.json").read_text())


def test_same_fields(computed, stored):
    assert sorted(set(stored) - set(computed)) == []
    assert sorted(set(computed) - set(stored)) == []


def test_every_number_bit_for_bit(computed, stored):
    differing = {
        key: (stored[key], computed[key])
        for key in stored
        if key in computed and computed[key] != stored[key]
    }
    shown = "\n".join(f"{k}: stored {a[:6]}, now {b[:6]}" for k, (a, b) in list(differing.items())[:10])
    assert not differing, f"{len(differing)} of {len(stored)} fields changed:\n{shown}"


def test_golden_detects_a_changed_number(stored):
    """The comparison can fail: one ulp in one stored number is a difference."""
    key = next(k for k, v in stored.items() if v and not v[0].startswith("sha"))
    value = float.fromhex(stored[key][0])
    bumped = [float.hex(value + abs(value) * 2.0**-52 + 5e-324)] + stored[key][1:]
    assert bumped != stored[key]
