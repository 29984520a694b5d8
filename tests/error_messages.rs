//! The error codes and messages a store's developer sees for bad input: a stable code, the
//! field's path, and what was expected, in words a JavaScript developer uses.

use vitrine::event::Event;

/// Each bad event, the code it must get, and words its message must contain.
const CASES: &[(&str, &str, &[&str])] = &[
    (
        r#"{"type":"product_dwell","product":{"id":"1"},"seconds":0}"#,
        "invalid_field",
        &["`seconds`", "from more than 0 to 3600", "got 0"],
    ),
    (
        r#"{"type":"product_dwell","product":{"id":"1"},"seconds":"long"}"#,
        "malformed_input",
        &["`seconds`", "from more than 0 to 3600", "got \"long\""],
    ),
    (
        r#"{"type":"added_to_cart","product":{"id":"1","price":-3}}"#,
        "invalid_field",
        &["`product.price`", "a finite, non-negative number", "got -3"],
    ),
    (
        r#"{"type":"added_to_cart","product":{"id":"1"},"quantity":0}"#,
        "invalid_field",
        &["`quantity`", "an integer from 1 to 10000", "got 0"],
    ),
    (
        r#"{"type":"product_viewed","product":{"id":""}}"#,
        "invalid_field",
        &["`product.id`", "a non-empty string"],
    ),
    (
        r#"{"type":"product_viewed","product":{"id":"1","price":"Infinity"}}"#,
        "invalid_field",
        &[
            "`product.price`",
            "a finite, non-negative number",
            "got inf",
        ],
    ),
    (
        r#"{"type":"product_viewed","product":{"id":"1","colour":"red"}}"#,
        "malformed_input",
        &["event", "`colour`", "`category`"],
    ),
    (
        r#"{"type":"teleported"}"#,
        "malformed_input",
        &["event", "`teleported`", "`product_viewed`"],
    ),
    (
        r#"{"type":"added_to_cart","product":{"id":"1"},"quantity":"two"}"#,
        "malformed_input",
        &["`quantity`", "an integer from 1 to 10000", "got \"two\""],
    ),
    (
        r#"{"type":"product_viewed","product":{"id":42}}"#,
        "malformed_input",
        &["`product.id`", "a string", "got 42"],
    ),
    (
        r#"{"type":"product_clicked","product":{"id":"1"},"position":-1}"#,
        "malformed_input",
        &["`position`", "an integer ≥ 0", "got -1"],
    ),
    (
        r#"{"type":"products_searched","query":"shoes","result_count":"many"}"#,
        "malformed_input",
        &["`result_count`", "an integer ≥ 0", "got \"many\""],
    ),
    (
        r#"{"type":"added_to_cart"}"#,
        "malformed_input",
        &["event", "`product`"],
    ),
];

#[test]
fn bad_events_get_a_stable_code_and_a_message_naming_field_and_expectation() {
    for (json, code, words) in CASES {
        let error = Event::from_json(json).expect_err(json);
        let message = error.to_string();
        assert_eq!(error.code(), *code, "{json}: {message}");
        for word in *words {
            assert!(
                message.contains(word),
                "{json}: {word:?} not in {message:?}"
            );
        }
    }
}
