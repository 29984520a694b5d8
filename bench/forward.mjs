// The plain-JS forward pass: runs an ONNX graph read by `onnx-model.mjs`, node by node, on a
// row-major float32 batch. It knows only the operators a small MLP ranker uses and names any
// other one, so a model it cannot run fails loudly instead of scoring wrongly.

/** Compiles `graph` into `run(features, rows) → Float32Array` of the single output. */
export function compileForward(graph) {
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw new Error(`forward: expected one input and one output, got ${graph.inputs.length} `
      + `and ${graph.outputs.length}`);
  }
  const steps = graph.nodes.map((node) => step(node, graph.initializers));
  const [input] = graph.inputs;
  const [output] = graph.outputs;
  return (features, rows) => {
    const values = new Map([[input, { data: features, rows, cols: features.length / rows }]]);
    for (const run of steps) run(values);
    return values.get(output).data;
  };
}

function step(node, initializers) {
  const weight = (name) => {
    const tensor = initializers.get(name);
    if (!tensor) throw new Error(`forward: ${node.opType} input ${name} is not an initializer`);
    return tensor;
  };
  if (node.opType === "Relu") {
    const [from] = node.inputs;
    const [to] = node.outputs;
    return (values) => {
      const x = values.get(from);
      values.set(to, { ...x, data: x.data.map((v) => (v > 0 ? v : 0)) });
    };
  }
  if (node.opType === "Gemm") return gemm(node, weight);
  throw new Error(`forward: operator ${node.opType} is not supported by the plain-JS pass`);
}

// Y = alpha · A · op(B) + beta · C, with B and C constant; C broadcasts over rows.
function gemm(node, weight) {
  const { alpha = 1, beta = 1, transA = 0, transB = 0 } = node.attributes;
  if (transA) throw new Error("forward: Gemm with transA is not supported");
  const [from, bName, cName] = node.inputs;
  const [to] = node.outputs;
  const b = weight(bName);
  const inner = transB ? b.dims[1] : b.dims[0];
  const cols = transB ? b.dims[0] : b.dims[1];
  // Lay B out as [inner, cols] once, so the inner loop walks memory in order.
  const bt = new Float32Array(inner * cols);
  for (let k = 0; k < inner; k++) {
    for (let j = 0; j < cols; j++) {
      bt[k * cols + j] = transB ? b.data[j * inner + k] : b.data[k * cols + j];
    }
  }
  const bias = new Float32Array(cols);
  if (cName) {
    const c = weight(cName);
    if (c.data.length !== cols && c.data.length !== 1) {
      throw new Error(`forward: Gemm bias ${cName} has ${c.data.length} values, not ${cols}`);
    }
    for (let j = 0; j < cols; j++) bias[j] = beta * c.data[c.data.length === 1 ? 0 : j];
  }
  return (values) => {
    const x = values.get(from);
    if (x.cols !== inner) {
      throw new Error(`forward: Gemm ${from} has ${x.cols} columns, ${bName} expects ${inner}`);
    }
    const y = new Float32Array(x.rows * cols);
    for (let i = 0; i < x.rows; i++) {
      for (let j = 0; j < cols; j++) {
        let sum = 0;
        for (let k = 0; k < inner; k++) sum += x.data[i * inner + k] * bt[k * cols + j];
        y[i * cols + j] = alpha * sum + bias[j];
      }
    }
    values.set(to, { data: y, rows: x.rows, cols });
  };
}
