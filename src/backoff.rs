//! How long to wait before re-sending a batch the collector did not take: exponential backoff
//! with jitter.
//!
//! The wait doubles with every failed attempt, up to a cap, and each wait is drawn uniformly
//! from its upper half ("equal jitter"). Doubling keeps a struggling collector from being
//! hammered; the jitter keeps the many devices that failed together (the collector was down)
//! from all coming back in the same second; keeping the lower half out guarantees that
//! retries stay spaced, which the store can rely on when sizing the collector.

/// The retry schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// Upper bound of the first wait, in ms.
    pub base_ms: f64,
    /// No wait is longer than this, in ms.
    pub max_ms: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        // Half a minute covers a flaky connection or a collector restart; an hour caps the
        // wait for a long outage while still retrying several times a day.
        Backoff {
            base_ms: 30_000.0,
            max_ms: 3_600_000.0,
        }
    }
}

impl Backoff {
    /// The wait after failed attempt number `attempt` (1 for the first failure), given a
    /// uniform draw `u` in `[0, 1)`: within `[c/2, c)` for `c = min(max, base · 2^(attempt−1))`.
    pub fn delay_ms(&self, attempt: u32, u: f64) -> f64 {
        let exponent = attempt.saturating_sub(1).min(52) as i32;
        let ceiling = (self.base_ms * 2f64.powi(exponent)).min(self.max_ms);
        ceiling * (0.5 + 0.5 * u.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline::rng::SplitMix64;

    #[test]
    fn waits_double_up_to_the_cap_and_stay_in_the_upper_half() {
        let backoff = Backoff::default();
        let mut rng = SplitMix64::new(3);
        for attempt in 1..40 {
            let ceiling = (30_000.0 * 2f64.powi(attempt as i32 - 1)).min(3_600_000.0);
            for _ in 0..50 {
                let wait = backoff.delay_ms(attempt, rng.next_f64());
                assert!(
                    wait >= ceiling / 2.0 && wait <= ceiling,
                    "{attempt}: {wait}"
                );
            }
        }
        assert_eq!(backoff.delay_ms(1, 0.0), 15_000.0);
        assert_eq!(backoff.delay_ms(3, 0.0), 60_000.0);
        assert_eq!(backoff.delay_ms(u32::MAX, 0.0), 1_800_000.0);
    }

    #[test]
    fn jitter_spreads_devices_that_failed_together() {
        let backoff = Backoff::default();
        let mut rng = SplitMix64::new(9);
        let waits: Vec<f64> = (0..1000)
            .map(|_| backoff.delay_ms(4, rng.next_f64()))
            .collect();
        let seconds: std::collections::BTreeSet<u64> =
            waits.iter().map(|w| (w / 1000.0) as u64).collect();
        // 1000 devices land on most of the 120 distinct seconds of [120 s, 240 s).
        assert!(seconds.len() > 100, "{} distinct seconds", seconds.len());
    }
}
