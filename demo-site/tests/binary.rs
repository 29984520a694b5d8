//! The `vitrine-demo` binary itself: flags, the startup line, and serving.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_vitrine-demo");

/// Kills the child even when an assertion fails first.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_serves_on_the_address_it_prints() {
    let data = tempfile::tempdir().unwrap();
    let child = Command::new(BIN)
        .args(["--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data.path().join("fresh"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut running = Running(child);

    let mut line = String::new();
    let stdout = running.0.stdout.take().unwrap();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("vitrine-demo listening on ")
        .expect(&line)
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let home = reqwest::get(format!("{url}/")).await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(home
        .text()
        .await
        .unwrap()
        .contains(r#"data-vitrine-widget="recommendations""#));
    let count = reqwest::get(format!("{url}/v1/signals/count"))
        .await
        .unwrap();
    assert_eq!(count.text().await.unwrap(), r#"{"batches":0}"#);
    assert!(
        data.path().join("fresh/signals.sqlite").exists(),
        "the data folder is created"
    );
}

#[tokio::test]
async fn the_collector_runs_on_its_own() {
    let data = tempfile::tempdir().unwrap();
    // No catalogue at all: the collector does not need the store's files.
    let child = Command::new(BIN)
        .args(["--collector-only", "--addr", "127.0.0.1:0", "--catalogue"])
        .arg(data.path().join("no-such-catalogue.csv"))
        .arg("--data-dir")
        .arg(data.path().join("collector"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut running = Running(child);
    let mut line = String::new();
    let stdout = running.0.stdout.take().unwrap();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("vitrine-demo listening on ")
        .expect(&line)
        .to_string();

    let count = reqwest::get(format!("{url}/v1/signals/count"))
        .await
        .unwrap();
    assert_eq!(count.text().await.unwrap(), r#"{"batches":0}"#);
    let estimates = reqwest::get(format!("{url}/v1/estimates")).await.unwrap();
    assert_eq!(estimates.status(), 200);
    let dashboard = reqwest::get(format!("{url}/dashboard")).await.unwrap();
    assert_eq!(dashboard.status(), 200);
    for page in ["/", "/search?q=phone", "/privacy"] {
        let answer = reqwest::get(format!("{url}{page}")).await.unwrap();
        assert_eq!(answer.status(), 404, "{page}");
        let json: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(json["error"], "not_found", "{page}");
    }
}

#[test]
fn help_and_bad_flags() {
    let help = Command::new(BIN).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--sdk-dir"));

    let bad = Command::new(BIN)
        .args(["--addr", "nowhere"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("HOST:PORT"));
}
