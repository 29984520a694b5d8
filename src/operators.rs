//! The ONNX operators the ranker understands.
//!
//! `tract_onnx::onnx()` registers every operator tract-onnx knows, some two hundred, and the
//! registry holds each one's builder by pointer: the linker must keep all of them and all the
//! code they reach, which was most of the ranker's wasm. A model for the feature contract is
//! a small dense network scoring rows of [`crate::features::FEATURE_COUNT`] numbers, so the
//! ranker registers only the operators such networks are exported with ([`OPERATORS`]). A
//! model using any other is refused at load, naming the operator, and the page keeps the
//! affinity rule.

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;
use tract_onnx::tract_hir::ops;
use tract_onnx::tract_hir::tract_core::ops::change_axes::AxisOp;
use tract_onnx::tract_hir::tract_core::ops::einsum::EinSum;
use tract_onnx::Onnx;

/// The operators a model may use, as ONNX names them. `Squeeze` is not among them: a model
/// should give its score as `[N, 1]`, or reach `[N]` by `Reshape` or `Flatten`.
pub const OPERATORS: &[&str] = &[
    "Add",
    "Constant",
    "Div",
    "Flatten",
    "Gemm",
    "Identity",
    "LeakyRelu",
    "MatMul",
    "Mul",
    "Relu",
    "Reshape",
    "Sigmoid",
    "Sub",
    "Tanh",
];

/// tract's ONNX front end with only [`OPERATORS`] registered.
pub fn onnx() -> Onnx {
    let mut register = OnnxOpRegister::default();
    register.insert("Add", |_, _| Ok((ops::math::Add.into_hir(), vec![])));
    register.insert("Sub", |_, _| Ok((ops::math::Sub.into_hir(), vec![])));
    register.insert("Mul", |_, _| Ok((ops::math::Mul.into_hir(), vec![])));
    register.insert("Div", |_, _| Ok((ops::math::Div.into_hir(), vec![])));
    register.insert("MatMul", |_, _| {
        Ok((expand(ops::matmul::MatMulInference::default()), vec![]))
    });
    register.insert("Gemm", gemm);
    register.insert("Relu", |_, _| {
        Ok((expand(ops::activations::Clip::new(Some(0.0), None)), vec![]))
    });
    register.insert("LeakyRelu", |_, node| {
        let alpha = node.get_attr_opt("alpha")?.unwrap_or(0.01);
        Ok((expand(ops::activations::LeakyRelu(alpha)), vec![]))
    });
    register.insert("Sigmoid", |_, _| {
        Ok((ops::nn::sigmoid().into_hir(), vec![]))
    });
    register.insert("Tanh", |_, _| Ok((ops::math::tanh().into_hir(), vec![])));
    register.insert("Identity", |_, _| {
        Ok((Box::<ops::identity::Identity>::default(), vec![]))
    });
    register.insert("Constant", constant);
    register.insert("Flatten", |_, node| {
        let axis: i64 = node.get_attr_opt("axis")?.unwrap_or(1);
        Ok((expand(ops::array::Flatten::new(axis)), vec![]))
    });
    register.insert("Reshape", |_, node| {
        let allow_zero = node.get_attr_opt("allowzero")?.unwrap_or(0i64) != 0;
        Ok((expand(ops::array::Reshape::new(allow_zero)), vec![]))
    });
    Onnx {
        op_register: register,
        ..Onnx::default()
    }
}

type Built = TractResult<(Box<dyn InferenceOp>, Vec<String>)>;

/// A `Constant` node: a tensor in `value`, or the numeric shorthands (`value_float`,
/// `value_floats`, `value_int`, `value_ints`) that newer exporters write for shapes and
/// scalars. Strings and sparse tensors have no use in a scorer.
fn constant(context: &ParsingContext, node: &NodeProto) -> Built {
    let value = if let Some(proto) = node.get_attr_opt("value")? {
        context.load_tensor(proto)?
    } else if let Some(x) = node.get_attr_opt::<f32>("value_float")? {
        tensor0(x)
    } else if let Some(xs) = node.get_attr_opt_slice::<f32>("value_floats")? {
        tensor1(xs)
    } else if let Some(x) = node.get_attr_opt::<i64>("value_int")? {
        tensor0(x)
    } else if let Some(xs) = node.get_attr_opt_slice::<i64>("value_ints")? {
        tensor1(xs)
    } else {
        bail!("Constant node {:?} has no numeric value", node.name)
    };
    Ok((
        Box::new(ops::konst::Const::new(value.into_arc_tensor())?),
        vec![],
    ))
}

