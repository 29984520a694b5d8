//! The ranker module (`wasm32` with the `ranker` feature): tract and the model behind one
//! small class, and none of the SDK's exports.
//!
//! The SDK ships as two wasm files built from this crate. The core (no `model` feature) holds
//! tracking, the profile, sync and re-ranking, and starts the page; this one holds the model
//! runtime, is loaded after tracking is ready, and is cached by the browser. The npm wrapper
//! hands [`Ranker::score_into`] to the core (`useScorer`), so rows and scores cross as views
//! on the core's memory, copied into and out of this one's.

use wasm_bindgen::prelude::*;

use crate::error::Error;
use crate::model::{self, Preparation, Scorer};

extern "C" {
    /// The module's static constructors (tract's registrations through `inventory`), which
    /// the linker synthesizes.
    fn __wasm_call_ctors();
}

/// Runs the static constructors once, as the module is instantiated. A module that never
/// calls them itself is linked as a "command", with a call to them at the top of every
/// export: each `scoreInto` ran every registration again (`inventory` ignores repeats).
#[wasm_bindgen(start)]
fn construct() {
    // SAFETY: called once, before any other export, by wasm-bindgen's start hook.
    unsafe { __wasm_call_ctors() }
}

/// A model loaded and checked against the feature contract.
#[wasm_bindgen]
pub struct Ranker {
    scorer: Scorer,
    /// The plan being made, if any: [`Ranker::prepare`] goes on with it until it is done.
    preparation: Option<Preparation>,
}

#[wasm_bindgen]
impl Ranker {
    /// Parses ONNX model bytes; throws a `VitrineError` (`model_contract`, `model_runtime`)
    /// naming what is wrong with the model. Call [`Ranker::prepare`] next, in later tasks.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &js_sys::Uint8Array) -> Result<Ranker, JsValue> {
        // Before the bytes are copied in: this module's memory is capped (`build.rs`).
        model::check_size(bytes.length() as usize).map_err(|e| to_js(&e))?;
        let scorer = Scorer::parse(&bytes.to_vec()).map_err(|e| to_js(&e))?;
        Ok(Ranker {
            scorer,
            preparation: None,
        })
    }

    /// Runs the next stage of preparing the plan that scores lists of `rows` candidates
    /// (typing, decluttering, optimizing, planning); returns true once it is ready, and
    /// throws like the constructor. A preparation under way goes on whatever `rows` says;
    /// once it is done, a call with another length starts that length's plan.
    ///
    /// One stage per call, each in its own task: on a cold page every stage runs tract code
    /// for the first time, which the browser compiles then, and all of them in one task made
    /// a task longer than 50 ms.
    pub fn prepare(&mut self, rows: u32) -> Result<bool, JsValue> {
        let under_way = self.preparation.take().filter(|p| !p.is_done());
        let mut preparation = under_way.unwrap_or_else(|| self.scorer.preparation(rows as usize));
        // A failed stage drops the preparation: the next call starts over, and fails the same.
        let done = self
            .scorer
            .advance(&mut preparation)
            .map_err(|e| to_js(&e))?;
        self.preparation = Some(preparation);
        Ok(done)
    }

    /// One score per row of `rows` (row-major, 13 features per candidate).
    pub fn score(&self, rows: &[f32]) -> Result<Vec<f32>, JsValue> {
        self.scorer.score(rows).map_err(|e| to_js(&e))
    }

    /// Like [`Ranker::score`], but writes the scores into `scores`, which must hold one per
    /// row, and returns how many it wrote: how the core calls it, with no new `Float32Array`
    /// per call.
    #[wasm_bindgen(js_name = scoreInto)]
    pub fn score_into(&self, rows: &[f32], scores: &mut [f32]) -> Result<u32, JsValue> {
        self.scorer
            .score_into(rows, scores)
            .map(|()| scores.len() as u32)
            .map_err(|e| to_js(&e))
    }
}

/// The `VitrineError` the core's errors are: an `Error` with a stable `code`.
fn to_js(error: &Error) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name("VitrineError");
    // Reflect::set only fails on frozen objects; a fresh Error is not one.
    let _ = js_sys::Reflect::set(&js, &"code".into(), &error.code().into());
    js.into()
}
