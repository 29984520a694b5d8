//! `vitrine-eval`: held-out ranking quality of the server order, the rule and the model.
//!
//! One protocol for every log (see `HELP`, and `models/README.md`): the sessions are replayed
//! through the SDK's own `Profile`, `features::extract`, `ranker::rule_scores` and
//! `model::Scorer`, by `vitrine::offline::evaluate` (sessions) and `vitrine::offline::basket`
//! (invoices). This file only reads flags and files and prints.

use std::error::Error;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use serde_json::{json, Value};
use vitrine::features::FEATURE_VERSION;
use vitrine::model::Scorer;
use vitrine::offline::basket::evaluate_baskets;
use vitrine::offline::candidates::{ProtocolConfig, Replay};
use vitrine::offline::copurchase::CoPurchase;
use vitrine::offline::evaluate::{replay_sessions, Scoreboard};
use vitrine::offline::session::{SessionLog, ShopperSession};
use vitrine::offline::{diginetica, online_retail, rees46, split};

type Result<T, E = Box<dyn Error>> = std::result::Result<T, E>;

const USAGE: &str = "\
usage: vitrine-eval --format rees46|diginetica|online-retail --train <file> --test <file>
                    [--json] [--model <onnx>] [--seed N] [--categories <file>]
                    [--copurchase <file>]
       vitrine-eval --format online-retail --train <file> --write-copurchase <out>
                    [--top-k 5] [--min-count 2]
       vitrine-eval --format <format> --split <file> --write-train <out> --write-test <out>
                    [--test-fraction 0.2]
       vitrine-eval --help";

const HELP: &str = "\
Replays held-out shopper sessions and reports HR@10, NDCG@10 and MRR, for all targets and for
targets not yet viewed in their session (_new), for three rankers: the server order, the
hand-written rule (vitrine::ranker::rule_score) and the model (--model, default
models/ranker.onnx), all through the SDK's own Rust profile, feature and ranking code.

Formats
  rees46         the REES46 CSV (event_time,event_type,product_id,category_id,category_code,
                 brand,price,user_id,user_session; any column order, quoted fields, CRLF)
  diginetica     the Diginetica view log (session_id;user_id;item_id;timeframe;eventdate) with
                 categories from --categories (default: product-categories.csv beside
                 --train). No brand or price: those features stay zero. user_id NA means an
                 anonymous shopper whose history is the session alone.
  online-retail  basket completion on the UCI Online Retail invoices: each product of a test
                 invoice is hidden in turn and ranked among 100 candidates by popularity (the
                 server), co-purchase statistics (--copurchase, default models/copurchase.json),
                 the rule and the model fed the visible lines as add-to-cart events. Products
                 have no category (the description is free text and is not turned into one),
                 so all candidates are popularity-weighted draws.

Protocol (sessions): the catalogue and its popularity come from --train only. For each test
session and each event t >= 1: the target is the product of event t; the history is the
session's events before t plus that shopper's earlier sessions in either file; the 100
candidates are the target, up to 49 products of its category_id and popularity-weighted draws
(seed --seed); the server order sorts them by training popularity. Two departures, kept as in
vitrine-dataset so training and evaluation lists look alike:
  - a training session is left out of its own popularity (only matters for training rows);
  - a target training never saw gets a random server position instead of the last one,
    which would otherwise point straight at it.

Bad rows are skipped, counted and reported on stderr; a header missing a column is an error
naming the file and line. --json prints one JSON object with keys server, rule, model (and
copurchase for online-retail), each holding hr10, ndcg10, mrr, hr10_new, ndcg10_new, mrr_new.

--split cuts one log by session start time into train and test files (the last
--test-fraction of sessions, 0.2 by default: the vitrine-dataset split), copying rows verbatim.";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Rees46,
    Diginetica,
    OnlineRetail,
}

