//! What may leave the device: the aggregated, noised signal batch, and the privacy budget.
//!
//! This module is the only source of bytes that Vitrine sends. A [`SignalBatch`] has no field
//! that could hold a product id, a query, a URL or a timestamp: what leaves is fixed by this
//! type, not by convention. Each field is randomized on the device with local differential
//! privacy before it is built, so the collector learns population statistics and no one
//! shopper's answer.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::profile::Profile;

/// The version of the batch's shape.
pub const SIGNAL_SCHEMA: u32 = 1;
/// Largest body the collector accepts, in bytes.
pub const MAX_BATCH_BYTES: usize = 16 * 1024;
/// By default a shopper spends at most ln 3 of privacy budget per day.
pub const DEFAULT_DAILY_EPSILON: f64 = 1.098_612_288_668_109_8;
/// The most a single batch may claim to spend.
pub const MAX_BATCH_EPSILON: f64 = 10.0;

/// The top-level categories an interest report can name. Anything else reports as `other`.
/// The domain is part of the schema: it must be fixed for the noise to be decodable.
pub const INTEREST_DOMAIN: [&str; 14] = [
    "electronics",
    "appliances",
    "computers",
    "furniture",
    "auto",
    "apparel",
    "construction",
    "kids",
    "accessories",
    "sport",
    "stationery",
    "country_yard",
    "medicine",
    "other",
];

/// Engagement bands: 0 new (one session, little activity), 1 browsing, 2 engaged (several
/// sessions or many views), 3 buying (has added to cart).
pub const ENGAGEMENT_BANDS: u8 = 4;

/// Share of a batch's ε spent on the interest report; the rest goes to the engagement band.
const INTEREST_SHARE: f64 = 0.75;

/// One shopper's contribution, as it travels to the collector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalBatch {
    /// [`SIGNAL_SCHEMA`].
    pub schema: u32,
    /// 32 lowercase hex digits, random per batch: the collector drops re-sends by it.
    pub batch_id: String,
    /// The total ε this batch spent.
    pub epsilon: f64,
    /// Optimized unary encoding of the strongest top-level category over
    /// [`INTEREST_DOMAIN`]: one bit per category, each randomized.
    pub interest: Vec<u8>,
    /// The engagement band, randomized by k-ary randomized response.
    pub engagement_band: u8,
}

impl SignalBatch {
    /// Builds a noised batch from the profile, spending `epsilon` in all.
    pub fn from_profile(profile: &Profile, epsilon: f64, entropy: &mut dyn Entropy) -> Self {
        let now = profile.clock_ms();
        let interest_index = profile
            .top_categories
            .top(1, now, profile.half_life_ms())
            .first()
            .map_or(INTEREST_DOMAIN.len() - 1, |(label, _)| {
                interest_index(label)
            });
        let interest_eps = epsilon * INTEREST_SHARE;
        SignalBatch {
            schema: SIGNAL_SCHEMA,
            batch_id: random_hex(entropy),
            epsilon,
            interest: unary_encode(interest_index, INTEREST_DOMAIN.len(), interest_eps, entropy),
            engagement_band: randomized_response(
                engagement_band(profile),
                ENGAGEMENT_BANDS,
                epsilon - interest_eps,
                entropy,
            ),
        }
    }

    /// Parses and validates a batch as the collector receives it.
    ///
    /// # Errors
    /// [`Error::Malformed`] for a body that is too large or not a batch's JSON shape (unknown
    /// fields included), and [`Error::InvalidField`] naming the first out-of-range field.
    pub fn parse(body: &[u8]) -> Result<Self> {
        if body.len() > MAX_BATCH_BYTES {
            return Err(Error::Malformed(format!(
                "body is {} bytes, the limit is {MAX_BATCH_BYTES}",
                body.len()
            )));
        }
        let batch: SignalBatch =
            serde_json::from_slice(body).map_err(|e| Error::Malformed(e.to_string()))?;
        batch.validate()?;
        Ok(batch)
    }

