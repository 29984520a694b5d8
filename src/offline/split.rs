//! The time split: train on the past, test on the sessions that started last.

use crate::offline::rees46::ShopperSession;

/// Where the test sessions begin in `sessions` (ordered by start time): the last
/// `test_fraction` of them, rounded to the nearest session, are the test split.
///
/// A fraction outside `[0, 1]` or not finite is clamped into it (NaN counts as 0).
pub fn test_start(sessions: &[ShopperSession], test_fraction: f64) -> usize {
    let fraction = if test_fraction.is_nan() {
        0.0
    } else {
        test_fraction.clamp(0.0, 1.0)
    };
    let test = (sessions.len() as f64 * fraction).round() as usize;
    debug_assert!(
        sessions
            .windows(2)
            .all(|w| w[0].started_ms() <= w[1].started_ms()),
        "sessions must be ordered by start time"
    );
    sessions.len() - test.min(sessions.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(n: usize) -> Vec<ShopperSession> {
        (0..n)
            .map(|i| ShopperSession {
                id: i.to_string(),
                user_id: "u".into(),
                interactions: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn keeps_the_last_fifth_for_test() {
        assert_eq!(test_start(&sessions(10), 0.2), 8);
        assert_eq!(test_start(&sessions(4058), 0.2), 4058 - 812);
        assert_eq!(test_start(&sessions(3), 0.0), 3);
        assert_eq!(test_start(&sessions(3), 7.0), 0);
        assert_eq!(test_start(&sessions(3), f64::NAN), 3);
    }
}
