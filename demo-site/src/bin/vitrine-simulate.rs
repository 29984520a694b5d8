//! `vitrine-simulate`: how far the collector's estimates fall from the truth, against ε.
//!
//! Synthetic shoppers are drawn (with replacement) from the real shoppers of the REES46
//! sessions: each replays one real shopper's events through the SDK's own `Profile`, so
//! their interest, segment and engagement are what the SDK would compute. Each then sends
//! one batch per trial through `SignalBatch::from_profile` at each ε, and the collector's
//! `Aggregator` decodes them. The truth is the shoppers' own un-noised answers.
//!
//! The funnel cannot come from the log (REES46 has no widgets), so it is synthetic: a shopper
//! with a view saw a widget, one with three or more views clicked, one with a cart event
//! added to the cart; the personalized arm gets an injected effect (an impression turns
//! into a click with probability 0.15). The point is the estimator's error, not the effect.
//!
//! ```text
//! cargo run --release -p vitrine-demo --bin vitrine-simulate -- [--shoppers 10000]
//!     [--trials 20] [--seed 1] [--epsilons 0.5,1.0986,2,4] [--sessions FILE]
//! ```

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use anyhow::{bail, Context};
use vitrine::event::Event;
use vitrine::funnel::FunnelStage;
use vitrine::offline::rees46;
use vitrine::offline::rng::SplitMix64;
use vitrine::offline::session::Interaction;
use vitrine::profile::Profile;
use vitrine::segment::segment_of;
use vitrine::signals::{
    engagement_band, interest_index, Arm, Entropy, SignalBatch, ENGAGEMENT_BANDS, INTEREST_DOMAIN,
    SEGMENT_COUNT,
};
use vitrine_demo::aggregate::{Aggregator, Estimates, Share};
use vitrine_demo::estimate::Interval;

const USAGE: &str = "\
vitrine-simulate: estimate error of the collector against ε, on shoppers from REES46

Usage: vitrine-simulate [--shoppers N] [--trials T] [--seed S] [--epsilons E,E,...]
                        [--holdout FRACTION] [--sessions FILE]

Defaults: 10000 shoppers, 20 trials, seed 1, ε 0.5,ln 3,2,4, holdout 0.5,
  --sessions ../shared/data/rees46/2019-10-01-sessions.csv (from the checkout)
";

/// Probability that the personalized arm turns an impression into a click: the injected
/// effect the uplift estimate should find.
const INJECTED_CLICK_UPLIFT: f64 = 0.15;

struct Args {
    shoppers: usize,
    trials: u64,
    seed: u64,
    epsilons: Vec<f64>,
    holdout: f64,
    sessions: PathBuf,
}

/// One synthetic shopper: their profile and true, un-noised answers.
struct Shopper {
    profile: Profile,
    arm: Arm,
    funnel: FunnelStage,
    interest: usize,
    segment: usize,
    engagement: usize,
}

/// A seeded stream, so that a run can be repeated. Only for simulation: on a device the
/// entropy must be a CSPRNG, or the collector could undo the noise.
struct SimulationEntropy(SplitMix64);

impl Entropy for SimulationEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            chunk.copy_from_slice(&self.0.next_u64().to_le_bytes()[..chunk.len()]);
        }
    }
}

/// Absolute errors and interval coverage of one kind of estimate, over values and trials.
#[derive(Default, Clone)]
struct Score {
    error: f64,
    covered: u64,
    count: u64,
}

impl Score {
    fn add(&mut self, interval: Option<&Interval>, truth: f64) {
        // An estimate the collector could not make (no impressions decoded) counts as a miss.
        self.count += 1;
        if let Some(i) = interval {
            self.error += (i.estimate - truth).abs();
            self.covered += u64::from(i.covers(truth));
        } else {
            self.error += truth.abs();
        }
    }

    fn add_all(&mut self, shares: &[Share], truths: &[f64]) {
        for (share, &truth) in shares.iter().zip(truths) {
            self.add(Some(&share.share), truth);
        }
    }

    fn cells(&self) -> String {
        let n = self.count.max(1) as f64;
        format!(
            "{:.4} | {:.1}%",
            self.error / n,
            100.0 * self.covered as f64 / n
        )
    }
}

