//! A real demo server on 127.0.0.1 with an ephemeral port and its own temporary data folder.

#![allow(dead_code)] // Each test file uses its own part of this.

pub mod postgres;

use std::net::SocketAddr;

use scraper::{ElementRef, Html, Selector};
use tokio::sync::oneshot;
use vitrine_demo::{Config, Server};

pub struct TestServer {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub data_dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// Starts with the default config, changed by `adjust`; the data folder is always a
    /// fresh temporary one.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let data_dir = tempfile::tempdir().expect("a temporary data folder");
        let mut config = Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..Config::default()
        };
        adjust(&mut config);
        config.data_dir = data_dir.path().join("data");
        let server = Server::bind(&config).await.expect("the demo starts");
        let addr = server.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            client: reqwest::Client::new(),
            data_dir,
            stop: Some(stop),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("GET reaches the server")
    }

    /// GET a page, check it is 200 HTML, and parse it.
    pub async fn page(&self, path: &str) -> Html {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        Html::parse_document(&response.text().await.unwrap())
    }

    pub async fn post_signals(&self, content_type: &str, body: impl Into<reqwest::Body>) -> Answer {
        let response = self
            .client
            .post(self.url("/v1/signals"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("POST reaches the server");
        Answer::from(response).await
    }

    pub async fn batch_count(&self) -> u64 {
        let answer = Answer::from(self.get("/v1/signals/count").await).await;
        assert_eq!(answer.status, 200);
        answer.json["batches"].as_u64().expect("a count")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A JSON answer from the collector.
pub struct Answer {
    pub status: u16,
    pub json: serde_json::Value,
}

impl Answer {
    async fn from(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(content_type, "application/json", "status {status}");
        let json = response.json().await.expect("a JSON body");
        Answer { status, json }
    }
}

pub fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e}"))
}

pub fn select<'a>(doc: &'a Html, css: &str) -> Vec<ElementRef<'a>> {
    doc.select(&selector(css)).collect()
}

pub fn attr<'a>(element: &ElementRef<'a>, name: &str) -> &'a str {
    element
        .value()
        .attr(name)
        .unwrap_or_else(|| panic!("no {name} on {:?}", element.value()))
}

/// The product elements of the one widget of `kind`, checking that they are its only element
/// children and carry consecutive server ranks.
pub fn widget_items<'a>(doc: &'a Html, kind: &str) -> Vec<ElementRef<'a>> {
    let widgets = select(doc, &format!(r#"section[data-vitrine-widget="{kind}"]"#));
    assert_eq!(widgets.len(), 1, "one {kind} widget");
    let children: Vec<ElementRef> = widgets[0].children().filter_map(ElementRef::wrap).collect();
    for (rank, child) in children.iter().enumerate() {
        assert_eq!(child.value().name(), "article");
        assert!(child.value().attr("data-vitrine-item").is_some());
        assert_eq!(attr(child, "data-vitrine-rank"), rank.to_string());
    }
    children
}
