//! Offline replay of real shopper logs: the ground truth the model is trained and judged on.
//!
//! Everything here is plain Rust and runs natively, for the `vitrine-dataset` tool (training
//! rows) and the evaluation CLI. It replays logged sessions through the very [`Profile`] and
//! [`extract`] the SDK runs in the browser, so training never sees features computed any
//! other way.
//!
//! - [`rees46`]: the REES46 CSV → shopper sessions of validated events;
//! - [`split`]: the time split into train and test sessions;
//! - [`catalogue`]: the training catalogue and its popularity, which play the server;
//! - [`candidates`]: the protocol: per target, the history, the candidate list and its order;
//! - [`metrics`]: HR@10, NDCG@10 and MRR, for all targets and those new to the session;
//! - [`rng`]: the small seeded generator that makes the protocol deterministic.
//!
//! [`Profile`]: crate::profile::Profile
//! [`extract`]: crate::features::extract

pub mod candidates;
pub mod catalogue;
pub mod metrics;
pub mod rees46;
pub mod rng;
pub mod split;
