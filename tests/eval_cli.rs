//! Runs the built `vitrine-eval` binary on the small real fixtures in `tests/fixtures/eval`.
//!
//! The figures themselves are not asserted (they move with the model); their shape, their
//! ranges, their determinism and the errors for bad input are.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const KEYS: [&str; 6] = ["hr10", "ndcg10", "mrr", "hr10_new", "ndcg10_new", "mrr_new"];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/eval")
        .join(name)
}

/// A fresh scratch directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("eval_cli-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn eval(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vitrine-eval"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the vitrine-eval binary runs")
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs with `--json`, checks success and that stdout is exactly one JSON object.
fn eval_json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = eval(&all);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.trim().lines().count(),
        1,
        "one line of JSON: {stdout}"
    );
    serde_json::from_str(&stdout).unwrap()
}

fn check_rankers(report: &Value, rankers: &[&str]) {
    for ranker in rankers {
        for key in KEYS {
            let value = report[ranker][key]
                .as_f64()
                .unwrap_or_else(|| panic!("{ranker}.{key} missing: {report}"));
            assert!((0.0..=1.0).contains(&value), "{ranker}.{key} = {value}");
        }
        let m = &report[ranker];
        assert!(
            m["ndcg10"].as_f64() <= m["hr10"].as_f64(),
            "NDCG@10 ≤ HR@10: {m}"
        );
    }
    assert!(report["groups"].as_u64().unwrap() > 50, "{report}");
}

