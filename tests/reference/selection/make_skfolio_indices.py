"""Reference train/test indices for ``tests/test_selection.py``, produced by skfolio.

Run from the repository root with skfolio installed (``pip install skfolio``; these values come
from skfolio 1.12.2)::

    python tests/reference/selection/make_skfolio_indices.py

It writes ``skfolio_indices.json`` next to this file: for each case the settings, and per split
the training indices, the test indices (one list per test group, in time order) and, for
combinatorial purged cross-validation, the path id of each test group. The tests read the JSON,
so CI does not need skfolio.
"""

import json
from pathlib import Path

import numpy as np
import skfolio
from skfolio.model_selection import CombinatorialPurgedCV, WalkForward

CPCV_CASES = [
    # n_obs, n_folds, n_test_folds, purged_size, embargo_size
    (60, 6, 2, 0, 0),
    (63, 6, 2, 2, 1),      # T not divisible: the last group holds the 3 extra rows
    (100, 5, 3, 1, 3),
    (200, 20, 2, 1, 2),    # 190 splits, 19 paths
    (47, 4, 2, 3, 0),
    (90, 6, 4, 0, 5),
]

WALK_FORWARD_CASES = [
    # n_obs, train_size, test_size, purged_size, expand_train
    (100, 30, 10, 0, False),
    (103, 25, 7, 3, True),
    (50, 10, 5, 2, False),
    (64, 20, 11, 0, True),
]


def main() -> None:
    out = {"skfolio_version": skfolio.__version__, "cpcv": [], "walk_forward": []}
    for n_obs, n_folds, n_test, purged, embargo in CPCV_CASES:
        cv = CombinatorialPurgedCV(n_folds=n_folds, n_test_folds=n_test, purged_size=purged,
                                   embargo_size=embargo)
        x = np.zeros((n_obs, 1))
        splits = [
            {"train": train.tolist(), "test": [t.tolist() for t in tests]}
            for train, tests in cv.split(x)
        ]
        out["cpcv"].append({
            "n_obs": n_obs, "n_groups": n_folds, "n_test_groups": n_test, "purge": purged,
            "embargo": embargo, "n_splits": cv.n_splits, "n_paths": cv.n_test_paths,
            "path_ids": cv.get_path_ids().tolist(), "splits": splits,
        })
    for n_obs, train, test, purged, expand in WALK_FORWARD_CASES:
        cv = WalkForward(train_size=train, test_size=test, purged_size=purged,
                         expand_train=expand)
        x = np.zeros((n_obs, 1))
        splits = [{"train": tr.tolist(), "test": te.tolist()} for tr, te in cv.split(x)]
        out["walk_forward"].append({
            "n_obs": n_obs, "train": train, "test": test, "purged_size": purged,
            "anchored": expand, "splits": splits,
        })
    path = Path(__file__).with_name("skfolio_indices.json")
    path.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
