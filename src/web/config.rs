//! The options a page passes to `new Vitrine(config)`, validated field by field.
//!
//! Read by hand from the options' JSON (see `web::json` for why JSON): an unknown option is
//! refused by name, a wrong type names its option and what it got, and an absent or `null`
//! option takes its default, as `undefined` does.

use crate::backoff::Backoff;
use crate::consent::{ConsentMode, ConsentPolicy};
use crate::error::{Error, Result};
use crate::holdout::DEFAULT_HOLDOUT;
use crate::json::{self, Object, Value};
use crate::number::Shortest;
use crate::outbox::SyncConfig;
use crate::profile::ProfileConfig;
use crate::ranker::{BrandCap, Policy};
use crate::retention::{Retention, DEFAULT_RETENTION_DAYS};
use crate::signals::{DEFAULT_DAILY_EPSILON, MAX_BATCH_EPSILON};

/// Longest JSON form of the options we read; a real one is well under 1 KB.
const MAX_CONFIG_JSON_BYTES: usize = 64 << 10;

/// Everything the core layer can be told; the JavaScript wrapper documents each option.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where signal batches go; no sync at all when absent.
    pub sync_url: Option<String>,
    /// Least time between two batches.
    pub sync_interval_ms: f64,
    /// Delay before the first sync attempt after start.
    pub first_sync_delay_ms: f64,
    /// ε spent by one batch.
    pub epsilon: f64,
    /// ε a shopper may spend per day.
    pub daily_epsilon: f64,
    /// Weight of the personal score against the server order, 0 to 1.
    pub personal_weight: f64,
    /// At most this many items of one brand in the first `diversityDepth` positions of a
    /// widget; no cap when absent.
    pub max_per_brand: Option<u32>,
    /// How many leading positions `maxPerBrand` covers.
    pub diversity_depth: u32,
    /// Half-life of affinities, in days.
    pub half_life_days: f64,
    /// Prefix of every storage key Vitrine writes.
    pub storage_prefix: String,
    /// Whether to capture views, clicks and cart actions from `data-vitrine-*` attributes.
    pub auto_capture: bool,
    /// How long to gather profile changes before one write to storage.
    pub persist_delay_ms: f64,
    /// Days a stored fact about the shopper may be kept.
    pub retention_days: f64,
    /// `"opt-out"` (default): sync unless revoked; `"opt-in"`: sync only once granted.
    pub consent: ConsentMode,
    /// Whether Global Privacy Control stops sync (default `true`).
    pub honor_global_privacy_control: bool,
    /// Whether re-ranking and tracking go on when sync is not allowed (default `true`).
    pub personalize_without_consent: bool,
    /// Fraction of shoppers, 0 to 1, who see the server's order (the holdout arm).
    pub holdout: f64,
    /// Upper bound of the first retry wait, in ms.
    pub retry_base_ms: f64,
    /// Longest retry wait, in ms.
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
            super::json::stringify(
                value,
                "config",
                MAX_CONFIG_JSON_BYTES,
                "at most 64 KiB of JSON",
            )?
        };
        let config = Config::read(&json)?;
        config.validate()?;
        Ok(config)
    }

    /// The options in `json`, each of its type, an absent one (or `null` for an optional
    /// one) taking its default.
    fn read(json: &str) -> Result<Config> {
        let value = json::parse(json).map_err(|e| malformed(e.to_string()))?;
        let Value::Object(options) = &value else {
            return Err(malformed(format!(
                "expected an object, got {}",
                value.quoted()
            )));
        };
        if let Some((unknown, _)) = options.iter().find(|(name, _)| !OPTIONS.contains(name)) {
            let known: Vec<String> = OPTIONS.iter().map(|name| format!("`{name}`")).collect();
            return Err(malformed(format!(
                "unknown option `{unknown}`, expected one of {}",
                known.join(", ")
            )));
        }
        let read = Options(options);
        Ok(Config {
            sync_url: read
                .optional("syncUrl", "a URL", Value::as_str)?
                .map(str::to_owned),
            sync_interval_ms: read.number("syncIntervalMs", default_sync_interval_ms())?,
            first_sync_delay_ms: read.number("firstSyncDelayMs", 3_000.0)?,
            epsilon: read.number("epsilon", DEFAULT_DAILY_EPSILON)?,
            daily_epsilon: read.number("dailyEpsilon", DEFAULT_DAILY_EPSILON)?,
            personal_weight: read.number("personalWeight", Policy::default().personal_weight)?,
            max_per_brand: read.optional("maxPerBrand", WHOLE, whole)?,
            diversity_depth: read.optional("diversityDepth", WHOLE, whole)?.unwrap_or(10),
            half_life_days: read.number("halfLifeDays", default_half_life_days())?,
            storage_prefix: read
                .optional("storagePrefix", "a string", Value::as_str)?
                .unwrap_or("vitrine")
                .to_owned(),
            auto_capture: read.boolean("autoCapture", true)?,
            persist_delay_ms: read.number("persistDelayMs", 1_000.0)?,
            retention_days: read.number("retentionDays", DEFAULT_RETENTION_DAYS)?,
            consent: read
                .optional("consent", "\"opt-in\" or \"opt-out\"", |v| {
                    v.as_str().and_then(ConsentMode::from_name)
                })?
                .unwrap_or_default(),
            honor_global_privacy_control: read.boolean("honorGlobalPrivacyControl", true)?,
            personalize_without_consent: read.boolean("personalizeWithoutConsent", true)?,
            holdout: read.number("holdout", DEFAULT_HOLDOUT)?,
            retry_base_ms: read.number("retryBaseMs", Backoff::default().base_ms)?,
            retry_max_ms: read.number("retryMaxMs", Backoff::default().max_ms)?,
        })
    }

    fn validate(&self) -> Result<()> {
        let positive = |field: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(field, "a positive number", Shortest(v)))
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
                Shortest(self.retry_max_ms),
            ));
        }
        if !(0.0..=1.0).contains(&self.holdout) {
            return Err(Error::invalid(
                "holdout",
                "a fraction from 0 to 1",
                Shortest(self.holdout),
            ));
        }
        if !(self.first_sync_delay_ms.is_finite() && self.first_sync_delay_ms >= 0.0) {
            return Err(Error::invalid(
                "firstSyncDelayMs",
                "a number ≥ 0",
                Shortest(self.first_sync_delay_ms),
            ));
        }
        if !(self.persist_delay_ms.is_finite() && self.persist_delay_ms >= 0.0) {
            return Err(Error::invalid(
                "persistDelayMs",
                "a number ≥ 0",
                Shortest(self.persist_delay_ms),
            ));
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0 && self.epsilon <= MAX_BATCH_EPSILON) {
            return Err(Error::invalid(
                "epsilon",
                "a number in (0, 10]",
                Shortest(self.epsilon),
            ));
        }
        if !(0.0..=1.0).contains(&self.personal_weight) {
            return Err(Error::invalid(
                "personalWeight",
                "a number from 0 to 1",
                Shortest(self.personal_weight),
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

/// Every option the core reads, as the page spells it. The npm wrapper's `CORE_OPTIONS`
/// (js/src/index.ts) lists the same names, to refuse a typo before the core starts;
/// `tests/option_lists.rs` keeps the two lists equal.
const OPTIONS: &[&str] = &[
    "syncUrl",
    "syncIntervalMs",
    "firstSyncDelayMs",
    "epsilon",
    "dailyEpsilon",
    "personalWeight",
    "maxPerBrand",
    "diversityDepth",
    "halfLifeDays",
    "storagePrefix",
    "autoCapture",
    "persistDelayMs",
    "retentionDays",
    "consent",
    "honorGlobalPrivacyControl",
    "personalizeWithoutConsent",
    "holdout",
    "retryBaseMs",
    "retryMaxMs",
];

const WHOLE: &str = "a whole number";

/// The options object, read one option at a time.
struct Options<'a>(&'a Object);

impl Options<'_> {
    /// Option `name` read by `read`, which gives `None` for a value of the wrong type; an
    /// absent or `null` option is `Ok(None)`.
    fn optional<'v, T>(
        &'v self,
        name: &str,
        expected: &str,
        read: impl Fn(&'v Value) -> Option<T>,
    ) -> Result<Option<T>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => read(value)
                .map(Some)
                .ok_or_else(|| wrong_type(name, expected, value)),
        }
    }

    /// Number option `name`, `default` when absent or `null`.
    fn number(&self, name: &str, default: f64) -> Result<f64> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(value) => value
                .as_f64()
                .ok_or_else(|| wrong_type(name, "a number", value)),
        }
    }

    /// Boolean option `name`, `default` when absent or `null`.
    fn boolean(&self, name: &str, default: bool) -> Result<bool> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(value) => Err(wrong_type(name, "true or false", value)),
        }
    }
}

fn whole(value: &Value) -> Option<u32> {
    value.as_u64().and_then(|n| u32::try_from(n).ok())
}

fn malformed(why: String) -> Error {
    Error::Malformed(format!("config: {why}"))
}

fn wrong_type(name: &str, expected: &str, got: &Value) -> Error {
    malformed(format!(
        "`{name}`: expected {expected}, got {}",
        got.quoted()
    ))
}

fn default_sync_interval_ms() -> f64 {
    SyncConfig::default().interval_ms
}
fn default_half_life_days() -> f64 {
    ProfileConfig::default().half_life_ms / 86_400_000.0
}
