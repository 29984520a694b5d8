"""Write the small contract-breaking models that ``tests/golden.rs`` expects tract to refuse.

    models/.venv/bin/python models/make_bad_models.py [--out tests/fixtures]

Each file differs from a valid ranker in exactly one part of the feature contract. The
weights are fixed numbers, so re-running the script rewrites identical bytes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx

from dataset import FEATURE_VERSION, FEATURES, REPO
from export import dense_graph_model

WIDTH = len(FEATURES)


def layer(width: int) -> list[tuple[np.ndarray, np.ndarray]]:
    weight = (np.arange(width, dtype=np.float32) / width).reshape(width, 1)
    return [(weight, np.zeros(1, dtype=np.float32))]


def metadata(version: str | None = str(FEATURE_VERSION)) -> dict[str, str]:
    props = {"vitrine.features": ",".join(FEATURES)}
    if version is not None:
        props["vitrine.feature_version"] = version
    return props


BAD_MODELS = {
    "wrong_input_name.onnx": lambda: dense_graph_model(layer(WIDTH), metadata(), input_name="x"),
    "wrong_output_name.onnx": lambda: dense_graph_model(
        layer(WIDTH), metadata(), output_name="scores"
    ),
    "wrong_feature_count.onnx": lambda: dense_graph_model(layer(WIDTH - 1), metadata()),
    "missing_version.onnx": lambda: dense_graph_model(layer(WIDTH), metadata(None)),
    "wrong_version.onnx": lambda: dense_graph_model(layer(WIDTH), metadata("2")),
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=REPO / "tests" / "fixtures")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, build in BAD_MODELS.items():
        path = args.out / name
        onnx.save(build(), path)
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
