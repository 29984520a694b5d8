// A small reader of the ONNX protobuf, enough for the plain-JS forward pass: the graph's
// nodes (operator, inputs, outputs, attributes) and its float initializers. It reads only
// the fields it names and skips the rest, so newer exporters' extra fields do no harm.
// Field numbers: onnx/onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto,
// AttributeProto).

const FLOAT = 1; // TensorProto.DataType.FLOAT

/** Reads protobuf wire format: varints, fixed widths and length-delimited fields. */
class Wire {
  constructor(bytes, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }

  get done() {
    return this.pos >= this.end;
  }

  // Varints can carry 64 bits; a Number holds every value this model has (dims, enums).
  varint() {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error("onnx: varint runs past the end of a field");
      const byte = this.bytes[this.pos++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  }

  /** The next field as `{ field, wire, value }`; `value` is a number or a sub-range. */
  next() {
    const key = this.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) return { field, wire, value: this.varint() };
    if (wire === 1 || wire === 5) {
      const width = wire === 1 ? 8 : 4;
      const value = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, width);
      this.pos += width;
      return { field, wire, value };
    }
    if (wire === 2) {
      const length = this.varint();
      const value = new Wire(this.bytes, this.pos, this.pos + length);
      this.pos += length;
      if (this.pos > this.end) throw new Error(`onnx: field ${field} runs past its parent`);
      return { field, wire, value };
    }
    throw new Error(`onnx: unsupported wire type ${wire} for field ${field}`);
  }

  text() {
    return new TextDecoder().decode(this.bytes.subarray(this.pos, this.end));
  }

  raw() {
    return this.bytes.slice(this.pos, this.end);
  }

  /** A repeated integer field, packed or not. */
  static pushInts(out, { wire, value }) {
    if (wire === 0) out.push(value);
    else while (!value.done) out.push(value.varint());
  }
}

function readTensor(wire) {
  const tensor = { name: "", dims: [], dataType: 0, floats: [], raw: null };
  while (!wire.done) {
    const f = wire.next();
    if (f.field === 1) Wire.pushInts(tensor.dims, f);
    else if (f.field === 2) tensor.dataType = f.value;
    else if (f.field === 4 && f.wire === 2) {
      while (!f.value.done) tensor.floats.push(readF32(f.value));
    } else if (f.field === 4) tensor.floats.push(f.value.getFloat32(0, true));
    else if (f.field === 8) tensor.name = f.value.text();
    else if (f.field === 9) tensor.raw = f.value.raw();
  }
  if (tensor.dataType !== FLOAT) {
    throw new Error(`onnx: initializer ${tensor.name} has data type ${tensor.dataType}, not float`);
  }
  const count = tensor.dims.reduce((a, b) => a * b, 1);
  const data = tensor.raw
    ? new Float32Array(tensor.raw.buffer, tensor.raw.byteOffset, tensor.raw.byteLength / 4)
    : Float32Array.from(tensor.floats);
  if (data.length !== count) {
    throw new Error(
      `onnx: initializer ${tensor.name} has ${data.length} values, its dims say ${count}`,
    );
  }
  return { name: tensor.name, dims: tensor.dims, data };
}

// Packed floats are 4 little-endian bytes each, with no tags between them.
function readF32(wire) {
  const view = new DataView(wire.bytes.buffer, wire.bytes.byteOffset + wire.pos, 4);
  wire.pos += 4;
  return view.getFloat32(0, true);
}

function readAttribute(wire) {
  const attribute = { name: "", value: undefined };
  while (!wire.done) {
    const f = wire.next();
    if (f.field === 1) attribute.name = f.value.text();
    else if (f.field === 2) attribute.value = f.value.getFloat32(0, true);
    else if (f.field === 3) attribute.value = f.value;
  }
  return attribute;
}

function readNode(wire) {
  const node = { opType: "", inputs: [], outputs: [], attributes: {} };
  while (!wire.done) {
    const f = wire.next();
    if (f.field === 1) node.inputs.push(f.value.text());
    else if (f.field === 2) node.outputs.push(f.value.text());
    else if (f.field === 4) node.opType = f.value.text();
    else if (f.field === 5) {
      const { name, value } = readAttribute(f.value);
      node.attributes[name] = value;
    }
  }
  return node;
}

function readValueName(wire) {
  while (!wire.done) {
    const f = wire.next();
    if (f.field === 1) return f.value.text();
  }
  return "";
}

function readGraph(wire) {
  const graph = { nodes: [], initializers: new Map(), inputs: [], outputs: [] };
  while (!wire.done) {
    const f = wire.next();
    if (f.field === 1) graph.nodes.push(readNode(f.value));
    else if (f.field === 5) {
      const tensor = readTensor(f.value);
      graph.initializers.set(tensor.name, tensor);
    } else if (f.field === 11) graph.inputs.push(readValueName(f.value));
    else if (f.field === 12) graph.outputs.push(readValueName(f.value));
  }
  // Initializers may also be listed as inputs; only the others are fed.
  graph.inputs = graph.inputs.filter((name) => !graph.initializers.has(name));
  return graph;
}

/** The graph of an ONNX model: `{ nodes, initializers, inputs, outputs }`. */
export function readOnnx(bytes) {
  const wire = new Wire(bytes);
  while (!wire.done) {
    const f = wire.next();
    if (f.field === 7) return readGraph(f.value);
  }
  throw new Error("onnx: the model has no graph");
}
