//! Re-ranking a widget the page rendered: read its items, score them, move them in place.
//!
//! The DOM is changed only after everything else succeeded, in one call that moves only the
//! items whose place changes, so a failure leaves the server's order as the page rendered it.
//! Reading and writing each cross the wasm boundary once ([`batch`]).

use wasm_bindgen::JsValue;
use web_sys::Element;

use super::engine::Engine;
use super::error::describe;
use super::scoring::{self, Scorer};
use super::{batch, dom};
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
            restore_server_order(container);
            Err(error)
        }
    }
}

/// Marks a widget `fallback` without touching its items: the model could not be used.
pub fn mark_fallback(container: &Element) {
    let _ = container.set_attribute(dom::STATE, "fallback");
}

/// Puts a widget back in the server's order and marks it `fallback`: a ranking failed, or
/// personalization is paused, so whatever an earlier ranking moved goes back. A widget that
/// Vitrine has not ranked is left as the page rendered it. Best effort: when even reading
/// the items fails, the DOM is not touched.
pub fn restore_server_order(container: &Element) {
    let ranked = container.get_attribute(dom::STATE).as_deref() == Some("ranked");
    if ranked {
        if let Ok(items) = dom::items_in_server_order(container) {
            let elements: Vec<&Element> = items.iter().map(|(e, _)| e).collect();
            let _ = batch::fill(container, &elements);
        }
    }
    mark_fallback(container);
}

/// Serves a holdout shopper: the server's order, the widget marked `holdout`, and every item
/// explained by `holdout`. Tracking goes on as for any shopper.
pub fn serve_holdout(container: &Element) -> Result<Vec<Explanation>> {
    let items = dom::items_in_server_order(container).inspect_err(|_| mark_fallback(container))?;
    let elements: Vec<&Element> = items.iter().map(|(e, _)| e).collect();
    batch::fill(container, &elements)
        .map_err(|e| Error::ModelRuntime(format!("DOM update: {}", describe(&e))))?;
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

/// A widget's items as the page rendered them, read once.
pub struct Read {
    /// Each item, in the server's order, with its product and server position.
    candidates: Vec<Candidate>,
    /// Whether each item (in server order) is pinned.
    pinned: Vec<bool>,
    /// Each item's index among the widget's items in document order, in server order.
    document_index: Vec<u32>,
}

/// Reads a widget's items and products; the DOM is not changed.
pub fn read(container: &Element) -> Result<Read> {
    let kind = dom::attribute(container, dom::WIDGET)?.unwrap_or_default();
    WidgetKind::parse(&kind).map_err(|e| e.renamed(|_| dom::WIDGET.to_owned()))?;

    let fields = match batch::read(container)? {
        Some(fields) => fields,
        None => dom::item_fields(container)?,
    };
    let items: Vec<&[Option<String>]> = fields.chunks_exact(batch::FIELDS).collect();
    let mut ranks = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        ranks.push(dom::rank_from(item[1].as_deref(), index as u32)?);
    }
    // Stable: items of equal rank keep their document order.
    let document_index: Vec<u32> =
        crate::order::sorted_indices(items.len(), &|a, b| ranks[a].cmp(&ranks[b]))
            .into_iter()
            .map(|index| index as u32)
            .collect();

    let mut candidates = Vec::with_capacity(items.len());
    let mut pinned = Vec::with_capacity(items.len());
    for (position, &index) in document_index.iter().enumerate() {
        let [id, _, category, brand, price, pin] = items[index as usize] else {
            unreachable!("chunks of batch::FIELDS");
        };
        let product = dom::product_from(
            id.clone().unwrap_or_default(),
            category.clone(),
            brand.clone(),
            price.as_deref(),
        )?;
        candidates.push(Candidate {
            product,
            server_position: position as u32,
        });
        pinned.push(dom::pins(pin.as_deref()));
    }
    Ok(Read {
        candidates,
        pinned,
        document_index,
    })
}

/// The ranking of read items: features from the profile, the model (or the rule), the
/// blend with the server order and the policy. No DOM access.
pub fn decide(engine: &Engine, read: &Read) -> Result<Ranking> {
    let state = engine.state.borrow();
    let rows = features::extract(&state.profile, &read.candidates, js_sys::Date::now());
    let scores = match &state.scorer {
        // A JavaScript scorer is called with the state released: it is not ours, and must be
        // free to call back into this instance.
        Some(Scorer::Js(function)) => {
            let function = function.clone();
            drop(state);
            scoring::score_js(&function, &rows)?
        }
        scorer => score(scorer.as_ref(), &rows)?,
    };
    let slots: Vec<Slot<'_>> = read
        .candidates
        .iter()
        .zip(&read.pinned)
        .map(|(candidate, &pinned)| Slot {
            brand: candidate.product.brand.as_deref(),
            pinned,
        })
        .collect();
    Ok(ranker::rank(
        &scores,
        &rows,
        &slots,
        &engine.config.policy(),
    ))
}

fn try_rerank(engine: &Engine, container: &Element) -> Result<Ranking> {
    let read = read(container)?;
    let ranking = decide(engine, &read)?;
    write(container, &read, &ranking)
        .map_err(|e| Error::ModelRuntime(format!("DOM update: {}", describe(&e))))?;
    Ok(ranking)
}

/// Moves the items into `ranking`'s order and marks each with its signal.
fn write(container: &Element, read: &Read, ranking: &Ranking) -> std::result::Result<(), JsValue> {
    let order: Vec<u32> = ranking
        .order
        .iter()
        .map(|&i| read.document_index[i])
        .collect();
    let mut signals = vec![""; read.document_index.len()];
    for explanation in &ranking.explanations {
        let index = read.document_index[explanation.server_position as usize];
        signals[index as usize] = explanation.signal;
    }
    batch::place(container, &order, &signals, dom::SIGNAL)
}

fn score(scorer: Option<&Scorer>, rows: &[f32]) -> Result<Vec<f32>> {
    match scorer {
        Some(scorer) => scorer.score(rows),
        None => Ok(ranker::rule_scores(rows)),
    }
}