    /// Checks every field's range.
    pub fn validate(&self) -> Result<()> {
        if self.schema != SIGNAL_SCHEMA {
            return Err(Error::invalid("schema", "1", self.schema));
        }
        let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
        if self.batch_id.len() != 32 || !self.batch_id.chars().all(hex) {
            return Err(Error::invalid(
                "batch_id",
                "32 lowercase hex digits",
                &self.batch_id,
            ));
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0 && self.epsilon <= MAX_BATCH_EPSILON) {
            return Err(Error::invalid(
                "epsilon",
                "a number in (0, 10]",
                self.epsilon,
            ));
        }
        if self.interest.len() != INTEREST_DOMAIN.len() {
            return Err(Error::invalid(
                "interest",
                "an array of 14 bits",
                format!("{} entries", self.interest.len()),
            ));
        }
        if let Some(i) = self.interest.iter().position(|&bit| bit > 1) {
            return Err(Error::invalid(
                format!("interest[{i}]"),
                "0 or 1",
                self.interest[i],
            ));
        }
        if self.engagement_band >= ENGAGEMENT_BANDS {
            return Err(Error::invalid(
                "engagement_band",
                "an integer from 0 to 3",
                self.engagement_band,
            ));
        }
        Ok(())
    }

    /// The JSON body to send.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("invariant: a batch always serializes")
    }
}

/// The interest slot of a top-level category label.
pub fn interest_index(label: &str) -> usize {
    INTEREST_DOMAIN
        .iter()
        .position(|&c| c == label)
        .unwrap_or(INTEREST_DOMAIN.len() - 1)
}

/// The shopper's true engagement band, before noise.
pub fn engagement_band(profile: &Profile) -> u8 {
    let totals = &profile.totals;
    if totals.cart_adds > 0 {
        3
    } else if totals.sessions > 1 || totals.views >= 10 {
        2
    } else if totals.events >= 3 {
        1
    } else {
        0
    }
}

/// How much ε a shopper has spent today, so that no day exceeds its budget.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PrivacyBudget {
    /// UTC day number (days since the epoch) the spending below belongs to.
    pub day: i64,
    /// ε spent on that day.
    pub spent: f64,
}

impl PrivacyBudget {
    /// Spends `epsilon` on the UTC day of `now_ms` if the day's `daily_limit` allows it.
    pub fn try_spend(&mut self, epsilon: f64, daily_limit: f64, now_ms: f64) -> bool {
        let day = (now_ms / 86_400_000.0).floor() as i64;
        if day > self.day {
            *self = PrivacyBudget { day, spent: 0.0 };
        }
        // A tiny tolerance, so a limit of exactly ln 3 admits one batch of exactly ln 3.
        if self.spent + epsilon > daily_limit + 1e-12 {
            return false;
        }
        self.spent += epsilon;
        true
    }
}

/// A source of unpredictable bytes. On the device it must be a CSPRNG: a predictable one
/// would let the collector undo the noise.
pub trait Entropy {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]);

    /// A uniform number in `[0, 1)`.
    fn uniform(&mut self) -> f64 {
        let mut bytes = [0u8; 8];
        self.fill(&mut bytes);
        (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The operating system's CSPRNG (`crypto.getRandomValues` in the browser).
pub struct SystemEntropy;

impl Entropy for SystemEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        // Failure means the platform has no CSPRNG at all; sending un-noised data is not an
        // acceptable fallback, and every platform we build for has one.
        getrandom::fill(buf).expect("invariant: the platform provides a CSPRNG");
    }
}

