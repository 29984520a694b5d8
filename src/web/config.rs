//! The options a page passes to `new Vitrine(config)`, validated field by field.

use serde::Deserialize;

use crate::backoff::Backoff;
use crate::consent::{ConsentMode, ConsentPolicy};
use crate::error::{Error, Result};
use crate::holdout::DEFAULT_HOLDOUT;
use crate::outbox::SyncConfig;
use crate::profile::ProfileConfig;
use crate::ranker::{BrandCap, Policy};
use crate::retention::{Retention, DEFAULT_RETENTION_DAYS};
use crate::signals::{DEFAULT_DAILY_EPSILON, MAX_BATCH_EPSILON};

/// Everything the core layer can be told; the JavaScript wrapper documents each option.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Where signal batches go; no sync at all when absent.
    #[serde(default)]
    pub sync_url: Option<String>,
    /// Least time between two batches.
    #[serde(default = "default_sync_interval_ms")]
    pub sync_interval_ms: f64,
    /// Delay before the first sync attempt after start.
    #[serde(default = "default_first_sync_delay_ms")]
    pub first_sync_delay_ms: f64,
    /// ε spent by one batch.
    #[serde(default = "default_epsilon")]
    pub epsilon: f64,
    /// ε a shopper may spend per day.
    #[serde(default = "default_epsilon")]
    pub daily_epsilon: f64,
    /// Weight of the personal score against the server order, 0 to 1.
    #[serde(default = "default_personal_weight")]
    pub personal_weight: f64,
    /// At most this many items of one brand in the first `diversityDepth` positions of a
    /// widget; no cap when absent.
    #[serde(default)]
    pub max_per_brand: Option<u32>,
    /// How many leading positions `maxPerBrand` covers.
    #[serde(default = "default_diversity_depth")]
    pub diversity_depth: u32,
    /// Half-life of affinities, in days.
    #[serde(default = "default_half_life_days")]
    pub half_life_days: f64,
    /// Prefix of every storage key Vitrine writes.
    #[serde(default = "default_storage_prefix")]
    pub storage_prefix: String,
    /// Whether to capture views, clicks and cart actions from `data-vitrine-*` attributes.
    #[serde(default = "default_true")]
    pub auto_capture: bool,
    /// How long to gather profile changes before one write to storage.
    #[serde(default = "default_persist_delay_ms")]
    pub persist_delay_ms: f64,
    /// Days a stored fact about the shopper may be kept.
    #[serde(default = "default_retention_days")]
    pub retention_days: f64,
    /// `"opt-out"` (default): sync unless revoked; `"opt-in"`: sync only once granted.
    #[serde(default)]
    pub consent: ConsentMode,
    /// Whether Global Privacy Control stops sync (default `true`).
    #[serde(default = "default_true")]
    pub honor_global_privacy_control: bool,
    /// Whether re-ranking and tracking go on when sync is not allowed (default `true`).
    #[serde(default = "default_true")]
    pub personalize_without_consent: bool,
    /// Fraction of shoppers, 0 to 1, who see the server's order (the holdout arm).
    #[serde(default = "default_holdout")]
    pub holdout: f64,
    /// Upper bound of the first retry wait, in ms.
    #[serde(default = "default_retry_base_ms")]
    pub retry_base_ms: f64,
    /// Longest retry wait, in ms.
    #[serde(default = "default_retry_max_ms")]
    pub retry_max_ms: f64,
}

