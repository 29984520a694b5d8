//! What a shopper did: the behaviour events Vitrine accepts, and their validation.
//!
//! Events arrive as JSON from the page (`track()`) or from DOM capture. They are validated
//! here, once, before anything reaches the profile: a rejected event changes nothing.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::json::Quoted;
use crate::number::Shortest;

/// Longest product id we accept, in bytes.
pub const MAX_ID_BYTES: usize = 128;
/// Longest category or brand we accept, in bytes.
pub const MAX_LABEL_BYTES: usize = 256;
/// Longest search query we accept, in bytes. Queries are counted, never stored or sent.
pub const MAX_QUERY_BYTES: usize = 512;
/// Largest quantity one cart event may carry.
pub const MAX_QUANTITY: u32 = 10_000;
/// Most products one cart, checkout or order event may list.
pub const MAX_LINES: usize = 200;
/// Longest list id (`list_viewed`) we accept, in bytes.
pub const MAX_LIST_BYTES: usize = 256;
/// The longest dwell one event may report: an hour.
pub const MAX_DWELL_SECONDS: f64 = 3600.0;
/// Longest JSON form of one event we read, in bytes. The largest valid event, 200 products
/// with the longest labels all escaped, takes under 300 KB; the limit keeps one call from
/// growing the wasm memory, which never shrinks.
pub const MAX_EVENT_JSON_BYTES: usize = 512 << 10;
/// What [`MAX_EVENT_JSON_BYTES`] allows, in an error's words.
pub const EVENT_JSON_WITHIN: &str = "at most 512 KiB of JSON";

/// A product as the page describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Product {
    /// The store's product id.
    pub id: String,
    /// Category path, most general first, dot-separated (`electronics.audio.headphone`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Brand name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Unit price in the store's currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
}

impl Product {
    /// The first segment of the category path, if there is a category.
    pub fn top_category(&self) -> Option<&str> {
        self.category.as_deref().map(top_category)
    }

    /// Checks every field's bounds; errors name fields as `{field}.id`, `{field}.price`, ….
    pub(crate) fn validate(&self, field: impl std::fmt::Display) -> Result<()> {
        self.check().map_err(|e| e.within(field))
    }

    /// Checks every field's bounds; errors name the field alone (`id`, `price`): the path
    /// above it is written only for an error, not for each product of each event.
    pub(crate) fn check(&self) -> Result<()> {
        check_label("id", &self.id, MAX_ID_BYTES)?;
        if let Some(category) = &self.category {
            check_label("category", category, MAX_LABEL_BYTES)?;
        }
        if let Some(brand) = &self.brand {
            check_label("brand", brand, MAX_LABEL_BYTES)?;
        }
        check_amount("price", self.price)
    }
}

/// The first segment of a dot-separated category path.
pub fn top_category(category: &str) -> &str {
    category.split('.').next().unwrap_or(category)
}

/// The widgets whose order Vitrine may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WidgetKind {
    /// Search results.
    Search,
    /// Recommendations: home page, "similar items".
    Recommendations,
    /// Suggestions on the cart page.
    Cart,
}

impl WidgetKind {
    /// Parses the value of a `data-vitrine-widget` attribute.
    pub fn parse(value: &str) -> Result<Self> {
        match value {
            "search" => Ok(WidgetKind::Search),
            "recommendations" => Ok(WidgetKind::Recommendations),
            "cart" => Ok(WidgetKind::Cart),
            other => Err(Error::invalid(
                "widget",
                "one of \"search\", \"recommendations\", \"cart\"",
                Quoted(other).to_string(),
            )),
        }
    }
}