fn rees46_args() -> [String; 6] {
    [
        "--format".into(),
        "rees46".into(),
        "--train".into(),
        path(&fixture("rees46-train.csv")).into(),
        "--test".into(),
        path(&fixture("rees46-test.csv")).into(),
    ]
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn rees46_reports_every_ranker_and_is_deterministic() {
    let args = rees46_args();
    let report = eval_json(&strs(&args));
    check_rankers(&report, &["server", "rule", "model"]);
    assert!(report["groups_new"].as_u64().unwrap() > 0);
    // The personal rankers see the history; the server order does not.
    assert!(report["rule"]["ndcg10"].as_f64() > report["server"]["ndcg10"].as_f64());

    // Byte for byte: the same files and seed give the same report.
    let json_args = [strs(&args), vec!["--json"]].concat();
    assert_eq!(eval(&json_args).stdout, eval(&json_args).stdout);

    let mut seeded = strs(&args);
    seeded.extend(["--seed", "7"]);
    assert_ne!(
        eval_json(&seeded)["server"],
        report["server"],
        "--seed changes the draws"
    );
}

#[test]
fn rees46_reads_any_column_order_quotes_crlf_and_skips_bad_rows() {
    let dir = scratch("layout");
    let text = std::fs::read_to_string(fixture("rees46-test.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    // Reversed columns, every field quoted, CRLF line ends, and two broken rows.
    let mut rewritten = String::new();
    let quote = |fields: Vec<&str>| {
        let quoted: Vec<String> = fields.iter().rev().map(|f| format!("\"{f}\"")).collect();
        quoted.join(",") + "\r\n"
    };
    rewritten.push_str(&quote(header));
    for line in lines {
        rewritten.push_str(&quote(line.split(',').collect()));
    }
    rewritten.push_str("\"not\",\"enough\",\"fields\"\r\n");
    rewritten.push_str("1,2,3,4,5,6,7,8,\"broken\r\n");
    let test = dir.join("test.csv");
    std::fs::write(&test, rewritten).unwrap();

    let mut args = rees46_args();
    let original = eval_json(&strs(&args));
    args[5] = path(&test).into();
    let out = eval(&[strs(&args), vec!["--json"]].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("2 skipped"), "{stderr}");
    assert!(stderr.contains("unterminated quote"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    for ranker in ["server", "rule", "model"] {
        assert_eq!(report[ranker], original[ranker], "{ranker}");
    }
}

#[test]
fn a_header_missing_a_column_names_the_file_and_line() {
    let dir = scratch("header");
    let test = dir.join("no-price.csv");
    let text = std::fs::read_to_string(fixture("rees46-test.csv"))
        .unwrap()
        .replace("price", "cost");
    std::fs::write(&test, text).unwrap();
    let mut args = rees46_args();
    args[5] = path(&test).into();
    let out = eval(&strs(&args));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(path(&test)), "{stderr}");
    assert!(
        stderr.contains("line 1: the header has no `price` column"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_flags_are_refused_with_the_usage() {
    let out = eval(&["--format", "rees46", "--trian", "x.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown argument \"--trian\""), "{stderr}");
    assert!(stderr.contains("usage: vitrine-eval"), "{stderr}");

    let out = eval(&["--format", "csv"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format: expected rees46"));

    let missing = eval(&[
        "--format",
        "rees46",
        "--train",
        "/nonexistent.csv",
        "--test",
        "x",
    ]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot open /nonexistent.csv"));

    let help = eval(&["--help"]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("left out of its own popularity"), "{text}");
    assert!(text.contains("random server position"), "{text}");
}

#[test]
fn a_model_that_breaks_the_contract_is_refused_by_name() {
    let rees46 = rees46_args();
    let mut args = strs(&rees46);
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wrong_version.onnx");
    args.extend(["--model", path(&model)]);
    let out = eval(&args);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot load the model"), "{stderr}");
    assert!(stderr.contains("vitrine.feature_version"), "{stderr}");
}

#[test]
fn diginetica_takes_categories_from_beside_train() {
    let report = eval_json(&[
        "--format",
        "diginetica",
        "--train",
        path(&fixture("diginetica-train.csv")),
        "--test",
        path(&fixture("diginetica-test.csv")),
    ]);
    check_rankers(&report, &["server", "rule", "model"]);

    let dir = scratch("diginetica");
    std::fs::copy(fixture("diginetica-train.csv"), dir.join("train.csv")).unwrap();
    let out = eval(&[
        "--format",
        "diginetica",
        "--train",
        path(&dir.join("train.csv")),
        "--test",
        path(&fixture("diginetica-test.csv")),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("product-categories.csv beside --train"),
        "{stderr}"
    );
}

#[test]
fn online_retail_ranks_by_copurchase_and_the_shipped_table_loads() {
    let dir = scratch("retail");
    let table = dir.join("copurchase.json");
    let train = fixture("online-retail-train.csv");
    let out = eval(&[
        "--format",
        "online-retail",
        "--train",
        path(&train),
        "--write-copurchase",
        path(&table),
        "--top-k",
        "5",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written: Value = serde_json::from_slice(&std::fs::read(&table).unwrap()).unwrap();
    assert_eq!(written["top_k"], 5);

    let test = fixture("online-retail-test.csv");
    let args = [
        "--format",
        "online-retail",
        "--train",
        path(&train),
        "--test",
        path(&test),
    ];
    let report = eval_json(&[&args[..], &["--copurchase", path(&table)]].concat());
    check_rankers(&report, &["server", "copurchase", "rule", "model"]);
    for key in KEYS.iter().take(3) {
        assert_eq!(
            report["server"][key],
            report["server"][format!("{key}_new")]
        );
    }
    // Without --copurchase, the table shipped in models/ is used.
    let shipped = eval_json(&args);
    assert!(shipped["copurchase_file"]
        .as_str()
        .unwrap()
        .ends_with("copurchase.json"));
}

#[test]
fn split_copies_whole_sessions_by_time() {
    let dir = scratch("split");
    let (train, test) = (dir.join("train.csv"), dir.join("test.csv"));
    let input = fixture("rees46-train.csv");
    let out = eval(&[
        "--format",
        "rees46",
        "--split",
        path(&input),
        "--write-train",
        path(&train),
        "--write-test",
        path(&test),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |p: &Path| std::fs::read_to_string(p).unwrap();
    let original = read(&input);
    let (train, test) = (read(&train), read(&test));
    let header = original.lines().next().unwrap();
    assert_eq!(train.lines().next(), Some(header));
    assert_eq!(test.lines().next(), Some(header));
    let mut rows: Vec<&str> = train.lines().skip(1).chain(test.lines().skip(1)).collect();
    let mut expected: Vec<&str> = original.lines().skip(1).collect();
    rows.sort();
    expected.sort();
    assert_eq!(rows, expected, "every row once, verbatim");
    let sessions = |text: &str| -> std::collections::HashSet<String> {
        text.lines()
            .skip(1)
            .map(|l| l.rsplit(',').next().unwrap().to_string())
            .collect()
    };
    let (a, b) = (sessions(&train), sessions(&test));
    assert!(a.is_disjoint(&b), "whole sessions only");
    let fifth = (a.len() + b.len()) as f64 * 0.2;
    assert_eq!(b.len(), fifth.round() as usize);
}
