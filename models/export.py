"""Build Vitrine ranking models as ONNX graphs that tract runs in the browser.

Only operators the ranker registers are used (Gemm, Relu; see ``src/operators.rs``), at
opset 13, and the graph carries the feature contract in its metadata:
``vitrine.feature_version`` and ``vitrine.features``.
``make_bad_models.py`` reuses the same builder to make models that break the contract.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 8


def dense_graph_model(
    layers: list[tuple[np.ndarray, np.ndarray]],
    metadata: dict[str, str],
    input_name: str = "features",
    output_name: str = "score",
    batch: str | int = "N",
) -> onnx.ModelProto:
    """A chain of ``Gemm`` layers with ``Relu`` between them.

    ``layers`` holds ``(weight [in, out], bias [out])`` pairs; the input is ``[batch, in]``
    of the first layer and the output ``[batch, out]`` of the last; ``batch`` is symbolic
    unless a number is given. Weights are stored as float32.
    """
    nodes, initializers = [], []
    current = input_name
    for i, (weight, bias) in enumerate(layers):
        weight = np.asarray(weight, dtype=np.float32)
        bias = np.asarray(bias, dtype=np.float32).reshape(-1)
        if weight.ndim != 2 or bias.shape != (weight.shape[1],):
            raise ValueError(f"layer {i}: weight {weight.shape} and bias {bias.shape} disagree")
        last = i == len(layers) - 1
        initializers += [
            numpy_helper.from_array(weight, f"layer{i}.weight"),
            numpy_helper.from_array(bias, f"layer{i}.bias"),
        ]
        linear = output_name if last else f"layer{i}.linear"
        # Each node is named after its output: tract names an output by the node producing it.
        inputs = [current, f"layer{i}.weight", f"layer{i}.bias"]
        nodes.append(helper.make_node("Gemm", inputs, [linear], linear))
        if last:
            current = linear
        else:
            current = f"layer{i}.relu"
            nodes.append(helper.make_node("Relu", [linear], [current], current))

    n_in = int(np.asarray(layers[0][0]).shape[0])
    n_out = int(np.asarray(layers[-1][0]).shape[1])
    graph = helper.make_graph(
        nodes,
        "vitrine_ranker",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [batch, n_in])],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, [batch, n_out])],
        initializers,
    )
    model = helper.make_model(
        graph,
        producer_name="vitrine-train",
        opset_imports=[helper.make_opsetid("", OPSET)],
    )
    model.ir_version = IR_VERSION
    if metadata:
        helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    return model


def forward(layers: list[tuple[np.ndarray, np.ndarray]], rows: np.ndarray) -> np.ndarray:
    """The numpy reference of ``dense_graph_model``, in float32: ``[N, in]`` → ``[N, out]``."""
    x = np.asarray(rows, dtype=np.float32)
    for i, (weight, bias) in enumerate(layers):
        x = x @ np.asarray(weight, dtype=np.float32) + np.asarray(bias, dtype=np.float32)
        if i < len(layers) - 1:
            x = np.maximum(x, np.float32(0))
    return x
