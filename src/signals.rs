//! What may leave the device: the aggregated, noised signal batch, and the privacy budget.
//!
//! This module is the only source of bytes that Vitrine sends. A [`SignalBatch`] has no field
//! that could hold a product id, a query, a URL or a timestamp: what leaves is fixed by this
//! type, not by convention. Each field is randomized on the device with local differential
//! privacy before it is built, so the collector learns population statistics and no one
//! shopper's answer.

use crate::error::{Error, Result};
use crate::funnel::{FunnelStage, FUNNEL_STAGES};
use crate::json::{Object, Value};
use crate::number::Shortest;
use crate::profile::Profile;
use crate::segment::segment_of;
use crate::stored::Fields;

/// The version of the batch's shape. Schema 2 added `arm`, `segment` and `funnel`.
pub const SIGNAL_SCHEMA: u32 = 2;
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

/// How many shopper segments there are: the domain of the batch's `segment` field.
pub const SEGMENT_COUNT: u8 = 8;

/// The shares of a batch's ε each field spends. They sum to 1, so by sequential composition
/// the whole batch is ε-LDP. Interest gets the most because its 14-slot domain is the widest
/// and the store's first question; the funnel comes next because uplift between arms is the
/// smallest difference the collector must resolve; the coarse engagement band gets least.
pub const INTEREST_SHARE: f64 = 0.4;
/// See [`INTEREST_SHARE`].
pub const SEGMENT_SHARE: f64 = 0.2;
/// See [`INTEREST_SHARE`].
pub const ENGAGEMENT_SHARE: f64 = 0.1;
/// See [`INTEREST_SHARE`].
pub const FUNNEL_SHARE: f64 = 0.3;

/// Which experiment arm a shopper is in. It travels in the clear: it is drawn uniformly at
/// random on the device, independently of anything the shopper does, so it reveals nothing
/// about them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Arm {
    /// Sees Vitrine's order.
    #[default]
    Personalized,
    /// Sees the server's order, so that the store can measure the difference.
    Holdout,
}

impl Arm {
    /// The arm's name in the batch and in explanations.
    pub fn as_str(self) -> &'static str {
        match self {
            Arm::Personalized => "personalized",
            Arm::Holdout => "holdout",
        }
    }

    /// The arm of this name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "personalized" => Some(Arm::Personalized),
            "holdout" => Some(Arm::Holdout),
            _ => None,
        }
    }
}

/// One shopper's contribution, as it travels to the collector.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalBatch {
    /// [`SIGNAL_SCHEMA`].
    pub schema: u32,
    /// 32 lowercase hex digits, random per batch: the collector drops re-sends by it.
    pub batch_id: String,
    /// The total ε this batch spent.
    pub epsilon: f64,
    /// The shopper's experiment arm, in the clear (see [`Arm`]).
    pub arm: Arm,
    /// Optimized unary encoding of the strongest top-level category over
    /// [`INTEREST_DOMAIN`]: one bit per category, each randomized.
    pub interest: Vec<u8>,
    /// The shopper's segment (`crate::segment`), randomized by k-ary randomized response
    /// over `0..SEGMENT_COUNT`.
    pub segment: u8,
    /// The engagement band, randomized by k-ary randomized response.
    pub engagement_band: u8,
    /// The furthest [`FunnelStage`] since the previous batch, randomized by k-ary randomized
    /// response over `0..FUNNEL_STAGES`.
    pub funnel: u8,
}