/// One thing a shopper did. Read from JSON by [`crate::event_json`]; written by serde,
/// internally tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The shopper opened a product's page.
    ProductViewed {
        /// The product shown.
        product: Product,
    },
    /// The shopper clicked a product in a list or widget.
    ProductClicked {
        /// The product clicked.
        product: Product,
        /// The widget it was in, if any.
        widget: Option<WidgetKind>,
        /// Its 0-based position as displayed.
        position: Option<u32>,
    },
    /// Units of a product went into the cart.
    AddedToCart {
        /// The product added.
        product: Product,
        /// How many units; 1 when absent.
        quantity: u32,
    },
    /// Units of a product left the cart.
    RemovedFromCart {
        /// The product removed.
        product: Product,
        /// How many units; 1 when absent.
        quantity: u32,
    },
    /// The shopper ran a search. The query is validated, then dropped: it is neither stored
    /// nor sent.
    ProductsSearched {
        /// The query text.
        query: String,
        /// How many results the store showed.
        result_count: Option<u32>,
    },
    /// A product was shown to the shopper in a list or widget (at least half of it visible
    /// for a second, when captured from the DOM). Exposure, not preference: it counts, but
    /// moves no affinity, or the store's own ranking would feed back into the profile.
    ProductImpression {
        /// The product shown.
        product: Product,
        /// The widget it was in, if any.
        widget: Option<WidgetKind>,
        /// Its 0-based position as displayed.
        position: Option<u32>,
    },
    /// The shopper spent time on a product's page with the page visible: captured from the
    /// DOM when a product page is left or hidden (a long visit may give several), or sent by
    /// the page. Reading a product page for a minute says more than opening it.
    ProductDwell {
        /// The product the page is about.
        product: Product,
        /// Visible seconds, from more than 0 to 3600.
        seconds: f64,
    },
    /// The shopper opened a category page or another product list.
    ListViewed {
        /// The category path the list shows, if it is a category.
        category: Option<String>,
        /// The store's id of the list (`"summer-sale"`); validated, never stored.
        list_id: Option<String>,
    },
    /// The shopper looked at their cart; `products` are its lines as the page knows them.
    CartViewed {
        /// The cart's products; when given, they replace what the profile believes is there.
        products: Option<Vec<Product>>,
    },
    /// The shopper began checking out.
    CheckoutStarted {
        /// The products being bought, if the page lists them.
        products: Vec<Product>,
        /// The order's value; validated, never stored.
        value: Option<f64>,
    },
    /// The shopper completed an order.
    OrderCompleted {
        /// What was bought.
        items: Vec<OrderLine>,
        /// The order's revenue; validated, never stored.
        revenue: Option<f64>,
    },
}

/// One line of a completed order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderLine {
    /// The product bought.
    pub product: Product,
    /// How many units; 1 when absent.
    pub quantity: u32,
}

impl Event {
    /// Parses and validates one event from its JSON form.
    ///
    /// # Errors
    /// [`Error::Malformed`] when the JSON does not have an event's shape, and
    /// [`Error::InvalidField`] naming the first field that fails validation.
    pub fn from_json(json: &str) -> Result<Self> {
        if json.len() > MAX_EVENT_JSON_BYTES {
            let got = format!("{} bytes", json.len());
            return Err(Error::invalid("event", EVENT_JSON_WITHIN, got));
        }
        let event = crate::event_json::read_event(json)?;
        event.validate()?;
        Ok(event)
    }

    /// Checks every field's bounds.
    pub fn validate(&self) -> Result<()> {
        match self {
            Event::ProductViewed { product } | Event::ProductClicked { product, .. } => {
                product.validate("product")
            }
            Event::AddedToCart { product, quantity }
            | Event::RemovedFromCart { product, quantity } => {
                product.validate("product")?;
                check_quantity("quantity", *quantity)
            }
            Event::ProductImpression { product, .. } => product.validate("product"),
            Event::ProductDwell { product, seconds } => {
                product.validate("product")?;
                if !(seconds.is_finite() && *seconds > 0.0 && *seconds <= MAX_DWELL_SECONDS) {
                    return Err(Error::invalid(
                        "seconds",
                        "a number of seconds from more than 0 to 3600",
                        Shortest(*seconds),
                    ));
                }
                Ok(())
            }
            Event::ListViewed { category, list_id } => {
                if category.is_none() && list_id.is_none() {
                    return Err(Error::invalid(
                        "category",
                        "a category path or a list_id",
                        "neither",
                    ));
                }
                if let Some(category) = category {
                    check_label("category", category, MAX_LABEL_BYTES)?;
                }
                if let Some(list_id) = list_id {
                    check_label("list_id", list_id, MAX_LIST_BYTES)?;
                }
                Ok(())
            }
            Event::CartViewed { products } => {
                check_products("products", products.as_deref().unwrap_or_default())
            }
            Event::CheckoutStarted { products, value } => {
                check_products("products", products)?;
                check_amount("value", *value)
            }
            Event::OrderCompleted { items, revenue } => {
                check_count("items", items.len())?;
                for (i, line) in items.iter().enumerate() {
                    line.product.validate(format_args!("items[{i}].product"))?;
                    check_quantity("quantity", line.quantity)
                        .map_err(|e| e.within(format_args!("items[{i}]")))?;
                }
                check_amount("revenue", *revenue)
            }
            Event::ProductsSearched { query, .. } => {
                if query.len() > MAX_QUERY_BYTES {
                    return Err(Error::invalid(
                        "query",
                        "at most 512 bytes of text",
                        format!("{} bytes", query.len()),
                    ));
                }
                Ok(())
            }
        }
    }

