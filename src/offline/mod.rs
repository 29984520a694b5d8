//! Offline replay of real shopper logs: the ground truth the model is trained and judged on.
//!
//! Everything here is plain Rust and runs natively, for the `vitrine-dataset` tool (training
//! rows) and the evaluation CLI. It replays logged sessions through the very [`Profile`] and
//! [`extract`] the SDK runs in the browser, so training never sees features computed any
//! other way.
//!
//! - [`session`]: the log every reader produces: shopper sessions of validated events;
//! - [`csv`]: the delimited-text rules the readers share (quotes, header, line ends);
//! - [`rees46`], [`diginetica`], [`online_retail`]: each log format → a session log;
//! - [`split`]: the time split into train and test sessions;
//! - [`catalogue`]: the training catalogue and its popularity, which play the server;
//! - [`candidates`]: the protocol: per target, the history, the candidate list and its order;
//! - [`metrics`]: HR@10, NDCG@10 and MRR, for all targets and those new to the session;
//! - [`evaluate`]: the one loop that replays sessions and scores every ranker;
//! - [`basket`] and [`copurchase`]: basket completion on invoices, and the co-purchase table;
//! - [`rng`]: the small seeded generator that makes the protocol deterministic.
//!
//! [`Profile`]: crate::profile::Profile
//! [`extract`]: crate::features::extract

pub mod basket;
pub mod candidates;
pub mod catalogue;
pub mod copurchase;
pub mod csv;
pub mod diginetica;
pub mod evaluate;
pub mod metrics;
pub mod online_retail;
pub mod rees46;
pub mod rng;
pub mod session;
pub mod split;