#[derive(Debug, Default)]
struct Args {
    format: Option<Format>,
    train: Option<PathBuf>,
    test: Option<PathBuf>,
    json: bool,
    model: Option<PathBuf>,
    seed: Option<u64>,
    categories: Option<PathBuf>,
    copurchase: Option<PathBuf>,
    write_copurchase: Option<PathBuf>,
    top_k: Option<usize>,
    min_count: Option<u32>,
    split: Option<PathBuf>,
    write_train: Option<PathBuf>,
    write_test: Option<PathBuf>,
    test_fraction: Option<f64>,
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}\n\n{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("vitrine-eval: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vitrine-eval: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The flags, or `None` for `--help`.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>> {
    let mut parsed = Args::default();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--format" => {
                let text = value()?;
                parsed.format = Some(match text.as_str() {
                    "rees46" => Format::Rees46,
                    "diginetica" => Format::Diginetica,
                    "online-retail" => Format::OnlineRetail,
                    _ => {
                        return Err(format!(
                            "--format: expected rees46, diginetica or online-retail, got {text:?}"
                        )
                        .into())
                    }
                });
            }
            "--train" => parsed.train = Some(value()?.into()),
            "--test" => parsed.test = Some(value()?.into()),
            "--json" => parsed.json = true,
            "--model" => parsed.model = Some(value()?.into()),
            "--seed" => parsed.seed = Some(number(&flag, &value()?, "a whole number ≥ 0")?),
            "--categories" => parsed.categories = Some(value()?.into()),
            "--copurchase" => parsed.copurchase = Some(value()?.into()),
            "--write-copurchase" => parsed.write_copurchase = Some(value()?.into()),
            "--top-k" => parsed.top_k = Some(number(&flag, &value()?, "a whole number ≥ 1")?),
            "--min-count" => {
                parsed.min_count = Some(number(&flag, &value()?, "a whole number ≥ 1")?)
            }
            "--split" => parsed.split = Some(value()?.into()),
            "--write-train" => parsed.write_train = Some(value()?.into()),
            "--write-test" => parsed.write_test = Some(value()?.into()),
            "--test-fraction" => {
                let text = value()?;
                let fraction = text
                    .parse::<f64>()
                    .ok()
                    .filter(|f| *f > 0.0 && *f < 1.0)
                    .ok_or_else(|| {
                        format!("--test-fraction: expected a number in (0, 1), got {text:?}")
                    })?;
                parsed.test_fraction = Some(fraction);
            }
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    if parsed.top_k == Some(0) || parsed.min_count == Some(0) {
        return Err("--top-k and --min-count: expected a whole number ≥ 1, got 0".into());
    }
    Ok(Some(parsed))
}

fn number<T: std::str::FromStr>(flag: &str, text: &str, expected: &str) -> Result<T> {
    text.parse()
        .map_err(|_| format!("{flag}: expected {expected}, got {text:?}").into())
}

