//! One behavioural suite, run against each storage backend: SQLite in a temporary folder, and
//! a real PostgreSQL server started for the test. Every behaviour gets a fresh database.

mod common;

use std::sync::Arc;

use common::postgres::TempPostgres;
use common::TestServer;
use serde_json::Value;
use vitrine::event::{Event, Product};
use vitrine::funnel::FunnelStage;
use vitrine::offline::rng::SplitMix64;
use vitrine::profile::Profile;
use vitrine::signals::{Arm, Entropy, SignalBatch, DEFAULT_DAILY_EPSILON, INTEREST_DOMAIN};
use vitrine_demo::store::SignalStore;

/// A deterministic byte stream for tests only: on a device this must be a CSPRNG.
struct TestEntropy(SplitMix64);

impl Entropy for TestEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            chunk.copy_from_slice(&self.0.next_u64().to_le_bytes()[..chunk.len()]);
        }
    }
}

/// A batch as the SDK builds it, from a shopper who viewed a product of `category`.
fn batch(seed: u64, category: &str, arm: Arm, funnel: FunnelStage, epsilon: f64) -> SignalBatch {
    let mut profile = Profile::default();
    let product = Product {
        id: format!("p{seed}"),
        category: Some(format!("{category}.item")),
        brand: None,
        price: Some(10.0),
    };
    profile.apply(&Event::ProductViewed { product }, 1_000.0);
    let mut entropy = TestEntropy(SplitMix64::new(seed));
    SignalBatch::from_profile(&profile, arm, funnel, epsilon, &mut entropy)
}

fn simple(seed: u64) -> SignalBatch {
    batch(
        seed,
        "electronics",
        Arm::Personalized,
        FunnelStage::Impression,
        DEFAULT_DAILY_EPSILON,
    )
}

enum Backend {
    Sqlite,
    Postgres(TempPostgres),
}

impl Backend {
    /// A collector on a fresh database, and a second handle on that database to look inside.
    async fn server(&mut self, daily_epsilon: f64) -> (TestServer, SignalStore) {
        let url = match self {
            Backend::Sqlite => None,
            Backend::Postgres(postgres) => Some(postgres.database().await),
        };
        let for_config = url.clone();
        let server = TestServer::start_with(move |config| {
            config.database_url = for_config;
            config.daily_epsilon = daily_epsilon;
        })
        .await;
        let store = SignalStore::open(&server.data_dir.path().join("data"), url.as_deref())
            .await
            .expect("a second handle on the same database");
        (server, store)
    }
}

