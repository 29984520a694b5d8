//! Reading a record back from storage: each field of its type, or [`Error::Corrupt`] naming
//! the record and the field.
//!
//! Every record Vitrine keeps (profile, outbox, ledger, consent, controls, holdout) is written
//! as a [`json::Value`] tree by its own `to_json` and read back here. What is read may have
//! been edited by hand or written by another version, so nothing is assumed: a wrong type or
//! a missing field is an error (unless the record gives that field a default), and the caller
//! starts that record afresh. Paths in the errors name fields and positions, never a stored
//! label or key, which would carry the shopper's history into an error report.

use crate::error::{Error, Result};
use crate::json::{self, Object, Value};

/// The JSON text of the record `what`, parsed.
///
/// # Errors
/// [`Error::Corrupt`] when `text` is not JSON.
pub fn parse(what: &str, text: &str) -> Result<Value> {
    json::parse(text).map_err(|e| Error::Corrupt(format!("{what}: {e}")))
}

/// `error` as the sender's fault: for a document that arrived (a batch's body, a shipped
/// file) and is read with these readers, not read back from storage.
pub fn as_malformed(error: Error) -> Error {
    match error {
        Error::Corrupt(why) => Error::Malformed(why),
        other => other,
    }
}

/// The fields of one stored object, at `path` ("profile", "profile.totals", …; "" for a
/// document whose fields need no prefix).
pub struct Fields<'a> {
    object: &'a Object,
    path: String,
}

impl<'a> Fields<'a> {
    /// `value` as an object at `path`.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when it is not an object.
    pub fn of(value: &'a Value, path: impl Into<String>) -> Result<Self> {
        let path = path.into();
        match value {
            Value::Object(object) => Ok(Fields { object, path }),
            _ if path.is_empty() => Err(Error::Corrupt("expected an object".to_owned())),
            _ => Err(Error::Corrupt(format!("`{path}`: expected an object"))),
        }
    }

    /// The same fields, refused if any is not in `known`: a record with fields this version
    /// does not know was written by another one, and reading part of it would lose the rest.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming the first unknown field.
    pub fn only(self, known: &[&str]) -> Result<Self> {
        match self.object.iter().find(|(key, _)| !known.contains(key)) {
            Some((key, _)) => Err(self.corrupt(key, "unknown field")),
            None => Ok(self),
        }
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.object.get(key)
    }

