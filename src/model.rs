//! The learned scorer: an ONNX model run by tract, checked against the feature contract.
//!
//! The contract is checked once, at load: one input named `features` of shape
//! `[N, FEATURE_COUNT]`, one output named `score` of shape `[N]` or `[N, 1]`, ONNX metadata
//! `vitrine.feature_version` equal to [`FEATURE_VERSION`], and only the operators the ranker
//! registers ([`crate::operators::OPERATORS`]). A model that disagrees is refused with an
//! error naming the mismatch, and the caller keeps the rule or the server order.
//!
//! A model exported with a fixed batch (`[8, 13]` rather than `[N, 13]`, a common exporter
//! default) is adapted rather than refused: it is run on chunks of exactly that many rows,
//! the last one padded with zeros, so that any candidate count works and each score is the
//! one the exported graph computes.
//!
//! A model with a free batch is run the same way, on plans made concrete for a few batch
//! sizes (powers of two up to [`LARGEST_PLAN`], the rows padded up to the next one): a plan
//! with a symbolic batch re-resolves every shape and re-plans its matrix products on each
//! run, which cost more than the products themselves at these sizes. Each plan keeps its
//! run state, so a run allocates only its input and output.

use std::cell::RefCell;

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

/// The largest batch a free-batch model gets a plan for; longer lists run in chunks of it.
pub const LARGEST_PLAN: usize = 1024;
/// Largest model file we load, in bytes. Ours is 2 KB; a model for this contract that needs
/// megabytes is a mistake, and tract holds it several times over while preparing it.
pub const MAX_MODEL_BYTES: usize = 8 << 20;

