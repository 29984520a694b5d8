//! `vitrine-load`: a loopback load test of the collector.
//!
//! Starts `vitrine-demo --collector-only` (the binary next to this one) on a free port with a
//! fresh data folder, or targets `--addr` when given; posts distinct valid batches over
//! keep-alive HTTP/1.1 connections, plus a share of re-sends of batches already posted; then
//! prints batches/s and latency percentiles, and checks that the store holds exactly one row
//! per accepted batch: nothing lost, nothing doubled.
//!
//! The HTTP client is a minimal one written here (a request, a status line, a
//! `Content-Length` body): the collector's answers are that simple, and a full client would
//! be a large dependency for a tool that only ever talks to 127.0.0.1.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader as AsyncBufReader};
use tokio::net::TcpStream;
use vitrine::event::{Event, Product};
use vitrine::funnel::FunnelStage;
use vitrine::profile::Profile;
use vitrine::signals::{Arm, SignalBatch, SystemEntropy, DEFAULT_DAILY_EPSILON, INTEREST_DOMAIN};

const USAGE: &str = "\
vitrine-load: post distinct batches to the collector over loopback; report batches/s and p99

Usage: vitrine-load [--batches N] [--connections C] [--resend-percent P] [--addr HOST:PORT]
                    [--database-url URL]

Defaults: 20000 batches, 16 connections, 5% re-sends; without --addr it starts
  vitrine-demo --collector-only (next to this binary) with a temporary data folder,
  and --database-url, if given, is passed on to it.
";

struct Args {
    batches: usize,
    connections: usize,
    resend_percent: usize,
    addr: Option<SocketAddr>,
    database_url: Option<String>,
}

/// What one request got back, and how long it took.
struct Outcome {
    status: u16,
    latency: Duration,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(args) = parse_args(std::env::args().skip(1))? else {
        print!("{USAGE}");
        return Ok(());
    };
    let data_dir = tempfile_dir()?;
    let mut collector = None;
    let addr = match args.addr {
        Some(addr) => addr,
        None => {
            let (child, addr) = start_collector(&data_dir, args.database_url.as_deref())?;
            collector = Some(child);
            addr
        }
    };
    let result = run(&args, addr).await;
    if let Some(mut child) = collector {
        let _ = child.kill();
        let _ = child.wait();
    }
    let _ = std::fs::remove_dir_all(&data_dir);
    result
}

async fn run(args: &Args, addr: SocketAddr) -> anyhow::Result<()> {
    // The bodies are built before the clock starts: the test measures the collector.
    let distinct = build_batches(args.batches);
    let resends = args.batches * args.resend_percent / 100;
    let mut bodies: Vec<String> = distinct.clone();
    // Re-sends of earlier batches, interleaved: a beacon retried after a lost answer.
    for i in 0..resends {
        let at = (i * 97 + 13) % bodies.len();
        let copy = distinct[(i * 7919) % distinct.len()].clone();
        bodies.insert(at.max(1), copy);
    }
    let before = stored_count(addr).await?;

    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.connections {
        let (bodies, next) = (Arc::clone(&bodies), Arc::clone(&next));
        workers.spawn(async move {
            let mut connection = Connection::open(addr).await?;
            let mut outcomes = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else {
                    return anyhow::Ok(outcomes);
                };
                let sent = Instant::now();
                let (status, _) = connection.request("POST", "/v1/signals", body).await?;
                outcomes.push(Outcome {
                    status,
                    latency: sent.elapsed(),
                });
            }
        });
    }
    let mut outcomes = Vec::with_capacity(bodies.len());
    for worker in workers.join_all().await {
        outcomes.extend(worker?);
    }
    let elapsed = started.elapsed();
    let after = stored_count(addr).await?;

    let accepted = outcomes.iter().filter(|o| o.status == 202).count();
    let duplicates = outcomes.iter().filter(|o| o.status == 200).count();
    let failed = outcomes.len() - accepted - duplicates;
    let mut latencies: Vec<Duration> = outcomes.iter().map(|o| o.latency).collect();
    latencies.sort();
    let percentile = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    println!(
        "{} requests ({} distinct batches, {} re-sends) over {} connections in {:.2} s",
        outcomes.len(),
        args.batches,
        resends,
        args.connections,
        elapsed.as_secs_f64()
    );
    println!(
        "{:.0} batches/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        outcomes.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(0.5)),
        ms(percentile(0.99)),
        ms(percentile(1.0))
    );
    println!(
        "answers: {accepted} accepted, {duplicates} duplicate, {failed} other; \
         stored {} new rows",
        after - before
    );
    ensure!(
        failed == 0,
        "{failed} requests were neither accepted nor duplicates"
    );
    ensure!(
        accepted == args.batches && duplicates == resends,
        "expected {} accepted and {resends} duplicates",
        args.batches
    );
    ensure!(
        after - before == accepted as u64,
        "lost or doubled: {accepted} accepted but {} rows stored",
        after - before
    );
    println!("nothing lost: stored == accepted, every re-send answered duplicate");
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Distinct batches as the SDK builds them, from shoppers spread over the categories.
fn build_batches(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let mut profile = Profile::default();
            let product = Product {
                id: format!("{i}"),
                category: Some(format!("{}.x", INTEREST_DOMAIN[i % INTEREST_DOMAIN.len()])),
                brand: None,
                price: Some(10.0),
            };
            profile.apply(&Event::ProductViewed { product }, 1_000.0);
            let arm = if i % 10 == 0 {
                Arm::Holdout
            } else {
                Arm::Personalized
            };
            let batch = SignalBatch::from_profile(
                &profile,
                arm,
                FunnelStage::Impression,
                DEFAULT_DAILY_EPSILON,
                &mut SystemEntropy,
            );
            batch.to_json()
        })
        .collect()
}

