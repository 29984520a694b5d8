//! What `GET /v1/estimates` publishes: the decoded distributions of the stored batches, each
//! held back until the batches behind it provably came from at least [`MIN_SHOPPERS`]
//! distinct shoppers.
//!
//! Interest, segment and engagement are decoded over every batch; the funnel per arm, and
//! the uplift only when both arms qualify. Each field is decoded with its own share of the
//! batch's ε (the `*_SHARE` constants of the core), as the device spent it.

use serde::Serialize;
use vitrine::signals::{
    Arm, SignalBatch, ENGAGEMENT_BANDS, ENGAGEMENT_SHARE, FUNNEL_SHARE, INTEREST_DOMAIN,
    INTEREST_SHARE, SEGMENT_COUNT, SEGMENT_SHARE,
};

use crate::estimate::{
    rate, uplift, CategoricalDecoder, Interval, ShopperBound, UnaryDecoder, MIN_SHOPPERS,
};
use crate::store::StoredBatch;

/// Names of the engagement bands, by index (see `vitrine::signals::engagement_band`).
pub const ENGAGEMENT_NAMES: [&str; ENGAGEMENT_BANDS as usize] =
    ["new", "browsing", "engaged", "buying"];
/// Names of the funnel stages, by index (see `vitrine::funnel::FunnelStage`).
pub const FUNNEL_NAMES: [&str; 4] = ["none", "impression", "click", "cart_add"];

/// Funnel stages that count as "saw a widget", "clicked" and "added to the cart".
const SAW: [usize; 3] = [1, 2, 3];
const CLICKED: [usize; 2] = [2, 3];
const ADDED: [usize; 1] = [3];

/// Everything `GET /v1/estimates` answers.
#[derive(Debug, Clone, Serialize)]
pub struct Estimates {
    /// The per-shopper daily ε the devices enforce, which the shopper bound divides by.
    pub daily_epsilon: f64,
    /// The fewest distinct shoppers an aggregate is published from.
    pub min_shoppers: u64,
    /// Batches stored.
    pub batches: u64,
    /// Share of shoppers whose strongest top-level category is each of `INTEREST_DOMAIN`.
    pub interest: Gated<Distribution>,
    /// Share of shoppers in each segment.
    pub segment: Gated<Distribution>,
    /// Share of shoppers in each engagement band.
    pub engagement_band: Gated<Distribution>,
    /// The funnel and its rates, per arm.
    pub arms: Arms,
    /// Personalized minus holdout, published when both arms are.
    pub uplift: Gated<Uplift>,
}

/// An aggregate, or the reason it is held back.
#[derive(Debug, Clone, Serialize)]
pub struct Gated<T> {
    /// Whether `value` is present.
    pub published: bool,
    /// Batches behind the aggregate.
    pub batches: u64,
    /// Distinct shoppers that at least sent them.
    pub shoppers_at_least: u64,
    /// Why it is held back, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The aggregate, when published.
    #[serde(flatten)]
    pub value: Option<T>,
}

impl<T> Gated<T> {
    fn new(batches: u64, shoppers_at_least: u64, value: impl FnOnce() -> T) -> Self {
        let published = shoppers_at_least >= MIN_SHOPPERS;
        Gated {
            published,
            batches,
            shoppers_at_least,
            reason: (!published).then(|| {
                format!(
                    "held back until at least {MIN_SHOPPERS} distinct shoppers contributed; \
                     these batches show at least {shoppers_at_least}"
                )
            }),
            value: published.then(value),
        }
    }
}

/// A decoded distribution over named values.
#[derive(Debug, Clone, Serialize)]
pub struct Distribution {
    /// One entry per value of the domain, in the domain's order.
    pub values: Vec<Share>,
}

/// The estimated share of one value.
#[derive(Debug, Clone, Serialize)]
pub struct Share {
    /// The value's name.
    pub label: String,
    /// The share, with its 95% interval.
    #[serde(flatten)]
    pub share: Interval,
}

/// The two arms' funnels.
#[derive(Debug, Clone, Serialize)]
pub struct Arms {
    /// Shoppers who see Vitrine's order.
    pub personalized: Gated<Funnel>,
    /// Shoppers who see the server's order.
    pub holdout: Gated<Funnel>,
}

/// One arm's decoded funnel and the rates it gives.
#[derive(Debug, Clone, Serialize)]
pub struct Funnel {
    /// Share of batches whose furthest stage is each of [`FUNNEL_NAMES`].
    pub stages: Vec<Share>,
    /// Of the batches that saw a widget, the share that clicked an item in one; absent while
    /// the decoded share that saw a widget is not positive.
    pub click_through: Option<Interval>,
    /// Of the batches that saw a widget, the share that added a widget's item to the cart.
    pub add_to_cart: Option<Interval>,
}

/// Personalized minus holdout.
#[derive(Debug, Clone, Serialize)]
pub struct Uplift {
    /// Difference in click-through rate.
    pub click_through: Option<Interval>,
    /// Difference in add-to-cart rate.
    pub add_to_cart: Option<Interval>,
}

