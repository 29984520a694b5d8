//! The core's options are listed twice: in `src/web/config.rs`, which reads them, and in the
//! npm wrapper's `CORE_OPTIONS` (`js/src/index.ts`), which refuses any other name before the
//! core starts. An option added to the core alone would be refused by the wrapper as unknown,
//! so the two lists are read here from their sources and must name the same options, in the
//! same order.

use std::path::Path;

/// The quoted names between `start` and the first `end` after it in the file at `path`.
fn quoted_names(path: &str, start: &str, end: &str) -> Vec<String> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{path}: {e}"));
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{path}: no `{start}`"))
        + start.len();
    let to = from
        + text[from..]
            .find(end)
            .unwrap_or_else(|| panic!("{path}: no `{end}` after `{start}`"));
    text[from..to]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_wrapper_passes_every_option_the_core_reads_and_no_other() {
    let core = quoted_names("src/web/config.rs", "const OPTIONS: &[&str] = &[", "];");
    let wrapper = quoted_names("js/src/index.ts", "const CORE_OPTIONS = [", "] as const;");
    assert!(
        core.len() > 10,
        "read too few of the core's options: {core:?}"
    );
    assert_eq!(
        wrapper, core,
        "js/src/index.ts CORE_OPTIONS against src/web/config.rs OPTIONS"
    );
}
