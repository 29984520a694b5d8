//! Reading the DOM contract: products, widgets and their server order from `data-vitrine-*`.

use wasm_bindgen::JsCast;
use web_sys::Element;

use super::batch;
pub use super::batch::attribute;
use crate::error::{Error, Result};
use crate::event::Product;
use crate::json::Quoted;

/// Marks a product element; its value is the product id.
pub const ITEM: &str = "data-vitrine-item";
/// An item's product category path.
pub const CATEGORY: &str = "data-vitrine-category";
/// An item's brand.
pub const BRAND: &str = "data-vitrine-brand";
/// An item's price.
pub const PRICE: &str = "data-vitrine-price";
/// Marks a widget container whose items Vitrine may reorder.
pub const WIDGET: &str = "data-vitrine-widget";
/// The item's 0-based position in the server's order.
pub const RANK: &str = "data-vitrine-rank";
/// Set on a widget: `ranked` or `fallback`.
pub const STATE: &str = "data-vitrine-state";
/// Set on each item after ranking: the signal that placed it.
pub const SIGNAL: &str = "data-vitrine-signal";
/// On an item: a pinned (sponsored) slot that re-ranking never moves. Any value but
/// `"false"` pins.
pub const PINNED: &str = "data-vitrine-pinned";
/// Marks the product a product page is about.
pub const DETAIL: &str = "data-vitrine-detail";
/// On a search widget: the query that produced it.
pub const QUERY: &str = "data-vitrine-query";
/// On a button inside a product element: `add-to-cart` or `remove-from-cart`.
pub const ACTION: &str = "data-vitrine-action";

/// The product an element describes.
///
/// # Errors
/// [`Error::InvalidField`] naming the attribute that is missing or malformed.
pub fn product_of(element: &Element) -> Result<Product> {
    product_from(
        attribute(element, ITEM)?.unwrap_or_default(),
        attribute(element, CATEGORY)?,
        attribute(element, BRAND)?,
        attribute(element, PRICE)?.as_deref(),
    )
}

/// The product of an item's attribute values (`None`: absent), checked as [`product_of`]
/// checks them.
pub fn product_from(
    id: String,
    category: Option<String>,
    brand: Option<String>,
    price: Option<&str>,
) -> Result<Product> {
    let price = match price {
        Some(text) if !text.trim().is_empty() => {
            Some(crate::number::decimal(text.trim()).ok_or_else(|| {
                Error::invalid(
                    "data-vitrine-price",
                    "a number such as 12.50",
                    Quoted(text).to_string(),
                )
            })?)
        }
        _ => None,
    };
    let product = Product {
        id,
        category: non_empty(category),
        brand: non_empty(brand),
        price,
    };
    product.check().map_err(attribute_named)?;
    Ok(product)
}

/// An item's `data-vitrine-rank`, or `fallback` (its document position) without one.
pub fn rank_from(rank: Option<&str>, fallback: u32) -> Result<u32> {
    match rank {
        Some(text) => text.trim().parse::<u32>().map_err(|_| {
            Error::invalid(RANK, "a 0-based integer position", Quoted(text).to_string())
        }),
        None => Ok(fallback),
    }
}

/// Whether an item's `data-vitrine-pinned` value (`None`: absent) pins it.
pub fn pins(value: Option<&str>) -> bool {
    value.is_some_and(|value| value.trim() != "false")
}

/// The attributes [`super::batch::read`] returns, read one call each: the way for a widget
/// whose values hold the separator that the batch read joins them with.
///
/// # Errors
/// As [`super::batch::read`]: a value or a widget's total over its limit.
pub fn item_fields(container: &Element) -> Result<Vec<Option<String>>> {
    let children = container.children();
    let (mut fields, mut total) = (Vec::new(), 0);
    for child in (0..children.length()).filter_map(|i| children.item(i)) {
        if !child.has_attribute(ITEM) {
            continue;
        }
        for name in [ITEM, RANK, CATEGORY, BRAND, PRICE, PINNED] {
            let value = attribute(&child, name)?;
            total += value.as_ref().map_or(1, |v| v.len() + 2);
            if total > batch::MAX_WIDGET_CHARS as usize {
                return Err(batch::too_long("widget", format!("over {total} bytes")));
            }
            fields.push(value);
        }
    }
    Ok(fields)
}

/// The product elements of a widget, in the server's order (by `data-vitrine-rank`, then by
/// document order for items without one), each with its server position.
///
/// Only direct children count: those are the elements whose order the page lays out.
pub fn items_in_server_order(container: &Element) -> Result<Vec<(Element, u32)>> {
    let children = container.children();
    let mut items = Vec::new();
    for i in 0..children.length() {
        let Some(child) = children.item(i) else {
            continue;
        };
        if !child.has_attribute(ITEM) {
            continue;
        }
        let rank = rank_from(attribute(&child, RANK)?.as_deref(), items.len() as u32)?;
        items.push((child, rank));
    }
    let order = crate::order::sorted_indices(items.len(), &|a, b| items[a].1.cmp(&items[b].1));
    let mut items: Vec<Option<(Element, u32)>> = items.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .map(|i| items[i].take().expect("invariant: each index comes once"))
        .collect())
}

/// The nearest ancestor-or-self matching `selector`.
pub fn closest(element: &Element, selector: &str) -> Option<Element> {
    element.closest(selector).ok().flatten()
}

/// The element an event started on, if it is an element (text nodes give their parent).
pub fn event_element(event: &web_sys::Event) -> Option<Element> {
    let target = event.target()?;
    match target.dyn_into::<Element>() {
        Ok(element) => Some(element),
        Err(target) => target.dyn_into::<web_sys::Node>().ok()?.parent_element(),
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// A product field's error named by the item attribute it was read from.
fn attribute_named(error: Error) -> Error {
    error.renamed(|field| match field {
        "id" => ITEM.to_owned(),
        _ => format!("data-vitrine-{field}"),
    })
}

/// `item`'s 0-based position among the items of `widget` as displayed now.
pub fn displayed_position(widget: &Element, item: &Element) -> Option<u32> {
    let children = widget.children();
    let mut position = 0;
    for i in 0..children.length() {
        let child = children.item(i)?;
        if child.is_same_node(Some(item)) {
            return Some(position);
        }
        if child.has_attribute(ITEM) {
            position += 1;
        }
    }
    None
}

/// Whether the tab is in the background, where nothing on the page is seen.
pub fn tab_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        // `hidden` is `visibilityState == "hidden"`, as a boolean: reading the enum would
        // bring web-sys's conversion of its strings into the start-up module.
        .is_some_and(|d| d.hidden())
}