fn main() -> anyhow::Result<()> {
    let Some(args) = parse_args(std::env::args().skip(1))? else {
        print!("{USAGE}");
        return Ok(());
    };
    let shoppers = draw_shoppers(&args)?;
    let truth = Truth::of(&shoppers);
    println!(
        "{} synthetic shoppers ({} in the holdout arm), {} trials per ε, seed {}",
        shoppers.len(),
        shoppers.iter().filter(|s| s.arm == Arm::Holdout).count(),
        args.trials,
        args.seed
    );
    println!(
        "true click-through: personalized {:.4}, holdout {:.4}; uplift {:.4}",
        truth.click_through[0],
        truth.click_through[1],
        truth.click_through[0] - truth.click_through[1]
    );
    println!();
    println!(
        "| ε | interest MAE | cov. | segment MAE | cov. | engagement MAE | cov. \
         | funnel MAE | cov. | CTR uplift MAE | cov. | add-to-cart uplift MAE | cov. |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for &epsilon in &args.epsilons {
        let mut scores = vec![Score::default(); 6];
        for trial in 0..args.trials {
            let mut entropy = SimulationEntropy(SplitMix64::new(
                args.seed ^ (trial + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ epsilon.to_bits(),
            ));
            let mut aggregator = Aggregator::default();
            for shopper in &shoppers {
                let batch = SignalBatch::from_profile(
                    &shopper.profile,
                    shopper.arm,
                    shopper.funnel,
                    epsilon,
                    &mut entropy,
                );
                aggregator.add(0, &batch);
            }
            // Each shopper spent exactly one day's budget: the shopper bound is their count.
            score(&aggregator.estimates(epsilon), &truth, &mut scores)?;
        }
        let cells: Vec<String> = scores.iter().map(Score::cells).collect();
        println!("| {epsilon:.4} | {} |", cells.join(" | "));
    }
    Ok(())
}

/// The shoppers' real shares and rates.
struct Truth {
    interest: Vec<f64>,
    segment: Vec<f64>,
    engagement: Vec<f64>,
    /// Per arm (personalized, holdout): the funnel stages' shares.
    funnel: [Vec<f64>; 2],
    click_through: [f64; 2],
    add_to_cart: [f64; 2],
}

impl Truth {
    fn of(shoppers: &[Shopper]) -> Truth {
        let shares = |k: usize, pick: &dyn Fn(&Shopper) -> Option<usize>| {
            let mut counts = vec![0.0; k];
            let mut n = 0.0;
            for shopper in shoppers {
                if let Some(v) = pick(shopper) {
                    counts[v] += 1.0;
                    n += 1.0;
                }
            }
            counts
                .iter()
                .map(|c| c / f64::max(n, 1.0))
                .collect::<Vec<f64>>()
        };
        let funnel_of = |arm: Arm| {
            shares(4, &move |s: &Shopper| {
                (s.arm == arm).then_some(usize::from(s.funnel.index()))
            })
        };
        let funnel = [funnel_of(Arm::Personalized), funnel_of(Arm::Holdout)];
        let rate =
            |f: &[f64], from: usize| f[from..].iter().sum::<f64>() / f[1..].iter().sum::<f64>();
        Truth {
            interest: shares(INTEREST_DOMAIN.len(), &|s| Some(s.interest)),
            segment: shares(usize::from(SEGMENT_COUNT), &|s| Some(s.segment)),
            engagement: shares(usize::from(ENGAGEMENT_BANDS), &|s| Some(s.engagement)),
            click_through: [rate(&funnel[0], 2), rate(&funnel[1], 2)],
            add_to_cart: [rate(&funnel[0], 3), rate(&funnel[1], 3)],
            funnel,
        }
    }
}

fn score(estimates: &Estimates, truth: &Truth, scores: &mut [Score]) -> anyhow::Result<()> {
    fn published<'a, T>(what: &str, value: Option<&'a T>) -> anyhow::Result<&'a T> {
        value.with_context(|| format!("{what} was held back: too few shoppers for this run"))
    }
    let interest = published("interest", estimates.interest.value.as_ref())?;
    scores[0].add_all(&interest.values, &truth.interest);
    let segment = published("segment", estimates.segment.value.as_ref())?;
    scores[1].add_all(&segment.values, &truth.segment);
    let engagement = published("engagement", estimates.engagement_band.value.as_ref())?;
    scores[2].add_all(&engagement.values, &truth.engagement);
    let arms = [&estimates.arms.personalized, &estimates.arms.holdout];
    for (arm, truth_funnel) in arms.iter().zip(&truth.funnel) {
        let funnel = published("an arm's funnel", arm.value.as_ref())?;
        scores[3].add_all(&funnel.stages, truth_funnel);
    }
    let uplift = published("the uplift", estimates.uplift.value.as_ref())?;
    scores[4].add(
        uplift.click_through.as_ref(),
        truth.click_through[0] - truth.click_through[1],
    );
    scores[5].add(
        uplift.add_to_cart.as_ref(),
        truth.add_to_cart[0] - truth.add_to_cart[1],
    );
    Ok(())
}

