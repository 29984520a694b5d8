//! Re-ranking a widget the page rendered: read its items, score them, move them in place.
//!
//! The DOM is changed only after everything else succeeded, in one pass of `insertBefore`,
//! so a failure leaves the server's order exactly as the page rendered it.

use wasm_bindgen::JsValue;
use web_sys::Element;

use super::dom;
use super::engine::Engine;
use crate::error::{Error, Result};
use crate::event::WidgetKind;
use crate::features::{self, Candidate};
use crate::ranker::{self, Explanation, Ranking, Slot};

/// Re-ranks `container` and marks it `ranked`; on failure restores the server order, marks it
/// `fallback` and returns the error.
pub fn rerank(engine: &Engine, container: &Element) -> Result<Ranking> {
    match try_rerank(engine, container) {
        Ok(ranking) => {
            let _ = container.set_attribute(dom::STATE, "ranked");
            Ok(ranking)
        }
        Err(error) => {
            // Best effort: if even reading the items fails, the DOM was never touched.
            if let Ok(items) = dom::items_in_server_order(container) {
                let elements: Vec<&Element> = items.iter().map(|(e, _)| e).collect();
                let _ = place(container, &elements);
            }
            let _ = container.set_attribute(dom::STATE, "fallback");
            Err(error)
        }
    }
}

/// Marks a widget `fallback` without touching its items: the model could not be used.
pub fn mark_fallback(container: &Element) {
    let _ = container.set_attribute(dom::STATE, "fallback");
}

/// Puts a widget back in the server's order and marks it `fallback`: personalization is
/// paused, so whatever an earlier ranking moved goes back.
pub fn restore_server_order(container: &Element) {
    if let Ok(items) = dom::items_in_server_order(container) {
        let elements: Vec<&Element> = items.iter().map(|(e, _)| e).collect();
        let _ = place(container, &elements);
    }
    mark_fallback(container);
}

/// Serves a holdout shopper: the server's order, the widget marked `holdout`, and every item
/// explained by `holdout`. Tracking goes on as for any shopper.
pub fn serve_holdout(container: &Element) -> Result<Vec<Explanation>> {
    let items = dom::items_in_server_order(container).inspect_err(|_| mark_fallback(container))?;
    let elements: Vec<&Element> = items.iter().map(|(e, _)| e).collect();
    place(container, &elements).map_err(|e| Error::ModelRuntime(format!("DOM update: {e:?}")))?;
    let _ = container.set_attribute(dom::STATE, "holdout");
    Ok(elements
        .iter()
        .enumerate()
        .map(|(position, element)| {
            let _ = element.set_attribute(dom::SIGNAL, HOLDOUT_SIGNAL);
            Explanation {
                server_position: position as u32,
                position: position as u32,
                signal: HOLDOUT_SIGNAL,
            }
        })
        .collect())
}

/// What explains an item's place for a holdout shopper.
const HOLDOUT_SIGNAL: &str = "holdout";

/// Every widget container in the document.
pub fn all_widgets() -> Vec<Element> {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return Vec::new();
    };
    let Ok(list) = document.query_selector_all(&format!("[{}]", dom::WIDGET)) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|node| wasm_bindgen::JsCast::dyn_into::<Element>(node).ok())
        .collect()
}

fn try_rerank(engine: &Engine, container: &Element) -> Result<Ranking> {
    let kind = container.get_attribute(dom::WIDGET).unwrap_or_default();
    WidgetKind::parse(&kind).map_err(|e| rename(e, dom::WIDGET))?;

    let items = dom::items_in_server_order(container)?;
    let mut candidates = Vec::with_capacity(items.len());
    for (position, (element, _)) in items.iter().enumerate() {
        let product = dom::product_of(element)?;
        candidates.push(Candidate {
            product,
            server_position: position as u32,
        });
    }

    let state = engine.state.borrow();
    let rows = features::extract(&state.profile, &candidates, js_sys::Date::now());
    let scores = score(state.scorer.as_ref(), &rows)?;
    drop(state);
    let slots: Vec<Slot<'_>> = items
        .iter()
        .zip(&candidates)
        .map(|((element, _), candidate)| Slot {
            brand: candidate.product.brand.as_deref(),
            pinned: dom::is_pinned(element),
        })
        .collect();
    let ranking = ranker::rank(&scores, &rows, &slots, &engine.config.policy());

    let ordered: Vec<&Element> = ranking.order.iter().map(|&i| &items[i].0).collect();
    place(container, &ordered).map_err(|e| Error::ModelRuntime(format!("DOM update: {e:?}")))?;
    for explanation in &ranking.explanations {
        let element = &items[explanation.server_position as usize].0;
        let _ = element.set_attribute(dom::SIGNAL, explanation.signal);
    }
    Ok(ranking)
}

#[cfg(feature = "model")]
fn score(scorer: Option<&crate::model::Scorer>, rows: &[f32]) -> Result<Vec<f32>> {
    match scorer {
        Some(scorer) => scorer.score(rows),
        None => Ok(ranker::rule_scores(rows)),
    }
}

#[cfg(not(feature = "model"))]
fn score(_scorer: Option<&()>, rows: &[f32]) -> Result<Vec<f32>> {
    Ok(ranker::rule_scores(rows))
}

/// Puts `ordered` contiguously where the items were, before whatever followed the last one.
fn place(container: &Element, ordered: &[&Element]) -> std::result::Result<(), JsValue> {
    let children = container.children();
    let last_item = (0..children.length())
        .rev()
        .filter_map(|i| children.item(i))
        .find(|child| child.has_attribute(dom::ITEM));
    let anchor = last_item.and_then(|item| item.next_sibling());
    for element in ordered {
        container.insert_before(element, anchor.as_ref())?;
    }
    Ok(())
}

fn rename(error: Error, field: &str) -> Error {
    match error {
        Error::InvalidField { expected, got, .. } => Error::InvalidField {
            field: field.to_owned(),
            expected,
            got,
        },
        other => other,
    }
}
