//! # Vitrine
//!
//! On-device personalization for online stores. Vitrine watches what a shopper does on the
//! page, keeps a private profile in their browser, re-ranks the widgets the page already
//! shows, and sends the store's server only aggregated, noised signals.
//!
//! The crate is layered. Everything at the top level is plain Rust that builds and tests
//! natively:
//!
//! - [`event`]: what a shopper did, validated;
//! - [`event_log`]: a tab's own numbered events, so two tabs merge one profile without loss;
//! - [`profile`] and [`affinity`]: the bounded, decayed local profile;
//! - [`engagement`]: recency, frequency and depth of visits, an estimate the page may read;
//! - [`features`]: profile + candidates → the model's input rows (the feature contract);
//! - [`model`] (cargo feature `model`): the tract-onnx scorer and its contract checks;
//! - [`ranker`]: scores → an explained order blended with the server's;
//! - [`segment`]: the nearest of the shipped shopper segments, and the k-means that made them;
//! - [`funnel`]: the furthest widget stage since the last batch;
//! - [`signals`]: the only thing that leaves the device, with its privacy budget;
//! - [`outbox`]: when a batch is built, and what an answer from the collector means;
//! - [`backoff`]: the retry schedule of a batch the collector did not take;
//! - [`consent`]: consent mode, the shopper's choice and Global Privacy Control;
//! - [`holdout`]: the stable, random experiment arm;
//! - [`ledger`]: the shopper's on-device record of every batch sent;
//! - [`retention`] and [`controls`]: how long stored facts live, and the shopper's pause;
//! - [`inventory`]: the declared list of everything stored and sent (the privacy audit);
//! - [`json`] and [`stored`]: JSON text to a tree and back, and stored records read field by
//!   field; [`number`], [`label_map`] and [`order`]: decimal text, small sorted maps and one
//!   sort, each there to keep the start-up wasm small.
//!
//! The browser glue (`web`, on `wasm32` only) moves data between the page and these modules.
//! Built with the `ranker` feature instead, the crate is the SDK's second wasm: only the
//! model runtime behind a small `Ranker` class (`web_ranker`), which the core loads lazily.
//!
//! Panic policy: code here panics only on a broken internal invariant, and says so in the
//! message. Input from a page or a stored blob never panics; it gives an [`Error`]. In the
//! browser, panics abort and the JavaScript wrapper keeps the server order.
#![warn(missing_docs)]

pub mod affinity;
pub mod backoff;
pub mod consent;
pub mod controls;
pub mod engagement;
pub mod error;
pub mod event;
mod event_json;
pub mod event_log;
pub mod features;
pub mod funnel;
pub mod fuzzing;
pub mod holdout;
pub mod inventory;
pub mod json;
pub mod label_map;
pub mod ledger;
#[cfg(feature = "model")]
pub mod model;
pub mod number;
pub mod offline;
#[cfg(feature = "model")]
pub mod operators;
pub mod order;
pub mod outbox;
pub mod profile;
pub mod ranker;
pub mod retention;
pub mod segment;
pub mod signals;
pub mod stored;
#[cfg(all(target_arch = "wasm32", not(feature = "ranker")))]
mod web;
#[cfg(all(target_arch = "wasm32", feature = "ranker"))]
mod web_ranker;

pub use error::{Error, Result};
#[cfg(all(target_arch = "wasm32", not(feature = "ranker")))]
pub use web::Vitrine;
#[cfg(all(target_arch = "wasm32", feature = "ranker"))]
pub use web_ranker::Ranker;