fn draw_shoppers(args: &Args) -> anyhow::Result<Vec<Shopper>> {
    let file = File::open(&args.sessions)
        .with_context(|| format!("opening {}", args.sessions.display()))?;
    let log = rees46::read(BufReader::new(file))
        .with_context(|| format!("reading {}", args.sessions.display()))?;
    // A real shopper is a user id's sessions together; an anonymous session stands alone.
    let mut histories: HashMap<String, Vec<&Interaction>> = HashMap::new();
    for session in &log.sessions {
        let key = if session.user_id.is_empty() {
            format!("session:{}", session.id)
        } else {
            format!("user:{}", session.user_id)
        };
        histories
            .entry(key)
            .or_default()
            .extend(session.interactions.iter());
    }
    let mut histories: Vec<(String, Vec<&Interaction>)> = histories.into_iter().collect();
    // HashMap order is random per process; the draw must not be.
    histories.sort_by(|a, b| a.0.cmp(&b.0));
    if histories.is_empty() {
        bail!("{} holds no sessions", args.sessions.display());
    }
    eprintln!(
        "{} real shoppers in {} sessions of {}",
        histories.len(),
        log.sessions.len(),
        args.sessions.display()
    );

    let mut rng = SplitMix64::new(args.seed);
    let shoppers = (0..args.shoppers)
        .map(|_| {
            let (_, history) = &histories[rng.below(histories.len())];
            let mut history = history.clone();
            history.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
            let mut profile = Profile::default();
            for interaction in &history {
                profile.apply(&interaction.event, interaction.at_ms);
            }
            let arm = if rng.next_f64() < args.holdout {
                Arm::Holdout
            } else {
                Arm::Personalized
            };
            let funnel = synthetic_funnel(&history, arm, &mut rng);
            let interest = profile
                .top_categories
                .top(1, profile.clock_ms(), profile.half_life_ms())
                .first()
                .map_or(INTEREST_DOMAIN.len() - 1, |(label, _)| {
                    interest_index(label)
                });
            Shopper {
                segment: usize::from(segment_of(&profile)),
                engagement: usize::from(engagement_band(&profile)),
                interest,
                profile,
                arm,
                funnel,
            }
        })
        .collect();
    Ok(shoppers)
}

fn synthetic_funnel(history: &[&Interaction], arm: Arm, rng: &mut SplitMix64) -> FunnelStage {
    let views = history
        .iter()
        .filter(|i| matches!(i.event, Event::ProductViewed { .. }))
        .count();
    let carted = history
        .iter()
        .any(|i| matches!(i.event, Event::AddedToCart { .. }));
    let base = if carted {
        FunnelStage::CartAdd
    } else if views >= 3 {
        FunnelStage::Click
    } else if views >= 1 {
        FunnelStage::Impression
    } else {
        FunnelStage::None
    };
    // Draw for every shopper, so both arms consume the stream alike.
    let lifted = rng.next_f64() < INJECTED_CLICK_UPLIFT;
    if arm == Arm::Personalized && base == FunnelStage::Impression && lifted {
        FunnelStage::Click
    } else {
        base
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> anyhow::Result<Option<Args>> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut parsed = Args {
        shoppers: 10_000,
        trials: 20,
        seed: 1,
        epsilons: vec![0.5, 3f64.ln(), 2.0, 4.0],
        holdout: 0.5,
        sessions: repo.join("../shared/data/rees46/2019-10-01-sessions.csv"),
    };
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        let number = |what: &str| -> anyhow::Result<f64> {
            value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .with_context(|| format!("{what}: expected a number, got {value:?}"))
        };
        match flag.as_str() {
            "--shoppers" => parsed.shoppers = number("--shoppers")? as usize,
            "--trials" => parsed.trials = number("--trials")? as u64,
            "--seed" => parsed.seed = number("--seed")? as u64,
            "--holdout" => parsed.holdout = number("--holdout")?.clamp(0.0, 1.0),
            "--sessions" => parsed.sessions = value.into(),
            "--epsilons" => {
                parsed.epsilons = value
                    .split(',')
                    .map(|e| {
                        e.trim()
                            .parse::<f64>()
                            .ok()
                            .filter(|e| e.is_finite() && *e > 0.0 && *e <= 10.0)
                            .with_context(|| format!("--epsilons: {e:?} is not in (0, 10]"))
                    })
                    .collect::<anyhow::Result<_>>()?;
            }
            _ => bail!("unknown flag {flag:?}\n\n{USAGE}"),
        }
    }
    Ok(Some(parsed))
}
