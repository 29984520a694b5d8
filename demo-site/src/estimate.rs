//! Population estimates from the noised reports, each with a 95% confidence interval.
//!
//! Every report is decoded on its own with the unbiased estimator of its mechanism and its own
//! ε, and the estimates are averaged: batches that spent different ε mix freely, at the price
//! of a little variance against weighting by ε. The intervals come from the mechanisms'
//! variance given the shoppers' true answers (the noise is the only randomness), with the
//! unknown frequencies plugged in from the estimates; they cover the frequency among the
//! shoppers who reported, not a wider population they were drawn from.
//!
//! - [`UnaryDecoder`]: optimized unary encoding, one bit per slot (interest);
//! - [`CategoricalDecoder`]: k-ary randomized response (segment, engagement band, funnel);
//! - [`rate`] and [`uplift`]: click-through and add-to-cart rates from a decoded funnel, and
//!   the difference between two arms, by the delta method;
//! - [`ShopperBound`]: how many distinct shoppers at least sent a set of batches.

use std::collections::BTreeMap;

use serde::Serialize;

/// No aggregate is published from fewer distinct shoppers than this.
pub const MIN_SHOPPERS: u64 = 50;

/// The 97.5% quantile of the standard normal: a two-sided 95% interval.
const Z_95: f64 = 1.959_963_984_540_054;

/// An estimate with its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// The unbiased estimate; it may fall outside [0, 1] for a frequency: clipping it would
    /// bias the mean.
    pub estimate: f64,
    /// Lower end of the 95% interval.
    pub low: f64,
    /// Upper end of the 95% interval.
    pub high: f64,
}

impl Interval {
    fn from_variance(estimate: f64, variance: f64) -> Self {
        let half = Z_95 * variance.max(0.0).sqrt();
        Interval {
            estimate,
            low: estimate - half,
            high: estimate + half,
        }
    }

    /// Whether `value` lies within the interval, ends included.
    pub fn covers(&self, value: f64) -> bool {
        self.low <= value && value <= self.high
    }
}

/// Decodes optimized unary encoding (Wang et al., USENIX Security 2017): the true slot was
/// sent as 1 with probability ½, every other slot with probability q = 1 / (e^ε + 1).
#[derive(Debug, Clone, Default)]
pub struct UnaryDecoder {
    reports: f64,
    /// Per slot, Σ (bit − q) / (½ − q): each term is unbiased for "this slot is the truth".
    sums: Vec<f64>,
    /// Σ ¼ / (½ − q)²: the variance a true slot adds.
    true_slot_variance: f64,
    /// Σ q (1 − q) / (½ − q)²: the variance a false slot adds.
    false_slot_variance: f64,
}

impl UnaryDecoder {
    /// A decoder over `slots` bits.
    pub fn new(slots: usize) -> Self {
        UnaryDecoder {
            sums: vec![0.0; slots],
            ..UnaryDecoder::default()
        }
    }

    /// Adds one report of `bits` (each 0 or 1) noised with `epsilon`.
    pub fn add(&mut self, bits: &[u8], epsilon: f64) {
        let q = 1.0 / (epsilon.exp() + 1.0);
        let gap = 0.5 - q;
        for (sum, &bit) in self.sums.iter_mut().zip(bits) {
            *sum += (f64::from(bit) - q) / gap;
        }
        self.reports += 1.0;
        self.true_slot_variance += 0.25 / (gap * gap);
        self.false_slot_variance += q * (1.0 - q) / (gap * gap);
    }

    /// Number of reports added.
    pub fn reports(&self) -> u64 {
        self.reports as u64
    }

    /// The share of reporters whose true slot is each slot.
    pub fn frequencies(&self) -> Vec<Interval> {
        let n = self.reports.max(1.0);
        self.sums
            .iter()
            .map(|&sum| {
                let share = sum / n;
                let plug = share.clamp(0.0, 1.0);
                let variance = (plug * self.true_slot_variance
                    + (1.0 - plug) * self.false_slot_variance)
                    / (n * n);
                Interval::from_variance(share, variance)
            })
            .collect()
    }
}

/// Decodes k-ary randomized response: the truth was sent with probability
/// p = e^ε / (e^ε + k − 1), each other value with q = 1 / (e^ε + k − 1).
#[derive(Debug, Clone, Default)]
pub struct CategoricalDecoder {
    reports: f64,
    /// Per value, Σ (1[sent = value] − q) / (p − q).
    sums: Vec<f64>,
    // The sufficient statistics of the covariance, with d = p − q (see `covariance`).
    inv_gap: f64,
    q_over_gap_squared: f64,
    q_over_gap: f64,
    q_squared_over_gap_squared: f64,
}