/// A loaded, optimized model ready to score candidates.
pub struct Scorer {
    /// The checked model, before its batch is fixed: each plan is made from it.
    model: InferenceModel,
    /// The batch the model was exported with, when it is fixed.
    fixed_batch: Option<usize>,
    /// Run states of the concrete plans made so far, by batch size: at most one per power of
    /// two up to [`LARGEST_PLAN`] (one only, for a fixed-batch model), so memory is bounded.
    plans: RefCell<Vec<(usize, TypedSimpleState)>>,
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
        let scorer = Self::parse(bytes)?;
        scorer.prepare()?;
        Ok(scorer)
    }

    /// The first part of [`Scorer::from_onnx`]: parses the model and checks the parts of the
    /// contract that need no plan. [`Scorer::prepare`] does the rest; the browser runs it a
    /// stage per task ([`Scorer::advance`]) so that no part blocks the page for long.
    ///
    /// # Errors
    /// As [`Scorer::from_onnx`], except for the output shape, which preparing checks.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        check_size(bytes.len())?;
        let model = crate::operators::onnx()
            .model_for_read(&mut &bytes[..])
            .map_err(|e| Error::ModelRuntime(format!("cannot parse the ONNX model: {e:#}")))?;

        check_version(&model)?;
        check_names(&model)?;
        check_operators(&model)?;

        let fixed_batch = input_batch(&model)?;
        Ok(Scorer {
            model,
            fixed_batch,
            plans: RefCell::new(Vec::new()),
        })
    }

    /// The rest of [`Scorer::from_onnx`]: every stage of [`Scorer::advance`] in one call.
    ///
    /// # Errors
    /// As [`Scorer::advance`].
    pub fn prepare(&self) -> Result<()> {
        let mut preparation = self.preparation(1);
        while !self.advance(&mut preparation)? {}
        Ok(())
    }

    /// A preparation of the plan that scores lists of `rows` candidates: not yet started, or
    /// already done when that plan exists.
    pub fn preparation(&self, rows: usize) -> Preparation {
        let batch = self.batch_for(rows);
        Preparation {
            batch,
            stage: if self.has_plan(batch) {
                Stage::Kept
            } else {
                Stage::Parsed
            },
        }
    }

    /// Whether the plan for exactly `batch` rows is among the scorer's plans.
    fn has_plan(&self, batch: usize) -> bool {
        self.plans.borrow().iter().any(|(b, _)| *b == batch)
    }

    /// The batch of the plan that scores `rows` candidates at once (`rows` at most
    /// [`LARGEST_PLAN`]; longer lists run in chunks).
    fn batch_for(&self, rows: usize) -> usize {
        self.fixed_batch
            .unwrap_or_else(|| rows.clamp(1, LARGEST_PLAN).next_power_of_two())
    }

    /// Runs the next stage of `preparation`; true once its plan is kept, so that the first
    /// re-rank does not pay for it. The output shape is checked on the way, since that needs
    /// a typed model.
    ///
    /// # Errors
    /// [`Error::ModelContract`] for the output shape, [`Error::ModelRuntime`] when tract
    /// cannot type or optimize the model.
    pub fn advance(&self, preparation: &mut Preparation) -> Result<bool> {
        let batch = preparation.batch;
        // Parsed while the stage runs: a stage that fails leaves the preparation to start
        // over, and fail the same way, rather than look done.
        let stage = std::mem::replace(&mut preparation.stage, Stage::Parsed);
        preparation.stage = match self.next_stage(stage, batch)? {
            Stage::Planned(state) => {
                if !self.has_plan(batch) {
                    self.plans.borrow_mut().push((batch, state));
                }
                Stage::Kept
            }
            stage => stage,
        };
        Ok(preparation.is_done())
    }

    /// The stage after `stage`, in making the plan for exactly `batch` rows.
    fn next_stage(&self, stage: Stage, batch: usize) -> Result<Stage> {
        Ok(match stage {
            Stage::Parsed => Stage::Typed(self.typed(batch)?),
            Stage::Typed(model) => {
                Stage::Decluttered(model.into_decluttered().map_err(unprepared)?)
            }
            Stage::Decluttered(mut model) => {
                model.optimize().map_err(unprepared)?;
                Stage::Optimized(model)
            }
            Stage::Optimized(model) => Stage::Planned(runnable(model)?),
            done @ (Stage::Planned(_) | Stage::Kept) => done,
        })
    }

    /// The batch size the model was exported with, when fixed; `None` for any batch.
    pub fn fixed_batch(&self) -> Option<usize> {
        self.fixed_batch
    }

    /// Scores `rows` (row-major, `FEATURE_COUNT` per candidate): one score per candidate.
    ///
    /// # Errors
    /// [`Error::InvalidField`] when `rows` is not a whole number of rows, and
    /// [`Error::ModelRuntime`] when the model fails or returns the wrong number of scores.
    pub fn score(&self, rows: &[f32]) -> Result<Vec<f32>> {
        let mut scores = vec![0.0; rows.len() / FEATURE_COUNT];
        self.score_into(rows, &mut scores)?;
        Ok(scores)
    }

    /// Like [`Scorer::score`], into `scores`, which must hold one score per row.
    ///
    /// # Errors
    /// As [`Scorer::score`], and [`Error::InvalidField`] when `scores` is not one per row.
    pub fn score_into(&self, rows: &[f32], scores: &mut [f32]) -> Result<()> {
        if !rows.len().is_multiple_of(FEATURE_COUNT) {
            return Err(Error::invalid(
                "features",
                "a whole number of rows of 13 values",
                format!("{} values", rows.len()),
            ));
        }
        let n = rows.len() / FEATURE_COUNT;
        if scores.len() != n {
            return Err(Error::invalid(
                "scores",
                "one place per row",
                format!("{} places for {n} rows", scores.len()),
            ));
        }
        let chunk = match self.fixed_batch {
            Some(k) => k,
            None => n.clamp(1, LARGEST_PLAN),
        };
        for (rows, scores) in rows
            .chunks(chunk * FEATURE_COUNT)
            .zip(scores.chunks_mut(chunk))
        {
            let batch = self.batch_for(scores.len());
            self.with_plan(batch, |state| run(state, batch, rows, scores))?;
        }
        Ok(())
    }

    /// Calls `f` with the run state of the plan for exactly `batch` rows, made on first use.
    fn with_plan<T>(
        &self,
        batch: usize,
        f: impl FnOnce(&mut TypedSimpleState) -> Result<T>,
    ) -> Result<T> {
        let mut plans = self.plans.borrow_mut();
        let index = match plans.iter().position(|(b, _)| *b == batch) {
            Some(index) => index,
            None => {
                plans.push((batch, self.plan_for(batch)?));
                plans.len() - 1
            }
        };
        f(&mut plans[index].1)
    }

    /// The model optimized for exactly `batch` rows, with its run state: every stage of
    /// [`Scorer::advance`] in one call.
    fn plan_for(&self, batch: usize) -> Result<TypedSimpleState> {
        let mut stage = Stage::Parsed;
        loop {
            stage = match self.next_stage(stage, batch)? {
                Stage::Planned(state) => return Ok(state),
                stage => stage,
            };
        }
    }

    /// The model typed for exactly `batch` rows, before any optimization.
    fn typed(&self, batch: usize) -> Result<TypedModel> {
        let fact = f32::fact([batch, FEATURE_COUNT]);
        self.model
            .clone()
            .with_input_fact(0, fact.into())
            .and_then(|model| model.into_typed())
            .map_err(unprepared)
    }
}

/// How far [`Scorer::advance`] got with one plan.
pub struct Preparation {
    batch: usize,
    stage: Stage,
}

