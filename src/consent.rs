//! Whether this shopper lets Vitrine sync: the store's consent mode, the shopper's explicit
//! choice, and the browser's Global Privacy Control, combined in one place.
//!
//! The rules, in order:
//! 1. Global Privacy Control on (`navigator.globalPrivacyControl === true`) denies sync, even
//!    after an explicit grant, unless the store set `honorGlobalPrivacyControl: false`. GPC
//!    is the shopper's standing answer for every site; a click on one banner does not
//!    outrank it by default.
//! 2. An explicit choice (`grantConsent()`, `revokeConsent()`) decides.
//! 3. Without one, the store's mode decides: `opt-out` (the default, keeping the behaviour of
//!    earlier releases) allows sync, `opt-in` denies it until granted. A store that needs
//!    prior consent for analytics, as under the GDPR, must configure `opt-in`.
//!
//! Consent covers what leaves the device. Whether local re-ranking continues without it is
//! the store's `personalizeWithoutConsent` (default `true`: nothing about the shopper leaves
//! the device for it).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::json::{Object, Value};
use crate::stored::{self, Fields};

/// The version of the stored consent's shape.
pub const CONSENT_SCHEMA: u32 = 1;

/// How the store asks for consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ConsentMode {
    /// Sync only after `grantConsent()`.
    #[serde(rename = "opt-in")]
    OptIn,
    /// Sync unless the shopper revoked it.
    #[default]
    #[serde(rename = "opt-out")]
    OptOut,
}

/// The shopper's explicit answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// `grantConsent()`.
    Granted,
    /// `revokeConsent()`.
    Revoked,
}

/// The stored choice, if the shopper made one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Consent {
    schema: u32,
    /// What the shopper chose.
    pub choice: Choice,
    /// When, ms since the epoch.
    pub at_ms: f64,
}

/// Why sync is allowed or not, as the page sees it in `consent().reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The shopper granted consent.
    Granted,
    /// Opt-out mode and no choice made.
    OptOutDefault,
    /// Opt-in mode and no choice made yet.
    NotAsked,
    /// The shopper revoked consent.
    Revoked,
    /// Global Privacy Control is on, and the store honours it.
    GlobalPrivacyControl,
}

/// The outcome of the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether batches may be built and sent.
    pub sync_allowed: bool,
    /// Why.
    pub reason: Reason,
}

impl Reason {
    /// The reason's name for the page.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Granted => "granted",
            Reason::OptOutDefault => "opt_out_default",
            Reason::NotAsked => "not_asked",
            Reason::Revoked => "revoked",
            Reason::GlobalPrivacyControl => "global_privacy_control",
        }
    }
}

impl ConsentMode {
    /// The mode's name, as the store configures it.
    pub fn name(self) -> &'static str {
        match self {
            ConsentMode::OptIn => "opt-in",
            ConsentMode::OptOut => "opt-out",
        }
    }

    /// The mode of this name.
    pub fn from_name(name: &str) -> Option<Self> {
        [ConsentMode::OptIn, ConsentMode::OptOut]
            .into_iter()
            .find(|mode| mode.name() == name)
    }
}

impl Choice {
    /// The choice's name in storage.
    pub fn name(self) -> &'static str {
        match self {
            Choice::Granted => "granted",
            Choice::Revoked => "revoked",
        }
    }

    /// The choice of this name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Choice::Granted, Choice::Revoked]
            .into_iter()
            .find(|choice| choice.name() == name)
    }
}

/// What the store configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentPolicy {
    /// Opt-in or opt-out.
    pub mode: ConsentMode,
    /// Whether Global Privacy Control denies sync (default `true`).
    pub honor_gpc: bool,
}

impl Default for ConsentPolicy {
    fn default() -> Self {
        ConsentPolicy {
            mode: ConsentMode::default(),
            honor_gpc: true,
        }
    }
}

