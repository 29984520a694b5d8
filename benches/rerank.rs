//! `cargo bench --bench rerank`: where a re-rank's time goes, natively, part by part.
//!
//! The browser benchmark (`make bench`) compares the whole re-rank with onnxruntime-web; this
//! one splits it (features, the model, the blend and policy) so that work on one part can be
//! measured in seconds instead of a wasm build. The shopper and the candidates are the ones
//! `bench/page.mjs` uses: 40 events over the demo catalogue, then lists of real products.

use std::hint::black_box;
use std::time::Instant;

use vitrine::event::{Event, Product, WidgetKind};
use vitrine::features::{self, Candidate};
use vitrine::model::Scorer;
use vitrine::profile::Profile;
use vitrine::ranker::{self, Policy, Slot};

const CATALOGUE: &str = include_str!("../demo-site/catalogue/products.csv");
const MODEL: &[u8] = include_bytes!("../models/ranker.onnx");
const NOW_MS: f64 = 1_750_000_000_000.0;

fn main() {
    let products = catalogue();
    let profile = shopper(&products);
    let scorer = Scorer::from_onnx(MODEL).expect("the shipped model loads");
    let policy = Policy::default();

    println!("native, µs per call (median of 15 runs, each averaged over ~20000 candidates)");
    println!(
        "{:>6} {:>10} {:>10} {:>10} {:>10}",
        "N", "features", "model", "rule", "rank"
    );
    for n in [1, 100, 1000] {
        let candidates: Vec<Candidate> = (0..n)
            .map(|i| Candidate {
                product: products[(i * 7 + 3) % products.len()].clone(),
                server_position: i as u32,
            })
            .collect();
        let rows = features::extract(&profile, &candidates, NOW_MS);
        let scores = scorer.score(&rows).expect("the model scores");
        let slots: Vec<Slot<'_>> = candidates
            .iter()
            .map(|c| Slot {
                brand: c.product.brand.as_deref(),
                pinned: false,
            })
            .collect();
        let repeats = (20_000 / n).max(1);
        let features = time(repeats, || features::extract(&profile, &candidates, NOW_MS));
        let model = time(repeats, || scorer.score(&rows).expect("the model scores"));
        let rule = time(repeats, || ranker::rule_scores(&rows));
        let rank = time(repeats, || ranker::rank(&scores, &rows, &slots, &policy));
        println!("{n:>6} {features:>10.2} {model:>10.2} {rule:>10.2} {rank:>10.2}");
    }
}

/// The demo catalogue's products, as the page describes them.
fn catalogue() -> Vec<Product> {
    CATALOGUE
        .lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            Product {
                id: fields[0].to_owned(),
                category: Some(fields[1].to_owned()).filter(|c| !c.is_empty()),
                brand: Some(fields[2].to_owned()).filter(|b| !b.is_empty()),
                price: fields[3].parse().ok(),
            }
        })
        .collect()
}

/// The benchmark page's shopper: 40 views, clicks and cart adds spread over the catalogue.
fn shopper(products: &[Product]) -> Profile {
    let mut profile = Profile::default();
    for i in 0..40 {
        let product = products[(i * 37) % products.len()].clone();
        let event = match i % 4 {
            0 | 1 => Event::ProductViewed { product },
            2 => Event::ProductClicked {
                product,
                widget: Some(WidgetKind::Search),
                position: Some((i % 10) as u32),
            },
            _ => Event::AddedToCart {
                product,
                quantity: 1,
            },
        };
        profile.apply(&event, NOW_MS - 60_000.0 * (40 - i) as f64);
    }
    profile
}

/// Median over 15 runs of the mean time of one call, in µs.
fn time<T>(repeats: usize, mut f: impl FnMut() -> T) -> f64 {
    let mut runs: Vec<f64> = (0..15)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..repeats {
                black_box(f());
            }
            started.elapsed().as_secs_f64() * 1e6 / repeats as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}
