//! The crate's one error type.

/// Everything that can go wrong in Vitrine, each with a stable [`Error::code`].
///
/// Messages name the field or the part of the model contract that failed, the value seen
/// and what was expected, so that a developer can fix the call without reading our source.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// An input field failed validation.
    #[error("invalid `{field}`: expected {expected}, got {got}")]
    InvalidField {
        /// Path of the field, such as `product.price` or `items[2].id`.
        field: String,
        /// What a valid value looks like.
        expected: &'static str,
        /// A short, bounded rendering of what was given.
        got: String,
    },
    /// Input that is not the JSON shape we expect at all.
    #[error("malformed input: {0}")]
    Malformed(String),
    /// A model that does not satisfy the feature contract.
    #[error("model contract: {what} is {found}, expected {expected}")]
    ModelContract {
        /// Which part of the contract: an input name, a shape, a metadata key.
        what: &'static str,
        /// What the contract requires.
        expected: String,
        /// What the model has.
        found: String,
    },
    /// The runtime could not load or run the model.
    #[error("model runtime: {0}")]
    ModelRuntime(String),
    /// A stored profile or queue that cannot be decoded.
    #[error("stored data unreadable: {0}")]
    Corrupt(String),
}

impl Error {
    /// A stable, machine-readable code for this kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidField { .. } => "invalid_field",
            Error::Malformed(_) => "malformed_input",
            Error::ModelContract { .. } => "model_contract",
            Error::ModelRuntime(_) => "model_runtime",
            Error::Corrupt(_) => "corrupt_storage",
        }
    }

    /// Builds an [`Error::InvalidField`], cutting the rendered value to a readable length.
    pub fn invalid(field: impl Into<String>, expected: &'static str, got: impl ToString) -> Self {
        let mut got = got.to_string();
        if got.len() > 64 {
            let cut = (0..=64)
                .rev()
                .find(|i| got.is_char_boundary(*i))
                .unwrap_or(0);
            got.truncate(cut);
            got.push('…');
        }
        Error::InvalidField {
            field: field.into(),
            expected,
            got,
        }
    }
}

/// Parses JSON into `T`, naming the path of the offending field in the error.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> Result<T> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let why = in_javascript_words(&e.inner().to_string());
        if path == "." {
            Error::Malformed(format!("{what}: {why}"))
        } else {
            Error::Malformed(format!("{what}: `{path}`: {why}"))
        }
    })
}

/// serde names Rust types ("expected f64"); the page's developer writes JavaScript.
fn in_javascript_words(message: &str) -> String {
    ["f64", "f32", "u64", "u32", "u16", "u8", "i64", "i32"]
        .iter()
        .fold(message.to_owned(), |m, rust| {
            m.replace(&format!("expected {rust}"), "expected a number")
        })
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Options {
        #[allow(dead_code)] // read only to be refused
        personal_weight: f64,
    }

    #[test]
    fn type_errors_keep_the_path_and_speak_javascript() {
        let error = parse_json::<Options>("config", r#"{"personalWeight":"high"}"#).unwrap_err();
        let message = error.to_string();
        assert_eq!(error.code(), "malformed_input");
        assert!(message.contains("`personalWeight`"), "{message}");
        assert!(message.contains("expected a number"), "{message}");
        assert!(!message.contains("f64"), "{message}");
    }
}