impl ConsentPolicy {
    /// Applies the rules of this module to the stored choice and the browser's GPC flag.
    pub fn decide(&self, choice: Option<Choice>, gpc: bool) -> Decision {
        let (sync_allowed, reason) = if gpc && self.honor_gpc {
            (false, Reason::GlobalPrivacyControl)
        } else {
            match (choice, self.mode) {
                (Some(Choice::Granted), _) => (true, Reason::Granted),
                (Some(Choice::Revoked), _) => (false, Reason::Revoked),
                (None, ConsentMode::OptOut) => (true, Reason::OptOutDefault),
                (None, ConsentMode::OptIn) => (false, Reason::NotAsked),
            }
        };
        Decision {
            sync_allowed,
            reason,
        }
    }
}

impl Consent {
    /// A choice made at `at_ms`.
    pub fn new(choice: Choice, at_ms: f64) -> Self {
        Consent {
            schema: CONSENT_SCHEMA,
            choice,
            at_ms,
        }
    }

    /// Serializes the choice for storage.
    pub fn to_json(&self) -> String {
        Value::from(
            Object::new()
                .with("schema", self.schema)
                .with("choice", self.choice.name())
                .with("at_ms", self.at_ms),
        )
        .to_json()
    }

    /// Restores a stored choice.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when the text is not a consent record of a known schema.
    pub fn from_json(json: &str) -> Result<Self> {
        let value = stored::parse("consent", json)?;
        let fields = Fields::of(&value, "consent")?.only(&["schema", "choice", "at_ms"])?;
        let choice = Choice::from_name(&fields.string("choice")?)
            .ok_or_else(|| fields.corrupt("choice", "expected \"granted\" or \"revoked\""))?;
        let consent = Consent {
            schema: fields.small("schema")?,
            choice,
            at_ms: fields.number("at_ms")?,
        };
        if consent.schema != CONSENT_SCHEMA {
            return Err(Error::Corrupt(format!(
                "consent schema {} is not known",
                consent.schema
            )));
        }
        Ok(consent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_in_every_state() {
        let opt_in = ConsentPolicy {
            mode: ConsentMode::OptIn,
            honor_gpc: true,
        };
        let opt_out = ConsentPolicy::default();
        let cases = [
            (opt_in, None, false, false, Reason::NotAsked),
            (opt_in, Some(Choice::Granted), false, true, Reason::Granted),
            (opt_in, Some(Choice::Revoked), false, false, Reason::Revoked),
            (opt_out, None, false, true, Reason::OptOutDefault),
            (
                opt_out,
                Some(Choice::Revoked),
                false,
                false,
                Reason::Revoked,
            ),
            (opt_out, Some(Choice::Granted), false, true, Reason::Granted),
            (opt_out, None, true, false, Reason::GlobalPrivacyControl),
            (
                opt_in,
                Some(Choice::Granted),
                true,
                false,
                Reason::GlobalPrivacyControl,
            ),
        ];
        for (policy, choice, gpc, allowed, reason) in cases {
            let d = policy.decide(choice, gpc);
            assert_eq!(
                (d.sync_allowed, d.reason),
                (allowed, reason),
                "{policy:?} {choice:?}"
            );
        }
    }

    #[test]
    fn a_store_may_override_gpc_but_only_explicitly() {
        let overriding = ConsentPolicy {
            mode: ConsentMode::OptOut,
            honor_gpc: false,
        };
        assert!(overriding.decide(None, true).sync_allowed);
        assert!(!overriding.decide(Some(Choice::Revoked), true).sync_allowed);
        assert!(ConsentPolicy::default().honor_gpc, "GPC wins by default");
    }

    #[test]
    fn round_trips_and_refuses_unknown_shapes() {
        let c = Consent::new(Choice::Revoked, 5.0);
        assert_eq!(Consent::from_json(&c.to_json()).unwrap(), c);
        assert!(Consent::from_json(r#"{"schema":2,"choice":"granted","at_ms":1}"#).is_err());
        assert!(Consent::from_json(r#"{"schema":1,"choice":"maybe","at_ms":1}"#).is_err());
    }
}
