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
        Error::InvalidField {
            field: field.into(),
            expected,
            got: shortened(got.to_string()),
        }
    }

    /// This error with its field named below `parent`, as `parent.field`: a check knows only
    /// its own field's name, and the path above it is written only when there is an error.
    pub fn within(self, parent: impl std::fmt::Display) -> Self {
        self.renamed(|field| format!("{parent}.{field}"))
    }

    /// This error with its field named by `name` from the field's current name; any other
    /// error unchanged. For callers that know a field by another name than the check did.
    pub fn renamed(self, name: impl FnOnce(&str) -> String) -> Self {
        match self {
            Error::InvalidField {
                field,
                expected,
                got,
            } => Error::InvalidField {
                field: name(&field),
                expected,
                got,
            },
            other => other,
        }
    }
}

/// `text` cut to at most 64 bytes and an ellipsis: a value quoted in an error message, which
/// may be anything the page passed.
pub(crate) fn shortened(mut text: String) -> String {
    if text.len() > 64 {
        let cut = (0..=64)
            .rev()
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