fn run(args: Args) -> Result<()> {
    let format = args
        .format
        .ok_or("--format is required (rees46, diginetica or online-retail)")?;
    if let Some(input) = &args.split {
        return write_split(format, input, &args);
    }
    let train = args.train.as_deref().ok_or("--train is required")?;
    if let Some(out) = &args.write_copurchase {
        if format != Format::OnlineRetail {
            return Err("--write-copurchase needs --format online-retail".into());
        }
        return write_copurchase(train, out, &args);
    }
    let test = args.test.as_deref().ok_or("--test is required")?;
    let started = Instant::now();

    let categories = match format {
        Format::Diginetica => Some(read_categories(train, args.categories.as_deref())?),
        _ => None,
    };
    let read_log = |path: &Path| read_log(format, path, categories.as_ref());
    let (train_log, test_log) = (read_log(train)?, read_log(test)?);
    let mut sessions: Vec<ShopperSession> = train_log.sessions.clone();
    sessions.extend(test_log.sessions.iter().cloned());
    let training = train_log.sessions.len();
    if training == 0 || sessions.len() == training {
        return Err(format!(
            "need sessions in both files: {} has {training}, {} has {}",
            train.display(),
            test.display(),
            sessions.len() - training
        )
        .into());
    }

    let model_path = args.model.clone().unwrap_or_else(|| shipped("ranker.onnx"));
    let bytes = fs::read(&model_path)
        .map_err(|e| format!("cannot read the model {}: {e}", model_path.display()))?;
    let scorer = Scorer::from_onnx(&bytes)
        .map_err(|e| format!("cannot load the model {}: {e}", model_path.display()))?;
    let model = |rows: &[f32]| scorer.score(rows).map_err(Box::<dyn Error>::from);

    let mut config = ProtocolConfig::default();
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    let replay = Replay::new(&sessions, training, config);
    eprintln!(
        "catalogue of {} products from {training} training sessions; {} test sessions",
        replay.catalogue().len(),
        sessions.len() - training
    );
    let progress = |done: usize, total: usize| {
        if done.is_multiple_of(500) || done == total {
            eprintln!("replayed {done}/{total} test sessions");
        }
    };

    let mut copurchase_file = None;
    let board = match format {
        Format::OnlineRetail => {
            let path = args
                .copurchase
                .clone()
                .unwrap_or_else(|| shipped("copurchase.json"));
            let text = fs::read_to_string(&path).map_err(|e| {
                format!("cannot read the co-purchase table {}: {e}", path.display())
            })?;
            let table =
                CoPurchase::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            copurchase_file = Some(path);
            evaluate_baskets(
                &replay,
                training..sessions.len(),
                &table,
                Some(&model),
                progress,
            )?
        }
        _ => replay_sessions(
            &replay,
            training..sessions.len(),
            Some(&model),
            |_, _| Ok(()),
            progress,
        )?,
    };
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("done in {seconds:.1} s");

    let report = Report {
        format,
        config,
        board: &board,
        files: [(train, &train_log), (test, &test_log)],
        model: &model_path,
        copurchase: copurchase_file.as_deref(),
    };
    if args.json {
        println!("{}", serde_json::to_string(&report.to_json())?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}

/// A file shipped in `models/`: relative to the working directory when it is there (the
/// repository root), else beside this crate's sources.
fn shipped(name: &str) -> PathBuf {
    let relative = Path::new("models").join(name);
    if relative.exists() {
        relative
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("models")
            .join(name)
    }
}

fn open(path: &Path) -> Result<BufReader<File>> {
    let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    Ok(BufReader::new(file))
}

fn read_categories(train: &Path, flag: Option<&Path>) -> Result<diginetica::Categories> {
    let path = flag.map_or_else(
        || train.with_file_name("product-categories.csv"),
        Path::to_path_buf,
    );
    if flag.is_none() && !path.exists() {
        return Err(format!(
            "no categories file {} beside --train; pass --categories <file>",
            path.display()
        )
        .into());
    }
    let categories = diginetica::read_categories(open(&path)?)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!(
        "{}: {} items with a category, {} rows skipped",
        path.display(),
        categories.len(),
        categories.skipped
    );
    for problem in &categories.problems {
        eprintln!("  skipped {problem}");
    }
    Ok(categories)
}

fn read_log(
    format: Format,
    path: &Path,
    categories: Option<&diginetica::Categories>,
) -> Result<SessionLog> {
    let reader = open(path)?;
    let no_categories = diginetica::Categories::default();
    let log = match format {
        Format::Rees46 => rees46::read(reader),
        Format::Diginetica => diginetica::read(reader, categories.unwrap_or(&no_categories)),
        Format::OnlineRetail => online_retail::read(reader),
    }
    .map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!(
        "{}: {} rows, {} kept, {} skipped, {} sessions",
        path.display(),
        log.rows,
        log.interactions(),
        log.skipped,
        log.sessions.len()
    );
    for problem in &log.problems {
        eprintln!("  skipped {problem}");
    }
    Ok(log)
}

/// What the run measured, and on what.
struct Report<'a> {
    format: Format,
    config: ProtocolConfig,
    board: &'a Scoreboard,
    files: [(&'a Path, &'a SessionLog); 2],
    model: &'a Path,
    copurchase: Option<&'a Path>,
}

impl Report<'_> {
    fn format_name(&self) -> &'static str {
        match self.format {
            Format::Rees46 => "rees46",
            Format::Diginetica => "diginetica",
            Format::OnlineRetail => "online-retail",
        }
    }

    fn to_json(&self) -> Value {
        let mut object = self.board.to_json();
        let file = |(path, log): (&Path, &SessionLog)| {
            json!({
                "file": path.display().to_string(),
                "rows": log.rows,
                "skipped": log.skipped,
                "sessions": log.sessions.len(),
            })
        };
        let extra = json!({
            "format": self.format_name(),
            "protocol": {
                "candidates": self.config.candidates,
                "from_category": self.config.from_category,
                "seed": self.config.seed,
                "feature_version": FEATURE_VERSION,
            },
            "train": file(self.files[0]),
            "test": file(self.files[1]),
            "model_file": self.model.display().to_string(),
            "copurchase_file": self.copurchase.map(|p| p.display().to_string()),
        });
        if let (Value::Object(object), Value::Object(extra)) = (&mut object, extra) {
            object.extend(extra);
        }
        object
    }

    fn table(&self) -> String {
        let [(train, _), (test, _)] = self.files;
        let mut text = format!(
            "vitrine-eval --format {}: train {}, test {}, model {}\n\n",
            self.format_name(),
            train.display(),
            test.display(),
            self.model.display()
        );
        text.push_str(&self.board.table());
        if self.format == Format::OnlineRetail {
            text.push_str(
                "server = training popularity; every hidden product is new to its basket, \
                 so the _new columns equal the others\n",
            );
        }
        text
    }
}

