// The wrapper keeps copies of two of the core's constants, which the core does not export:
// each copy must say what the Rust source says.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const read = (path) => readFileSync(new URL(path, import.meta.url), "utf8");

/** The number in `source`'s declaration matching `pattern` (its one capture group). */
function declared(source, pattern, where) {
  const match = source.match(pattern);
  assert.ok(match, `${where}: no declaration matches ${pattern}`);
  return Number(match[1].replaceAll("_", ""));
}

const COPIES = [
  {
    name: "MAX_WIDGET_ITEMS (the longest widget the core ranks)",
    rust: ["../../src/web/batch.rs", /pub const MAX_WIDGET_ITEMS: usize = ([\d_]+);/],
    copy: ["../src/index.ts", /const MAX_WIDGET_ITEMS = ([\d_]+);/],
  },
  {
    name: "FEATURE_COUNT (the warm-up worker's row length)",
    rust: ["../../src/features.rs", /pub const FEATURE_COUNT: usize = ([\d_]+);/],
    copy: ["../src/ranker-warmup.ts", /const FEATURES = ([\d_]+);/],
  },
];

for (const { name, rust, copy } of COPIES) {
  test(`the wrapper's copy of ${name} is the Rust source's`, () => {
    const [rustFile, rustPattern] = rust;
    const [copyFile, copyPattern] = copy;
    assert.equal(declared(read(copyFile), copyPattern, copyFile),
      declared(read(rustFile), rustPattern, rustFile));
  });
}
