//! Files served as they are: the SDK package, the model and the demo's script and style.
//!
//! Content types are set here by extension, not guessed: browsers refuse a module script that
//! is not JavaScript and stream-compile only `application/wasm`.

use std::path::{Component, Path, PathBuf};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The content type we send for a file name.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "js" | "mjs" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "json" | "map" => "application/json",
        "html" => "text/html; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "txt" | "md" | "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `relative` inside `root`, or `None` when it would leave it (`..`, an absolute path) or
/// names nothing.
pub fn resolve(root: &Path, relative: &str) -> Option<PathBuf> {
    let relative = Path::new(relative);
    let inside = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    (inside && relative.components().next().is_some()).then(|| root.join(relative))
}

/// How long a browser may keep a response before asking again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// Revalidate every time: these files change under a running demo as the SDK and the
    /// model are rebuilt.
    Revalidate,
    /// A year, never revalidated: the URL names the content (the SDK asks for its wasm with
    /// `?v=<content hash>`), so a rebuilt file comes at a new URL.
    Immutable,
}

impl Caching {
    /// An SDK file's caching: immutable for a wasm file asked for by version, else
    /// revalidated.
    pub fn for_sdk_file(relative: &str, query: Option<&str>) -> Caching {
        let versioned = query.is_some_and(|q| q.split('&').any(|p| p.starts_with("v=")));
        if versioned && relative.ends_with(".wasm") {
            Caching::Immutable
        } else {
            Caching::Revalidate
        }
    }

    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Caching::Revalidate => "no-cache",
            Caching::Immutable => "public, max-age=31536000, immutable",
        })
    }
}

/// Serves `relative` from `root` with its content type, or 404.
pub async fn serve_from(root: &Path, relative: &str, caching: Caching) -> Response {
    match resolve(root, relative) {
        Some(path) => serve_file(&path, content_type(&path), caching).await,
        None => not_found(),
    }
}

/// Serves one file with the given content type, or 404 when it is missing (or a folder).
pub async fn serve_file(path: &Path, content_type: &'static str, caching: Caching) -> Response {
    match tokio::fs::metadata(path).await {
        Ok(meta) if meta.is_file() => {}
        _ => return not_found(),
    }
    match tokio::fs::read(path).await {
        Ok(bytes) => {
            let headers = [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, caching.header()),
            ];
            (headers, bytes).into_response()
        }
        Err(e) => {
            eprintln!("vitrine-demo: reading {}: {e}", path.display());
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "not found\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type(Path::new("index.js")), "text/javascript");
        assert_eq!(
            content_type(Path::new("vitrine_bg.WASM")),
            "application/wasm"
        );
        assert_eq!(content_type(Path::new("style.css")), "text/css");
        assert_eq!(
            content_type(Path::new("ranker.onnx")),
            "application/octet-stream"
        );
    }

    #[test]
    fn only_a_versioned_wasm_is_cached_for_good() {
        let immutable = Caching::for_sdk_file("pkg/vitrine_ranker_bg.wasm", Some("v=3f2a"));
        assert_eq!(immutable, Caching::Immutable);
        let unversioned = Caching::for_sdk_file("pkg/vitrine_ranker_bg.wasm", None);
        assert_eq!(unversioned, Caching::Revalidate);
        let script = Caching::for_sdk_file("index.js", Some("v=3f2a"));
        assert_eq!(script, Caching::Revalidate);
        let other = Caching::for_sdk_file("pkg/vitrine_bg.wasm", Some("version=1"));
        assert_eq!(other, Caching::Revalidate);
    }

    #[test]
    fn paths_cannot_leave_the_root() {
        let root = Path::new("/srv/static");
        assert_eq!(
            resolve(root, "a/b.js"),
            Some(PathBuf::from("/srv/static/a/b.js"))
        );
        assert_eq!(resolve(root, "../secret"), None);
        assert_eq!(resolve(root, "a/../../secret"), None);
        assert_eq!(resolve(root, "/etc/passwd"), None);
        assert_eq!(resolve(root, ""), None);
    }
}