fn write_copurchase(train: &Path, out: &Path, args: &Args) -> Result<()> {
    let log = read_log(Format::OnlineRetail, train, None)?;
    let name = train.file_name().map_or_else(
        || train.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let source = format!(
        "Online Retail (UCI, CC BY 4.0, Chen, Sain and Guo 2012), training invoices of {name}"
    );
    let table = CoPurchase::from_baskets(
        &log.sessions,
        args.top_k.unwrap_or(5),
        args.min_count.unwrap_or(2),
        &source,
    );
    fs::write(out, table.to_json()).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    let pairs: usize = table.neighbours.values().map(Vec::len).sum();
    eprintln!(
        "wrote {}: {} products, {pairs} neighbour pairs, from {} baskets",
        out.display(),
        table.neighbours.len(),
        table.baskets
    );
    Ok(())
}

/// Splits one log by session start into train and test files, copying kept rows verbatim.
fn write_split(format: Format, input: &Path, args: &Args) -> Result<()> {
    let (Some(train_out), Some(test_out)) = (&args.write_train, &args.write_test) else {
        return Err("--split needs --write-train <file> and --write-test <file>".into());
    };
    let no_categories = diginetica::Categories::default();
    let log = read_log(format, input, Some(&no_categories))?;
    let cut = split::test_start(&log.sessions, args.test_fraction.unwrap_or(0.2));

    // 0: dropped (header, skipped or empty), 1: train, 2: test, indexed by line number.
    let mut destination: Vec<u8> = Vec::new();
    for (index, session) in log.sessions.iter().enumerate() {
        for interaction in &session.interactions {
            if destination.len() <= interaction.line {
                destination.resize(interaction.line + 1, 0);
            }
            destination[interaction.line] = if index < cut { 1 } else { 2 };
        }
    }

    let create = |path: &PathBuf| -> Result<BufWriter<File>> {
        let file =
            File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(BufWriter::new(file))
    };
    let (mut train, mut test) = (create(train_out)?, create(test_out)?);
    let mut reader = open(input)?;
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        number += 1;
        if !line.ends_with(b"\n") {
            line.push(b'\n');
        }
        match destination.get(number).copied().unwrap_or(0) {
            _ if number == 1 => {
                train.write_all(&line)?;
                test.write_all(&line)?;
            }
            1 => train.write_all(&line)?,
            2 => test.write_all(&line)?,
            _ => {}
        }
    }
    train.flush()?;
    test.flush()?;
    eprintln!(
        "wrote {} ({cut} sessions) and {} ({} sessions)",
        train_out.display(),
        test_out.display(),
        log.sessions.len() - cut
    );
    Ok(())
}
