//! The scorer refuses models that break the feature contract, naming what is wrong. The
//! fixtures are tiny models from `models/make_bad_models.py`, each wrong in one way.
#![cfg(feature = "model")]

use vitrine::features::FEATURE_COUNT;
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

#[test]
fn refuses_a_model_file_over_8_mib_before_reading_it() {
    // Zeros are no model: the size alone must refuse it, before tract sees a byte.
    let bytes = vec![0u8; vitrine::model::MAX_MODEL_BYTES + 1];
    let Err(error) = Scorer::parse(&bytes) else {
        panic!("an oversize file must be refused");
    };
    assert_eq!(error.code(), "model_contract");
    let message = error.to_string();
    assert!(message.contains("size"), "{message}");
    assert!(message.contains("at most 8 MiB"), "{message}");
    assert!(message.contains("8388609 bytes"), "{message}");
}

#[test]
fn names_an_operator_tract_lacks() {
    let message = refusal("unsupported_operator.onnx");
    assert!(message.contains("operators"), "{message}");
    assert!(message.contains("\"Det\""), "names the operator: {message}");
}

/// tract-onnx runs `Exp`, but the ranker registers only the operators of a dense scorer.
#[test]
fn names_an_operator_the_ranker_does_not_register() {
    let message = refusal("unregistered_operator.onnx");
    assert!(message.contains("\"Exp\""), "names the operator: {message}");
    assert!(
        message.contains("Gemm"),
        "lists the registered ones: {message}"
    );
}

#[test]
fn refuses_more_than_one_score_per_candidate() {
    let message = refusal("two_scores.onnx");
    assert!(message.contains("output shape"), "{message}");
    assert!(message.contains("[N] or [N, 1]"), "{message}");
}

/// The fixtures weigh feature `i` by `i / 13`, without bias (`make_bad_models.py`).
fn expected_score(row: &[f32]) -> f32 {
    let width = row.len() as f32;
    row.iter()
        .enumerate()
        .map(|(i, &x)| x * i as f32 / width)
        .sum()
}

fn rows(n: usize) -> Vec<f32> {
    (0..n * FEATURE_COUNT)
        .map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0)
        .collect()
}

#[test]
fn adapts_a_model_exported_with_a_fixed_batch() {
    let scorer = load("fixed_batch.onnx").expect("a fixed batch is adapted, not refused");
    assert_eq!(scorer.fixed_batch(), Some(8));
    let sizes = [1, 7, 8, 9, 100, 1000];
    assert_scores("fixed_batch.onnx", &scorer, &sizes, expected_score);
}

/// Scores each of `sizes` rows with `scorer` (of the fixture `name`) and compares each score
/// with `formula`; tract and the formula should agree as closely as two float32 evaluations
/// of the same arithmetic do.
fn assert_scores(name: &str, scorer: &Scorer, sizes: &[usize], formula: impl Fn(&[f32]) -> f32) {
    for &n in sizes {
        let input = rows(n);
        let scores = scorer.score(&input).unwrap();
        assert_eq!(scores.len(), n);
        for (row, score) in input.chunks(FEATURE_COUNT).zip(&scores) {
            let expected = formula(row);
            assert!(
                (score - expected).abs() < 1e-5,
                "{name}, n = {n}: {score} vs {expected}"
            );
        }
    }
}

/// Every registered operator, in the graph `make_bad_models.py` documents.
#[test]
fn runs_every_operator_the_ranker_registers() {
    let scorer = load("every_operator.onnx").expect("every operator loads");
    assert_scores("every_operator.onnx", &scorer, &[1, 3, 100], |row| {
        let weighted = expected_score(row);
        let hidden = [0.5 * weighted + 2.0 * 0.25, -0.5 * weighted + 2.0 * -0.5];
        let unit = |h: f32| h.max(0.0) + if h > 0.0 { h } else { 0.1 * h };
        let logit = unit(hidden[0]) + 2.0 * unit(hidden[1]) + 0.5;
        2.0 / (1.0 + (-logit).exp()) - logit.tanh() / 4.0
    });
}

/// `Gemm` with `transA`, `transB`, `alpha`, `beta` and a scalar `C`.
#[test]
fn runs_a_gemm_with_both_inputs_transposed() {
    let scorer = load("gemm_transposed.onnx").expect("a transposed Gemm loads");
    assert_scores("gemm_transposed.onnx", &scorer, &[1, 3, 100], |row| {
        2.0 * expected_score(row) + 0.5
    });
}

