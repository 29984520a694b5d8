//! Command-line flags and their defaults.
//!
//! Every default path is relative to this crate's own folder (`CARGO_MANIFEST_DIR`), so that
//! `cargo run -p vitrine-demo` works from any checkout without flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use vitrine::signals::{DEFAULT_DAILY_EPSILON, MAX_BATCH_EPSILON};

/// Where the demo listens and where it finds the files it serves.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free one.
    pub addr: SocketAddr,
    /// The derived product list (`catalogue/products.csv`).
    pub catalogue: PathBuf,
    /// The installed npm package's `dist`, served at `/vitrine/`: `npm ci` in `demo-site`
    /// links it from `js/` (`"vitrine": "file:../js"`), as a store's own install would.
    pub sdk_dir: PathBuf,
    /// The ranking model, served at `/models/ranker.onnx`.
    pub model: PathBuf,
    /// The demo's own script and style sheet, served at `/static/`.
    pub static_dir: PathBuf,
    /// Chart.js's browser build (`npm ci` in `demo-site` installs it), served to the
    /// dashboard at `/vendor/chart.umd.min.js`.
    pub chart_js: PathBuf,
    /// Where `signals.sqlite` lives; created if missing.
    pub data_dir: PathBuf,
    /// Where to append every body `POST /v1/signals` receives, exactly as it arrived; none
    /// when absent. For audits and the end-to-end tests: it shows what crossed the wire,
    /// beacons included, which a browser's own network events do not always show.
    pub request_log: Option<PathBuf>,
    /// PostgreSQL to store batches in instead of `signals.sqlite`: `--database-url`, or the
    /// `VITRINE_DATABASE_URL` environment variable when the flag is absent.
    pub database_url: Option<String>,
    /// Serve only the collector (`/v1/…`) and the dashboard: no store pages, no catalogue.
    pub collector_only: bool,
    /// The per-shopper daily ε the devices enforce (the SDK's `dailyEpsilon`): the
    /// distinct-shopper bound behind every published aggregate divides by it.
    pub daily_epsilon: f64,
    /// Test only, never on by default: answer every `POST /v1/signals` with this status
    /// (after logging it), so that the SDK's retry and give-up paths meet a real server.
    pub fail_signals: Option<u16>,
}

const USAGE: &str = "\
vitrine-demo: the Vitrine demo store and signal collector

Usage: vitrine-demo [--addr HOST:PORT] [--catalogue FILE] [--sdk-dir DIR] [--model FILE]
                    [--static-dir DIR] [--data-dir DIR] [--request-log FILE]
                    [--database-url URL] [--daily-epsilon E] [--collector-only]
                    [--fail-signals STATUS]

