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