impl CategoricalDecoder {
    /// A decoder over the values 0..k.
    pub fn new(k: usize) -> Self {
        CategoricalDecoder {
            sums: vec![0.0; k],
            ..CategoricalDecoder::default()
        }
    }

    /// Number of values.
    pub fn k(&self) -> usize {
        self.sums.len()
    }

    /// Number of reports added.
    pub fn reports(&self) -> u64 {
        self.reports as u64
    }

    /// Adds one report of `sent` (in 0..k) noised with `epsilon`. A value out of range
    /// counts as "none of them", which keeps the sums unbiased for the others; validation
    /// refuses such reports before they are stored.
    pub fn add(&mut self, sent: u8, epsilon: f64) {
        let k = self.k() as f64;
        let e = epsilon.exp();
        let p = e / (e + k - 1.0);
        let q = 1.0 / (e + k - 1.0);
        let gap = p - q;
        for (value, sum) in self.sums.iter_mut().enumerate() {
            *sum += (f64::from(u8::from(usize::from(sent) == value)) - q) / gap;
        }
        self.reports += 1.0;
        self.inv_gap += 1.0 / gap;
        self.q_over_gap_squared += q / (gap * gap);
        self.q_over_gap += q / gap;
        self.q_squared_over_gap_squared += q * q / (gap * gap);
    }

    /// The estimated share of each value among the reporters.
    pub fn shares(&self) -> Vec<f64> {
        let n = self.reports.max(1.0);
        self.sums.iter().map(|&sum| sum / n).collect()
    }

    /// The estimated share of each value, with its interval.
    pub fn frequencies(&self) -> Vec<Interval> {
        let shares = self.shares();
        let covariance = self.covariance(&shares);
        shares
            .iter()
            .enumerate()
            .map(|(v, &share)| Interval::from_variance(share, covariance[v][v]))
            .collect()
    }

    /// The covariance matrix of [`shares`](Self::shares), given the truths.
    ///
    /// Report r with truth t sends value v with probability π_v = 1[t = v]·d + q, so its
    /// decoded indicators have covariance (π_v·1[v = w] − π_v·π_w) / d². Summed over the
    /// reports this needs only Σ 1/d, Σ q/d², Σ q/d and Σ q²/d², with Σ_r 1[t_r = v] taken
    /// as n·f_v: the estimated share, clipped to [0, 1], is plugged in for f_v.
    fn covariance(&self, shares: &[f64]) -> Vec<Vec<f64>> {
        let n = self.reports.max(1.0);
        let f: Vec<f64> = shares.iter().map(|s| s.clamp(0.0, 1.0)).collect();
        let k = f.len();
        let mut matrix = vec![vec![0.0; k]; k];
        for v in 0..k {
            for w in 0..k {
                let total = if v == w {
                    f[v] * self.inv_gap + self.q_over_gap_squared
                        - f[v] * (n + 2.0 * self.q_over_gap)
                        - self.q_squared_over_gap_squared
                } else {
                    -(f[v] + f[w]) * self.q_over_gap - self.q_squared_over_gap_squared
                };
                matrix[v][w] = total / (n * n);
            }
        }
        matrix
    }
}

/// A rate Σ_{v∈numerator} f_v / Σ_{v∈denominator} f_v of a decoded distribution, with its
/// interval by the delta method; `None` while the decoded denominator is not positive.
pub fn rate(
    decoder: &CategoricalDecoder,
    numerator: &[usize],
    denominator: &[usize],
) -> Option<Interval> {
    let shares = decoder.shares();
    let covariance = decoder.covariance(&shares);
    let pick = |set: &[usize]| -> Vec<f64> {
        (0..decoder.k())
            .map(|v| f64::from(u8::from(set.contains(&v))))
            .collect()
    };
    let (a, b) = (pick(numerator), pick(denominator));
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(x, y)| x * y).sum::<f64>();
    let quadratic = |x: &[f64], y: &[f64]| {
        let mut total = 0.0;
        for (v, row) in covariance.iter().enumerate() {
            for (w, c) in row.iter().enumerate() {
                total += x[v] * c * y[w];
            }
        }
        total
    };
    let bottom = dot(&b, &shares);
    if bottom <= 0.0 {
        return None;
    }
    let ratio = dot(&a, &shares) / bottom;
    let variance = (quadratic(&a, &a) - 2.0 * ratio * quadratic(&a, &b)
        + ratio * ratio * quadratic(&b, &b))
        / (bottom * bottom);
    Some(Interval::from_variance(ratio, variance))
}

