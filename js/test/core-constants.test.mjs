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

test("the wrapper's longest widget is the core's MAX_WIDGET_ITEMS", () => {
  const rust = declared(read("../../src/web/batch.rs"),
    /pub const MAX_WIDGET_ITEMS: usize = ([\d_]+);/, "src/web/batch.rs");
  const wrapper = declared(read("../src/index.ts"),
    /const MAX_WIDGET_ITEMS = ([\d_]+);/, "js/src/index.ts");
  assert.equal(wrapper, rust);
});

test("the warm-up worker's row length is the feature contract's FEATURE_COUNT", () => {
  const rust = declared(read("../../src/features.rs"),
    /pub const FEATURE_COUNT: usize = ([\d_]+);/, "src/features.rs");
  const worker = declared(read("../src/ranker-warmup.ts"),
    /const FEATURES = ([\d_]+);/, "js/src/ranker-warmup.ts");
  assert.equal(worker, rust);
});