/// The decoders of one set of batches: fed batch by batch, then read as [`Estimates`].
#[derive(Debug, Clone)]
pub struct Aggregator {
    batches: u64,
    bound: ShopperBound,
    interest: UnaryDecoder,
    segment: CategoricalDecoder,
    engagement: CategoricalDecoder,
    personalized: ArmAggregator,
    holdout: ArmAggregator,
}

#[derive(Debug, Clone)]
struct ArmAggregator {
    batches: u64,
    bound: ShopperBound,
    funnel: CategoricalDecoder,
}

impl ArmAggregator {
    fn new() -> Self {
        ArmAggregator {
            batches: 0,
            bound: ShopperBound::default(),
            funnel: CategoricalDecoder::new(FUNNEL_NAMES.len()),
        }
    }

    fn gated(&self, daily_epsilon: f64) -> Gated<Funnel> {
        Gated::new(
            self.batches,
            self.bound.distinct_shoppers(daily_epsilon),
            || Funnel {
                stages: labelled(&FUNNEL_NAMES, self.funnel.frequencies()),
                click_through: rate(&self.funnel, &CLICKED, &SAW),
                add_to_cart: rate(&self.funnel, &ADDED, &SAW),
            },
        )
    }
}

impl Default for Aggregator {
    fn default() -> Self {
        Aggregator {
            batches: 0,
            bound: ShopperBound::default(),
            interest: UnaryDecoder::new(INTEREST_DOMAIN.len()),
            segment: CategoricalDecoder::new(usize::from(SEGMENT_COUNT)),
            engagement: CategoricalDecoder::new(usize::from(ENGAGEMENT_BANDS)),
            personalized: ArmAggregator::new(),
            holdout: ArmAggregator::new(),
        }
    }
}

impl Aggregator {
    /// Adds one validated batch that arrived on UTC day `day`.
    pub fn add(&mut self, day: i64, batch: &SignalBatch) {
        let epsilon = batch.epsilon;
        self.batches += 1;
        self.bound.add(day, epsilon);
        self.interest.add(&batch.interest, epsilon * INTEREST_SHARE);
        self.segment.add(batch.segment, epsilon * SEGMENT_SHARE);
        self.engagement
            .add(batch.engagement_band, epsilon * ENGAGEMENT_SHARE);
        let arm = match batch.arm {
            Arm::Personalized => &mut self.personalized,
            Arm::Holdout => &mut self.holdout,
        };
        arm.batches += 1;
        arm.bound.add(day, epsilon);
        arm.funnel.add(batch.funnel, epsilon * FUNNEL_SHARE);
    }

    /// The estimates, for devices that spend at most `daily_epsilon` a day.
    pub fn estimates(&self, daily_epsilon: f64) -> Estimates {
        let shoppers = self.bound.distinct_shoppers(daily_epsilon);
        let distribution = |names: &[String], decoded: Vec<Interval>| Distribution {
            values: labelled(names, decoded),
        };
        let segment_names: Vec<String> = (0..SEGMENT_COUNT).map(|s| s.to_string()).collect();
        let personalized = self.personalized.gated(daily_epsilon);
        let holdout = self.holdout.gated(daily_epsilon);
        let both = match (&personalized.value, &holdout.value) {
            (Some(p), Some(h)) => Some((p.clone(), h.clone())),
            _ => None,
        };
        let uplift_shoppers = personalized
            .shoppers_at_least
            .min(holdout.shoppers_at_least);
        let mut uplift_gate = Gated::new(self.batches, uplift_shoppers, || {
            let (p, h) = both.clone().expect("invariant: both arms are published");
            Uplift {
                click_through: p
                    .click_through
                    .zip(h.click_through)
                    .map(|(p, h)| uplift(p, h)),
                add_to_cart: p.add_to_cart.zip(h.add_to_cart).map(|(p, h)| uplift(p, h)),
            }
        });
        if !uplift_gate.published {
            uplift_gate.reason = Some(format!(
                "held back until each arm has at least {MIN_SHOPPERS} distinct shoppers; \
                 the smaller arm shows at least {uplift_shoppers}"
            ));
        }
        Estimates {
            daily_epsilon,
            min_shoppers: MIN_SHOPPERS,
            batches: self.batches,
            interest: Gated::new(self.batches, shoppers, || {
                distribution(&names(&INTEREST_DOMAIN), self.interest.frequencies())
            }),
            segment: Gated::new(self.batches, shoppers, || {
                distribution(&segment_names, self.segment.frequencies())
            }),
            engagement_band: Gated::new(self.batches, shoppers, || {
                distribution(&names(&ENGAGEMENT_NAMES), self.engagement.frequencies())
            }),
            arms: Arms {
                personalized,
                holdout,
            },
            uplift: uplift_gate,
        }
    }
}

/// Decodes stored batches, for devices that spend at most `daily_epsilon` a day.
pub fn estimates(batches: &[StoredBatch], daily_epsilon: f64) -> Estimates {
    let mut aggregator = Aggregator::default();
    for stored in batches {
        aggregator.add(stored.day, &stored.batch);
    }
    aggregator.estimates(daily_epsilon)
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn labelled(names: &[impl ToString], decoded: Vec<Interval>) -> Vec<Share> {
    names
        .iter()
        .zip(decoded)
        .map(|(label, share)| Share {
            label: label.to_string(),
            share,
        })
        .collect()
}