impl Config {
    /// Parses and checks the options.
    ///
    /// # Errors
    /// [`Error::Malformed`] for an unknown option or a wrong type, [`Error::InvalidField`]
    /// naming the first option out of range.
    pub fn from_js(value: &wasm_bindgen::JsValue) -> Result<Config> {
        let json = if value.is_undefined() || value.is_null() {
            "{}".to_owned()
        } else {
            super::json::stringify(value)?
        };
        let config: Config = crate::error::parse_json("config", &json)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        let positive = |field: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(field, "a positive number", v))
            }
        };
        positive("syncIntervalMs", self.sync_interval_ms)?;
        positive("halfLifeDays", self.half_life_days)?;
        positive("dailyEpsilon", self.daily_epsilon)?;
        positive("retentionDays", self.retention_days)?;
        positive("retryBaseMs", self.retry_base_ms)?;
        if !(self.retry_max_ms.is_finite() && self.retry_max_ms >= self.retry_base_ms) {
            return Err(Error::invalid(
                "retryMaxMs",
                "a number ≥ retryBaseMs",
                self.retry_max_ms,
            ));
        }
        if !(0.0..=1.0).contains(&self.holdout) {
            return Err(Error::invalid(
                "holdout",
                "a fraction from 0 to 1",
                self.holdout,
            ));
        }
        if !(self.first_sync_delay_ms.is_finite() && self.first_sync_delay_ms >= 0.0) {
            return Err(Error::invalid(
                "firstSyncDelayMs",
                "a number ≥ 0",
                self.first_sync_delay_ms,
            ));
        }
        if !(self.persist_delay_ms.is_finite() && self.persist_delay_ms >= 0.0) {
            return Err(Error::invalid(
                "persistDelayMs",
                "a number ≥ 0",
                self.persist_delay_ms,
            ));
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0 && self.epsilon <= MAX_BATCH_EPSILON) {
            return Err(Error::invalid(
                "epsilon",
                "a number in (0, 10]",
                self.epsilon,
            ));
        }
        if !(0.0..=1.0).contains(&self.personal_weight) {
            return Err(Error::invalid(
                "personalWeight",
                "a number from 0 to 1",
                self.personal_weight,
            ));
        }
        if self.max_per_brand == Some(0) {
            return Err(Error::invalid(
                "maxPerBrand",
                "an integer ≥ 1, or null for no cap",
                0,
            ));
        }
        if self.diversity_depth == 0 {
            return Err(Error::invalid("diversityDepth", "an integer ≥ 1", 0));
        }
        if self.storage_prefix.is_empty() || self.storage_prefix.len() > 64 {
            return Err(Error::invalid(
                "storagePrefix",
                "1 to 64 characters",
                &self.storage_prefix,
            ));
        }
        Ok(())
    }

    /// The profile's tunables.
    pub fn profile(&self) -> ProfileConfig {
        ProfileConfig {
            half_life_ms: self.half_life_days * 86_400_000.0,
        }
    }

    /// The sync schedule.
    pub fn sync(&self) -> SyncConfig {
        SyncConfig {
            interval_ms: self.sync_interval_ms,
            epsilon: self.epsilon,
            daily_epsilon: self.daily_epsilon,
            backoff: Backoff {
                base_ms: self.retry_base_ms,
                max_ms: self.retry_max_ms,
            },
        }
    }

    /// The consent rules.
    pub fn consent_policy(&self) -> ConsentPolicy {
        ConsentPolicy {
            mode: self.consent,
            honor_gpc: self.honor_global_privacy_control,
        }
    }

    /// How long stored facts live.
    pub fn retention(&self) -> Retention {
        Retention::days(self.retention_days)
    }

    /// The re-ranking policy.
    pub fn policy(&self) -> Policy {
        Policy {
            personal_weight: self.personal_weight,
            diversity: self.max_per_brand.map(|max| BrandCap {
                max_per_brand: max as usize,
                depth: self.diversity_depth as usize,
            }),
        }
    }
}

fn default_sync_interval_ms() -> f64 {
    SyncConfig::default().interval_ms
}
fn default_first_sync_delay_ms() -> f64 {
    3_000.0
}
fn default_epsilon() -> f64 {
    DEFAULT_DAILY_EPSILON
}
fn default_personal_weight() -> f64 {
    Policy::default().personal_weight
}
fn default_diversity_depth() -> u32 {
    10
}
fn default_half_life_days() -> f64 {
    ProfileConfig::default().half_life_ms / 86_400_000.0
}
fn default_storage_prefix() -> String {
    "vitrine".to_owned()
}
fn default_true() -> bool {
    true
}
fn default_retention_days() -> f64 {
    DEFAULT_RETENTION_DAYS
}
fn default_holdout() -> f64 {
    DEFAULT_HOLDOUT
}
fn default_retry_base_ms() -> f64 {
    Backoff::default().base_ms
}
fn default_retry_max_ms() -> f64 {
    Backoff::default().max_ms
}
fn default_persist_delay_ms() -> f64 {
    1_000.0
}
