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

use crate::error::{Error, Result};

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
export function vitrineReadItems(container, maxItems, maxValue, maxTotal) {
  const found = items(container);
  // Concatenated, not `join`ed: the page may have replaced `Array.prototype.join`.
  let out = `${found.length}`;
  if (found.length > maxItems) return out;
  let total = 0;
  for (const item of found) {
    for (const name of FIELDS) {
      const value = item.getAttribute(name);
      if (value !== null && value.length > maxValue) return `!${name}!${value.length}`;
      total += value === null ? 1 : value.length + 2;
      if (total > maxTotal) return `!widget!${total}`;
      out += value === null ? "\u001f" : "\u001f=" + value;
    }
  }
  return out;
}
export function vitrineAttribute(element, name, maxValue) {
  const value = element.getAttribute(name);
  return value !== null && value.length > maxValue ? value.length : value;
}
// The widget's items, which must be the `count` that were read.
const itemsAsRead = (container, count) => {
  const current = items(container);
  if (current.length !== count) throw new Error("the widget's items changed");
  return current;
};
export function vitrinePlaceItems(container, order, signals, signalName) {
  const current = itemsAsRead(container, order.length);
  const names = signals.split(",");
  const wanted = Array.from(order, (i) => current[i]);
  const children = Array.prototype.indexOf;
  // Items side by side can keep their longest run already in the wanted order and move only
  // the rest; items interleaved with other elements (a heading, an ad slot) fill the places
  // the items held, so that those elements stay where the page put them.
  const first = children.call(container.children, current[0]);
  const last = children.call(container.children, current[current.length - 1]);
  if (last - first + 1 === current.length) {
    const stays = keptInPlace(order);
    let next = current.length > 0 ? current[current.length - 1].nextSibling : null;
    for (let k = wanted.length - 1; k >= 0; k--) {
      if (!stays.has(k)) container.insertBefore(wanted[k], next);
      next = wanted[k];
    }
  } else {
    fillSlots(container, current, wanted);
  }
  current.forEach((item, i) => {
    if (item.getAttribute(signalName) !== names[i]) item.setAttribute(signalName, names[i]);
  });
}
// Puts `wanted` in the places `current` (the same items, as they are) hold: a marker before
// each, then each marker replaced by the item due there. Nothing moves when the two agree.
function fillSlots(container, current, wanted) {
  if (current.every((item, i) => item === wanted[i])) return;
  const document = container.ownerDocument;
  const slots = current.map((item) => container.insertBefore(document.createComment(""), item));
  slots.forEach((slot, i) => container.replaceChild(wanted[i], slot));
}
// `ordered`, the widget's items in another order, in the places its items hold now.
export function vitrineFillSlots(container, ordered) {
  fillSlots(container, itemsAsRead(container, ordered.length), ordered);
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
    fn read_items(container: &Element, max_items: u32, max_value: u32, max_total: u32) -> String;

    /// The attribute's value, `null` when absent, or its length when over `max_value`.
    #[wasm_bindgen(js_name = vitrineAttribute)]
    fn attribute_or_length(element: &Element, name: &str, max_value: u32) -> JsValue;

    #[wasm_bindgen(js_name = vitrineFillSlots, catch)]
    fn fill_slots(container: &Element, ordered: &js_sys::Array) -> Result<(), JsValue>;

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
/// Most items a widget may have to be re-ranked; a larger one keeps the server's order. The
/// benchmark ranks 1000; a list ten times that would take megabytes of wasm memory to read.
/// The npm wrapper keeps a copy, to plan the model for no longer list (`js/src/index.ts`).
pub const MAX_WIDGET_ITEMS: usize = 2000;
/// Longest attribute value Vitrine copies into wasm memory, in UTF-16 units. An id is at
/// most 128 bytes and a label 256; a longer value is refused before it is copied, since
/// one page attribute of tens of MB would otherwise fill the wasm memory and stop Vitrine.
pub const MAX_ATTRIBUTE_CHARS: u32 = 1024;
/// The most attribute text one widget's items may hold in all: the largest valid widget
/// (2000 items of the longest ids and labels) holds about 1.3 million characters.
pub const MAX_WIDGET_CHARS: u32 = 2 << 20;

/// `name`'s value on `element`, `None` when absent.
///
/// # Errors
/// [`Error::InvalidField`] naming the attribute when its value is longer than
/// [`MAX_ATTRIBUTE_CHARS`], found before it is copied into wasm memory.
pub fn attribute(element: &Element, name: &str) -> Result<Option<String>> {
    let value = attribute_or_length(element, name, MAX_ATTRIBUTE_CHARS);
    match value.as_f64() {
        Some(length) => Err(too_long(name, format!("{} characters", length as u64))),
        None => Ok(value.as_string()),
    }
}

/// The refusal of attribute `name`, or of all of a widget's when `name` is `widget`.
pub(super) fn too_long(name: &str, got: String) -> Error {
    if name == "widget" {
        Error::invalid(name, "at most 2 Mi characters of item attributes", got)
    } else {
        Error::invalid(name, "at most 1024 characters", got)
    }
}

/// The raw attributes of a widget's items, in document order: `FIELDS` per item (item, rank,
/// category, brand, price, pinned), `None` where absent. `Ok(None)` when a value holds the
/// separator, so that the fields cannot be told apart.
///
/// # Errors
/// [`Error::InvalidField`] (`widget`) when it has more than [`MAX_WIDGET_ITEMS`] items or
/// [`MAX_WIDGET_CHARS`] of attributes, and naming the attribute when one value is longer
/// than [`MAX_ATTRIBUTE_CHARS`]: all found before anything is copied into wasm memory.
pub fn read(container: &Element) -> Result<Option<Vec<Option<String>>>> {
    let joined = read_items(
        container,
        MAX_WIDGET_ITEMS as u32,
        MAX_ATTRIBUTE_CHARS,
        MAX_WIDGET_CHARS,
    );
    if let Some(refused) = joined.strip_prefix('!') {
        let (name, length) = refused.split_once('!').unwrap_or((refused, "0"));
        return Err(too_long(name, format!("{length} characters")));
    }
    let mut parts = joined.split('\u{1f}');
    let Some(Ok(count)) = parts.next().map(str::parse::<usize>) else {
        return Ok(None);
    };
    if count > MAX_WIDGET_ITEMS {
        let got = format!("{count} items");
        return Err(Error::invalid("widget", "at most 2000 items", got));
    }
    let fields: Vec<Option<String>> = parts
        .map(|field| field.strip_prefix('=').map(str::to_owned))
        .collect();
    Ok((fields.len() == count * FIELDS).then_some(fields))
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

/// Puts `ordered`, the widget's items in another order, in the places its items hold now:
/// whatever else the page put among them stays, and nothing moves when the order is already
/// that.
pub fn fill(container: &Element, ordered: &[&Element]) -> Result<(), JsValue> {
    let array: js_sys::Array = ordered.iter().copied().collect();
    fill_slots(container, &array)
}
