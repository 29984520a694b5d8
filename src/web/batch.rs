//! One crossing each way: a widget's items read, and its new order written, by a few lines of
//! JavaScript instead of one wasm-bindgen call per attribute and per node.
//!
//! Every call from wasm into the DOM copies its strings through the boundary, so reading six
//! attributes of a hundred items one call each, then moving and marking each item, cost tens
//! of microseconds per item. Here the page's values come back as one string and the order
//! goes out as one array. Parsing and validation stay in Rust ([`super::dom`]), so the errors
//! name the same fields as before.

use wasm_bindgen::prelude::*;
use web_sys::Element;

// The item count, then every field, joined by U+001F (unit separator); each present value is
// prefixed with `=` so that an absent attribute and an empty one differ. A value holding the
// separator itself shows in the field count, and the caller then reads the slow way.
#[wasm_bindgen(inline_js = r#"
const ITEM = "data-vitrine-item";
const FIELDS = ["data-vitrine-item", "data-vitrine-rank", "data-vitrine-category",
  "data-vitrine-brand", "data-vitrine-price", "data-vitrine-pinned"];
const items = (container) => {
  const found = [];
  for (const child of container.children) if (child.hasAttribute(ITEM)) found.push(child);
  return found;
};
export function vitrineReadItems(container) {
  const found = items(container);
  const out = [String(found.length)];
  for (const item of found) {
    for (const name of FIELDS) {
      const value = item.getAttribute(name);
      out.push(value === null ? "" : "=" + value);
    }
  }
  return out.join("\u001f");
}
export function vitrinePlaceItems(container, order, signals, signalName) {
  const current = items(container);
  if (current.length !== order.length) throw new Error("the widget's items changed");
  const names = signals.split(",");
  const wanted = Array.from(order, (i) => current[i]);
  const children = Array.prototype.indexOf;
  // Items side by side can keep their longest run already in the wanted order and move only
  // the rest; items interleaved with other elements are all moved together after the last.
  const first = children.call(container.children, current[0]);
  const last = children.call(container.children, current[current.length - 1]);
  const stays = last - first + 1 === current.length ? keptInPlace(order) : new Set();
  let next = current.length > 0 ? current[current.length - 1].nextSibling : null;
  for (let k = wanted.length - 1; k >= 0; k--) {
    if (!stays.has(k)) container.insertBefore(wanted[k], next);
    next = wanted[k];
  }
  current.forEach((item, i) => {
    if (item.getAttribute(signalName) !== names[i]) item.setAttribute(signalName, names[i]);
  });
}
// The positions of a longest increasing run of `order`: those items need not move.
function keptInPlace(order) {
  const tails = [];
  const previous = new Int32Array(order.length).fill(-1);
  for (let k = 0; k < order.length; k++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order[tails[mid]] < order[k]) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) previous[k] = tails[lo - 1];
    tails[lo] = k;
  }
  const kept = new Set();
  for (let k = tails.length > 0 ? tails[tails.length - 1] : -1; k >= 0; k = previous[k]) {
    kept.add(k);
  }
  return kept;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = vitrineReadItems)]
    fn read_items(container: &Element) -> String;

    #[wasm_bindgen(js_name = vitrinePlaceItems, catch)]
    fn place_items(
        container: &Element,
        order: &[u32],
        signals: &str,
        signal_name: &str,
    ) -> Result<(), JsValue>;
}

/// The item attributes [`read`] returns, in this order.
pub const FIELDS: usize = 6;

/// The raw attributes of a widget's items, in document order: `FIELDS` per item (item, rank,
/// category, brand, price, pinned), `None` where absent. `None` when a value holds the
/// separator, so that the fields cannot be told apart.
pub fn read(container: &Element) -> Option<Vec<Option<String>>> {
    let joined = read_items(container);
    let mut parts = joined.split('\u{1f}');
    let count: usize = parts.next()?.parse().ok()?;
    let fields: Vec<Option<String>> = parts
        .map(|field| field.strip_prefix('=').map(str::to_owned))
        .collect();
    (fields.len() == count * FIELDS).then_some(fields)
}

/// Puts the items in `order` (document indices of the items, first to last) and sets each
/// item's `signal_name` attribute to its signal (`signals`: one per item in document order),
/// touching only the nodes and attributes that change.
pub fn place(
    container: &Element,
    order: &[u32],
    signals: &[&str],
    signal_name: &str,
) -> Result<(), JsValue> {
    place_items(container, order, &signals.join(","), signal_name)
}