    /// The value of `key`.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when it is missing.
    pub fn value(&self, key: &str) -> Result<&'a Value> {
        self.get(key).ok_or_else(|| match self.path.as_str() {
            "" => Error::Corrupt(format!("missing field `{key}`")),
            path => Error::Corrupt(format!("`{path}`: missing field `{key}`")),
        })
    }

    /// The finite number `key`.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when it is missing or not a number.
    pub fn number(&self, key: &str) -> Result<f64> {
        self.value(key)?
            .as_f64()
            .ok_or_else(|| self.corrupt(key, "expected a number"))
    }

    /// The number `key`, or `default` when it is absent.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when it is present and not a number.
    pub fn number_or(&self, key: &str, default: f64) -> Result<f64> {
        match self.get(key) {
            None => Ok(default),
            Some(_) => self.number(key),
        }
    }

    /// The whole number `key`, from 0 to 2^53.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when it is missing or not such a number.
    pub fn count(&self, key: &str) -> Result<u64> {
        self.value(key)?
            .as_u64()
            .ok_or_else(|| self.corrupt(key, "expected a whole number"))
    }

    /// The whole number `key`, or 0 when it is absent.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when it is present and not a whole number.
    pub fn count_or_zero(&self, key: &str) -> Result<u64> {
        match self.get(key) {
            None => Ok(0),
            Some(_) => self.count(key),
        }
    }

    /// The whole number `key` as a `T` (a `u32`, a `u16`, a `u8`).
    ///
    /// # Errors
    /// [`Error::Corrupt`] when it is missing, not a whole number or too large for `T`.
    pub fn small<T: TryFrom<u64>>(&self, key: &str) -> Result<T> {
        T::try_from(self.count(key)?).map_err(|_| self.corrupt(key, "number out of range"))
    }

    /// The boolean `key`.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when it is missing or not a boolean.
    pub fn bool(&self, key: &str) -> Result<bool> {
        match self.value(key)? {
            Value::Bool(b) => Ok(*b),
            _ => Err(self.corrupt(key, "expected true or false")),
        }
    }

    /// The string `key`.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when it is missing or not a string.
    pub fn string(&self, key: &str) -> Result<String> {
        self.value(key)?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| self.corrupt(key, "expected a string"))
    }

    /// The string `key`, or `None` when it is absent or `null`.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when it is present and not a string.
    pub fn optional_string(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.string(key).map(Some),
        }
    }

    /// The object `key`.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when it is missing or not an object.
    pub fn object(&self, key: &str) -> Result<Fields<'a>> {
        Fields::of(self.value(key)?, self.path_of(key))
    }

    /// The elements of the array `key`, each with its path (`path.key[i]`).
    ///
    /// # Errors
    /// [`Error::Corrupt`] when it is missing or not an array.
    pub fn array(&self, key: &str) -> Result<impl Iterator<Item = (String, &'a Value)>> {
        let items = self
            .value(key)?
            .as_array()
            .ok_or_else(|| self.corrupt(key, "expected a list"))?;
        let path = self.path_of(key);
        Ok(items
            .iter()
            .enumerate()
            .map(move |(i, item)| (format!("{path}[{i}]"), item)))
    }

    /// Each element of the array `key`, read by `read` from the element and its path.
    ///
    /// A loop rather than `collect::<Result<_>>()`: that compiled the standard library's
    /// short-circuiting adapters once per record type, several KB of the start-up module.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when it is missing or not an array, and the first error of `read`.
    pub fn list<T>(
        &self,
        key: &str,
        mut read: impl FnMut(String, &'a Value) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut read_all = Vec::new();
        for (at, item) in self.array(key)? {
            read_all.push(read(at, item)?);
        }
        Ok(read_all)
    }

    /// Each field of the object `key` (a map), read by `read` from its name, its path and
    /// its value, as [`Fields::list`] reads an array.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when it is missing or not an object, and the first error of `read`.
    pub fn entries<T>(
        &self,
        key: &str,
        mut read: impl FnMut(&'a str, String, &'a Value) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut read_all = Vec::new();
        for (name, at, value) in self.map(key)? {
            read_all.push(read(name, at, value)?);
        }
        Ok(read_all)
    }

    /// The array of strings `key`.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when it is missing, not an array, or holds anything but strings.
    pub fn strings(&self, key: &str) -> Result<Vec<String>> {
        self.list(key, |at, item| {
            item.as_str()
                .map(str::to_owned)
                .ok_or_else(|| Error::Corrupt(format!("`{at}`: expected a string")))
        })
    }

    /// Each field of the object `key` (a map), with its path (`path.key[i]`, by position:
    /// the names are the shopper's labels).
    ///
    /// # Errors
    /// [`Error::Corrupt`] when it is missing or not an object.
    pub fn map(&self, key: &str) -> Result<impl Iterator<Item = (&'a str, String, &'a Value)>> {
        let fields = self.object(key)?;
        let path = fields.path;
        Ok(fields
            .object
            .iter()
            .enumerate()
            .map(move |(i, (name, value))| (name, format!("{path}[{i}]"), value)))
    }

    /// The error for field `key`: "`path.key`: why".
    pub fn corrupt(&self, key: &str, why: &str) -> Error {
        Error::Corrupt(format!("`{}`: {why}", self.path_of(key)))
    }

    /// The path of field `key`; just `key` in an object read at the empty path.
    fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_names_the_wrong_one() {
        let value = parse(
            "profile",
            r#"{"n":1.5,"c":3,"s":"x","b":true,"o":{"k":"v"},"a":[1,2],"m":{"x":{"v":1}}}"#,
        )
        .unwrap();
        let fields = Fields::of(&value, "profile").unwrap();
        assert_eq!(fields.number("n").unwrap(), 1.5);
        assert_eq!(fields.count("c").unwrap(), 3);
        assert_eq!(fields.small::<u8>("c").unwrap(), 3);
        assert_eq!(fields.string("s").unwrap(), "x");
        assert!(fields.bool("b").unwrap());
        assert_eq!(fields.optional_string("none").unwrap(), None);
        assert_eq!(fields.number_or("none", 7.0).unwrap(), 7.0);
        assert_eq!(fields.object("o").unwrap().string("k").unwrap(), "v");
        let paths: Vec<String> = fields.array("a").unwrap().map(|(p, _)| p).collect();
        assert_eq!(paths, ["profile.a[0]", "profile.a[1]"]);
        let names: Vec<String> = fields.map("m").unwrap().map(|(_, p, _)| p).collect();
        assert_eq!(names, ["profile.m[0]"]);

        let message = |e: Error| e.to_string();
        assert!(message(fields.count("n").unwrap_err()).contains("`profile.n`: expected a whole"));
        let not_a_number = message(fields.number("s").unwrap_err());
        assert!(not_a_number.contains("`profile.s`: expected a number"));
        assert!(message(fields.value("z").unwrap_err()).contains("`profile`: missing field `z`"));
        let too_big = parse("x", r#"{"c":300}"#).unwrap();
        let too_big = Fields::of(&too_big, "x").unwrap();
        assert!(message(too_big.small::<u8>("c").unwrap_err()).contains("out of range"));
        assert!(
            message(fields.strings("a").unwrap_err()).contains("`profile.a[0]`: expected a string")
        );
        assert!(message(fields.only(&["n"]).err().unwrap()).contains("`profile.c`: unknown field"));
        assert!(parse("x", "{").is_err());
        assert!(Fields::of(&Value::Null, "x").is_err());
    }

    /// Records stored by the version before these readers, from the same `scenario()`.
    mod written_before {
        use crate::consent::{Choice, Consent};
        use crate::controls::Controls;
        use crate::event::{Event, Product, WidgetKind};
        use crate::event_log::EventLog;
        use crate::funnel::FunnelStage;
        use crate::holdout::Assignment;
        use crate::ledger::{Ledger, Transport};
        use crate::outbox::{Delivery, Outbox, SyncConfig};
        use crate::profile::Profile;
        use crate::signals::tests::SeededEntropy;
        use crate::signals::Arm;

        const T0: f64 = 1_733_356_800_123.0;

        fn product(
            id: &str,
            category: Option<&str>,
            brand: Option<&str>,
            price: Option<f64>,
        ) -> Product {
            Product {
                id: id.into(),
                category: category.map(Into::into),
                brand: brand.map(Into::into),
                price,
            }
        }

        /// Every stored record, after a short visit that touches each of their fields.
        fn scenario() -> (Profile, Outbox, Ledger, Consent, Controls, Assignment) {
            let mut profile = Profile::default();
            let mut log = EventLog::new("tab-a1".into());
            let phone = product(
                "1004237",
                Some("electronics.smartphone"),
                Some("apple"),
                Some(999.99),
            );
            let events = [
                Event::ProductViewed {
                    product: phone.clone(),
                },
                Event::ProductDwell {
                    product: phone.clone(),
                    seconds: 12.5,
                },
                Event::ProductClicked {
                    product: product("77", Some("appliances.kitchen"), None, Some(0.5)),
                    widget: Some(WidgetKind::Recommendations),
                    position: Some(3),
                },
                Event::AddedToCart {
                    product: phone.clone(),
                    quantity: 2,
                },
                Event::ProductsSearched {
                    query: "kettle".into(),
                    result_count: Some(40),
                },
                Event::ProductViewed {
                    product: product("x\"y\\z é", None, Some("brand ü"), None),
                },
            ];
            for (i, event) in events.iter().enumerate() {
                log.record(&mut profile, event, T0 + 1000.0 * i as f64 + 0.25);
            }
            let mut outbox = Outbox::new();
            let config = SyncConfig::default();
            let mut entropy = SeededEntropy::new(11);
            outbox.reach(FunnelStage::Click);
            let batch = outbox
                .next_batch(&profile, Arm::Holdout, T0 + 10_000.0, &config, &mut entropy)
                .unwrap()
                .clone();
            outbox.record(
                &batch.batch_id,
                Delivery::Status(503),
                T0 + 11_000.0,
                0.5,
                &config.backoff,
            );
            let mut ledger = Ledger::default();
            ledger.record(
                &batch,
                Transport::Fetch,
                Delivery::Status(503),
                T0 + 11_000.0,
            );
            // An earlier version wrote this entry; beacons are no longer sent, and still read.
            ledger.record(
                &batch,
                Transport::Beacon,
                Delivery::HandedOver,
                T0 + 12_000.0,
            );
            let consent = Consent::new(Choice::Granted, T0 + 500.0);
            let controls = Controls::with_paused(true);
            let assignment = Assignment::draw(&mut SeededEntropy::new(5));
            (profile, outbox, ledger, consent, controls, assignment)
        }

        fn fixture(name: &str) -> String {
            let path = format!(
                "{}/tests/fixtures/stored/{name}.json",
                env!("CARGO_MANIFEST_DIR")
            );
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
        }

        #[test]
        fn every_record_reads_back_as_it_was() {
            let (profile, outbox, ledger, consent, controls, assignment) = scenario();
            assert_eq!(Profile::from_json(&fixture("profile")).unwrap(), profile);
            assert_eq!(Outbox::from_json(&fixture("outbox")).unwrap(), outbox);
            assert_eq!(Ledger::from_json(&fixture("ledger")).unwrap(), ledger);
            assert_eq!(Consent::from_json(&fixture("consent")).unwrap(), consent);
            assert_eq!(Controls::from_json(&fixture("controls")).unwrap(), controls);
            assert_eq!(
                Assignment::from_json(&fixture("holdout")).unwrap(),
                assignment
            );
        }

        #[test]
        fn every_record_reads_back_what_it_writes_now() {
            let (profile, outbox, ledger, consent, controls, assignment) = scenario();
            assert_eq!(Profile::from_json(&profile.to_json()).unwrap(), profile);
            assert_eq!(Outbox::from_json(&outbox.to_json()).unwrap(), outbox);
            assert_eq!(Ledger::from_json(&ledger.to_json()).unwrap(), ledger);
            assert_eq!(Consent::from_json(&consent.to_json()).unwrap(), consent);
            assert_eq!(Controls::from_json(&controls.to_json()).unwrap(), controls);
            assert_eq!(
                Assignment::from_json(&assignment.to_json()).unwrap(),
                assignment
            );
        }

        #[test]
        fn the_text_differs_only_in_how_whole_numbers_are_written() {
            // serde_json wrote a whole f64 as `5.0`; JavaScript and this writer write `5`.
            let (profile, outbox, ledger, consent, controls, assignment) = scenario();
            for (name, now) in [
                ("profile", profile.to_json()),
                ("outbox", outbox.to_json()),
                ("ledger", ledger.to_json()),
                ("consent", consent.to_json()),
                ("controls", controls.to_json()),
                ("holdout", assignment.to_json()),
            ] {
                let before = fixture(name).replace(".0,", ",").replace(".0}", "}");
                assert_eq!(now, before, "{name}");
            }
        }
    }
}