    /// The product this event is about, if it is about exactly one.
    pub fn product(&self) -> Option<&Product> {
        match self {
            Event::ProductViewed { product }
            | Event::ProductClicked { product, .. }
            | Event::AddedToCart { product, .. }
            | Event::RemovedFromCart { product, .. }
            | Event::ProductImpression { product, .. }
            | Event::ProductDwell { product, .. } => Some(product),
            Event::ProductsSearched { .. }
            | Event::ListViewed { .. }
            | Event::CartViewed { .. }
            | Event::CheckoutStarted { .. }
            | Event::OrderCompleted { .. } => None,
        }
    }
}

fn check_quantity(field: &str, quantity: u32) -> Result<()> {
    if quantity == 0 || quantity > MAX_QUANTITY {
        return Err(Error::invalid(
            field,
            "an integer from 1 to 10000",
            quantity,
        ));
    }
    Ok(())
}

fn check_count(field: &str, count: usize) -> Result<()> {
    if count > MAX_LINES {
        return Err(Error::invalid(
            field,
            "at most 200 entries",
            format!("{count} entries"),
        ));
    }
    Ok(())
}

fn check_products(field: &str, products: &[Product]) -> Result<()> {
    check_count(field, products.len())?;
    for (i, product) in products.iter().enumerate() {
        product.validate(format_args!("{field}[{i}]"))?;
    }
    Ok(())
}

fn check_amount(field: &str, amount: Option<f64>) -> Result<()> {
    match amount {
        Some(a) if !a.is_finite() || a < 0.0 => Err(Error::invalid(
            field,
            "a finite, non-negative number",
            Shortest(a),
        )),
        _ => Ok(()),
    }
}

