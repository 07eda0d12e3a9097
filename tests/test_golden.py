"""Every public function reproduces the golden numbers of ``tests/reference/golden.json``.

The file holds a few thousand numbers (long distributions as digests) from every public function
on fixed inputs and seeds, in memory and on Dask, written by ``tests/reference/golden.py`` before
the execution layer was redesigned. In the environment that wrote it, equality is exact (bit for
bit): a refactoring must not move a single number. Across numpy releases the last bits of a sum
may move, so the comparison allows a relative 1e-12 (see :data:`RTOL`). A deliberate change is
made by rewriting the file in the commit that names it.
"""

import importlib.util
import json
import math
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


#: Relative tolerance of the comparison. In one environment the numbers are equal bit for bit;
#: another numpy release may sum in another order (its SIMD reductions) and move the last bits:
#: from numpy 2.3 to 2.4 the largest relative change of any stored number was 1.1e-14. A change
#: of method, seed handling or data path moves numbers by far more than 1e-12.
RTOL = 1e-12


def _differs(a: list[str], b: list[str]) -> bool:
    """Whether two stored fields differ beyond rounding. A long field's SHA-256 digest is
    compared only when every summary number (length, exact sum, extremes, first and last
    values) is bit-identical: then the environment sums alike and the bytes must match too."""
    if len(a) != len(b):
        return True
    exact = True
    for x, y in zip(a, b):
        if x.startswith("sha") or y.startswith("sha"):
            if exact and x != y:
                return True
            continue
        fx, fy = float.fromhex(x), float.fromhex(y)
        if fx == fy or (math.isnan(fx) and math.isnan(fy)):
            continue
        exact = False
        if not abs(fx - fy) <= RTOL * max(abs(fx), abs(fy)):
            return True
    return False


def test_every_number_within_rounding(computed, stored):
    differing = {
        key: (stored[key], computed[key])
        for key in stored
        if key in computed and _differs(stored[key], computed[key])
    }
    shown = "\n".join(f"{k}: stored {a[:6]}, now {b[:6]}" for k, (a, b) in list(differing.items())[:10])
    assert not differing, f"{len(differing)} of {len(stored)} fields changed:\n{shown}"


def test_golden_detects_a_changed_number(stored):
    """The comparison can fail: a relative change of 1e-11 in one number is a difference, one
    ulp is not, and a changed digest counts when the summary numbers are bit-identical."""
    key = next(k for k, v in stored.items() if v and not v[0].startswith("sha")
               and float.fromhex(v[0]) != 0)
    value = float.fromhex(stored[key][0])
    moved = [float.hex(value * (1 + 1e-11))] + stored[key][1:]
    ulp = [float.hex(math.nextafter(value, math.inf))] + stored[key][1:]
    assert _differs(stored[key], moved) and not _differs(stored[key], ulp)
    long_key = next(k for k, v in stored.items() if v[-1].startswith("sha"))
    other = stored[long_key][:-1] + ["sha256:" + "0" * 64]
    assert _differs(stored[long_key], other)
