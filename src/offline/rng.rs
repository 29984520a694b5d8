//! A tiny deterministic random generator for the replay protocol.
//!
//! The protocol must give the same candidates on every machine and every run, and for one
//! event whatever else was replayed before it. So each (session, event) gets its own
//! generator, seeded from a fixed seed and the session's id, instead of sharing one stream.

/// SplitMix64: 64 bits of state, a Weyl step and a strong output mix. Plenty for sampling
/// candidates; not for anything that needs unpredictability.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The generator for one event of one session: the same inputs always give the same
    /// stream, and different sessions or steps give unrelated ones.
    pub fn for_event(seed: u64, session_id: &str, step: usize) -> Self {
        let mut mixed = SplitMix64::new(seed ^ fnv1a(session_id.as_bytes()));
        let base = mixed.next_u64();
        SplitMix64::new(base ^ mix(step as u64 ^ GOLDEN_GAMMA))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix(self.state)
    }

    /// A uniform float in `[0, 1)`, from the top 53 bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `[0, bound)`; `bound` must be positive.
    ///
    /// # Panics
    /// When `bound` is zero: callers check for an empty range first.
    pub fn below(&mut self, bound: usize) -> usize {
        assert!(bound > 0, "invariant: below() needs a non-empty range");
        // Lemire's multiply-shift keeps the bias below 2^-64 · bound, which is nothing at
        // catalogue sizes, without a rejection loop.
        ((u128::from(self.next_u64()) * bound as u128) >> 64) as usize
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a, 64 bits: a stable hash of the session id (std's hasher is randomized per run).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_deterministic_per_event() {
        let draw = |step| {
            let mut r = SplitMix64::for_event(7, "s", step);
            (0..4).map(|_| r.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }

    #[test]
    fn stays_in_range() {
        let mut r = SplitMix64::new(1);
        for _ in 0..10_000 {
            let x = r.next_f64();
            assert!((0.0..1.0).contains(&x));
            assert!(r.below(7) < 7);
        }
    }

    #[test]
    fn is_roughly_uniform() {
        let mut r = SplitMix64::new(42);
        let mut counts = [0u32; 10];
        for _ in 0..100_000 {
            counts[r.below(10)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_000..11_000).contains(&c)),
            "{counts:?}"
        );
    }
}