/// `treated − control` of two independent estimates, with the interval of the difference.
pub fn uplift(treated: Interval, control: Interval) -> Interval {
    let variance = |i: Interval| ((i.high - i.estimate) / Z_95).powi(2);
    Interval::from_variance(
        treated.estimate - control.estimate,
        variance(treated) + variance(control),
    )
}

/// A lower bound on the distinct shoppers behind a set of batches, without any id: the
/// device caps each shopper at `daily_epsilon` per UTC day, so one day's batches come from
/// at least Σε / daily_epsilon shoppers. Over several days the bound is the largest day's:
/// the same shoppers may have come back every day.
#[derive(Debug, Clone, Default)]
pub struct ShopperBound {
    epsilon_by_day: BTreeMap<i64, f64>,
}

impl ShopperBound {
    /// Counts a batch that spent `epsilon` and arrived on UTC day `day`.
    pub fn add(&mut self, day: i64, epsilon: f64) {
        *self.epsilon_by_day.entry(day).or_insert(0.0) += epsilon;
    }

    /// The bound, for a device limit of `daily_epsilon`.
    pub fn distinct_shoppers(&self, daily_epsilon: f64) -> u64 {
        self.epsilon_by_day
            .values()
            // The tolerance keeps 50 batches of exactly ln 3 at 50, not 49.999… → 50 by luck.
            .map(|&sum| (sum / daily_epsilon - 1e-9).ceil().max(0.0) as u64)
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vitrine::offline::rng::SplitMix64;

    /// The mechanisms as the device runs them, for simulated truth.
    fn unary(truth: usize, slots: usize, epsilon: f64, rng: &mut SplitMix64) -> Vec<u8> {
        let q = 1.0 / (epsilon.exp() + 1.0);
        (0..slots)
            .map(|i| u8::from(rng.next_f64() < if i == truth { 0.5 } else { q }))
            .collect()
    }

    fn k_rr(truth: usize, k: usize, epsilon: f64, rng: &mut SplitMix64) -> u8 {
        let e = epsilon.exp();
        if rng.next_f64() < e / (e + k as f64 - 1.0) {
            return truth as u8;
        }
        let other = rng.below(k - 1);
        (if other >= truth { other + 1 } else { other }) as u8
    }

    /// Truths drawn from `weights`, so the real shares are known exactly.
    fn truths(weights: &[f64], n: usize, rng: &mut SplitMix64) -> Vec<usize> {
        let total: f64 = weights.iter().sum();
        (0..n)
            .map(|_| {
                let mut x = rng.next_f64() * total;
                weights
                    .iter()
                    .position(|&w| {
                        x -= w;
                        x < 0.0
                    })
                    .unwrap_or(weights.len() - 1)
            })
            .collect()
    }

    fn true_shares(truths: &[usize], k: usize) -> Vec<f64> {
        let mut shares = vec![0.0; k];
        for &t in truths {
            shares[t] += 1.0 / truths.len() as f64;
        }
        shares
    }

    #[test]
    fn unary_decoding_is_unbiased_and_its_intervals_cover() {
        let weights = [5.0, 3.0, 1.0, 1.0, 0.5, 0.0];
        let (mut covered, mut total, mut bias, mut variance) = (0, 0, 0.0, 0.0);
        for trial in 0..200 {
            let mut rng = SplitMix64::new(trial);
            let truth = truths(&weights, 2_000, &mut rng);
            let mut decoder = UnaryDecoder::new(weights.len());
            for (i, &t) in truth.iter().enumerate() {
                // Two ε in one population: the per-report decoding must not care.
                let epsilon = if i % 2 == 0 { 0.44 } else { 1.6 };
                decoder.add(&unary(t, weights.len(), epsilon, &mut rng), epsilon);
            }
            let real = true_shares(&truth, weights.len());
            for (estimate, real) in decoder.frequencies().iter().zip(real) {
                covered += usize::from(estimate.covers(real));
                total += 1;
                bias += estimate.estimate - real;
                variance += ((estimate.high - estimate.estimate) / Z_95).powi(2);
            }
        }
        let coverage = covered as f64 / total as f64;
        assert!((0.93..=0.97).contains(&coverage), "coverage {coverage}");
        // Unbiased: the summed error is within four of its own standard errors of zero.
        assert!(
            bias.abs() < 4.0 * variance.sqrt(),
            "summed error {bias}, σ² {variance}"
        );
    }

    #[test]
    fn randomized_response_decoding_is_unbiased_and_its_intervals_cover() {
        let weights = [6.0, 2.0, 1.0, 1.0];
        let (mut covered, mut total, mut bias, mut variance) = (0, 0, 0.0, 0.0);
        for trial in 0..200 {
            let mut rng = SplitMix64::new(1_000 + trial);
            let truth = truths(&weights, 2_000, &mut rng);
            let mut decoder = CategoricalDecoder::new(weights.len());
            for (i, &t) in truth.iter().enumerate() {
                let epsilon = if i % 3 == 0 { 0.33 } else { 1.1 };
                decoder.add(k_rr(t, weights.len(), epsilon, &mut rng), epsilon);
            }
            let real = true_shares(&truth, weights.len());
            for (estimate, real) in decoder.frequencies().iter().zip(real) {
                covered += usize::from(estimate.covers(real));
                total += 1;
                bias += estimate.estimate - real;
                variance += ((estimate.high - estimate.estimate) / Z_95).powi(2);
            }
        }
        let coverage = covered as f64 / total as f64;
        assert!((0.93..=0.97).contains(&coverage), "coverage {coverage}");
        // Unbiased: the summed error is within four of its own standard errors of zero.
        assert!(
            bias.abs() < 4.0 * variance.sqrt(),
            "summed error {bias}, σ² {variance}"
        );
    }

    #[test]
    fn rates_and_uplift_cover_the_real_difference() {
        // Funnel stages 0 none, 1 impression, 2 click, 3 cart; treated clicks more.
        let treated = [2.0, 4.0, 3.0, 1.0];
        let control = [2.0, 6.0, 1.5, 0.5];
        let click = |shares: &[f64]| (shares[2] + shares[3]) / (shares[1] + shares[2] + shares[3]);
        let (mut covered, trials) = (0, 200);
        for trial in 0..trials {
            let mut rng = SplitMix64::new(5_000 + trial);
            let mut arm = |weights: &[f64]| {
                let truth = truths(weights, 5_000, &mut rng);
                let mut decoder = CategoricalDecoder::new(4);
                for &t in &truth {
                    decoder.add(k_rr(t, 4, 2.0, &mut rng), 2.0);
                }
                (decoder, click(&true_shares(&truth, 4)))
            };
            let (t, t_real) = arm(&treated);
            let (c, c_real) = arm(&control);
            let ctr = |d: &CategoricalDecoder| rate(d, &[2, 3], &[1, 2, 3]).unwrap();
            covered += usize::from(uplift(ctr(&t), ctr(&c)).covers(t_real - c_real));
        }
        let coverage = covered as f64 / f64::from(trials as u32);
        assert!((0.91..=0.98).contains(&coverage), "coverage {coverage}");
    }

    #[test]
    fn a_rate_needs_a_positive_denominator() {
        let mut decoder = CategoricalDecoder::new(4);
        for _ in 0..100 {
            decoder.add(0, 1.0);
        }
        assert!(rate(&decoder, &[2, 3], &[1, 2, 3]).is_none());
    }

    #[test]
    fn the_shopper_bound_takes_the_busiest_day() {
        let ln3 = 3f64.ln();
        let mut bound = ShopperBound::default();
        assert_eq!(bound.distinct_shoppers(ln3), 0);
        for _ in 0..50 {
            bound.add(20_000, ln3);
        }
        for _ in 0..30 {
            bound.add(20_001, ln3);
        }
        assert_eq!(bound.distinct_shoppers(ln3), 50);
        // Small batches: 0.5 each, two of them fit one shopper's day.
        let mut small = ShopperBound::default();
        for _ in 0..99 {
            small.add(1, ln3 / 2.0);
        }
        assert_eq!(small.distinct_shoppers(ln3), 50);
        // A store that lets shoppers spend more gets a weaker bound from the same batches.
        assert_eq!(small.distinct_shoppers(2.0 * ln3), 25);
    }
}
