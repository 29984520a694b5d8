//! How long stored facts about a shopper may live on the device.
//!
//! Decay already makes old interests weigh little; retention makes them *go*. Every fact
//! that carries a time (an affinity's last reinforcement, a recent item's last view, a ledger
//! entry's send) is deleted once it is older than the period. The facts without a time of
//! their own (lifetime counters, the cart's ids, the current session) go with the whole
//! profile when the shopper has not been active for a full period.

use crate::ledger::Ledger;
use crate::profile::Profile;

/// The default retention: 30 days, four affinity half-lives, by when an untouched interest
/// weighs a sixteenth of what it did.
pub const DEFAULT_RETENTION_DAYS: f64 = 30.0;

const DAY_MS: f64 = 86_400_000.0;

/// A retention period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retention {
    /// The longest a fact may be kept, in ms.
    pub period_ms: f64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention::days(DEFAULT_RETENTION_DAYS)
    }
}

impl Retention {
    /// A period of `days` days.
    pub fn days(days: f64) -> Self {
        Retention {
            period_ms: days * DAY_MS,
        }
    }

    /// Deletes what is older than the period as of `now_ms`. Returns whether anything went,
    /// so the caller knows storage must be rewritten.
    pub fn expire_profile(&self, profile: &mut Profile, now_ms: f64) -> bool {
        if profile.totals.events == 0 {
            return false;
        }
        let cutoff = now_ms - self.period_ms;
        if profile.clock_ms() < cutoff {
            *profile = Profile::new(profile.config());
            return true;
        }
        let recent_before = profile.recent.len();
        profile.recent.retain(|item| item.last_seen_ms >= cutoff);
        // Each table is pruned whatever the others did: no short-circuit.
        let pruned = [
            profile.categories.forget_before(cutoff),
            profile.top_categories.forget_before(cutoff),
            profile.brands.forget_before(cutoff),
            profile.price_bands.forget_before(cutoff),
        ];
        profile.recent.len() != recent_before || pruned.contains(&true)
    }

    /// Deletes ledger entries older than the period. Returns whether any went.
    pub fn expire_ledger(&self, ledger: &mut Ledger, now_ms: f64) -> bool {
        ledger.forget_before(now_ms - self.period_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, Product};
    use crate::ledger::tests::batch;
    use crate::ledger::Transport;
    use crate::outbox::Delivery;

    fn view(id: &str, category: &str, brand: &str) -> Event {
        Event::ProductViewed {
            product: Product {
                id: id.into(),
                category: Some(category.into()),
                brand: Some(brand.into()),
                price: Some(10.0),
            },
        }
    }

    /// The fake clock: every call below passes its own `now`, nothing reads the system time.
    const T0: f64 = 1_000.0 * DAY_MS;

    #[test]
    fn facts_older_than_the_period_go_and_fresher_ones_stay() {
        let retention = Retention::days(10.0);
        let mut profile = Profile::default();
        profile.apply(&view("1", "kids.toys", "lego"), T0);
        profile.apply(&view("2", "sport.bicycle", "trek"), T0 + 8.0 * DAY_MS);

        assert!(!retention.expire_profile(&mut profile, T0 + 9.0 * DAY_MS));
        assert_eq!(profile.recent.len(), 2);

        assert!(retention.expire_profile(&mut profile, T0 + 11.0 * DAY_MS));
        let ids: Vec<_> = profile.recent.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["2"]);
        let now = T0 + 11.0 * DAY_MS;
        let half_life = profile.half_life_ms();
        assert_eq!(profile.brands.weight("lego", now, half_life), 0.0);
        assert!(profile.brands.weight("trek", now, half_life) > 0.0);
        assert_eq!(
            profile.totals.events, 2,
            "counters stay while the shopper is active"
        );
    }

    #[test]
    fn a_shopper_away_for_a_whole_period_starts_afresh() {
        let retention = Retention::days(10.0);
        let mut profile = Profile::default();
        profile.apply(&view("1", "kids.toys", "lego"), T0);
        profile.apply(
            &Event::AddedToCart {
                product: Product {
                    id: "1".into(),
                    category: None,
                    brand: None,
                    price: None,
                },
                quantity: 1,
            },
            T0,
        );
        assert!(retention.expire_profile(&mut profile, T0 + 10.5 * DAY_MS));
        assert_eq!(profile, Profile::new(profile.config()));
        assert!(
            !retention.expire_profile(&mut profile, T0 + 30.0 * DAY_MS),
            "an empty profile has nothing to expire"
        );
    }

    #[test]
    fn the_default_is_thirty_days() {
        let mut profile = Profile::default();
        profile.apply(&view("1", "kids.toys", "lego"), T0);
        assert!(!Retention::default().expire_profile(&mut profile, T0 + 29.0 * DAY_MS));
        assert!(Retention::default().expire_profile(&mut profile, T0 + 31.0 * DAY_MS));
    }

    #[test]
    fn ledger_entries_expire_too() {
        let mut ledger = Ledger::default();
        ledger.record(&batch(1), Transport::Fetch, Delivery::Status(202), T0);
        ledger.record(
            &batch(2),
            Transport::Fetch,
            Delivery::Status(202),
            T0 + 5.0 * DAY_MS,
        );
        let retention = Retention::days(10.0);
        assert!(!retention.expire_ledger(&mut ledger, T0 + 9.0 * DAY_MS));
        assert!(retention.expire_ledger(&mut ledger, T0 + 12.0 * DAY_MS));
        assert_eq!(ledger.entries().count(), 1);
    }
}
