//! Two jobs: the shipped segment centroids become Rust constants, and each wasm module gets
//! a memory limit.
//!
//! The centroids (`models/segments.json`) are compiled in as numbers rather than parsed at
//! run time: the start-up module then carries neither the file's text nor a reader for it.
//! The file's full check (`Segments::parse`) runs in the tests, which also compare it with
//! these constants.
//!
//! Gives each wasm module a memory limit, so that no input can make it grow without bound:
//! wasm memory never shrinks, and the page would keep whatever one bad call took.
//!
//! The limits are far above what the SDK needs (after `make bench`'s runs the core holds
//! 1.5 MiB and the ranker 1.9 MiB); the inputs that could reach them are refused by size
//! before they are copied in (`MAX_EVENT_JSON_BYTES`, `MAX_MODEL_BYTES`, `MAX_WIDGET_ITEMS`).
//! An allocation past a limit traps, which the npm wrapper catches like any other failure.

/// The start-up module: tracking, the profile, sync and re-ranking.
const CORE_MAX_MEMORY: u64 = 16 << 20;
/// A module with tract inside: the ranker, or a one-module build with the `model` feature.
const MODEL_MAX_MEMORY: u64 = 64 << 20;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    write_shipped_centroids();
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("wasm32") {
        return;
    }
    let limit = if std::env::var_os("CARGO_FEATURE_MODEL").is_some() {
        MODEL_MAX_MEMORY
    } else {
        CORE_MAX_MEMORY
    };
    // Only the cdylib: test binaries keep the default, and they allocate freely.
    println!("cargo:rustc-cdylib-link-arg=--max-memory={limit}");
}

/// Writes `$OUT_DIR/shipped_segments.rs`: `SHIPPED_CENTROIDS`, the `centroids` of
/// `models/segments.json`. Their count and length are checked by the constant's type where
/// `src/segment.rs` includes it.
fn write_shipped_centroids() {
    const FILE: &str = "models/segments.json";
    println!("cargo:rerun-if-changed={FILE}");
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let path = std::path::Path::new(&dir).join(FILE);
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{FILE}: {e}"));
    let file: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{FILE}: {e}"));
    let centroids = file["centroids"]
        .as_array()
        .unwrap_or_else(|| panic!("{FILE}: `centroids` is not a list"));
    let mut rows = String::new();
    for (i, centroid) in centroids.iter().enumerate() {
        let numbers = centroid
            .as_array()
            .unwrap_or_else(|| panic!("{FILE}: `centroids[{i}]` is not a list"));
        let numbers: Vec<String> = numbers
            .iter()
            .enumerate()
            .map(|(j, x)| match x.as_f64() {
                // Debug of an f64 is its shortest text that reads back to the same number.
                Some(x) if x.is_finite() => format!("{x:?}"),
                _ => panic!("{FILE}: `centroids[{i}][{j}]` is not a finite number"),
            })
            .collect();
        rows.push_str(&format!("    [{}],\n", numbers.join(", ")));
    }
    let source = format!(
        "/// The centroids of `{FILE}`, written by `build.rs`.\n\
         // A centroid near 1/π or ln 2 is data, not a constant written by hand.\n\
         #[allow(clippy::approx_constant)]\n\
         pub(crate) const SHIPPED_CENTROIDS: [[f64; VECTOR_LEN]; SEGMENT_COUNT as usize] = [\n\
         {rows}];\n"
    );
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("shipped_segments.rs");
    std::fs::write(&out, source).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
