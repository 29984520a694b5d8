//! The signal collector over real HTTP: accept, refuse, dedupe, count, store.

mod common;

use std::io::{Read, Write};

use common::TestServer;
use vitrine::event::{Event, Product};
use vitrine::offline::rng::SplitMix64;
use vitrine::profile::Profile;
use vitrine::signals::{Entropy, SignalBatch, DEFAULT_DAILY_EPSILON, MAX_BATCH_BYTES};

/// A deterministic byte stream (the replay's SplitMix64), for tests only: on a device this
/// must be a CSPRNG, or the noise could be undone.
struct TestEntropy(SplitMix64);

impl Entropy for TestEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            chunk.copy_from_slice(&self.0.next_u64().to_le_bytes()[..chunk.len()]);
        }
    }
}

/// A batch as the SDK would build it, from a shopper who looked at a phone.
fn batch(seed: u64) -> SignalBatch {
    let mut profile = Profile::default();
    let product = Product {
        id: "1004237".into(),
        category: Some("electronics.smartphone".into()),
        brand: Some("apple".into()),
        price: Some(1081.98),
    };
    profile.apply(&Event::ProductViewed { product }, 1_000.0);
    SignalBatch::from_profile(
        &profile,
        vitrine::signals::Arm::Personalized,
        vitrine::funnel::FunnelStage::Click,
        DEFAULT_DAILY_EPSILON,
        &mut TestEntropy(SplitMix64::new(seed)),
    )
}

#[tokio::test]
async fn accepts_a_batch_once_and_counts_it() {
    let server = TestServer::start().await;
    assert_eq!(server.batch_count().await, 0);

    let json = batch(1).to_json();
    let first = server.post_signals("application/json", json.clone()).await;
    assert_eq!(
        (first.status, first.json["status"].as_str()),
        (202, Some("accepted"))
    );
    let again = server.post_signals("application/json", json).await;
    assert_eq!(
        (again.status, again.json["status"].as_str()),
        (200, Some("duplicate"))
    );
    assert_eq!(server.batch_count().await, 1);

    // What sendBeacon sends: a string body is text/plain, with a charset.
    let beacon = server
        .post_signals("text/plain;charset=UTF-8", batch(2).to_json())
        .await;
    assert_eq!(beacon.status, 202);
    assert_eq!(server.batch_count().await, 2);
}

#[tokio::test]
async fn stores_the_batch_fields_in_sqlite_in_wal_mode() {
    let server = TestServer::start().await;
    let sent = batch(3);
    assert_eq!(
        server
            .post_signals("application/json", sent.to_json())
            .await
            .status,
        202
    );

    let path = server.data_dir.path().join("data/signals.sqlite");
    let db = rusqlite::Connection::open(&path).unwrap();
    let mode: String = db
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let (id, received, schema, epsilon, interest, band): (String, String, u32, f64, String, u8) =
        db.query_row(
            "SELECT batch_id, received_at, schema, epsilon, interest, engagement_band FROM signals",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(id, sent.batch_id);
    assert!(
        received.starts_with("20") && received.ends_with('Z'),
        "{received}"
    );
    assert_eq!(
        (schema, epsilon, band),
        (sent.schema, sent.epsilon, sent.engagement_band)
    );
    assert_eq!(
        serde_json::from_str::<Vec<u8>>(&interest).unwrap(),
        sent.interest
    );
}

#[tokio::test]
async fn refuses_bad_batches_naming_the_field() {
    let server = TestServer::start().await;
    let good = batch(4);

    let mut bit = good.clone();
    bit.interest[3] = 2;
    let mut id = good.clone();
    id.batch_id = "not-hex".into();
    let mut band = good.clone();
    band.engagement_band = 9;
    let extra = good
        .to_json()
        .replacen('{', r#"{"product_id":"1004237","#, 1);
    let cases = [
        (bit.to_json(), "invalid_field", "interest[3]"),
        (id.to_json(), "invalid_field", "batch_id"),
        (band.to_json(), "invalid_field", "engagement_band"),
        (
            good.to_json().replace("1.0986", "-1.0986"),
            "invalid_field",
            "epsilon",
        ),
        (extra, "malformed_input", "product_id"),
        ("not json".to_string(), "malformed_input", "malformed"),
        (String::new(), "malformed_input", "malformed"),
    ];
    for (body, code, field) in cases {
        let answer = server.post_signals("application/json", body.clone()).await;
        assert_eq!(answer.status, 400, "{body}");
        assert_eq!(answer.json["error"], code, "{body}");
        let reason = answer.json["reason"].as_str().unwrap();
        assert!(reason.contains(field), "{reason:?} should name {field}");
    }
    assert_eq!(server.batch_count().await, 0);
}

#[tokio::test]
async fn refuses_other_content_types() {
    let server = TestServer::start().await;
    for content_type in [
        "application/x-www-form-urlencoded",
        "text/html",
        "multipart/form-data",
    ] {
        let answer = server.post_signals(content_type, batch(5).to_json()).await;
        assert_eq!(answer.status, 415, "{content_type}");
        assert_eq!(answer.json["error"], "unsupported_media_type");
    }
    let response = server
        .client
        .post(server.url("/v1/signals"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415, "no content type at all");
    assert_eq!(server.batch_count().await, 0);
}

#[tokio::test]
async fn refuses_oversize_bodies_with_a_reason() {
    let server = TestServer::start().await;

    // A valid batch padded with whitespace past the limit: declared by Content-Length.
    let padded = format!("{}{}", batch(6).to_json(), " ".repeat(MAX_BATCH_BYTES));
    let answer = server.post_signals("application/json", padded).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.json["error"], "payload_too_large");
    assert!(answer.json["reason"].as_str().unwrap().contains("16384"));

    // Exactly at the limit is fine.
    let json = batch(7).to_json();
    let at_limit = format!("{json}{}", " ".repeat(MAX_BATCH_BYTES - json.len()));
    assert_eq!(
        server
            .post_signals("application/json", at_limit)
            .await
            .status,
        202
    );

    // Chunked, with no length declared: refused once the stream goes over.
    let chunk = " ".repeat(4096);
    let mut request = format!(
        "POST /v1/signals HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        server.addr
    );
    for _ in 0..5 {
        request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    request.push_str("0\r\n\r\n");
    let addr = server.addr;
    let reply = tokio::task::spawn_blocking(move || raw_exchange(addr, &request))
        .await
        .unwrap();
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains(r#""error":"payload_too_large""#), "{reply}");

    assert_eq!(server.batch_count().await, 1);
}

/// Sends `request` as is and reads what comes back until the server closes.
fn raw_exchange(addr: std::net::SocketAddr, request: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    // The server may close (even reset) before reading the rest of a refused body; what it
    // sent before that is the answer.
    while let Ok(n @ 1..) = stream.read(&mut buf) {
        reply.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test]
async fn the_collector_only_takes_posts() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/v1/signals").await.status(), 405);
    let response = server
        .client
        .post(server.url("/v1/signals/count"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
}
