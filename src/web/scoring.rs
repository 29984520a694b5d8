//! What scores a widget's candidates: tract in this module (a build with the `model`
//! feature), or the separately loaded ranker module through one JavaScript function.
//!
//! The shipped SDK is the second: the core wasm carries no model runtime, so tracking starts
//! from a small module while the ranker module (tract and the model) loads behind it.

use wasm_bindgen::{JsCast, JsValue};

use super::error::describe;
use crate::error::{Error, Result};
use crate::features::FEATURE_COUNT;

/// A loaded scorer.
pub enum Scorer {
    /// tract, in this module.
    #[cfg(feature = "model")]
    Tract(crate::model::Scorer),
    /// `(rows: Float32Array) => Float32Array`: the ranker module's `score`, one score per
    /// row of `FEATURE_COUNT` features.
    Js(js_sys::Function),
}

impl Scorer {
    /// One score per row of `rows` (row-major, `FEATURE_COUNT` per candidate).
    ///
    /// # Errors
    /// [`Error::ModelRuntime`] when the scorer fails or returns the wrong number of scores.
    pub fn score(&self, rows: &[f32]) -> Result<Vec<f32>> {
        match self {
            #[cfg(feature = "model")]
            Scorer::Tract(scorer) => scorer.score(rows),
            Scorer::Js(function) => score_js(function, rows),
        }
    }
}

/// Scores `rows` with a JavaScript scorer: one `Float32Array` in, one out.
///
/// # Errors
/// [`Error::ModelRuntime`] when it throws or returns the wrong number of scores.
pub fn score_js(function: &js_sys::Function, rows: &[f32]) -> Result<Vec<f32>> {
    let n = rows.len() / FEATURE_COUNT;
    let input = js_sys::Float32Array::from(rows);
    let output = function
        .call1(&JsValue::NULL, &input)
        .map_err(|e| Error::ModelRuntime(format!("the ranker failed: {}", describe(&e))))?;
    let scores = output
        .dyn_into::<js_sys::Float32Array>()
        .map_err(|_| Error::ModelRuntime("the ranker returned no Float32Array".into()))?;
    if scores.length() as usize != n {
        return Err(Error::ModelRuntime(format!(
            "the ranker returned {} scores for {n} candidates",
            scores.length()
        )));
    }
    Ok(scores.to_vec())
}