impl SignalBatch {
    /// Builds a noised batch from the profile, the shopper's arm and their furthest funnel
    /// stage since the last batch, spending `epsilon` in all, split by the `*_SHARE`s.
    pub fn from_profile(
        profile: &Profile,
        arm: Arm,
        funnel: FunnelStage,
        epsilon: f64,
        entropy: &mut dyn Entropy,
    ) -> Self {
        let now = profile.clock_ms();
        let interest_index = profile
            .top_categories
            .top(1, now, profile.half_life_ms())
            .first()
            .map_or(INTEREST_DOMAIN.len() - 1, |(label, _)| {
                interest_index(label)
            });
        let batch_id = random_hex(entropy);
        let interest = unary_encode(
            interest_index,
            INTEREST_DOMAIN.len(),
            epsilon * INTEREST_SHARE,
            entropy,
        );
        let segment = randomized_response(
            segment_of(profile),
            SEGMENT_COUNT,
            epsilon * SEGMENT_SHARE,
            entropy,
        );
        let engagement_band = randomized_response(
            engagement_band(profile),
            ENGAGEMENT_BANDS,
            epsilon * ENGAGEMENT_SHARE,
            entropy,
        );
        let funnel = randomized_response(
            funnel.index(),
            FUNNEL_STAGES,
            epsilon * FUNNEL_SHARE,
            entropy,
        );
        SignalBatch {
            schema: SIGNAL_SCHEMA,
            batch_id,
            epsilon,
            arm,
            interest,
            segment,
            engagement_band,
            funnel,
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
        let text = std::str::from_utf8(body)
            .map_err(|e| Error::Malformed(format!("body is not UTF-8: {e}")))?;
        // The reader of stored records serves here too; its `Corrupt` is the body's fault.
        let batch = crate::stored::parse("batch", text)
            .and_then(|value| SignalBatch::from_value(&value, ""))
            .map_err(crate::stored::as_malformed)?;
        batch.validate()?;
        Ok(batch)
    }

    /// The fields this type has, each once.
    const FIELDS: &'static [&'static str] = &[
        "schema",
        "batch_id",
        "epsilon",
        "arm",
        "interest",
        "segment",
        "engagement_band",
        "funnel",
    ];

    /// The batch as JSON: the body sent, and its form in the outbox and the ledger.
    pub fn to_value(&self) -> Value {
        let interest: Vec<Value> = self.interest.iter().map(|&b| u32::from(b).into()).collect();
        Object::new()
            .with("schema", self.schema)
            .with("batch_id", self.batch_id.as_str())
            .with("epsilon", self.epsilon)
            .with("arm", self.arm.as_str())
            .with("interest", interest)
            .with("segment", u32::from(self.segment))
            .with("engagement_band", u32::from(self.engagement_band))
            .with("funnel", u32::from(self.funnel))
            .into()
    }

    /// The batch in `value` at `path`, of the right shape; its ranges are [`Self::validate`]'s.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming the first field that is missing, unknown or of a wrong type.
    pub fn from_value(value: &Value, path: &str) -> Result<Self> {
        let fields = Fields::of(value, path)?.only(Self::FIELDS)?;
        let arm = fields.string("arm")?;
        let arm = Arm::parse(&arm)
            .ok_or_else(|| fields.corrupt("arm", "expected \"personalized\" or \"holdout\""))?;
        let interest = fields.list("interest", |at, bit| {
            bit.as_u64()
                .and_then(|b| u8::try_from(b).ok())
                .ok_or_else(|| Error::Corrupt(format!("`{at}`: expected 0 or 1")))
        })?;
        Ok(SignalBatch {
            schema: fields.small("schema")?,
            batch_id: fields.string("batch_id")?,
            epsilon: fields.number("epsilon")?,
            arm,
            interest,
            segment: fields.small("segment")?,
            engagement_band: fields.small("engagement_band")?,
            funnel: fields.small("funnel")?,
        })
    }

