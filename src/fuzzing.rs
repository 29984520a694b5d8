//! The entry points of the fuzz targets in `fuzz/`, and the tests that run them over the
//! committed seed corpus, so that `cargo test` exercises them without libFuzzer.
//!
//! Each entry takes arbitrary bytes and panics only when an invariant breaks: that is what
//! the fuzzer hunts for. Errors are the expected answer to garbage and are not failures.

use crate::event::Event;
use crate::outbox::{Outbox, QUEUE_MAX_BATCHES, QUEUE_MAX_BYTES};
use crate::profile::Profile;
use crate::signals::{SignalBatch, MAX_BATCH_BYTES};

/// A time for the events the entries apply: 2026-12-01, any fixed instant would do.
const FUZZ_NOW_MS: f64 = 1_764_547_200_000.0;

/// Parses bytes as the collector parses a request body. A refusal must be one of the two
/// kinds the collector answers 400 with; an accepted batch must validate, serialize within
/// the size limit and parse back to itself.
pub fn collector_parse(data: &[u8]) {
    let Some(batch) = accepted(
        SignalBatch::parse(data),
        &["invalid_field", "malformed_input"],
    ) else {
        return;
    };
    assert!(
        data.len() <= MAX_BATCH_BYTES,
        "an oversize body was accepted"
    );
    batch.validate().expect("an accepted batch validates");
    let json = batch.to_json();
    assert!(
        json.len() <= MAX_BATCH_BYTES,
        "a batch re-encodes within the limit"
    );
    let again = SignalBatch::parse(json.as_bytes()).expect("an accepted batch parses again");
    assert_eq!(again, batch);
}

/// Parses bytes as an event from the page (`track`, after the wrapper's JSON). A refusal
/// must name its field or say the shape is wrong; an accepted event must validate, survive a
/// JSON round trip unchanged, and leave a profile it is applied to within its bounds.
pub fn event_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(event) = accepted(
        Event::from_json(text),
        &["invalid_field", "malformed_input"],
    ) else {
        return;
    };
    event.validate().expect("an accepted event validates");
    let json = serde_json::to_string(&event).expect("an event serializes");
    let again = Event::from_json(&json).expect("an accepted event parses again");
    assert_eq!(again, event);

    let mut profile = Profile::default();
    profile.apply(&event, FUZZ_NOW_MS);
    let stored = profile.to_json();
    let restored = Profile::from_json(&stored).expect("a profile an event made decodes");
    assert_eq!(restored, profile);
}

/// Decodes bytes as the stored profile. Anything but a profile within its bounds must be
/// refused as corrupt (the SDK then starts afresh and reports it); an accepted profile must
/// survive a write-and-read round trip, and still decode after one more event.
pub fn profile_decode(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(mut profile) = accepted(Profile::from_json(text), &["corrupt_storage"]) else {
        return;
    };
    let again = Profile::from_json(&profile.to_json()).expect("a decoded profile re-decodes");
    assert_eq!(again, profile);

    let product = r#"{"id":"p1","category":"a.b","brand":"c","price":9.5}"#;
    let event = Event::from_json(&format!(
        r#"{{"type":"product_viewed","product":{product}}}"#
    ))
    .expect("invariant: the fuzz entry's own event is valid");
    profile.apply(&event, FUZZ_NOW_MS);
    Profile::from_json(&profile.to_json()).expect("a decoded profile decodes after an event");
}

/// What `parsed` accepted, or `None` once the refusal is checked to be one of `codes`: any
/// other kind of error is a bug the fuzzer reports.
fn accepted<T>(parsed: crate::Result<T>, codes: &[&str]) -> Option<T> {
    match parsed {
        Ok(value) => Some(value),
        Err(error) => {
            assert!(codes.contains(&error.code()), "{error}");
            None
        }
    }
}

/// Decodes bytes as a stored outbox (the queue of signal batches waiting to be sent). A
/// decoded one must keep the queue's promises: within its bounds, every batch valid, and a
/// write-and-read round trip that changes nothing. Bytes that are not an outbox are refused.
pub fn queue_decode(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(outbox) = Outbox::from_json(text) else {
        return;
    };
    assert!(outbox.queued().count() <= QUEUE_MAX_BATCHES);
    let bytes: usize = outbox.queued().map(|q| q.batch.to_json().len()).sum();
    assert!(bytes <= QUEUE_MAX_BYTES);
    assert!(outbox.queued().all(|q| q.batch.validate().is_ok()));
    let again = Outbox::from_json(&outbox.to_json()).expect("a decoded outbox re-decodes");
    assert_eq!(again, outbox);
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn each_seed(target: &str, entry: fn(&[u8])) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz")
            .join("seeds")
            .join(target);
        let mut seeds = 0;
        for file in std::fs::read_dir(&dir).expect("the seed corpus is committed") {
            let path = file.expect("a readable seed").path();
            let bytes = std::fs::read(&path).expect("a readable seed");
            entry(&bytes);
            seeds += 1;
        }
        assert!(seeds >= 5, "{} holds only {seeds} seeds", dir.display());
    }

    #[test]
    fn collector_parse_over_the_seed_corpus() {
        each_seed("collector_parse", super::collector_parse);
        // The corpus reaches the accepting path too, not only refusals.
        for name in ["valid-personalized.json", "valid-holdout.json"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fuzz/seeds/collector_parse")
                .join(name);
            let bytes = std::fs::read(&path).expect("a committed seed");
            assert!(crate::signals::SignalBatch::parse(&bytes).is_ok(), "{name}");
        }
    }

    #[test]
    fn event_parse_over_the_seed_corpus() {
        each_seed("event_parse", super::event_parse);
        for name in ["viewed.json", "clicked-japanese.json", "cart-emoji.json"] {
            let text = read_seed("event_parse", name);
            assert!(crate::event::Event::from_json(&text).is_ok(), "{name}");
        }
    }

    #[test]
    fn queue_decode_over_the_seed_corpus() {
        each_seed("queue_decode", super::queue_decode);
        // The corpus reaches a full queue too, not only refusals.
        let full = read_seed("queue_decode", "full-queue.json");
        let outbox = crate::outbox::Outbox::from_json(&full).unwrap();
        assert_eq!(outbox.queued().count(), 3);
    }

    #[test]
    fn profile_decode_over_the_seed_corpus() {
        each_seed("profile_decode", super::profile_decode);
        for name in ["schema-2.json", "schema-1.json"] {
            let text = read_seed("profile_decode", name);
            assert!(crate::profile::Profile::from_json(&text).is_ok(), "{name}");
        }
    }

    fn read_seed(target: &str, name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/seeds")
            .join(target)
            .join(name);
        std::fs::read_to_string(&path).expect("a committed seed")
    }
}
