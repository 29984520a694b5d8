//! The dashboard page as the server sends it: same-origin scripts only, none inline, and the
//! charting library served from the local npm install. Chromium renders it in
//! `tests/e2e/dashboard.test.mjs`.

mod common;

use common::{attr, select, TestServer};

#[tokio::test]
async fn the_dashboard_loads_only_local_scripts() {
    let server = TestServer::start().await;
    let doc = server.page("/dashboard").await;
    let scripts = select(&doc, "script");
    let sources: Vec<&str> = scripts.iter().map(|s| attr(s, "src")).collect();
    assert_eq!(
        sources,
        ["/vendor/chart.umd.min.js", "/static/dashboard.js"]
    );
    assert!(scripts.iter().all(|s| s.inner_html().trim().is_empty()));
    assert!(select(&doc, "[onclick], [onload]").is_empty());
    for id in ["interest-chart", "arms-chart", "uplift-chart"] {
        assert_eq!(select(&doc, &format!("canvas#{id}")).len(), 1, "{id}");
    }

    for source in sources {
        let response = server.get(source).await;
        assert_eq!(response.status(), 200, "{source}");
        assert_eq!(
            response.headers()["content-type"],
            "text/javascript",
            "{source}"
        );
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!response.text().await.unwrap().is_empty(), "{source}");
    }
}
