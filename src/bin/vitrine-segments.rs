//! `vitrine-segments`: computes the shipped shopper segments from a real REES46 log.
//!
//! ```text
//! vitrine-segments --input <rees46.csv> --out models/segments.json [--seed 2026]
//! ```
//!
//! Replays every shopper's sessions, in time order, through the SDK's own [`Profile`], takes
//! each final profile's `vitrine::segment::profile_vector`, and clusters them with the seeded
//! `vitrine::segment::kmeans` into `SEGMENT_COUNT` centroids. The same input and seed always
//! write the same file; the file records both, with the cluster sizes and a readable label.

use std::collections::BTreeMap;
use std::error::Error;
use std::fs::{self, File};
use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;
use vitrine::offline::rees46;
use vitrine::profile::Profile;
use vitrine::segment::{kmeans, profile_vector, ProfileVector, SEGMENTS_SCHEMA, VECTOR_NAMES};
use vitrine::signals::{INTEREST_DOMAIN, SEGMENT_COUNT};

type Result<T, E = Box<dyn Error>> = std::result::Result<T, E>;

const USAGE: &str = "usage: vitrine-segments --input <rees46.csv> --out <segments.json> \
                     [--seed 2026]";
/// Lloyd's iterations stop earlier when no shopper changes segment.
const MAX_ITERATIONS: usize = 200;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vitrine-segments: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut input, mut out, mut seed) = (None, None, 2026u64);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--input" => input = Some(PathBuf::from(value()?)),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--seed" => {
                let text = value()?;
                seed = text
                    .parse()
                    .map_err(|_| format!("--seed: expected an unsigned integer, got {text:?}"))?;
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
        }
    }
    let input = input.ok_or(format!("--input is required\n{USAGE}"))?;
    let out = out.ok_or(format!("--out is required\n{USAGE}"))?;

    let file = File::open(&input).map_err(|e| format!("cannot open {}: {e}", input.display()))?;
    let log = rees46::read(BufReader::new(file))?;
    // One profile per shopper, as one device would have built it over all their sessions.
    let mut by_user: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for session in &log.sessions {
        by_user
            .entry(session.user_id.as_str())
            .or_default()
            .extend(session.interactions.iter());
    }
    let points: Vec<ProfileVector> = by_user
        .values_mut()
        .map(|interactions| {
            interactions.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms).then(a.line.cmp(&b.line)));
            let mut profile = Profile::default();
            for interaction in interactions.iter() {
                profile.apply(&interaction.event, interaction.at_ms);
            }
            profile_vector(&profile)
        })
        .collect();
    let k = usize::from(SEGMENT_COUNT);
    if points.len() < k {
        return Err(format!("need at least {k} shoppers, the log has {}", points.len()).into());
    }
    let clustering = kmeans(&points, k, seed, MAX_ITERATIONS);
    eprintln!(
        "{} shoppers from {} sessions: {} iterations, mean squared distance {:.4}, sizes {:?}",
        points.len(),
        log.sessions.len(),
        clustering.iterations,
        clustering.inertia,
        clustering.sizes
    );
    let round = |x: &f64| (x * 1e4).round() / 1e4;
    let centroids: Vec<Vec<f64>> = clustering
        .centroids
        .iter()
        .map(|c| c.iter().map(round).collect())
        .collect();
    let labels: Vec<String> = centroids.iter().map(|c| label(c)).collect();
    let file_name = input
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let input_summary = format!(
        "REES46 {file_name}: {} rows, {} sessions",
        log.rows,
        log.sessions.len()
    );
    let document = json!({
        "schema": SEGMENTS_SCHEMA,
        "vector": VECTOR_NAMES,
        "centroids": centroids,
        "provenance": {
            "tool": "vitrine-segments (src/bin/vitrine-segments.rs)",
            "input": input_summary,
            "shoppers": points.len(),
            "seed": seed,
            "method": "k-means++ start, Lloyd iterations until no shopper moves",
            "iterations": clustering.iterations,
            "mean_squared_distance": round(&clustering.inertia),
            "sizes": clustering.sizes,
            "labels": labels,
            "attribution": "eCommerce behavior data from multi category store, REES46 \
                            Marketing Platform / Open CDP, via Kaggle",
        },
    });
    fs::write(&out, serde_json::to_string_pretty(&document)? + "\n")?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// A short human label: the centroid's strongest interests and its engagement.
fn label(centroid: &[f64]) -> String {
    let n = INTEREST_DOMAIN.len();
    let mut interests: Vec<(usize, f64)> = centroid[..n].iter().copied().enumerate().collect();
    interests.sort_by(|a, b| b.1.total_cmp(&a.1));
    let named: Vec<String> = interests
        .iter()
        .take(2)
        .filter(|(_, share)| *share >= 0.15)
        .map(|(i, share)| format!("{} {:.0}%", INTEREST_DOMAIN[*i], share * 100.0))
        .collect();
    let interest = if named.is_empty() {
        "no known category".to_owned()
    } else {
        named.join(", ")
    };
    format!(
        "{interest}; activity {:.2}, commitment {:.2}",
        centroid[n],
        centroid[n + 1]
    )
}
