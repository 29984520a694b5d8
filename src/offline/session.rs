//! A replayable log: shopper sessions of validated [`Event`]s, whatever file they came from.
//!
//! Every reader (REES46, Diginetica, Online Retail) turns its rows into the same
//! [`SessionLog`], so the replay protocol, the split and the metrics never know the format.
//! Readers feed rows to a [`SessionLog`] with [`SessionLog::push`] and [`SessionLog::skip`],
//! then call [`SessionLog::finish`] once to put sessions and interactions in time order.

use std::collections::HashMap;

use crate::event::{Event, Product};

/// How many skipped rows are described in [`SessionLog::problems`]; the rest are only counted.
const MAX_PROBLEMS: usize = 10;

/// What the shopper did, in the vocabulary of the logs (REES46 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `view`: a product page was opened.
    View,
    /// `cart`: the product went into the cart.
    Cart,
    /// `purchase`: the product was bought.
    Purchase,
    /// `remove_from_cart`: the product left the cart (absent from the 2019-10 slice).
    RemoveFromCart,
}

impl Action {
    /// Reads a REES46 `event_type`.
    pub fn parse(value: &str) -> Option<Action> {
        match value {
            "view" => Some(Action::View),
            "cart" => Some(Action::Cart),
            "purchase" => Some(Action::Purchase),
            "remove_from_cart" => Some(Action::RemoveFromCart),
            _ => None,
        }
    }

    /// Whether this action says "I like this product" (everything but a removal).
    pub fn is_engagement(self) -> bool {
        self != Action::RemoveFromCart
    }

    /// The event the SDK would have captured, with this quantity for cart actions.
    pub fn event(self, product: Product, quantity: u32) -> Event {
        match self {
            Action::View => Event::ProductViewed { product },
            // The event vocabulary has no purchase yet. A purchase is the strongest engagement
            // a shopper can show, and adding to the cart is the strongest one the profile
            // weighs, so a purchase replays as an add-to-cart (the product then also counts
            // as "in the cart", which the live SDK would see the same way until checkout).
            Action::Cart | Action::Purchase => Event::AddedToCart { product, quantity },
            Action::RemoveFromCart => Event::RemovedFromCart { product, quantity },
        }
    }
}

/// One row of a log, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Interaction {
    /// When it happened, ms since the Unix epoch.
    pub at_ms: f64,
    /// What the shopper did.
    pub action: Action,
    /// The event as the SDK would have captured it. For REES46 its product's category is the
    /// `category_code` path, or the numeric `category_id` when the code is empty: the same
    /// rule the demo store uses for its `data-vitrine-category` attribute.
    pub event: Event,
    /// The log's own category id (REES46 `category_id`, Diginetica `categoryId`), from which
    /// same-category candidates are drawn; `None` when the log has none.
    pub category_id: Option<String>,
    /// The 1-based line of the file it was read from, so a split can copy rows verbatim.
    pub line: usize,
}

impl Interaction {
    /// The product this interaction is about.
    pub fn product(&self) -> &Product {
        self.event
            .product()
            .expect("invariant: every logged action is about a product")
    }
}

/// One visit of one shopper, its interactions in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct ShopperSession {
    /// The session's id (REES46 `user_session`, Diginetica `session_id`, an invoice number).
    pub id: String,
    /// The shopper's id; empty for an anonymous shopper, whose history is the session alone.
    pub user_id: String,
    /// Interactions ordered by time; rows with equal times keep their file order.
    pub interactions: Vec<Interaction>,
}

impl ShopperSession {
    /// When the session's first interaction happened, ms since the epoch.
    pub fn started_ms(&self) -> f64 {
        self.interactions.first().map_or(f64::INFINITY, |i| i.at_ms)
    }
}

/// A whole log, grouped into sessions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionLog {
    /// Sessions ordered by start time, then by session id.
    pub sessions: Vec<ShopperSession>,
    /// Data rows read (the header excluded), kept or skipped.
    pub rows: usize,
    /// Rows skipped because they were malformed or failed validation.
    pub skipped: usize,
    /// Line number and reason of the first few skipped rows.
    pub problems: Vec<String>,
    by_key: HashMap<(String, String), usize>,
}

impl SessionLog {
    /// How many interactions were kept.
    pub fn interactions(&self) -> usize {
        self.rows - self.skipped
    }

    /// Adds one kept row to the session `(user_id, session_id)`.
    pub fn push(&mut self, user_id: &str, session_id: &str, interaction: Interaction) {
        self.rows += 1;
        let next = self.sessions.len();
        let key = (user_id.to_string(), session_id.to_string());
        let index = *self.by_key.entry(key).or_insert(next);
        if index == next {
            self.sessions.push(ShopperSession {
                id: session_id.to_string(),
                user_id: user_id.to_string(),
                interactions: Vec::new(),
            });
        }
        self.sessions[index].interactions.push(interaction);
    }

    /// Counts one skipped row and keeps its reason if there is room.
    pub fn skip(&mut self, line: usize, reason: impl std::fmt::Display) {
        self.rows += 1;
        self.skipped += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(format!("line {line}: {reason}"));
        }
    }

    /// Orders interactions within sessions and sessions by start time, ties by session id
    /// then user id, so the same file always gives the same log.
    pub fn finish(mut self) -> SessionLog {
        self.by_key = HashMap::new();
        for session in &mut self.sessions {
            // A stable sort: equal times keep the file's order, which is the log's own.
            session
                .interactions
                .sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
        }
        self.sessions.sort_by(|a, b| {
            a.started_ms()
                .total_cmp(&b.started_ms())
                .then_with(|| a.id.cmp(&b.id))
                .then_with(|| a.user_id.cmp(&b.user_id))
        });
        self
    }
}
