"""Write the small models that ``tests/model_contract.rs`` loads: contract breakers and edge cases.

    models/.venv/bin/python models/make_bad_models.py [--out tests/fixtures]

Each file differs from a valid ranker in exactly one way: most break one part of the
feature contract and must be refused; ``fixed_batch.onnx`` is valid but exported with a
fixed batch of 8, which the scorer must adapt to. The weights are fixed numbers (feature
``i`` weighs ``i / 13``, no bias), so re-running the script rewrites identical bytes and the
Rust test can compute every expected score.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

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


def unsupported_operator() -> onnx.ModelProto:
    """A ranker whose score goes through ``Det``, a standard operator tract does not have."""
    model = dense_graph_model(layer(WIDTH), metadata(), output_name="linear")
    graph = model.graph
    graph.node.append(helper.make_node("Reshape", ["linear", "square"], ["matrix"], "matrix"))
    graph.node.append(helper.make_node("Det", ["matrix"], ["score"], "score"))
    graph.initializer.append(
        onnx.numpy_helper.from_array(np.array([-1, 1, 1], dtype=np.int64), "square")
    )
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N"]))
    onnx.checker.check_model(model)
    return model


def two_scores() -> onnx.ModelProto:
    """Two scores per candidate instead of one."""
    weight = np.tile(layer(WIDTH)[0][0], (1, 2))
    return dense_graph_model([(weight, np.zeros(2, dtype=np.float32))], metadata())


BAD_MODELS = {
    "wrong_input_name.onnx": lambda: dense_graph_model(layer(WIDTH), metadata(), input_name="x"),
    "wrong_output_name.onnx": lambda: dense_graph_model(
        layer(WIDTH), metadata(), output_name="scores"
    ),
    "wrong_feature_count.onnx": lambda: dense_graph_model(layer(WIDTH - 1), metadata()),
    "missing_version.onnx": lambda: dense_graph_model(layer(WIDTH), metadata(None)),
    "wrong_version.onnx": lambda: dense_graph_model(layer(WIDTH), metadata("2")),
    "unsupported_operator.onnx": unsupported_operator,
    "two_scores.onnx": two_scores,
    "fixed_batch.onnx": lambda: dense_graph_model(layer(WIDTH), metadata(), batch=8),
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
