"""Write the small models that ``tests/model_contract.rs`` loads: contract breakers and edge cases.

    models/.venv/bin/python models/make_bad_models.py [--out tests/fixtures]

Each file differs from a valid ranker in exactly one way: most break one part of the
feature contract and must be refused; ``fixed_batch.onnx`` is valid but exported with a
fixed batch of 8, which the scorer must adapt to; ``every_operator.onnx`` and
``gemm_transposed.onnx`` are valid and exercise each operator the ranker registers. The
weights are fixed numbers (feature ``i`` weighs ``i / 13``, no bias), so re-running the
script rewrites identical bytes and the Rust test can compute every expected score.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

from dataset import FEATURE_VERSION, FEATURES, REPO
from export import IR_VERSION, OPSET, dense_graph_model

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


def unregistered_operator() -> onnx.ModelProto:
    """A ranker whose score goes through ``Exp``: tract-onnx has it, the ranker does not."""
    model = dense_graph_model(layer(WIDTH), metadata(), output_name="linear")
    model.graph.node.append(helper.make_node("Exp", ["linear"], ["score"], "score"))
    model.graph.output[0].name = "score"
    onnx.checker.check_model(model)
    return model


def graph_model(
    nodes: list[onnx.NodeProto], initializers: list[onnx.TensorProto]
) -> onnx.ModelProto:
    """``features [N, WIDTH]`` in, ``score [N]`` out, through ``nodes``."""
    graph = helper.make_graph(
        nodes,
        "vitrine_ranker",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", WIDTH])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N"])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    helper.set_model_props(model, metadata())
    onnx.checker.check_model(model)
    return model


def constant(name: str, value: np.ndarray) -> onnx.NodeProto:
    return helper.make_node(
        "Constant", [], [name], name, value=onnx.numpy_helper.from_array(value, name)
    )


def every_operator() -> onnx.ModelProto:
    """Every operator the ranker registers, in one graph (``tests/model_contract.rs`` has its
    formula): a hidden layer of two units by ``Gemm`` with transposed weights, ``alpha`` and
    ``beta``; ``Relu`` plus ``LeakyRelu``; a ``MatMul`` down to one unit; then ``Sigmoid``,
    ``Tanh`` and the four arithmetic operators; ``Reshape`` to ``[N]``. The constants take
    three forms: a ``value`` tensor, ``value_float`` and ``value_ints``."""
    f32 = np.float32
    hidden = np.stack([np.arange(WIDTH) / WIDTH, -np.arange(WIDTH) / WIDTH]).astype(f32)
    nodes = [
        helper.make_node("Identity", ["features"], ["same"], "same"),
        helper.make_node("Flatten", ["same"], ["flat"], "flat", axis=1),
        helper.make_node(
            "Gemm", ["flat", "hidden", "hidden_bias"], ["linear"], "linear",
            alpha=0.5, beta=2.0, transB=1,
        ),
        helper.make_node("Relu", ["linear"], ["relu"], "relu"),
        helper.make_node("LeakyRelu", ["linear"], ["leaky"], "leaky", alpha=0.1),
        helper.make_node("Add", ["relu", "leaky"], ["units"], "units"),
        helper.make_node("MatMul", ["units", "out_weight"], ["unit"], "unit"),
        constant("half", np.array([0.5], dtype=f32)),
        helper.make_node("Add", ["unit", "half"], ["logit"], "logit"),
        helper.make_node("Sigmoid", ["logit"], ["sigmoid"], "sigmoid"),
        helper.make_node("Constant", [], ["two"], "two", value_float=2.0),
        helper.make_node("Mul", ["sigmoid", "two"], ["doubled"], "doubled"),
        helper.make_node("Tanh", ["logit"], ["tanh"], "tanh"),
        constant("four", np.array(4, dtype=f32)),
        helper.make_node("Div", ["tanh", "four"], ["quarter"], "quarter"),
        helper.make_node("Sub", ["doubled", "quarter"], ["column"], "column"),
        helper.make_node("Constant", [], ["flat_shape"], "flat_shape", value_ints=[-1]),
        helper.make_node("Reshape", ["column", "flat_shape"], ["score"], "score"),
    ]
    initializers = [
        onnx.numpy_helper.from_array(hidden, "hidden"),
        onnx.numpy_helper.from_array(np.array([0.25, -0.5], dtype=f32), "hidden_bias"),
        onnx.numpy_helper.from_array(np.array([[1.0], [2.0]], dtype=f32), "out_weight"),
    ]
    return graph_model(nodes, initializers)


def gemm_transposed() -> onnx.ModelProto:
    """``Gemm`` with both inputs transposed and a scalar ``C``: ``2 · wᵀ·xᵀ + 0.5 · 1``, the
    candidates along the columns, then ``Reshape`` to ``[N]``."""
    weight = layer(WIDTH)[0][0]
    nodes = [
        helper.make_node(
            "Gemm", ["weight", "features", "one"], ["row"], "row",
            alpha=2.0, beta=0.5, transA=1, transB=1,
        ),
        helper.make_node("Reshape", ["row", "flat_shape"], ["score"], "score"),
    ]
    initializers = [
        onnx.numpy_helper.from_array(weight, "weight"),
        onnx.numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
        onnx.numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat_shape"),
    ]
    return graph_model(nodes, initializers)


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
    "unregistered_operator.onnx": unregistered_operator,
    "two_scores.onnx": two_scores,
    "fixed_batch.onnx": lambda: dense_graph_model(layer(WIDTH), metadata(), batch=8),
    "every_operator.onnx": every_operator,
    "gemm_transposed.onnx": gemm_transposed,
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
