"""Make the checkout's sigtest importable by the notebook kernels that nbmake starts.

pytest puts this folder on sys.path for the tests; the kernels are separate processes, so they
get it through PYTHONPATH. In CI the installed package and the checkout are the same code.
"""

import os
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent)
_paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
if _ROOT not in _paths:
    os.environ["PYTHONPATH"] = os.pathsep.join([_ROOT, *_paths])
