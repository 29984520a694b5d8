//! An append-only log of what `POST /v1/signals` received, byte for byte.
//!
//! Off by default. With `--request-log FILE`, every body that passes the content-type and size
//! checks is written as one JSON line `{"content_type": …, "cookie": …, "body": …}` before
//! its content is validated, so an auditor (or a test) sees exactly what a browser sent,
//! including batches the collector then refused. `cookie` says whether the request carried a
//! `Cookie` header, which the SDK never sends; its value is not logged.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use serde_json::json;

/// The log, or nothing. Cheap to clone; clones share the file.
#[derive(Clone, Default)]
pub struct RequestLog {
    file: Option<Arc<Mutex<File>>>,
}

impl RequestLog {
    /// Opens `path` for appending, creating it; no log at all for `None`.
    ///
    /// # Errors
    /// The file cannot be opened for appending.
    pub fn open(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(RequestLog::default());
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening the request log {}", path.display()))?;
        Ok(RequestLog {
            file: Some(Arc::new(Mutex::new(file))),
        })
    }

    /// Appends one request. A failing write is reported on stderr, never to the client.
    pub fn record(&self, content_type: &str, cookie: bool, body: &[u8]) {
        let Some(file) = &self.file else { return };
        let line = json!({
            "content_type": content_type,
            "cookie": cookie,
            "body": String::from_utf8_lossy(body),
        });
        let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Err(e) = writeln!(file, "{line}") {
            eprintln!("vitrine-demo: request log: {e}");
        }
    }
}
