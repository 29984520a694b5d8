//! The scorer refuses models that break the feature contract, naming what is wrong. The
//! fixtures are tiny models from `models/make_bad_models.py`, each wrong in one way.
#![cfg(feature = "model")]

use vitrine::model::Scorer;

fn load(name: &str) -> vitrine::Result<Scorer> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Scorer::from_onnx(&bytes)
}

fn refusal(name: &str) -> String {
    let err = load(name).expect_err("the model breaks the contract");
    assert_eq!(err.code(), "model_contract", "{name}: {err}");
    err.to_string()
}

#[test]
fn refuses_a_wrong_input_name() {
    let message = refusal("wrong_input_name.onnx");
    assert!(
        message.contains("inputs") && message.contains("\"x\""),
        "{message}"
    );
    assert!(message.contains("\"features\""), "{message}");
}

#[test]
fn refuses_a_wrong_output_name() {
    let message = refusal("wrong_output_name.onnx");
    assert!(
        message.contains("outputs") && message.contains("\"scores\""),
        "{message}"
    );
}

#[test]
fn refuses_a_wrong_feature_count() {
    let message = refusal("wrong_feature_count.onnx");
    assert!(message.contains("input shape"), "{message}");
    assert!(
        message.contains("12") && message.contains("13"),
        "{message}"
    );
}

#[test]
fn refuses_a_model_without_feature_version() {
    let message = refusal("missing_version.onnx");
    assert!(
        message.contains("vitrine.feature_version") && message.contains("absent"),
        "{message}"
    );
}

#[test]
fn refuses_another_feature_version() {
    let message = refusal("wrong_version.onnx");
    assert!(
        message.contains("vitrine.feature_version") && message.contains("is 2"),
        "{message}"
    );
}

#[test]
fn refuses_bytes_that_are_not_a_model() {
    let err = Scorer::from_onnx(b"not an onnx model").unwrap_err();
    assert_eq!(err.code(), "model_runtime", "{err}");
}