fn check_label(field: &str, value: &str, max_bytes: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(
            field,
            "a non-empty string",
            Quoted(value).to_string(),
        ));
    }
    if value.len() > max_bytes {
        let expected = if max_bytes == MAX_ID_BYTES {
            "at most 128 bytes"
        } else {
            "at most 256 bytes"
        };
        return Err(Error::invalid(
            field,
            expected,
            format!("{} bytes", value.len()),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "text without control characters",
            Quoted(value).to_string(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_view() {
        let event = Event::from_json(
            r#"{"type":"product_viewed","product":{"id":"1004237",
                "category":"electronics.smartphone","brand":"apple","price":1081.98}}"#,
        )
        .unwrap();
        let product = event.product().unwrap();
        assert_eq!(product.top_category(), Some("electronics"));
        assert_eq!(product.price, Some(1081.98));
    }

    #[test]
    fn names_the_bad_field() {
        let err = Event::from_json(r#"{"type":"product_viewed","product":{"id":"1","price":-3}}"#)
            .unwrap_err();
        assert_eq!(err.code(), "invalid_field");
        assert!(err.to_string().contains("`product.price`"), "{err}");

        let long = "x".repeat(129);
        let err = Event::from_json(&format!(
            r#"{{"type":"product_viewed","product":{{"id":"{long}"}}}}"#
        ))
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("`product.id`: expected at most 128 bytes"),
            "{err}"
        );

        let err = Event::from_json(r#"{"type":"added_to_cart","product":{"id":"1"},"quantity":0}"#)
            .unwrap_err();
        assert!(err.to_string().contains("`quantity`"), "{err}");
    }

    #[test]
    fn a_non_finite_price_is_refused_by_name() {
        let err =
            Event::from_json(r#"{"type":"product_viewed","product":{"id":"1","price":"NaN"}}"#)
                .unwrap_err();
        assert!(
            err.to_string()
                .contains("`product.price`: expected a finite"),
            "{err}"
        );
        let err = Event::from_json(r#"{"type":"product_viewed","product":{"id":"1","price":"9"}}"#)
            .unwrap_err();
        assert_eq!(err.code(), "malformed_input");
        assert!(
            err.to_string()
                .contains(r#"`product.price`: expected a number, got "9""#),
            "{err}"
        );
    }

    #[test]
    fn rejects_unknown_shapes() {
        assert_eq!(
            Event::from_json(r#"{"type":"teleported"}"#)
                .unwrap_err()
                .code(),
            "malformed_input"
        );
        assert_eq!(
            Event::from_json(r#"{"type":"product_viewed","product":{"id":"1","colour":"red"}}"#)
                .unwrap_err()
                .code(),
            "malformed_input"
        );
    }

    #[test]
    fn keeps_non_latin_text() {
        let event = Event::from_json(
            r#"{"type":"product_viewed", "product":{"id":"çay-☕",
                "category":"家電.冷蔵庫","brand":"“Smart” 👟"}}"#,
        )
        .unwrap();
        let product = event.product().unwrap();
        assert_eq!(product.top_category(), Some("家電"));
        assert_eq!(product.brand.as_deref(), Some("“Smart” 👟"));
    }

    #[test]
    fn parses_the_whole_vocabulary() {
        let events = [
            r#"{"type":"product_impression","product":{"id":"1"},"widget":"search","position":3}"#,
            r#"{"type":"list_viewed","category":"furniture.living_room"}"#,
            r#"{"type":"list_viewed","list_id":"summer-sale"}"#,
            r#"{"type":"cart_viewed","products":[{"id":"1"},{"id":"2"}]}"#,
            r#"{"type":"cart_viewed"}"#,
            r#"{"type":"checkout_started","products":[{"id":"1"}],"value":19.5}"#,
            r#"{"type":"order_completed","items":[{"product":{"id":"1"},"quantity":2}],
                "revenue":39}"#,
            r#"{"type":"products_searched","query":"sofa","result_count":12}"#,
        ];
        for json in events {
            Event::from_json(json).unwrap_or_else(|e| panic!("{json}: {e}"));
        }
    }

    #[test]
    fn names_the_bad_field_inside_lists() {
        let cases = [
            (
                r#"{"type":"order_completed","items":[{"product":{"id":"1"}},
                    {"product":{"id":"2","price":-1}}]}"#,
                "`items[1].product.price`",
            ),
            (
                r#"{"type":"order_completed","items":[{"product":{"id":"1"},"quantity":0}]}"#,
                "`items[0].quantity`",
            ),
            (
                r#"{"type":"order_completed","items":[],"revenue":"NaN"}"#,
                "`revenue`: expected a finite",
            ),
            (
                r#"{"type":"cart_viewed","products":[{"id":" "}]}"#,
                "`products[0].id`",
            ),
            (
                r#"{"type":"list_viewed"}"#,
                "`category`: expected a category path or a list_id",
            ),
            (r#"{"type":"checkout_started","value":-5}"#, "`value`"),
        ];
        for (json, needle) in cases {
            let err = Event::from_json(json).unwrap_err();
            assert_eq!(err.code(), "invalid_field", "{json}");
            assert!(err.to_string().contains(needle), "{json}: {err}");
        }
        let lines: Vec<String> = (0..201).map(|i| format!(r#"{{"id":"{i}"}}"#)).collect();
        let json = format!(
            r#"{{"type":"cart_viewed","products":[{}]}}"#,
            lines.join(",")
        );
        let err = Event::from_json(&json).unwrap_err();
        assert!(
            err.to_string().contains("`products`: expected at most 200"),
            "{err}"
        );
    }

    #[test]
    fn an_oversize_event_is_refused_before_it_is_read() {
        let padding = " ".repeat(MAX_EVENT_JSON_BYTES);
        let json = format!(r#"{{"type":"product_viewed","product":{{"id":"1"}}}}{padding}"#);
        let err = Event::from_json(&json).unwrap_err();
        assert_eq!(err.code(), "invalid_field");
        assert!(
            err.to_string()
                .contains("`event`: expected at most 512 KiB of JSON"),
            "{err}"
        );
        assert!(Event::from_json(json.trim_end()).is_ok());
    }

    #[test]
    fn parses_widget_names() {
        assert_eq!(WidgetKind::parse("cart").unwrap(), WidgetKind::Cart);
        assert!(WidgetKind::parse("sidebar")
            .unwrap_err()
            .to_string()
            .contains("`widget`"));
    }
}
