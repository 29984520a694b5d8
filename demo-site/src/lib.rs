//! # vitrine-demo
//!
//! The Vitrine demo store and the reference signal collector, in one small server.
//!
//! - [`catalogue`]: the products, from the committed `catalogue/products.csv` (REES46 data);
//! - [`selection`]: the server's own choice and order of candidates for each widget;
//! - [`html`] and [`pages`]: server-rendered pages that follow the SDK's DOM contract;
//! - [`collector`] and [`store`]: `POST /v1/signals`, validated by the core crate and kept
//!   once per batch id in SQLite or PostgreSQL;
//! - [`estimate`] and [`aggregate`]: the noise decoded into population estimates with
//!   intervals, published at `GET /v1/estimates` from 50 distinct shoppers on;
//! - [`dashboard`]: the page that plots them;
//! - [`assets`]: the SDK package, the model and the demo's own script, served as files;
//! - [`config`]: flags and their defaults.
//!
//! [`Server`] puts these together. The binary (`main.rs`) only parses flags and runs it; with
//! `--collector-only` it serves the collector and its dashboard alone, without the store.

pub mod aggregate;
pub mod assets;
pub mod catalogue;
pub mod collector;
pub mod config;
pub mod dashboard;
pub mod estimate;
pub mod html;
pub mod pages;
pub mod request_log;
pub mod selection;
pub mod store;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::{FromRef, Path, RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;

use crate::assets::Caching;
use crate::catalogue::Catalogue;
pub use crate::config::Config;
use crate::request_log::RequestLog;
use crate::store::SignalStore;

/// Scripts only from this origin, plus WebAssembly compilation for the SDK; no inline script.
/// Inline styles stay allowed: the SDK may style what it reorders.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
     script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// What the store's handlers can reach.
#[derive(Clone)]
struct AppState {
    catalogue: Arc<Catalogue>,
    files: Arc<Files>,
}

/// The folders and files served as they are.
struct Files {
    sdk_dir: PathBuf,
    model: PathBuf,
    static_dir: PathBuf,
    /// The charting library's browser build, for the dashboard.
    chart_js: PathBuf,
}

impl FromRef<AppState> for Arc<Catalogue> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.catalogue)
    }
}

/// What the collector's handlers can reach.
#[derive(Clone)]
pub struct CollectorState {
    store: SignalStore,
    request_log: RequestLog,
    fail_signals: collector::FailSignals,
    daily_epsilon: f64,
    files: Arc<Files>,
}

impl FromRef<CollectorState> for RequestLog {
    fn from_ref(state: &CollectorState) -> Self {
        state.request_log.clone()
    }
}

impl FromRef<CollectorState> for collector::FailSignals {
    fn from_ref(state: &CollectorState) -> Self {
        state.fail_signals
    }
}

impl FromRef<CollectorState> for SignalStore {
    fn from_ref(state: &CollectorState) -> Self {
        state.store.clone()
    }
}

/// The daily ε the devices enforce, as configured.
#[derive(Debug, Clone, Copy)]
pub struct DailyEpsilon(pub f64);

impl FromRef<CollectorState> for DailyEpsilon {
    fn from_ref(state: &CollectorState) -> Self {
        DailyEpsilon(state.daily_epsilon)
    }
}

/// The demo, loaded and bound to its address, ready to [`Server::run`].
pub struct Server {
    listener: TcpListener,
    router: Router,
}

impl Server {
    /// Loads the catalogue (unless collector-only), opens the signal store and binds the
    /// address.
    ///
    /// # Errors
    /// The catalogue cannot be read, the data folder or database cannot be opened, or the
    /// address cannot be bound.
    pub async fn bind(config: &Config) -> anyhow::Result<Self> {
        let store = SignalStore::open(&config.data_dir, config.database_url.as_deref()).await?;
        let request_log = RequestLog::open(config.request_log.as_deref())?;
        let files = Arc::new(Files {
            sdk_dir: config.sdk_dir.clone(),
            model: config.model.clone(),
            static_dir: config.static_dir.clone(),
            chart_js: config.chart_js.clone(),
        });
        let collector = collector_router(CollectorState {
            store,
            request_log,
            fail_signals: collector::FailSignals(config.fail_signals),
            daily_epsilon: config.daily_epsilon,
            files: Arc::clone(&files),
        });
        let router = if config.collector_only {
            collector.fallback(collector::not_found)
        } else {
            let catalogue = Arc::new(Catalogue::load(&config.catalogue)?);
            store_router(AppState { catalogue, files }).merge(collector)
        };
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("listening on {}", config.addr))?;
        let router = router.layer(axum::middleware::map_response(security_headers));
        Ok(Server { listener, router })
    }

    /// The address actually bound (useful with port 0).
    ///
    /// # Errors
    /// The socket has no local address (it always does once bound).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    ///
    /// # Errors
    /// The listener failed.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
    }
}

/// The store's pages and files.
fn store_router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/search", get(pages::search))
        .route("/product/{id}", get(pages::product))
        .route("/cart", get(pages::cart))
        .route("/privacy", get(pages::privacy))
        .route("/vitrine/{*path}", get(sdk_file))
        .route("/models/ranker.onnx", get(model_file))
        .fallback(pages::fallback)
        .with_state(state)
}

/// The collector, its dashboard and the static files both need: all that runs on its own.
fn collector_router(state: CollectorState) -> Router {
    Router::new()
        .route("/v1/signals", post(collector::receive))
        .route("/v1/signals/count", get(collector::count))
        .route("/v1/estimates", get(collector::estimates))
        .route("/dashboard", get(dashboard::page))
        .route("/static/{*path}", get(static_file))
        .route(dashboard::CHART_JS_PATH, get(chart_js_file))
        .with_state(state)
}

async fn sdk_file(
    State(state): State<AppState>,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let caching = Caching::for_sdk_file(&path, query.as_deref());
    assets::serve_from(&state.files.sdk_dir, &path, caching).await
}

async fn static_file(State(state): State<CollectorState>, Path(path): Path<String>) -> Response {
    assets::serve_from(&state.files.static_dir, &path, Caching::Revalidate).await
}

async fn chart_js_file(State(state): State<CollectorState>) -> Response {
    assets::serve_file(
        &state.files.chart_js,
        "text/javascript",
        Caching::Revalidate,
    )
    .await
}

async fn model_file(State(state): State<AppState>) -> Response {
    let octets = "application/octet-stream";
    assets::serve_file(&state.files.model, octets, Caching::Revalidate).await
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
