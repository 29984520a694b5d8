//! The reference collector: `POST /v1/signals`, `GET /v1/signals/count` and
//! `GET /v1/estimates`.
//!
//! A batch is checked in the order that costs least first: content type (415), size (413),
//! then shape and ranges with the core's own [`SignalBatch::parse`] (400). Accepted batches
//! are stored once per `batch_id`: a re-send (a beacon retried after a lost response) is
//! answered 200 `duplicate`, a new one 202 `accepted`. Every answer is JSON.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::json;
use vitrine::signals::{SignalBatch, MAX_BATCH_BYTES};

use crate::request_log::RequestLog;
use crate::store::{SignalStore, Stored};
use crate::{aggregate, DailyEpsilon};

/// A request the collector turns down: `{"error": code, "reason": reason}` with a status.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    code: &'static str,
    reason: String,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, reason: impl Into<String>) -> Self {
        Refusal {
            status,
            code,
            reason: reason.into(),
        }
    }

    /// A storage failure. Its cause stays in our log: it tells a shopper's browser nothing.
    fn storage(what: &str, cause: anyhow::Error) -> Self {
        eprintln!("vitrine-demo: {what}: {cause:#}");
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "storage",
            format!("could not {what}"),
        )
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        json_response(
            self.status,
            json!({ "error": self.code, "reason": self.reason }),
        )
    }
}

/// The test-only `--fail-signals` status, if the demo was started with it.
#[derive(Debug, Clone, Copy)]
pub struct FailSignals(pub Option<u16>);

/// `POST /v1/signals`.
pub async fn receive(
    State(store): State<SignalStore>,
    State(log): State<RequestLog>,
    State(fail): State<FailSignals>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Refusal> {
    check_content_type(&headers)?;
    let bytes = read_limited(&headers, body).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    log.record(content_type, headers.contains_key(header::COOKIE), &bytes);
    if let Some(status) = fail.0.and_then(|s| StatusCode::from_u16(s).ok()) {
        return Err(Refusal::new(
            status,
            "test_failure",
            "this demo was started with --fail-signals",
        ));
    }
    let batch = SignalBatch::parse(&bytes)
        .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, e.code(), e.to_string()))?;
    let stored = store
        .insert(batch)
        .await
        .map_err(|e| Refusal::storage("store the batch", e))?;
    Ok(match stored {
        Stored::New => json_response(StatusCode::ACCEPTED, json!({ "status": "accepted" })),
        Stored::Duplicate => json_response(StatusCode::OK, json!({ "status": "duplicate" })),
    })
}

/// `GET /v1/signals/count`: `{"batches": n}`.
pub async fn count(State(store): State<SignalStore>) -> Result<Response, Refusal> {
    let n = store
        .count()
        .await
        .map_err(|e| Refusal::storage("count the batches", e))?;
    Ok(json_response(StatusCode::OK, json!({ "batches": n })))
}

/// `GET /v1/estimates`: the decoded aggregates of every stored batch (see [`aggregate`]).
///
/// Decoding reads every row: 0.5–1.5 s for 10⁵ SQLite rows on a busy 2-core machine, fine
/// for the reference collector, not for years of a big store's traffic, which would keep
/// the decoders' running sums per day instead.
pub async fn estimates(
    State(store): State<SignalStore>,
    State(DailyEpsilon(daily_epsilon)): State<DailyEpsilon>,
) -> Result<Response, Refusal> {
    let batches = store
        .batches()
        .await
        .map_err(|e| Refusal::storage("read the batches", e))?;
    let estimates = aggregate::estimates(&batches, daily_epsilon);
    let value = serde_json::to_value(estimates)
        .map_err(|e| Refusal::storage("encode the estimates", e.into()))?;
    Ok(json_response(StatusCode::OK, value))
}

/// Any other path when the collector runs on its own.
pub async fn not_found() -> Refusal {
    Refusal::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "the collector serves /v1/signals, /v1/signals/count, /v1/estimates and /dashboard",
    )
}

/// JSON, or `text/plain` because `navigator.sendBeacon` with a string body sends that and
/// nothing else can be chosen without a preflight.
fn check_content_type(headers: &HeaderMap) -> Result<(), Refusal> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence == "text/plain" {
        return Ok(());
    }
    let got = if value.is_empty() {
        "none".to_string()
    } else {
        format!("{value:?}")
    };
    Err(Refusal::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!("content-type must be application/json or text/plain, got {got}"),
    ))
}

/// The body, refused with 413 past [`MAX_BATCH_BYTES`]: early from `Content-Length` when
/// the client declares it, otherwise as soon as the stream goes over.
async fn read_limited(headers: &HeaderMap, body: Body) -> Result<Vec<u8>, Refusal> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BATCH_BYTES as u64) {
        return Err(too_large());
    }
    match Limited::new(body, MAX_BATCH_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes().to_vec()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(e) => Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "malformed_input",
            format!("could not read the body: {e}"),
        )),
    }
}

fn too_large() -> Refusal {
    Refusal::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("a signal batch is at most {MAX_BATCH_BYTES} bytes"),
    )
}

fn json_response(status: StatusCode, value: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}
