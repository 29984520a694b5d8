//! The entry points of the fuzz targets in `fuzz/`, and the tests that run them over the
//! committed seed corpus, so that `cargo test` exercises them without libFuzzer.
//!
//! Each entry takes arbitrary bytes and panics only when an invariant breaks: that is what
//! the fuzzer hunts for. Errors are the expected answer to garbage and are not failures.

use crate::signals::{SignalBatch, MAX_BATCH_BYTES};

/// Parses bytes as the collector parses a request body. A refusal must be one of the two
/// kinds the collector answers 400 with; an accepted batch must validate, serialize within
/// the size limit and parse back to itself.
pub fn collector_parse(data: &[u8]) {
    let batch = match SignalBatch::parse(data) {
        Ok(batch) => batch,
        Err(error) => {
            assert!(
                ["invalid_field", "malformed_input"].contains(&error.code()),
                "{error}"
            );
            return;
        }
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
}