impl Preparation {
    /// True once the plan is among the scorer's plans.
    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Kept)
    }
}

enum Stage {
    Parsed,
    Typed(TypedModel),
    Decluttered(TypedModel),
    Optimized(TypedModel),
    Planned(TypedSimpleState),
    /// The plan is among the scorer's plans.
    Kept,
}

/// An optimized model's run state, once its output is checked against the contract.
fn runnable(optimized: TypedModel) -> Result<TypedSimpleState> {
    check_output_shape(&optimized)?;
    let plan = optimized.into_runnable().map_err(unprepared)?;
    plan.spawn().map_err(runtime)
}

fn unprepared(e: impl std::fmt::Display) -> Error {
    Error::ModelRuntime(format!("cannot prepare the model: {e:#}"))
}

/// One run of a plan for `batch` rows on `rows` (at most `batch` of them; zeros pad the rest),
/// with a score per row of `rows` written into `scores`.
fn run(state: &mut TypedSimpleState, batch: usize, rows: &[f32], scores: &mut [f32]) -> Result<()> {
    let mut input = Tensor::zero::<f32>(&[batch, FEATURE_COUNT]).map_err(runtime)?;
    input
        .try_as_plain_ram_mut()
        .and_then(|mut plain| {
            plain
                .as_slice_mut::<f32>()
                .map(|slice| slice[..rows.len()].copy_from_slice(rows))
        })
        .map_err(runtime)?;
    let outputs = state.run(tvec!(input.into())).map_err(runtime)?;
    let plain = outputs[0].try_as_plain_ram().map_err(runtime)?;
    let computed = plain.as_slice::<f32>().map_err(runtime)?;
    if computed.len() != batch {
        return Err(Error::ModelRuntime(format!(
            "the model returned {} scores for {batch} candidates",
            computed.len()
        )));
    }
    scores.copy_from_slice(&computed[..scores.len()]);
    Ok(())
}

/// The declared input shape must be `[batch, FEATURE_COUNT]`; returns the batch when the
/// model fixed it to a number.
fn input_batch(model: &InferenceModel) -> Result<Option<usize>> {
    let declared = model.input_fact(0).map_err(runtime)?;
    let dims: Vec<String> = declared.shape.dims().map(|d| format!("{d:?}")).collect();
    let refuse = || Error::ModelContract {
        what: "input shape",
        expected: format!("[N, {FEATURE_COUNT}]"),
        found: format!("[{}]", dims.join(", ")),
    };
    if !declared.shape.is_open() && dims.len() != 2 {
        return Err(refuse());
    }
    let concrete = |axis: usize| {
        declared
            .shape
            .dim(axis)
            .and_then(|d| d.concretize())
            .and_then(|d| d.to_i64().ok())
    };
    if concrete(1).is_some_and(|width| width != FEATURE_COUNT as i64) {
        return Err(refuse());
    }
    match concrete(0) {
        None => Ok(None),
        Some(k) if k >= 1 => Ok(Some(k as usize)),
        Some(_) => Err(refuse()),
    }
}

/// After optimization the output must be one score per row: `[N]` or `[N, 1]`.
fn check_output_shape(model: &TypedModel) -> Result<()> {
    let fact = model.output_fact(0).map_err(runtime)?;
    let dims = fact.shape.dims();
    let ok = match dims.len() {
        1 => true,
        2 => dims[1].to_i64().ok() == Some(1),
        _ => false,
    };
    if ok {
        return Ok(());
    }
    Err(Error::ModelContract {
        what: "output shape",
        expected: "[N] or [N, 1]".into(),
        found: format!("{:?}", fact.shape),
    })
}

/// tract keeps an operator it has no builder for as a placeholder node; name the first one,
/// since the error tract raises later speaks of a translation failure, not of the operator.
fn check_operators(model: &InferenceModel) -> Result<()> {
    let unknown = model.nodes().iter().find_map(|node| {
        let name = node.op.name();
        let op = name.strip_prefix("Unimplemented(")?.strip_suffix(')')?;
        Some(format!("{op:?} (node {:?})", node.name))
    });
    match unknown {
        None => Ok(()),
        Some(found) => Err(Error::ModelContract {
            what: "operators",
            expected: format!("only {}", crate::operators::OPERATORS.join(", ")),
            found,
        }),
    }
}

/// Refuses a model file over [`MAX_MODEL_BYTES`].
///
/// # Errors
/// [`Error::ModelContract`] with the file's size.
pub fn check_size(bytes: usize) -> Result<()> {
    if bytes > MAX_MODEL_BYTES {
        return Err(Error::ModelContract {
            what: "the model file's size",
            expected: "at most 8 MiB".into(),
            found: format!("{bytes} bytes"),
        });
    }
    Ok(())
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