fn gemm(_: &ParsingContext, node: &NodeProto) -> Built {
    Ok((
        expand(Gemm {
            alpha: node.get_attr_opt("alpha")?.unwrap_or(1.0),
            beta: node.get_attr_opt("beta")?.unwrap_or(1.0),
            transpose_a: node.get_attr_opt("transA")?.unwrap_or(false),
            transpose_b: node.get_attr_opt("transB")?.unwrap_or(false),
        }),
        vec![],
    ))
}

/// ONNX `Gemm`: `alpha · A′ · B′ + beta · C`, where A′ and B′ are A and B, transposed
/// when the node says so, and C is broadcast to the product's shape. tract-onnx's own builder is
/// private to it; this one wires the same tract-core operators (an `EinSum` for the product,
/// then `mul` and `add`). C's shape is left to the typed `add` to check, as there.
#[derive(Debug, Clone)]
struct Gemm {
    alpha: f32,
    beta: f32,
    transpose_a: bool,
    transpose_b: bool,
}

impl Gemm {
    /// The axes of A′ (rows, inner) and B′ (inner, columns) in A and B.
    fn axes(&self) -> ((usize, usize), (usize, usize)) {
        let a = if self.transpose_a { (1, 0) } else { (0, 1) };
        let b = if self.transpose_b { (1, 0) } else { (0, 1) };
        (a, b)
    }
}

impl Expansion for Gemm {
    fn name(&self) -> StaticName {
        "Gemm".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        if !(2..=3).contains(&inputs.len()) {
            bail!("Gemm takes 2 or 3 inputs, this node has {}", inputs.len());
        }
        check_output_arity(outputs, 1)?;
        let (a, b, out) = (&inputs[0], &inputs[1], &outputs[0]);
        let ((a_rows, a_inner), (b_inner, b_columns)) = self.axes();
        s.equals(&a.rank, 2)?;
        s.equals(&b.rank, 2)?;
        s.equals(&out.rank, 2)?;
        for input in inputs {
            s.equals(&input.datum_type, &out.datum_type)?;
        }
        s.equals(&a.shape[a_rows], &out.shape[0])?;
        s.equals(&a.shape[a_inner], &b.shape[b_inner])?;
        s.equals(&b.shape[b_columns], &out.shape[1])?;
        Ok(())
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let datum_type = model.outlet_fact(inputs[0])?.datum_type;
        let mapping = AxesMapping::for_numpy_matmul(2, self.transpose_a, self.transpose_b, false)?;
        let product = EinSum::new(mapping, datum_type);
        let mut wire = model.wire_node(format!("{prefix}.product"), product, &inputs[..2])?[0];
        if self.alpha != 1.0 {
            wire = scale(model, &format!("{prefix}.alpha"), self.alpha, wire)?;
        }
        let Some(&c) = inputs.get(2).filter(|_| self.beta != 0.0) else {
            return Ok(tvec!(wire));
        };
        let mut c = c;
        // C may be a vector or a scalar; the typed `add` wants equal ranks to broadcast.
        for axis in model.outlet_fact(c)?.rank()..2 {
            c = model.wire_node(format!("{prefix}.c.axis{axis}"), AxisOp::Add(0), &[c])?[0];
        }
        if self.beta != 1.0 {
            c = scale(model, &format!("{prefix}.beta"), self.beta, c)?;
        }
        model.wire_node(prefix, ops::math::add(), &[wire, c])
    }
}

/// `factor · wire`, with the factor as a constant of the wire's rank.
fn scale(model: &mut TypedModel, name: &str, factor: f32, wire: OutletId) -> TractResult<OutletId> {
    let rank = model.outlet_fact(wire)?.rank();
    let factor = model.add_const(
        format!("{name}.factor"),
        tensor0(factor).broadcast_into_rank(rank)?,
    )?;
    Ok(model.wire_node(name, ops::math::mul(), &[factor, wire])?[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list a refusal quotes is the list registered.
    #[test]
    fn the_operator_list_is_what_is_registered() {
        let onnx = onnx();
        let mut registered: Vec<&str> = onnx.op_register.0.keys().map(String::as_str).collect();
        registered.sort_unstable();
        assert_eq!(registered, OPERATORS);
    }
}
