//! Golden vectors: tract must score the committed model as onnxruntime did when it was
//! exported (`models/train.py` wrote `models/golden.json` from real feature rows).
#![cfg(feature = "model")]

use vitrine::features::{FEATURE_COUNT, FEATURE_NAMES, FEATURE_VERSION};
use vitrine::model::Scorer;

const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models/ranker.onnx");
const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models/golden.json");
const TOLERANCE: f32 = 1e-5;

/// One golden batch: its rows (row-major) and the scores onnxruntime gave them.
struct Batch {
    rows: Vec<f32>,
    scores: Vec<f32>,
}

fn floats(value: &serde_json::Value) -> Vec<f32> {
    let items = value
        .as_array()
        .expect("golden.json: expected an array of numbers");
    items
        .iter()
        .map(|v| v.as_f64().expect("golden.json: expected a number") as f32)
        .collect()
}

fn golden() -> (serde_json::Value, Vec<Batch>) {
    let text = std::fs::read_to_string(GOLDEN).expect("models/golden.json is committed");
    let golden: serde_json::Value = serde_json::from_str(&text).expect("golden.json is JSON");
    let batches = golden["groups"]
        .as_array()
        .expect("golden.json has groups")
        .iter()
        .map(|group| {
            let rows: Vec<f32> = group["rows"]
                .as_array()
                .expect("a group has rows")
                .iter()
                .flat_map(|row| {
                    let row = floats(row);
                    assert_eq!(row.len(), FEATURE_COUNT, "golden row width");
                    row
                })
                .collect();
            Batch {
                rows,
                scores: floats(&group["scores"]),
            }
        })
        .collect();
    (golden, batches)
}

fn scorer() -> Scorer {
    let bytes = std::fs::read(MODEL).expect("models/ranker.onnx is committed");
    Scorer::from_onnx(&bytes).expect("the committed model satisfies the contract")
}

/// Asserts every score is within [`TOLERANCE`]; returns the largest difference seen.
fn assert_close(got: &[f32], want: &[f32], what: &str) -> f32 {
    assert_eq!(got.len(), want.len(), "{what}: score count");
    let mut worst = 0f32;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= TOLERANCE,
            "{what}, score {i}: tract {g}, onnxruntime {w}"
        );
        worst = worst.max((g - w).abs());
    }
    worst
}

#[test]
fn the_golden_file_is_for_this_contract() {
    let (golden, batches) = golden();
    assert_eq!(golden["feature_version"], FEATURE_VERSION);
    let names: Vec<&str> = golden["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(names, FEATURE_NAMES);
    let sizes: Vec<usize> = batches.iter().map(|b| b.scores.len()).collect();
    assert!(sizes.contains(&1), "a one-row batch: {sizes:?}");
    assert!(
        sizes.iter().any(|s| s % 2 == 1 && *s > 1),
        "an odd-sized batch: {sizes:?}"
    );
}

#[test]
fn tract_matches_onnxruntime_on_every_golden_score() {
    let scorer = scorer();
    let (_, batches) = golden();
    let mut worst = 0f32;
    for (i, batch) in batches.iter().enumerate() {
        let scores = scorer.score(&batch.rows).expect("golden rows score");
        worst = worst.max(assert_close(
            &scores,
            &batch.scores,
            &format!("golden group {i}"),
        ));
    }
    eprintln!("largest |tract - onnxruntime| over the golden scores: {worst:e}");
}

#[test]
fn a_single_candidate_scores_alone() {
    let scorer = scorer();
    let (_, batches) = golden();
    let batch = &batches[1];
    let first = scorer.score(&batch.rows[..FEATURE_COUNT]).unwrap();
    assert_close(&first, &batch.scores[..1], "first row of group 1 alone");
}

#[test]
fn a_thousand_candidates_score_like_their_golden_rows() {
    let scorer = scorer();
    let (_, batches) = golden();
    let (rows, want): (Vec<&[f32]>, Vec<f32>) = batches
        .iter()
        .flat_map(|b| {
            b.rows
                .chunks_exact(FEATURE_COUNT)
                .zip(b.scores.iter().copied())
        })
        .cycle()
        .take(1000)
        .unzip();
    let flat: Vec<f32> = rows.concat();
    let scores = scorer.score(&flat).unwrap();
    assert_eq!(scores.len(), 1000);
    assert_close(&scores, &want, "1000 tiled golden rows");
}
