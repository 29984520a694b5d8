//! Reading the DOM contract: products, widgets and their server order from `data-vitrine-*`.

use wasm_bindgen::JsCast;
use web_sys::Element;

use crate::error::{Error, Result};
use crate::event::Product;

/// Marks a product element; its value is the product id.
pub const ITEM: &str = "data-vitrine-item";
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
    let id = element.get_attribute(ITEM).unwrap_or_default();
    let price = match element.get_attribute("data-vitrine-price") {
        Some(text) if !text.trim().is_empty() => {
            Some(text.trim().parse::<f64>().map_err(|_| {
                Error::invalid(
                    "data-vitrine-price",
                    "a number such as 12.50",
                    format!("{text:?}"),
                )
            })?)
        }
        _ => None,
    };
    let product = Product {
        id,
        category: non_empty(element.get_attribute("data-vitrine-category")),
        brand: non_empty(element.get_attribute("data-vitrine-brand")),
        price,
    };
    product
        .validate("product")
        .map_err(|e| rename_field(e, "product.", "data-vitrine-"))?;
    Ok(product)
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
        let rank = match child.get_attribute(RANK) {
            Some(text) => text.trim().parse::<u32>().map_err(|_| {
                Error::invalid(RANK, "a 0-based integer position", format!("{text:?}"))
            })?,
            None => items.len() as u32,
        };
        items.push((child, rank));
    }
    items.sort_by_key(|(_, rank)| *rank);
    Ok(items)
}

/// Whether the page pinned this item to its server position.
pub fn is_pinned(element: &Element) -> bool {
    element
        .get_attribute(PINNED)
        .is_some_and(|value| value.trim() != "false")
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

fn rename_field(error: Error, from: &str, to: &str) -> Error {
    match error {
        Error::InvalidField {
            field,
            expected,
            got,
        } => Error::InvalidField {
            field: match field.strip_prefix(from) {
                Some("id") => "data-vitrine-item".to_owned(),
                Some(rest) => format!("{to}{rest}"),
                None => field,
            },
            expected,
            got,
        },
        other => other,
    }
}