#[test]
fn the_shipped_model_takes_any_candidate_count_up_to_1000() {
    let path = format!("{}/models/ranker.onnx", env!("CARGO_MANIFEST_DIR"));
    let scorer = Scorer::from_onnx(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(scorer.fixed_batch(), None);
    let all = scorer.score(&rows(1000)).unwrap();
    for n in [1, 2, 3, 64, 999] {
        let scores = scorer.score(&rows(n)).unwrap();
        assert_eq!(scores.len(), n);
        assert!(scores.iter().all(|s| s.is_finite()));
        // Rows are scored independently: a prefix scores as it does inside the full list.
        for (a, b) in scores.iter().zip(&all) {
            assert!((a - b).abs() < 1e-5, "n = {n}: {a} vs {b}");
        }
    }
    assert_eq!(scorer.score(&[]).unwrap(), Vec::<f32>::new());
}

/// `score_into` is how the browser's core calls the ranker: into its own array, which must
/// hold one score per row; lists longer than the largest plan run in chunks.
#[test]
fn scores_into_a_slice_of_one_place_per_row() {
    let path = format!("{}/models/ranker.onnx", env!("CARGO_MANIFEST_DIR"));
    let scorer = Scorer::from_onnx(&std::fs::read(path).unwrap()).unwrap();
    let input = rows(2500);
    let mut scores = vec![f32::NAN; 2500];
    scorer.score_into(&input, &mut scores).unwrap();
    assert_eq!(scores, scorer.score(&input).unwrap());
    let prefix = scorer.score(&input[..1024 * FEATURE_COUNT]).unwrap();
    assert_eq!(
        scores[..1024],
        prefix[..],
        "the first chunk is the largest plan"
    );

    let mut short = vec![0.0; 2];
    let error = scorer.score_into(&rows(3), &mut short).unwrap_err();
    assert!(error.to_string().contains("`scores`"), "{error}");
    assert!(error.to_string().contains("2 places for 3 rows"), "{error}");
}

/// The browser prepares a model a stage per task; the stages together are `from_onnx`.
#[test]
fn preparing_stage_by_stage_scores_as_from_onnx_does() {
    let bytes =
        std::fs::read(format!("{}/models/ranker.onnx", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let whole = Scorer::from_onnx(&bytes).unwrap();
    let staged = Scorer::parse(&bytes).unwrap();
    let mut preparation = staged.preparation(1);
    let mut stages = 1;
    while !staged.advance(&mut preparation).unwrap() {
        stages += 1;
    }
    assert_eq!(stages, 4, "typed, decluttered, optimized, planned");
    assert!(
        staged.advance(&mut preparation).unwrap(),
        "a done preparation stays done"
    );
    for n in [1, 7, 100] {
        assert_eq!(
            staged.score(&rows(n)).unwrap(),
            whole.score(&rows(n)).unwrap()
        );
    }
}

/// The browser prepares the plan for the longest list on the page, so that ranking that list
/// first makes no plan of its own: lists of 33 to 64 rows share the plan for 64.
#[test]
fn a_preparation_for_a_list_length_makes_the_plan_that_scores_it() {
    let bytes =
        std::fs::read(format!("{}/models/ranker.onnx", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let scorer = Scorer::parse(&bytes).unwrap();
    let mut preparation = scorer.preparation(48);
    while !scorer.advance(&mut preparation).unwrap() {}
    assert!(scorer.preparation(33).is_done());
    assert!(scorer.preparation(64).is_done());
    assert!(
        !scorer.preparation(65).is_done(),
        "65 rows need the plan for 128"
    );
    assert!(
        !scorer.preparation(1).is_done(),
        "one row has a plan of its own"
    );
    let whole = Scorer::from_onnx(&bytes).unwrap();
    assert_eq!(
        scorer.score(&rows(48)).unwrap(),
        whole.score(&rows(48)).unwrap()
    );
}

/// The output shape needs a typed model: parsing accepts the model, a later stage refuses it.
#[test]
fn a_wrong_output_shape_is_refused_while_preparing() {
    let path = format!(
        "{}/tests/fixtures/two_scores.onnx",
        env!("CARGO_MANIFEST_DIR")
    );
    let scorer = Scorer::parse(&std::fs::read(path).unwrap()).expect("parsing checks no shape");
    let mut preparation = scorer.preparation(1);
    let mut refusal = || loop {
        match scorer.advance(&mut preparation) {
            Ok(done) => assert!(!done, "the preparation finished without refusing"),
            Err(err) => break err,
        }
    };
    let err = refusal();
    assert_eq!(err.code(), "model_contract", "{err}");
    assert!(err.to_string().contains("output shape"), "{err}");
    // A refused preparation does not look done afterwards: it refuses again.
    assert_eq!(refusal().to_string(), err.to_string());
}