Defaults: --addr 127.0.0.1:8080, the rest relative to this checkout:
  --catalogue  demo-site/catalogue/products.csv
  --sdk-dir    demo-site/node_modules/vitrine/dist   (served at /vitrine/)
  --model      models/ranker.onnx    (served at /models/ranker.onnx)
  --static-dir demo-site/static      (served at /static/)
  --data-dir   demo-site/data        (holds signals.sqlite)
  --request-log none                 (JSON lines: every signal request body as received)
  --database-url none: SQLite in --data-dir (or env VITRINE_DATABASE_URL; postgres://…)
  --daily-epsilon ln 3               (the devices' daily budget, for the shopper bound)
  --collector-only                   (only /v1/signals, /v1/estimates and /dashboard)
  --fail-signals none                (tests only: answer every batch with this 4xx/5xx)
";

impl Default for Config {
    fn default() -> Self {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let repo = here.parent().unwrap_or(here);
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            catalogue: here.join("catalogue/products.csv"),
            sdk_dir: here.join("node_modules/vitrine/dist"),
            model: repo.join("models/ranker.onnx"),
            static_dir: here.join("static"),
            chart_js: here.join("node_modules/chart.js/dist/chart.umd.min.js"),
            data_dir: here.join("data"),
            request_log: None,
            database_url: None,
            collector_only: false,
            daily_epsilon: DEFAULT_DAILY_EPSILON,
            fail_signals: None,
        }
    }
}

impl Config {
    /// Parses flags (without the program name). `Ok(None)` means `--help` was asked for and
    /// the usage has been printed.
    ///
    /// # Errors
    /// An unknown flag, a flag without its value, or an address that does not parse.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> anyhow::Result<Option<Self>> {
        let mut config = Config {
            database_url: std::env::var("VITRINE_DATABASE_URL")
                .ok()
                .filter(|url| !url.is_empty()),
            ..Config::default()
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                print!("{USAGE}");
                return Ok(None);
            }
            if arg == "--collector-only" {
                config.collector_only = true;
                continue;
            }
            // Both `--flag value` and `--flag=value`.
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
                None => (arg, None),
            };
            let value = match inline {
                Some(value) => value,
                None => args
                    .next()
                    .with_context(|| format!("{flag} needs a value"))?,
            };
            match flag.as_str() {
                "--addr" => {
                    config.addr = value.parse().with_context(|| {
                        format!("--addr: expected HOST:PORT such as 127.0.0.1:8080, got {value:?}")
                    })?;
                }
                "--catalogue" => config.catalogue = value.into(),
                "--sdk-dir" => config.sdk_dir = value.into(),
                "--model" => config.model = value.into(),
                "--static-dir" => config.static_dir = value.into(),
                "--data-dir" => config.data_dir = value.into(),
                "--request-log" => config.request_log = Some(value.into()),
                "--database-url" => config.database_url = Some(value),
                "--daily-epsilon" => {
                    config.daily_epsilon = value
                        .parse()
                        .ok()
                        .filter(|e: &f64| e.is_finite() && *e > 0.0 && *e <= MAX_BATCH_EPSILON)
                        .with_context(|| {
                            format!("--daily-epsilon: expected a number in (0, 10], got {value:?}")
                        })?;
                }
                "--fail-signals" => {
                    let status = value
                        .parse::<u16>()
                        .ok()
                        .filter(|s| (400..600).contains(s))
                        .with_context(|| {
                            format!(
                                "--fail-signals: expected a status from 400 to 599, got {value:?}"
                            )
                        })?;
                    config.fail_signals = Some(status);
                }
                _ => bail!("unknown flag {flag:?}\n\n{USAGE}"),
            }
        }
        Ok(Some(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<Option<Config>> {
        Config::from_args(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn defaults_point_into_the_checkout() {
        let config = parse(&[]).unwrap().unwrap();
        assert_eq!(config.addr.to_string(), "127.0.0.1:8080");
        assert!(config
            .catalogue
            .ends_with("demo-site/catalogue/products.csv"));
        assert!(config
            .sdk_dir
            .ends_with("demo-site/node_modules/vitrine/dist"));
        assert!(config.catalogue.exists(), "{}", config.catalogue.display());
    }

    #[test]
    fn both_flag_forms_parse() {
        let config = parse(&["--addr=127.0.0.1:0", "--data-dir", "/tmp/x"])
            .unwrap()
            .unwrap();
        assert_eq!(config.addr.port(), 0);
        assert_eq!(config.data_dir, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn collector_flags_parse() {
        let config = parse(&[
            "--collector-only",
            "--database-url=postgres://vitrine@127.0.0.1:5432/db",
            "--daily-epsilon",
            "2",
        ])
        .unwrap()
        .unwrap();
        assert!(config.collector_only);
        assert_eq!(
            config.database_url.as_deref(),
            Some("postgres://vitrine@127.0.0.1:5432/db")
        );
        assert_eq!(config.daily_epsilon, 2.0);
        let err = parse(&["--daily-epsilon", "0"]).unwrap_err().to_string();
        assert!(err.contains("--daily-epsilon"), "{err}");
    }

    #[test]
    fn bad_flags_say_what_is_wrong() {
        let err = parse(&["--addr", "localhost"]).unwrap_err().to_string();
        assert!(err.contains("HOST:PORT"), "{err}");
        assert!(parse(&["--model"])
            .unwrap_err()
            .to_string()
            .contains("needs a value"));
        assert!(parse(&["--colour", "red"])
            .unwrap_err()
            .to_string()
            .contains("--colour"));
    }

    #[test]
    fn failing_signals_is_off_by_default_and_takes_only_error_statuses() {
        assert_eq!(parse(&[]).unwrap().unwrap().fail_signals, None);
        let config = parse(&["--fail-signals", "503"]).unwrap().unwrap();
        assert_eq!(config.fail_signals, Some(503));
        let err = parse(&["--fail-signals=200"]).unwrap_err().to_string();
        assert!(err.contains("400 to 599"), "{err}");
    }
}
