//! Time-decayed weights: how much a shopper cares about a category, a brand, a price band.
//!
//! A weight halves every half-life. Instead of touching every entry on every tick, each entry
//! remembers when it was last brought up to date and is decayed lazily when read or bumped.

use crate::error::{Error, Result};
use crate::json::{Object, Value};
use crate::label_map::LabelMap;
use crate::number::Shortest;
use crate::stored::Fields;

/// One decayed quantity: its value as of `at_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Decayed {
    /// The value at `at_ms` (stored as `v`).
    pub value: f64,
    /// Milliseconds since the Unix epoch of the last update (stored as `t`).
    pub at_ms: f64,
}

impl Decayed {
    /// The value as of `now_ms`. A clock that went backwards decays nothing.
    pub fn at(&self, now_ms: f64, half_life_ms: f64) -> f64 {
        let elapsed = (now_ms - self.at_ms).max(0.0);
        self.value * (-elapsed / half_life_ms * std::f64::consts::LN_2).exp()
    }

    /// The stored form, `{"v": value, "t": at_ms}`: one-letter names, as a profile holds a
    /// hundred of them.
    pub fn to_value(&self) -> Value {
        Object::new()
            .with("v", self.value)
            .with("t", self.at_ms)
            .into()
    }

    /// The stored value in field `key` of `fields`.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming the field when it is not of the stored form.
    pub fn read(fields: &Fields, key: &str) -> Result<Self> {
        Decayed::from_fields(&fields.object(key)?)
    }

    fn from_fields(fields: &Fields) -> Result<Self> {
        Ok(Decayed {
            value: fields.number("v")?,
            at_ms: fields.number("t")?,
        })
    }

    /// Checks a value read from storage: finite, not negative, at a finite time.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming `name`.
    pub fn check(&self, name: &str) -> Result<()> {
        if self.value.is_finite() && self.value >= 0.0 && self.at_ms.is_finite() {
            Ok(())
        } else {
            Err(Error::Corrupt(format!(
                "profile {name}: weight {} at {} is not a finite, non-negative number",
                Shortest(self.value),
                Shortest(self.at_ms)
            )))
        }
    }

    /// Adds `amount` at `now_ms`; the result never goes below zero.
    pub fn add(&mut self, amount: f64, now_ms: f64, half_life_ms: f64) {
        self.value = (self.at(now_ms, half_life_ms) + amount).max(0.0);
        self.at_ms = self.at_ms.max(now_ms);
    }
}

/// A bounded map from a label to its decayed weight.
///
/// When full, the weakest entry (after decay) makes room for a new one, so the profile stays
/// within its size budget however long the shopper browses.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AffinityTable {
    entries: LabelMap<Decayed>,
}

impl AffinityTable {
    /// The stored form, `{"entries": {label: decayed, …}}`.
    pub fn to_value(&self) -> Value {
        let entries: Object = self
            .entries
            .iter()
            .map(|(label, weight)| (label.to_owned(), weight.to_value()))
            .collect();
        Object::new().with("entries", entries).into()
    }

    /// The stored table in field `key` of `fields`; its bounds are [`Self::check`]'s.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming the field when it is not of the stored form.
    pub fn read(fields: &Fields, key: &str) -> Result<Self> {
        let entries = fields
            .object(key)?
            .entries("entries", |label, at, weight| {
                let weight = Decayed::from_fields(&Fields::of(weight, at)?)?;
                Ok((label.to_owned(), weight))
            })?;
        Ok(AffinityTable {
            entries: entries.into_iter().collect(),
        })
    }

    /// Adds `amount` to `label`'s weight, evicting the weakest entry if `capacity` is reached.
    pub fn bump(
        &mut self,
        label: &str,
        amount: f64,
        now_ms: f64,
        half_life_ms: f64,
        capacity: usize,
    ) {
        if !self.entries.contains_key(label) {
            if amount <= 0.0 {
                return;
            }
            while self.entries.len() >= capacity.max(1) {
                self.evict_weakest(now_ms, half_life_ms);
            }
        }
        self.entries
            .get_or_default(label)
            .add(amount, now_ms, half_life_ms);
    }

    /// `label`'s weight as of `now_ms`, zero if unknown.
    pub fn weight(&self, label: &str, now_ms: f64, half_life_ms: f64) -> f64 {
        self.entries
            .get(label)
            .map_or(0.0, |d| d.at(now_ms, half_life_ms))
    }

    /// Every label with its weight as of `now_ms`, in label order.
    pub fn weights(&self, now_ms: f64, half_life_ms: f64) -> impl Iterator<Item = (&str, f64)> {
        self.entries
            .iter()
            .map(move |(label, d)| (label, d.at(now_ms, half_life_ms)))
    }