async fn stored_count(addr: SocketAddr) -> anyhow::Result<u64> {
    let mut connection = Connection::open(addr).await?;
    let (status, body) = connection.request("GET", "/v1/signals/count", "").await?;
    ensure!(status == 200, "GET /v1/signals/count answered {status}");
    let json: serde_json::Value = serde_json::from_slice(&body)?;
    json["batches"].as_u64().context("a count in the answer")
}

/// One keep-alive HTTP/1.1 connection.
struct Connection {
    stream: AsyncBufReader<TcpStream>,
    host: String,
}

impl Connection {
    async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream: AsyncBufReader::new(stream),
            host: addr.to_string(),
        })
    }

    async fn request(
        &mut self,
        method: &str,
        path: &str,
        body: &str,
    ) -> anyhow::Result<(u16, Vec<u8>)> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let stream = self.stream.get_mut();
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;

        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("not an HTTP status line: {line:?}"))?;
        let mut length = 0;
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                bail!("the connection closed mid-answer");
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse()?;
                }
            }
        }
        let mut answer = vec![0; length];
        self.stream.read_exact(&mut answer).await?;
        Ok((status, answer))
    }
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("vitrine-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// `vitrine-demo --collector-only` on a free port; its first stdout line names the address.
fn start_collector(
    data_dir: &std::path::Path,
    database_url: Option<&str>,
) -> anyhow::Result<(Child, SocketAddr)> {
    let binary = std::env::current_exe()?.with_file_name("vitrine-demo");
    let mut command = Command::new(&binary);
    command
        .args(["--collector-only", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::piped());
    if let Some(url) = database_url {
        command.args(["--database-url", url]);
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {} (cargo build --release)", binary.display()))?;
    let stdout = child.stdout.take().context("the collector's stdout")?;
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first)?;
    let addr = first
        .trim()
        .rsplit("http://")
        .next()
        .and_then(|a| a.parse().ok())
        .with_context(|| format!("the collector printed {first:?}, not its address"))?;
    Ok((child, addr))
}

fn parse_args(mut args: impl Iterator<Item = String>) -> anyhow::Result<Option<Args>> {
    let mut parsed = Args {
        batches: 20_000,
        connections: 16,
        resend_percent: 5,
        addr: None,
        database_url: None,
    };
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        let count = || -> anyhow::Result<usize> {
            value
                .parse()
                .with_context(|| format!("{flag}: expected a whole number, got {value:?}"))
        };
        match flag.as_str() {
            "--batches" => parsed.batches = count()?.max(1),
            "--connections" => parsed.connections = count()?.max(1),
            "--resend-percent" => parsed.resend_percent = count()?.min(100),
            "--addr" => {
                parsed.addr = Some(
                    value
                        .parse()
                        .with_context(|| format!("--addr: expected HOST:PORT, got {value:?}"))?,
                );
            }
            "--database-url" => parsed.database_url = Some(value),
            _ => bail!("unknown flag {flag:?}\n\n{USAGE}"),
        }
    }
    Ok(Some(parsed))
}
