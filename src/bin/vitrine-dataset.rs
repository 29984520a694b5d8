//! `vitrine-dataset`: replays a REES46 log into the model's training and test rows.
//!
//! ```text
//! vitrine-dataset --input <rees46.csv> --out <dir> [--test-fraction 0.2] [--golden <path>]
//! ```
//!
//! Writes `<dir>/train.csv` and `<dir>/test.csv`, one row per candidate:
//! `group_id,label,server_position,target_new,target_known,rule_score,<FEATURE_NAMES…>`, the
//! features from `vitrine::features::extract` and the rule score from
//! `vitrine::ranker::rule_scores`, so that Python never recomputes either. Also writes
//! `<dir>/baseline_metrics.json` (server order and rule, by `vitrine::offline::metrics`) and,
//! with `--golden`, a few real test rows for the golden-vector test.

use std::error::Error;
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::json;
use vitrine::features::{FEATURE_COUNT, FEATURE_NAMES, FEATURE_VERSION};
use vitrine::offline::candidates::{Group, ProtocolConfig, Replay};
use vitrine::offline::evaluate::{replay_sessions, Scoreboard, Scorer};
use vitrine::offline::{rees46, split};

type Result<T, E = Box<dyn Error>> = std::result::Result<T, E>;

const USAGE: &str = "usage: vitrine-dataset --input <rees46.csv> --out <dir> \
                     [--test-fraction 0.2] [--golden <path>]";

/// How many rows each golden group takes. Odd sizes on purpose: a 1-row
/// batch and batches that are not a multiple of any SIMD width.
const GOLDEN_SHAPES: [usize; 3] = [1, 13, 27];

struct Args {
    input: PathBuf,
    out: PathBuf,
    test_fraction: f64,
    golden: Option<PathBuf>,
}

fn main() -> ExitCode {
    match parse_args().and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vitrine-dataset: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args() -> Result<Args> {
    let mut args = std::env::args().skip(1);
    let (mut input, mut out, mut golden, mut test_fraction) = (None, None, None, 0.2);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--input" => input = Some(PathBuf::from(value()?)),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--golden" => golden = Some(PathBuf::from(value()?)),
            "--test-fraction" => {
                let text = value()?;
                test_fraction = text
                    .parse::<f64>()
                    .ok()
                    .filter(|f| (0.0..1.0).contains(f))
                    .ok_or_else(|| {
                        format!("--test-fraction: expected a number in [0, 1), got {text:?}")
                    })?;
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
        }
    }
    Ok(Args {
        input: input.ok_or(format!("--input is required\n{USAGE}"))?,
        out: out.ok_or(format!("--out is required\n{USAGE}"))?,
        test_fraction,
        golden,
    })
}

fn run(args: Args) -> Result<()> {
    let file = File::open(&args.input)
        .map_err(|e| format!("cannot open {}: {e}", args.input.display()))?;
    let log = rees46::read(BufReader::new(file))?;
    eprintln!(
        "read {} rows: {} interactions kept, {} skipped, {} sessions",
        log.rows,
        log.interactions(),
        log.skipped,
        log.sessions.len()
    );
    for problem in &log.problems {
        eprintln!("  skipped {problem}");
    }

    let cut = split::test_start(&log.sessions, args.test_fraction);
    let (train, test) = log.sessions.split_at(cut);
    if train.is_empty() || test.is_empty() {
        return Err(format!(
            "need sessions in both splits, got {} and {}",
            train.len(),
            test.len()
        )
        .into());
    }
    let replay = Replay::new(&log.sessions, cut, ProtocolConfig::default());
    eprintln!(
        "split: {} train sessions, {} test sessions (test starts at {}), catalogue of {} products",
        train.len(),
        test.len(),
        test[0].started_ms(),
        replay.catalogue().len()
    );

    fs::create_dir_all(&args.out)?;
    let mut next_group = 0;
    let train_stats = write_split(&replay, "train", 0..cut, &args.out, &mut next_group, None)?;
    let mut golden = Vec::new();
    let test_stats = write_split(
        &replay,
        "test",
        cut..log.sessions.len(),
        &args.out,
        &mut next_group,
        args.golden.is_some().then_some(&mut golden),
    )?;

    let baseline = json!({
        "protocol": protocol_json(&replay),
        "train": split_json(&train_stats),
        "test": split_json(&test_stats),
    });
    let path = args.out.join("baseline_metrics.json");
    fs::write(&path, serde_json::to_string_pretty(&baseline)? + "\n")?;
    eprintln!("wrote {}", path.display());

    if let Some(path) = &args.golden {
        write_golden(path, &golden)?;
    }
    Ok(())
}