    /// The sum of all weights as of `now_ms`.
    pub fn total(&self, now_ms: f64, half_life_ms: f64) -> f64 {
        self.entries
            .iter()
            .map(|(_, d)| d.at(now_ms, half_life_ms))
            .sum()
    }

    /// `label`'s share of the total weight, in `[0, 1]`; zero when the table is empty.
    ///
    /// Every entry decays at the same rate, so shares only move when the shopper acts.
    pub fn share(&self, label: &str, now_ms: f64, half_life_ms: f64) -> f64 {
        let total = self.total(now_ms, half_life_ms);
        if total > 0.0 {
            self.weight(label, now_ms, half_life_ms) / total
        } else {
            0.0
        }
    }

    /// The `n` strongest labels with their weights, strongest first.
    pub fn top(&self, n: usize, now_ms: f64, half_life_ms: f64) -> Vec<(String, f64)> {
        let all: Vec<(&str, f64)> = self
            .entries
            .iter()
            .map(|(label, d)| (label, d.at(now_ms, half_life_ms)))
            .collect();
        // Labels are unique and in order: ties of weight stay in label order.
        let order = crate::order::sorted_indices(all.len(), &|a, b| all[b].1.total_cmp(&all[a].1));
        order
            .into_iter()
            .take(n)
            .map(|i| (all[i].0.to_owned(), all[i].1))
            .collect()
    }

    /// Forgets labels last reinforced before `cutoff_ms`, however strong they still are: the
    /// retention period bounds how old a stored fact may be. Returns whether any went.
    pub fn forget_before(&mut self, cutoff_ms: f64) -> bool {
        let before = self.entries.len();
        self.entries.retain(|_, d| d.at_ms >= cutoff_ms);
        self.entries.len() != before
    }

    /// Checks a table read from storage against the bounds this code keeps it in: at most
    /// `capacity` labels of at most `max_label_bytes`, each weight and time finite and the
    /// weight never negative. `name` names the table in the error.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming the table and what is out of bounds.
    pub fn check(&self, name: &str, capacity: usize, max_label_bytes: usize) -> Result<()> {
        if self.entries.len() > capacity {
            return Err(Error::Corrupt(format!(
                "profile {name}: {} labels, at most {capacity} are kept",
                self.entries.len()
            )));
        }
        for (label, weight) in self.entries.iter() {
            if label.len() > max_label_bytes {
                return Err(Error::Corrupt(format!(
                    "profile {name}: a label of {} bytes, at most {max_label_bytes}",
                    label.len()
                )));
            }
            weight.check(name)?;
        }
        Ok(())
    }

    /// How many labels the table holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table holds no label.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn evict_weakest(&mut self, now_ms: f64, half_life_ms: f64) {
        let weakest = self
            .entries
            .iter()
            .min_by(|a, b| {
                a.1.at(now_ms, half_life_ms)
                    .total_cmp(&b.1.at(now_ms, half_life_ms))
            })
            .map(|(label, _)| label.to_owned());
        if let Some(label) = weakest {
            self.entries.remove(&label);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: f64 = 3_600_000.0;

    #[test]
    fn halves_every_half_life() {
        let mut d = Decayed::default();
        d.add(8.0, 0.0, HOUR);
        assert!((d.at(HOUR, HOUR) - 4.0).abs() < 1e-9);
        assert!((d.at(3.0 * HOUR, HOUR) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_clock_going_backwards_decays_nothing() {
        let mut d = Decayed::default();
        d.add(2.0, 10.0 * HOUR, HOUR);
        assert_eq!(d.at(HOUR, HOUR), 2.0);
        d.add(1.0, HOUR, HOUR);
        assert_eq!(d.at_ms, 10.0 * HOUR, "an update never moves time backwards");
        assert_eq!(d.value, 3.0);
    }

    #[test]
    fn evicts_the_weakest_when_full() {
        let mut t = AffinityTable::default();
        t.bump("old", 5.0, 0.0, HOUR, 2);
        t.bump("fresh", 2.0, 4.0 * HOUR, HOUR, 2);
        t.bump("new", 1.0, 4.0 * HOUR, HOUR, 2);
        assert_eq!(t.len(), 2);
        assert_eq!(
            t.weight("old", 4.0 * HOUR, HOUR),
            0.0,
            "5 decayed to 0.31 < 1 and went"
        );
        assert!(t.share("fresh", 4.0 * HOUR, HOUR) > 0.6);
    }

    #[test]
    fn negative_bumps_never_create_or_go_below_zero() {
        let mut t = AffinityTable::default();
        t.bump("x", -1.0, 0.0, HOUR, 4);
        assert!(t.is_empty());
        t.bump("x", 1.0, 0.0, HOUR, 4);
        t.bump("x", -3.0, 0.0, HOUR, 4);
        assert_eq!(t.weight("x", 0.0, HOUR), 0.0);
    }
}
