//! What scores a widget's candidates: tract in this module (a build with the `model`
//! feature), or the separately loaded ranker module through one JavaScript function.
//!
//! The shipped SDK is the second: the core wasm carries no model runtime, so tracking starts
//! from a small module while the ranker module (tract and the model) loads behind it.

use wasm_bindgen::JsValue;

use super::error::describe;
use crate::error::{Error, Result};
use crate::features::FEATURE_COUNT;

/// A loaded scorer.
pub enum Scorer {
    /// tract, in this module.
    #[cfg(feature = "model")]
    Tract(crate::model::Scorer),
    /// `(rows: Float32Array, scores: Float32Array) => number`: the ranker module's
    /// `scoreInto`, which writes one score per row of `FEATURE_COUNT` features and returns
    /// how many it wrote.
    Js(js_sys::Function),
}

impl Scorer {
    /// One score per row of `rows` (row-major, `FEATURE_COUNT` per candidate).
    ///
    /// # Errors
    /// [`Error::ModelRuntime`] when the scorer fails.
    pub fn score(&self, rows: &[f32]) -> Result<Vec<f32>> {
        match self {
            #[cfg(feature = "model")]
            Scorer::Tract(scorer) => scorer.score(rows),
            Scorer::Js(function) => score_js(function, rows),
        }
    }
}

/// Scores `rows` with a JavaScript scorer, `(rows, scores) => number`: it reads the rows,
/// writes one score per row into `scores` and returns how many it wrote.
///
/// Both arrays are views on this module's memory, not copies: a fresh `Float32Array` per call
/// took a quarter of a re-rank's time in the browser (its buffer lives outside the JavaScript
/// heap, and allocating it is slow). A view lasts until this module's memory grows, which only
/// a scorer that calls back into this instance can make happen; then the call is made again
/// on copies.
///
/// # Errors
/// [`Error::ModelRuntime`] when the scorer throws or writes the wrong number of scores.
pub fn score_js(function: &js_sys::Function, rows: &[f32]) -> Result<Vec<f32>> {
    let n = rows.len() / FEATURE_COUNT;
    let mut scores = vec![0.0; n];
    // SAFETY: the views are used only during the call below, and this module allocates
    // nothing meanwhile unless the scorer calls back into it; a grown memory detaches them
    // (their length drops to 0), which the check after the call sees.
    let (input, output) = unsafe {
        (
            js_sys::Float32Array::view(rows),
            js_sys::Float32Array::view_mut_raw(scores.as_mut_ptr(), n),
        )
    };
    let called = call(function, &input, &output);
    if output.length() as usize == n {
        return called.map(|()| scores);
    }
    // The views were emptied during the call: whatever it wrote or threw, it saw no rows.
    let input = js_sys::Float32Array::from(rows);
    let output = js_sys::Float32Array::new_with_length(n as u32);
    call(function, &input, &output)?;
    Ok(output.to_vec())
}

/// Calls the scorer once, and checks that it wrote a score per row.
fn call(
    function: &js_sys::Function,
    rows: &js_sys::Float32Array,
    scores: &js_sys::Float32Array,
) -> Result<()> {
    let written = function
        .call2(&JsValue::NULL, rows, scores)
        .map_err(|e| Error::ModelRuntime(format!("the ranker failed: {}", describe(&e))))?;
    let expected = rows.length() as usize / FEATURE_COUNT;
    match written.as_f64() {
        Some(count) if count == expected as f64 => Ok(()),
        // Written by JavaScript's own `Number#toString`: `{}` of an `f64` would bring Rust's
        // float formatting, 8 KB, into the start-up module.
        Some(count) => Err(Error::ModelRuntime(format!(
            "the ranker reported {} scores for {expected} candidates",
            crate::number::Shortest(count)
        ))),
        None => Err(Error::ModelRuntime(
            "the ranker did not report how many scores it wrote".into(),
        )),
    }
}