fn split_json(board: &Scoreboard) -> serde_json::Value {
    json!({
        "groups": board.groups,
        "rows": board.rows,
        "targets_seen_in_training": board.known_targets,
        "server": board.metrics("server"),
        "rule": board.metrics("rule"),
    })
}

fn protocol_json(replay: &Replay<'_>) -> serde_json::Value {
    let config = replay.config();
    json!({
        "candidates": config.candidates,
        "from_category": config.from_category,
        "seed": config.seed,
        "feature_version": FEATURE_VERSION,
    })
}

/// Replays `sessions` and writes `<out>/<name>.csv`; feeds the golden picks when asked.
fn write_split(
    replay: &Replay<'_>,
    name: &str,
    sessions: std::ops::Range<usize>,
    out: &Path,
    next_group: &mut usize,
    mut golden: Option<&mut Vec<serde_json::Value>>,
) -> Result<Scoreboard> {
    let path = out.join(format!("{name}.csv"));
    let mut csv = BufWriter::new(File::create(&path)?);
    writeln!(
        csv,
        "group_id,label,server_position,target_new,target_known,rule_score,{}",
        FEATURE_NAMES.join(",")
    )?;

    let total = sessions.len();
    let no_model: Option<Scorer<'_, Box<dyn Error>>> = None;
    let board = replay_sessions(
        replay,
        sessions,
        no_model,
        |group, rule| {
            write_group(&mut csv, *next_group, group, rule)?;
            if let Some(picks) = golden.as_deref_mut() {
                pick_golden(picks, *next_group, group);
            }
            *next_group += 1;
            Ok(())
        },
        |done, total_sessions| {
            if done.is_multiple_of(500) || done == total_sessions {
                eprintln!("{name}: {done}/{total} sessions");
            }
        },
    )?;
    csv.flush()?;
    eprintln!("wrote {} ({} rows)", path.display(), board.rows);
    for (ranker, metrics) in board.results() {
        eprintln!("  {name} {ranker:<7} {metrics}");
    }
    Ok(board)
}

fn write_group(csv: &mut impl Write, group_id: usize, group: &Group, rule: &[f32]) -> Result<()> {
    for (i, row) in group.features.chunks_exact(FEATURE_COUNT).enumerate() {
        write!(
            csv,
            "{group_id},{},{i},{},{},{}",
            u8::from(i == group.target),
            u8::from(group.target_new),
            u8::from(group.target_known),
            rule[i]
        )?;
        for value in row {
            // `Display` for f32 prints the shortest text that parses back to the same value.
            write!(csv, ",{value}")?;
        }
        writeln!(csv)?;
    }
    Ok(())
}

/// Takes golden rows from the first test groups that have a real history (a non-zero
/// `history_strength_log`), so the golden vectors exercise the personal features and not only
/// the server position: the target row of a repeat view (1 row), the top of a list whose
/// target is new to the session (13 rows), and a window of a later list around its target.
fn pick_golden(picks: &mut Vec<serde_json::Value>, group_id: usize, group: &Group) {
    let Some(&size) = GOLDEN_SHAPES.get(picks.len()) else {
        return;
    };
    let strength = group.features[FEATURE_COUNT - 1];
    if strength <= 0.0 || group.candidates.len() < size {
        return;
    }
    let start = match picks.len() {
        0 if !group.target_new => group.target,
        1 if group.target_new => 0,
        2 if group.step > 1 => group
            .target
            .saturating_sub(size / 2)
            .min(group.candidates.len() - size),
        _ => return,
    };
    let rows: Vec<&[f32]> = group
        .features
        .chunks_exact(FEATURE_COUNT)
        .skip(start)
        .take(size)
        .collect();
    picks.push(json!({ "group_id": group_id, "first_server_position": start, "rows": rows }));
}

fn write_golden(path: &Path, picks: &[serde_json::Value]) -> Result<()> {
    if picks.len() < GOLDEN_SHAPES.len() {
        return Err(format!("found only {} golden groups in the test split", picks.len()).into());
    }
    let golden = json!({
        "about": "Real feature rows from the REES46 test split, computed by vitrine-dataset; \
                  models/train.py adds the expected scores in golden.json.",
        "feature_version": FEATURE_VERSION,
        "features": FEATURE_NAMES,
        "groups": picks,
    });
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    fs::write(path, serde_json::to_string_pretty(&golden)? + "\n")?;
    let rows: usize = GOLDEN_SHAPES.iter().sum();
    eprintln!(
        "wrote {} ({} groups, {rows} rows)",
        path.display(),
        picks.len()
    );
    Ok(())
}