    /// Checks every field's range.
    pub fn validate(&self) -> Result<()> {
        if self.schema != SIGNAL_SCHEMA {
            return Err(Error::invalid("schema", "2", self.schema));
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
                Shortest(self.epsilon),
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
        if self.segment >= SEGMENT_COUNT {
            return Err(Error::invalid(
                "segment",
                "an integer from 0 to 7",
                self.segment,
            ));
        }
        if self.engagement_band >= ENGAGEMENT_BANDS {
            return Err(Error::invalid(
                "engagement_band",
                "an integer from 0 to 3",
                self.engagement_band,
            ));
        }
        if self.funnel >= FUNNEL_STAGES {
            return Err(Error::invalid(
                "funnel",
                "an integer from 0 to 3",
                self.funnel,
            ));
        }
        Ok(())
    }

    /// The JSON body to send.
    pub fn to_json(&self) -> String {
        self.to_value().to_json()
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
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PrivacyBudget {
    /// UTC day number (days since the epoch) the spending below belongs to.
    pub day: i64,
    /// ε spent on that day.
    pub spent: f64,
}

impl PrivacyBudget {
    /// The whole `daily_limit` spent on the UTC day of `now_ms`.
    pub fn spent_for_the_day(daily_limit: f64, now_ms: f64) -> Self {
        PrivacyBudget {
            day: utc_day(now_ms),
            spent: daily_limit,
        }
    }

    /// Spends `epsilon` on the UTC day of `now_ms` if the day's `daily_limit` allows it.
    pub fn try_spend(&mut self, epsilon: f64, daily_limit: f64, now_ms: f64) -> bool {
        let day = utc_day(now_ms);
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

/// The UTC day number (days since the epoch) of `now_ms`.
fn utc_day(now_ms: f64) -> i64 {
    (now_ms / 86_400_000.0).floor() as i64
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
        // (Display, not `expect`'s Debug, which brings Unicode tables into the wasm.)
        if let Err(e) = getrandom::fill(buf) {
            panic!("invariant: the platform provides a CSPRNG: {e}");
        }
    }
}

/// 32 random hex digits: a batch id, or a tab's id for its events.
pub fn random_hex(entropy: &mut dyn Entropy) -> String {
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
            Arm::Holdout,
            FunnelStage::Click,
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
        let good = batch(1);
        let mut bad = good.clone();
        bad.interest[3] = 2;
        let err = SignalBatch::parse(bad.to_json().as_bytes()).unwrap_err();
        assert!(err.to_string().contains("`interest[3]`"), "{err}");
        for (field, set) in [
            (
                "segment",
                (|b: &mut SignalBatch| b.segment = SEGMENT_COUNT) as fn(&mut _),
            ),
            ("funnel", |b| b.funnel = FUNNEL_STAGES),
            ("engagement_band", |b| b.engagement_band = ENGAGEMENT_BANDS),
            ("schema", |b| b.schema = 1),
        ] {
            let mut bad = good.clone();
            set(&mut bad);
            let err = SignalBatch::parse(bad.to_json().as_bytes()).unwrap_err();
            assert!(err.to_string().contains(&format!("`{field}`")), "{err}");
        }
        let wrong_arm = good
            .to_json()
            .replace("\"arm\":\"personalized\"", "\"arm\":\"x\"");
        let err = SignalBatch::parse(wrong_arm.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("`arm`"), "{err}");

        let with_extra = good.to_json().replacen('{', r#"{"product_id":"1","#, 1);
        assert_eq!(
            SignalBatch::parse(with_extra.as_bytes())
                .unwrap_err()
                .code(),
            "malformed_input"
        );
        assert!(SignalBatch::parse(&vec![b' '; MAX_BATCH_BYTES + 1]).is_err());
    }

    pub(crate) fn batch(seed: u64) -> SignalBatch {
        SignalBatch::from_profile(
            &shopper(),
            Arm::Personalized,
            FunnelStage::Impression,
            1.0,
            &mut SeededEntropy::new(seed),
        )
    }

    #[test]
    fn the_shares_spend_exactly_the_batch_epsilon() {
        let total = INTEREST_SHARE + SEGMENT_SHARE + ENGAGEMENT_SHARE + FUNNEL_SHARE;
        assert!((total - 1.0).abs() < 1e-12, "{total}");
    }

    #[test]
    fn a_schema_1_batch_is_refused_by_its_schema() {
        let old = r#"{"schema":1,"batch_id":"0123456789abcdef0123456789abcdef","epsilon":1.0,
            "interest":[0,0,0,0,0,0,0,0,0,0,0,0,0,1],"engagement_band":0}"#;
        let err = SignalBatch::parse(old.as_bytes()).unwrap_err();
        assert_eq!(
            err.code(),
            "malformed_input",
            "schema 1 lacks the new fields: {err}"
        );
    }

    #[test]
    fn funnel_rates_decode_per_arm() {
        // 30% of 20k shoppers clicked: k-RR over 4 stages at the funnel's share of ln 3
        // decodes back to about 30%.
        let eps = DEFAULT_DAILY_EPSILON * FUNNEL_SHARE;
        let mut entropy = SeededEntropy::new(8);
        let n = 20_000;
        let clicked = (0..n)
            .map(|i| u8::from(i % 10 < 3) * 2)
            .filter(|&truth| randomized_response(truth, 4, eps, &mut entropy) == 2)
            .count();
        let e = eps.exp();
        let (p, q) = (e / (e + 3.0), 1.0 / (e + 3.0));
        let estimate = (clicked as f64 / n as f64 - q) / (p - q);
        assert!((estimate - 0.3).abs() < 0.05, "estimate {estimate}");
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