fn random_hex(entropy: &mut dyn Entropy) -> String {
    let mut bytes = [0u8; 16];
    entropy.fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Optimized unary encoding (Wang et al., 2017): the true slot reports 1 with probability ½,
/// every other slot reports 1 with probability 1 / (e^ε + 1).
fn unary_encode(true_index: usize, len: usize, epsilon: f64, entropy: &mut dyn Entropy) -> Vec<u8> {
    let q = 1.0 / (epsilon.exp() + 1.0);
    (0..len)
        .map(|i| {
            let p_one = if i == true_index { 0.5 } else { q };
            u8::from(entropy.uniform() < p_one)
        })
        .collect()
}

/// k-ary randomized response: the truth with probability e^ε / (e^ε + k − 1), otherwise one
/// of the other k − 1 values uniformly.
fn randomized_response(truth: u8, k: u8, epsilon: f64, entropy: &mut dyn Entropy) -> u8 {
    let e = epsilon.exp();
    let keep = e / (e + f64::from(k) - 1.0);
    if entropy.uniform() < keep {
        return truth;
    }
    let other = (entropy.uniform() * f64::from(k - 1)).floor() as u8;
    let other = other.min(k - 2);
    if other >= truth {
        other + 1
    } else {
        other
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::event::{Event, Product};

    /// A deterministic stream for tests only: the replay's SplitMix64 behind [`Entropy`].
    /// Deliberately not public: a predictable stream would let a collector undo the noise.
    pub(crate) struct SeededEntropy(crate::offline::rng::SplitMix64);

    impl SeededEntropy {
        pub(crate) fn new(seed: u64) -> Self {
            SeededEntropy(crate::offline::rng::SplitMix64::new(seed))
        }
    }

    impl Entropy for SeededEntropy {
        fn fill(&mut self, buf: &mut [u8]) {
            for chunk in buf.chunks_mut(8) {
                chunk.copy_from_slice(&self.0.next_u64().to_le_bytes()[..chunk.len()]);
            }
        }
    }

    fn shopper() -> Profile {
        let mut p = Profile::default();
        let product = Product {
            id: "1004237".into(),
            category: Some("electronics.smartphone".into()),
            brand: Some("apple".into()),
            price: Some(1081.98),
        };
        p.apply(&Event::ProductViewed { product }, 1_000.0);
        p
    }

    #[test]
    fn a_batch_validates_and_carries_no_identifiers() {
        let batch = SignalBatch::from_profile(
            &shopper(),
            DEFAULT_DAILY_EPSILON,
            &mut SeededEntropy::new(7),
        );
        let json = batch.to_json();
        assert_eq!(SignalBatch::parse(json.as_bytes()).unwrap(), batch);
        assert!(
            !json.contains("1004237") && !json.contains("apple") && !json.contains("smartphone")
        );
    }

    #[test]
    fn the_collector_rejects_bad_batches_naming_the_field() {
        let good = SignalBatch::from_profile(&shopper(), 1.0, &mut SeededEntropy::new(1));
        let mut bad = good.clone();
        bad.interest[3] = 2;
        let err = SignalBatch::parse(bad.to_json().as_bytes()).unwrap_err();
        assert!(err.to_string().contains("`interest[3]`"), "{err}");

        let with_extra = good.to_json().replacen('{', r#"{"product_id":"1","#, 1);
        assert_eq!(
            SignalBatch::parse(with_extra.as_bytes())
                .unwrap_err()
                .code(),
            "malformed_input"
        );
        assert!(SignalBatch::parse(&vec![b' '; MAX_BATCH_BYTES + 1]).is_err());
    }

    #[test]
    fn noise_is_decodable_in_aggregate() {
        // 20k shoppers all interested in electronics: the unbiased estimate is near 20k.
        let eps = DEFAULT_DAILY_EPSILON * INTEREST_SHARE;
        let mut entropy = SeededEntropy::new(42);
        let n = 20_000;
        let ones: usize = (0..n)
            .map(|_| unary_encode(0, 14, eps, &mut entropy)[0] as usize)
            .sum();
        let q = 1.0 / (eps.exp() + 1.0);
        let estimate = (ones as f64 - n as f64 * q) / (0.5 - q);
        assert!(
            (estimate - n as f64).abs() < 0.05 * n as f64,
            "estimate {estimate}"
        );
    }

    #[test]
    fn randomized_response_stays_in_range() {
        let mut entropy = SeededEntropy::new(3);
        for truth in 0..4 {
            for _ in 0..200 {
                assert!(randomized_response(truth, 4, 0.3, &mut entropy) < 4);
            }
        }
    }

    #[test]
    fn the_daily_budget_holds() {
        let mut budget = PrivacyBudget::default();
        let day = 86_400_000.0;
        assert!(budget.try_spend(DEFAULT_DAILY_EPSILON, DEFAULT_DAILY_EPSILON, 3.0 * day));
        assert!(!budget.try_spend(0.01, DEFAULT_DAILY_EPSILON, 3.5 * day));
        assert!(budget.try_spend(DEFAULT_DAILY_EPSILON, DEFAULT_DAILY_EPSILON, 4.0 * day));
    }
}
