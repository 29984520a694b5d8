//! The learned scorer: an ONNX model run by tract, checked against the feature contract.
//!
//! The contract is checked once, at load: one input named `features` of shape
//! `[N, FEATURE_COUNT]`, one output named `score` of shape `[N]` or `[N, 1]`, and ONNX metadata
//! `vitrine.feature_version` equal to [`FEATURE_VERSION`]. A model that disagrees is refused
//! with an error naming the mismatch, and the caller keeps the rule or the server order.

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

use crate::error::{Error, Result};
use crate::features::{FEATURE_COUNT, FEATURE_VERSION};

/// The input name the contract requires.
pub const INPUT_NAME: &str = "features";
/// The output name the contract requires.
pub const OUTPUT_NAME: &str = "score";
/// The ONNX metadata key that carries the feature version.
pub const VERSION_KEY: &str = "vitrine.feature_version";

/// A loaded, optimized model ready to score candidates.
pub struct Scorer {
    plan: Arc<TypedRunnableModel>,
}

impl std::fmt::Debug for Scorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scorer").finish_non_exhaustive()
    }
}

impl Scorer {
    /// Loads an ONNX model from its bytes and checks it against the feature contract.
    ///
    /// # Errors
    /// [`Error::ModelContract`] naming the first part of the contract the model breaks, and
    /// [`Error::ModelRuntime`] when tract cannot parse or optimize it (an operator it lacks
    /// is named in the message).
    pub fn from_onnx(bytes: &[u8]) -> Result<Self> {
        let mut model = tract_onnx::onnx()
            .model_for_read(&mut &bytes[..])
            .map_err(|e| Error::ModelRuntime(format!("cannot parse the ONNX model: {e:#}")))?;

        check_version(&model)?;
        check_names(&model)?;

        let batch = model.symbols.sym("N");
        let fact = f32::fact([batch.to_dim(), FEATURE_COUNT.to_dim()]);
        let declared = model.input_fact(0).map_err(runtime)?.clone();
        let dims: Vec<String> = declared.shape.dims().map(|d| format!("{d:?}")).collect();
        let rank_ok = declared.shape.is_open() || dims.len() == 2;
        let width = declared.shape.dim(1).and_then(|d| d.concretize());
        let width_ok = width
            .as_ref()
            .is_none_or(|w| w.to_i64().ok() == Some(FEATURE_COUNT as i64));
        if !(rank_ok && width_ok) {
            return Err(Error::ModelContract {
                what: "input shape",
                expected: format!("[N, {FEATURE_COUNT}]"),
                found: format!("[{}]", dims.join(", ")),
            });
        }
        model.set_input_fact(0, fact.into()).map_err(runtime)?;

        let plan = model
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .map_err(|e| Error::ModelRuntime(format!("cannot prepare the model: {e:#}")))?;
        Ok(Scorer { plan })
    }

    /// Scores `rows` (row-major, `FEATURE_COUNT` per candidate): one score per candidate.
    ///
    /// # Errors
    /// [`Error::InvalidField`] when `rows` is not a whole number of rows, and
    /// [`Error::ModelRuntime`] when the model fails or returns the wrong number of scores.
    pub fn score(&self, rows: &[f32]) -> Result<Vec<f32>> {
        if !rows.len().is_multiple_of(FEATURE_COUNT) {
            return Err(Error::invalid(
                "features",
                "a whole number of rows of 13 values",
                format!("{} values", rows.len()),
            ));
        }
        let n = rows.len() / FEATURE_COUNT;
        if n == 0 {
            return Ok(Vec::new());
        }
        let input = Tensor::from_shape(&[n, FEATURE_COUNT], rows).map_err(runtime)?;
        let outputs = self.plan.run(tvec!(input.into())).map_err(runtime)?;
        let scores: Vec<f32> = outputs[0]
            .to_plain_array_view::<f32>()
            .map_err(runtime)?
            .iter()
            .copied()
            .collect();
        if scores.len() != n {
            return Err(Error::ModelRuntime(format!(
                "the model returned {} scores for {n} candidates",
                scores.len()
            )));
        }
        Ok(scores)
    }
}

fn check_version(model: &InferenceModel) -> Result<()> {
    let key = format!("onnx.metadata_props.{VERSION_KEY}");
    let found = model
        .properties
        .get(&key)
        .and_then(|t| {
            t.to_plain_array_view::<String>()
                .ok()?
                .iter()
                .next()
                .cloned()
        })
        .ok_or_else(|| Error::ModelContract {
            what: "metadata `vitrine.feature_version`",
            expected: FEATURE_VERSION.to_string(),
            found: "absent".into(),
        })?;
    if found.trim() != FEATURE_VERSION.to_string() {
        return Err(Error::ModelContract {
            what: "metadata `vitrine.feature_version`",
            expected: FEATURE_VERSION.to_string(),
            found,
        });
    }
    Ok(())
}

fn check_names(model: &InferenceModel) -> Result<()> {
    // ONNX names values, not nodes: a graph input's or output's value name is its outlet
    // label in tract; the node name is only a fallback for models without labels.
    let names = |outlets: &[OutletId]| -> Vec<String> {
        outlets
            .iter()
            .map(|&o| {
                model
                    .outlet_label(o)
                    .unwrap_or(&model.node(o.node).name)
                    .to_owned()
            })
            .collect()
    };
    let inputs = names(model.input_outlets().map_err(runtime)?);
    if inputs != [INPUT_NAME] {
        return Err(Error::ModelContract {
            what: "inputs",
            expected: format!("[{INPUT_NAME:?}]"),
            found: format!("{inputs:?}"),
        });
    }
    let outputs = names(model.output_outlets().map_err(runtime)?);
    if outputs != [OUTPUT_NAME] {
        return Err(Error::ModelContract {
            what: "outputs",
            expected: format!("[{OUTPUT_NAME:?}]"),
            found: format!("{outputs:?}"),
        });
    }
    Ok(())
}

fn runtime(e: impl std::fmt::Display) -> Error {
    Error::ModelRuntime(e.to_string())
}
