//! The shopper's own choices about Vitrine on this device.
//!
//! Today that is one choice: pause. A paused Vitrine keeps the server's order, records
//! nothing and sends nothing; the stored profile stays as it was until resumed or erased.
//! The record is written only while paused, so an unpaused device stores no controls at all.

use crate::error::{Error, Result};
use crate::json::{Object, Value};
use crate::stored::{self, Fields};

/// The version of the stored controls' shape.
pub const CONTROLS_SCHEMA: u32 = 1;

/// What the shopper chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Controls {
    schema: u32,
    /// Personalization, tracking and sync are paused.
    pub paused: bool,
}

impl Default for Controls {
    fn default() -> Self {
        Controls {
            schema: CONTROLS_SCHEMA,
            paused: false,
        }
    }
}

impl Controls {
    /// Controls with personalization paused or not.
    pub fn with_paused(paused: bool) -> Self {
        Controls {
            paused,
            ..Controls::default()
        }
    }

    /// Serializes the controls for storage.
    pub fn to_json(&self) -> String {
        Value::from(
            Object::new()
                .with("schema", self.schema)
                .with("paused", self.paused),
        )
        .to_json()
    }

    /// Restores stored controls.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when the text is not controls of a known schema.
    pub fn from_json(json: &str) -> Result<Self> {
        let value = stored::parse("controls", json)?;
        let fields = Fields::of(&value, "controls")?.only(&["schema", "paused"])?;
        let controls = Controls {
            schema: fields.small("schema")?,
            paused: fields.bool("paused")?,
        };
        if controls.schema != CONTROLS_SCHEMA {
            return Err(Error::Corrupt(format!(
                "controls schema {} is not known",
                controls.schema
            )));
        }
        Ok(controls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_unknown_shapes() {
        let paused = Controls::with_paused(true);
        assert_eq!(Controls::from_json(&paused.to_json()).unwrap(), paused);
        assert!(Controls::from_json(r#"{"schema":2,"paused":true}"#).is_err());
        assert!(Controls::from_json(r#"{"schema":1,"paused":true,"x":1}"#).is_err());
    }
}
