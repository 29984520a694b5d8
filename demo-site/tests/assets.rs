//! Files served as they are: the demo's script and style, the SDK package and the model.

mod common;

use common::TestServer;

async fn fetch(server: &TestServer, path: &str) -> (u16, String, Vec<u8>) {
    let response = server.get(path).await;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test]
async fn the_demo_script_and_style_are_served() {
    let server = TestServer::start().await;
    let (status, content_type, body) = fetch(&server, "/static/app.js").await;
    assert_eq!((status, content_type.as_str()), (200, "text/javascript"));
    let script = String::from_utf8(body).unwrap();
    assert!(script.contains(r#"import("/vitrine/index.js")"#));
    assert!(script.contains(r#"syncUrl: "/v1/signals""#));
    assert!(script.contains(r#""demo-cart""#));

    let (status, content_type, _) = fetch(&server, "/static/style.css").await;
    assert_eq!((status, content_type.as_str()), (200, "text/css"));
    // Linked from every page: without it browsers log a 404 for /favicon.ico.
    let (status, content_type, _) = fetch(&server, "/static/favicon.svg").await;
    assert_eq!((status, content_type.as_str()), (200, "image/svg+xml"));
}

#[tokio::test]
async fn the_sdk_and_model_get_their_content_types() {
    let files = tempfile::tempdir().unwrap();
    let sdk = files.path().join("dist");
    std::fs::create_dir_all(sdk.join("nested")).unwrap();
    std::fs::write(sdk.join("index.js"), "export const start = () => {};\n").unwrap();
    std::fs::write(sdk.join("nested/vitrine_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let model = files.path().join("ranker.onnx");
    std::fs::write(&model, b"not really onnx").unwrap();

    let server = TestServer::start_with(|config| {
        config.sdk_dir = sdk.clone();
        config.model = model.clone();
    })
    .await;
    let (status, content_type, _) = fetch(&server, "/vitrine/index.js").await;
    assert_eq!((status, content_type.as_str()), (200, "text/javascript"));
    let (status, content_type, body) = fetch(&server, "/vitrine/nested/vitrine_bg.wasm").await;
    assert_eq!((status, content_type.as_str()), (200, "application/wasm"));
    assert_eq!(body, b"\0asm\x01\0\0\0");
    let (status, content_type, body) = fetch(&server, "/models/ranker.onnx").await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "application/octet-stream")
    );
    assert_eq!(body, b"not really onnx");
}

#[tokio::test]
async fn missing_files_and_escapes_are_404() {
    let empty = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(|config| {
        config.sdk_dir = empty.path().join("no-dist");
        config.model = empty.path().join("no-model.onnx");
    })
    .await;
    for path in [
        "/vitrine/index.js",
        "/models/ranker.onnx",
        "/static/nothing.js",
        "/static/",
        "/static/..%2F..%2FCargo.toml",
        "/static/%2E%2E/Cargo.toml",
    ] {
        let (status, _, _) = fetch(&server, path).await;
        assert_eq!(status, 404, "{path}");
    }
}
