//! Which experiment arm a shopper is in: the built-in holdout that lets the store measure what
//! personalization is worth.
//!
//! Each device draws one uniform number once, with the CSPRNG, and keeps it. The shopper is in
//! the holdout arm when the number is below the store's `holdout` fraction. Keeping the draw
//! rather than the arm makes the assignment stable for a given fraction and monotone when the
//! store changes it: raising the fraction from 0.1 to 0.2 keeps every earlier holdout shopper
//! in the holdout. The draw is independent of anything the shopper does, which is why the arm
//! may travel in the clear. `erase()` forgets it, and the next start draws afresh.

use crate::error::{Error, Result};
use crate::json::{Object, Value};
use crate::number::Shortest;
use crate::signals::{Arm, Entropy};
use crate::stored::{self, Fields};

/// The version of the stored assignment's shape.
pub const ASSIGNMENT_SCHEMA: u32 = 1;

/// Fraction of shoppers in the holdout by default: a tenth costs the store little of
/// personalization's benefit and, at a few thousand batches a day, still resolves a
/// difference of a few points in click-through between the arms.
pub const DEFAULT_HOLDOUT: f64 = 0.1;

/// The stored draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assignment {
    schema: u32,
    /// Uniform in `[0, 1)`, drawn once on this device.
    draw: f64,
}

impl Assignment {
    /// A new assignment from the device's entropy.
    pub fn draw(entropy: &mut dyn Entropy) -> Self {
        Assignment {
            schema: ASSIGNMENT_SCHEMA,
            draw: entropy.uniform(),
        }
    }

    /// The arm for a holdout fraction in `[0, 1]`.
    pub fn arm(&self, holdout: f64) -> Arm {
        if self.draw < holdout {
            Arm::Holdout
        } else {
            Arm::Personalized
        }
    }

    /// Serializes the assignment for storage.
    pub fn to_json(&self) -> String {
        Value::from(
            Object::new()
                .with("schema", self.schema)
                .with("draw", self.draw),
        )
        .to_json()
    }

    /// Restores a stored assignment.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when the text is not an assignment of a known schema with a draw
    /// in `[0, 1)`.
    pub fn from_json(json: &str) -> Result<Self> {
        let value = stored::parse("assignment", json)?;
        let fields = Fields::of(&value, "assignment")?.only(&["schema", "draw"])?;
        let a = Assignment {
            schema: fields.small("schema")?,
            draw: fields.number("draw")?,
        };
        if a.schema != ASSIGNMENT_SCHEMA || !(0.0..1.0).contains(&a.draw) {
            return Err(Error::Corrupt(format!(
                "assignment schema {} with draw {} is not valid",
                a.schema,
                Shortest(a.draw)
            )));
        }
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::tests::SeededEntropy;

    #[test]
    fn the_fraction_of_holdout_shoppers_matches_the_setting() {
        let mut entropy = SeededEntropy::new(21);
        let n = 20_000;
        for fraction in [0.0, 0.1, 0.5] {
            let held = (0..n)
                .filter(|_| Assignment::draw(&mut entropy).arm(fraction) == Arm::Holdout)
                .count();
            let share = held as f64 / n as f64;
            assert!((share - fraction).abs() < 0.01, "{fraction}: {share}");
        }
    }

    #[test]
    fn the_arm_is_stable_across_reloads_and_monotone_in_the_fraction() {
        let mut entropy = SeededEntropy::new(5);
        for _ in 0..500 {
            let a = Assignment::draw(&mut entropy);
            let reloaded = Assignment::from_json(&a.to_json()).unwrap();
            assert_eq!(reloaded.arm(0.1), a.arm(0.1));
            if a.arm(0.1) == Arm::Holdout {
                assert_eq!(a.arm(0.2), Arm::Holdout);
            }
        }
        assert_eq!(Assignment::draw(&mut entropy).arm(1.0), Arm::Holdout);
        assert!(Assignment::from_json(r#"{"schema":1,"draw":1.5}"#).is_err());
        assert!(Assignment::from_json(r#"{"schema":2,"draw":0.5}"#).is_err());
    }
}
