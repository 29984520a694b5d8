"""The rows ``vitrine-dataset`` wrote, as padded arrays of groups.

Python never computes a feature or the rule score: both come from the Rust binary, which
runs the same ``vitrine::features::extract`` and ``vitrine::ranker::rule_scores`` as the SDK.
This module only runs that binary and reads what it wrote.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODELS = Path(__file__).resolve().parent
REPO = MODELS.parent
CONTRACT = json.loads((MODELS / "feature_contract.json").read_text())
FEATURES: list[str] = CONTRACT["features"]
FEATURE_VERSION: int = CONTRACT["version"]
LEADING = ["group_id", "label", "server_position", "target_new", "target_known", "rule_score"]
RELEASE_COMMAND = "cargo run --release --quiet --bin vitrine-dataset --"


def run_vitrine_dataset(rees46: Path, out: Path, command: str = RELEASE_COMMAND) -> None:
    """Runs ``vitrine-dataset`` on a REES46 CSV; its files and golden inputs go to ``out``."""
    args = shlex.split(command) + [
        "--input",
        str(rees46),
        "--out",
        str(out),
        "--golden",
        str(out / "golden_inputs.json"),
    ]
    print(f"running {' '.join(args)}", file=sys.stderr, flush=True)
    started = time.monotonic()
    subprocess.run(args, cwd=REPO, check=True)
    print(f"vitrine-dataset took {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)


@dataclass
class Groups:
    """One split: ``G`` groups padded to ``L`` candidates of ``F`` features.

    ``features[g, i]`` is the row of the candidate at server position ``i`` of group ``g``;
    ``mask`` marks real candidates, ``target`` the target's position.
    """

    group_ids: np.ndarray  # [G] int64
    features: np.ndarray  # [G, L, F] float32, zero where padded
    mask: np.ndarray  # [G, L] bool
    target: np.ndarray  # [G] int64
    target_new: np.ndarray  # [G] bool
    target_known: np.ndarray  # [G] bool
    rule: np.ndarray  # [G, L] float32, from vitrine::ranker::rule_scores

    def __len__(self) -> int:
        return len(self.group_ids)

    def subset(self, index: np.ndarray | slice) -> Groups:
        """The groups at ``index``."""
        return Groups(
            self.group_ids[index],
            self.features[index],
            self.mask[index],
            self.target[index],
            self.target_new[index],
            self.target_known[index],
            self.rule[index],
        )


def load_groups(path: Path) -> Groups:
    """Reads a ``train.csv`` or ``test.csv``, checking its columns against the contract."""
    with open(path, encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    expected = LEADING + FEATURES
    if header != expected:
        raise SystemExit(f"{path}: columns {header}\n  do not match the contract {expected}")

    started = time.monotonic()
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    if table.shape[0] == 0:
        raise SystemExit(f"{path}: no rows")
    group_ids = table[:, 0].astype(np.int64)
    if np.any(np.diff(group_ids) < 0):
        raise SystemExit(f"{path}: rows are not grouped by group_id")
    positions = table[:, 2].astype(np.int64)

    ids, starts, sizes = np.unique(group_ids, return_index=True, return_counts=True)
    width = int(sizes.max())
    g = len(ids)
    group_of_row = np.repeat(np.arange(g), sizes)
    features = np.zeros((g, width, len(FEATURES)), dtype=np.float32)
    rule = np.zeros((g, width), dtype=np.float32)
    mask = np.zeros((g, width), dtype=bool)
    features[group_of_row, positions] = table[:, len(LEADING) :].astype(np.float32)
    rule[group_of_row, positions] = table[:, 5].astype(np.float32)
    mask[group_of_row, positions] = True
    if mask.sum() != len(table):
        raise SystemExit(f"{path}: a group repeats a server_position")

    labels = table[:, 1] > 0.5
    if not np.array_equal(np.bincount(group_of_row[labels], minlength=g), np.ones(g)):
        raise SystemExit(f"{path}: every group needs exactly one row with label 1")
    target = np.zeros(g, dtype=np.int64)
    target[group_of_row[labels]] = positions[labels]

    print(
        f"loaded {path.name}: {g} groups, {len(table)} rows in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    return Groups(
        group_ids=ids,
        features=features,
        mask=mask,
        target=target,
        target_new=table[starts, 3] > 0.5,
        target_known=table[starts, 4] > 0.5,
        rule=rule,
    )