async fn suite(mut backend: Backend) {
    stores_each_batch_once_and_reads_it_back(backend.server(DEFAULT_DAILY_EPSILON).await).await;
    concurrent_resends_are_stored_once(backend.server(DEFAULT_DAILY_EPSILON).await).await;
    refuses_bad_fields_and_stores_nothing(backend.server(DEFAULT_DAILY_EPSILON).await).await;
    publishes_from_fifty_shoppers_on(backend.server(DEFAULT_DAILY_EPSILON).await).await;
    decodes_estimates_near_the_truth(backend.server(4.0).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backend() {
    suite(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backend() {
    suite(Backend::Postgres(TempPostgres::start().await)).await;
}

async fn stores_each_batch_once_and_reads_it_back((server, store): (TestServer, SignalStore)) {
    let sent = [simple(1), simple(2)];
    for b in &sent {
        let first = server.post_signals("application/json", b.to_json()).await;
        assert_eq!(
            (first.status, first.json["status"].as_str()),
            (202, Some("accepted"))
        );
        let again = server
            .post_signals("text/plain;charset=UTF-8", b.to_json())
            .await;
        assert_eq!(
            (again.status, again.json["status"].as_str()),
            (200, Some("duplicate"))
        );
    }
    assert_eq!(server.batch_count().await, 2);

    let mut kept = store.batches().await.unwrap();
    kept.sort_by(|a, b| a.batch.batch_id.cmp(&b.batch.batch_id));
    let mut expected = sent.to_vec();
    expected.sort_by(|a, b| a.batch_id.cmp(&b.batch_id));
    assert_eq!(
        kept.iter().map(|k| &k.batch).collect::<Vec<_>>(),
        expected.iter().collect::<Vec<_>>()
    );
    let today = vitrine_demo::store::utc_day(std::time::SystemTime::now());
    assert!(kept.iter().all(|k| (today - 1..=today).contains(&k.day)));
}

async fn concurrent_resends_are_stored_once((server, _store): (TestServer, SignalStore)) {
    // 8 copies of each of 16 batches, all in flight at once: the unique key decides.
    let server = Arc::new(server);
    let mut tasks = tokio::task::JoinSet::new();
    for _copy in 0..8 {
        for seed in 0..16 {
            let server = Arc::clone(&server);
            tasks.spawn(async move {
                let body = simple(100 + seed).to_json();
                server.post_signals("application/json", body).await.status
            });
        }
    }
    let statuses = tasks.join_all().await;
    assert_eq!(statuses.iter().filter(|&&s| s == 202).count(), 16);
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 16 * 7);
    assert_eq!(server.batch_count().await, 16);
}

async fn refuses_bad_fields_and_stores_nothing((server, _store): (TestServer, SignalStore)) {
    let good = simple(7).to_json();
    let cases = [
        ("schema", good.replace("\"schema\":2", "\"schema\":1")),
        (
            "arm",
            good.replace("\"arm\":\"personalized\"", "\"arm\":\"control\""),
        ),
        ("segment", replace_number(&good, "segment", "8")),
        ("funnel", replace_number(&good, "funnel", "4")),
        ("epsilon", replace_number(&good, "epsilon", "11")),
    ];
    for (field, body) in cases {
        assert_ne!(body, good, "the {field} case changes the batch");
        let answer = server.post_signals("application/json", body).await;
        assert_eq!(answer.status, 400, "{field}: {}", answer.json);
        let reason = answer.json["reason"].as_str().unwrap();
        assert!(reason.contains(&format!("`{field}`")), "{field}: {reason}");
    }
    assert_eq!(server.batch_count().await, 0);
}

/// `json` with the number after `"field":` replaced.
fn replace_number(json: &str, field: &str, with: &str) -> String {
    let key = format!("\"{field}\":");
    let start = json.find(&key).expect("the field is there") + key.len();
    let end = start + json[start..].find([',', '}']).expect("the number ends");
    format!("{}{with}{}", &json[..start], &json[end..])
}

async fn estimates(server: &TestServer) -> Value {
    let response = server.get("/v1/estimates").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn publishes_from_fifty_shoppers_on((server, _store): (TestServer, SignalStore)) {
    for seed in 0..49 {
        assert_eq!(
            server
                .post_signals("application/json", simple(seed).to_json())
                .await
                .status,
            202
        );
    }
    let held = estimates(&server).await;
    assert_eq!(held["batches"], 49);
    assert_eq!(held["interest"]["published"], false);
    assert_eq!(held["interest"]["shoppers_at_least"], 49);
    assert!(held["interest"]["reason"]
        .as_str()
        .unwrap()
        .contains("50 distinct shoppers"));
    assert!(held["interest"].get("values").is_none(), "{held}");
    assert_eq!(held["uplift"]["published"], false);

    server
        .post_signals("application/json", simple(49).to_json())
        .await;
    let published = estimates(&server).await;
    assert_eq!(published["interest"]["published"], true);
    assert_eq!(
        published["interest"]["values"].as_array().unwrap().len(),
        INTEREST_DOMAIN.len()
    );
    assert_eq!(published["arms"]["personalized"]["published"], true);
    // Nobody is in the holdout arm yet, so neither it nor the uplift is published.
    assert_eq!(published["arms"]["holdout"]["published"], false);
    assert_eq!(published["uplift"]["published"], false);
}

async fn decodes_estimates_near_the_truth((server, _store): (TestServer, SignalStore)) {
    // 3,000 shoppers at ε = 4 (the collector told that devices allow 4 a day): 60% of them
    // into electronics, 40% appliances; half in each arm, and in each arm every tenth of
    // the shoppers at a fixed funnel stage, the personalized arm clicking more.
    let server = Arc::new(server);
    let mut tasks = tokio::task::JoinSet::new();
    let shoppers = 3_000u64;
    for seed in 0..shoppers {
        let server = Arc::clone(&server);
        tasks.spawn(async move {
            let category = if seed % 5 < 3 {
                "electronics"
            } else {
                "appliances"
            };
            let arm = if seed % 2 == 0 {
                Arm::Personalized
            } else {
                Arm::Holdout
            };
            let funnel = match (arm, (seed / 2) % 10) {
                (_, 0..=1) => FunnelStage::None,
                (Arm::Personalized, 2..=5) | (Arm::Holdout, 2..=7) => FunnelStage::Impression,
                (Arm::Personalized, 6..=8) | (Arm::Holdout, 8) => FunnelStage::Click,
                _ => FunnelStage::CartAdd,
            };
            let body = batch(10_000 + seed, category, arm, funnel, 4.0).to_json();
            server.post_signals("application/json", body).await.status
        });
    }
    assert!(tasks.join_all().await.iter().all(|&s| s == 202));
    let answer = estimates(&server).await;
    assert_eq!(answer["batches"], shoppers);

    let interest = &answer["interest"]["values"];
    for (i, label) in INTEREST_DOMAIN.iter().enumerate() {
        let truth = match *label {
            "electronics" => 0.6,
            "appliances" => 0.4,
            _ => 0.0,
        };
        assert_eq!(interest[i]["label"], *label);
        near(&interest[i], truth, label);
    }
    // Of the 8 tenths that saw a widget, personalized: 4 clicked, 1 of them added to the
    // cart; holdout: 2 clicked, 1 added.
    let arms = &answer["arms"];
    near(
        &arms["personalized"]["click_through"],
        0.5,
        "personalized CTR",
    );
    near(&arms["holdout"]["click_through"], 0.25, "holdout CTR");
    near(
        &arms["holdout"]["add_to_cart"],
        0.125,
        "holdout add-to-cart",
    );
    near(&answer["uplift"]["click_through"], 0.25, "CTR uplift");
    near(&answer["uplift"]["add_to_cart"], 0.0, "add-to-cart uplift");
}

/// The estimate lies within two interval half-widths of the truth (about four standard
/// errors: a failure is a wrong decoder or a wrong variance, not bad luck), and the interval
/// is not vacuous.
fn near(interval: &Value, truth: f64, what: &str) {
    let get = |key: &str| {
        interval[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{what}: {interval}"))
    };
    let (estimate, low, high) = (get("estimate"), get("low"), get("high"));
    let half = (high - low) / 2.0;
    assert!(half > 0.0 && half < 0.3, "{what}: interval {interval}");
    assert!(
        (estimate - truth).abs() <= 2.0 * half,
        "{what}: {interval}, truth {truth}"
    );
}
