//! Reading an event from the JSON the page sends, field by field.
//!
//! By hand, not with serde's derive: for an internally tagged enum serde buffers the whole
//! event and builds a visitor per variant, which was an eighth of the start-up wasm (14 KB
//! of its brotli), and the buffering lost the field's path that a developer needs to fix a
//! call. Here every shape error names its field. Bounds are checked afterwards, by
//! [`Event::validate`]; this module only gives each field its type.
//!
//! A `null` field counts as absent, as `undefined` does in the page's object.

use crate::json::{self, Object, Value};

use crate::error::{Error, Result};
use crate::event::{Event, OrderLine, Product, WidgetKind};

/// The fields a product may have.
const PRODUCT_FIELDS: &[&str] = &["id", "category", "brand", "price"];
/// The fields an order line may have.
const LINE_FIELDS: &[&str] = &["product", "quantity"];
/// Every event type, in the order the error message lists them.
const TYPES: &[&str] = &[
    "product_viewed",
    "product_clicked",
    "added_to_cart",
    "removed_from_cart",
    "products_searched",
    "product_impression",
    "product_dwell",
    "list_viewed",
    "cart_viewed",
    "checkout_started",
    "order_completed",
];

const QUANTITY: &str = "an integer from 1 to 10000";
const POSITION: &str = "an integer ≥ 0";
const SECONDS: &str = "a number of seconds from more than 0 to 3600";

/// The event in `json`, each field of its type; not yet checked against its bounds.
///
/// # Errors
/// [`Error::Malformed`] naming the field when the JSON does not have an event's shape.
pub(crate) fn read_event(json: &str) -> Result<Event> {
    check_size_of_tree(json)?;
    let value = json::parse(json).map_err(|e| malformed(e.to_string()))?;
    let kind = match &value {
        Value::Object(map) => map.get("type"),
        _ => None,
    };
    let kind = match kind {
        Some(Value::String(kind)) => kind.as_str(),
        Some(other) => return Err(wrong_type("type", "an event type", other)),
        None if value.as_object().is_some() => {
            return Err(malformed("missing field `type`".into()))
        }
        None => {
            return Err(malformed(format!(
                "expected an object, got {}",
                value.quoted()
            )))
        }
    };
    let allowed: &[&str] = match kind {
        "product_viewed" => &["type", "product"],
        "product_clicked" | "product_impression" => &["type", "product", "widget", "position"],
        "added_to_cart" | "removed_from_cart" => &["type", "product", "quantity"],
        "products_searched" => &["type", "query", "result_count"],
        "product_dwell" => &["type", "product", "seconds"],
        "list_viewed" => &["type", "category", "list_id"],
        "cart_viewed" => &["type", "products"],
        "checkout_started" => &["type", "products", "value"],
        "order_completed" => &["type", "items", "revenue"],
        unknown => {
            return Err(malformed(format!(
                "`type`: unknown event type `{unknown}`, expected one of {}",
                listed(TYPES)
            )))
        }
    };
    let event = Fields::of(&value, "", allowed)?;
    Ok(match kind {
        "product_viewed" => Event::ProductViewed {
            product: event.product("product")?,
        },
        "product_clicked" => Event::ProductClicked {
            product: event.product("product")?,
            widget: event.widget("widget")?,
            position: event.integer("position", POSITION)?,
        },
        "product_impression" => Event::ProductImpression {
            product: event.product("product")?,
            widget: event.widget("widget")?,
            position: event.integer("position", POSITION)?,
        },
        "added_to_cart" => Event::AddedToCart {
            product: event.product("product")?,
            quantity: event.integer("quantity", QUANTITY)?.unwrap_or(1),
        },
        "removed_from_cart" => Event::RemovedFromCart {
            product: event.product("product")?,
            quantity: event.integer("quantity", QUANTITY)?.unwrap_or(1),
        },
        "products_searched" => Event::ProductsSearched {
            query: event.required("query", |v| event.string("query", v))?,
            result_count: event.integer("result_count", POSITION)?,
        },
        "product_dwell" => Event::ProductDwell {
            product: event.product("product")?,
            seconds: event.required("seconds", |v| {
                v.as_f64().ok_or_else(|| wrong_type("seconds", SECONDS, v))
            })?,
        },
        "list_viewed" => Event::ListViewed {
            category: event.optional("category", |v| event.string("category", v))?,
            list_id: event.optional("list_id", |v| event.string("list_id", v))?,
        },
        "cart_viewed" => Event::CartViewed {
            products: event.optional("products", |v| products(v, "products"))?,
        },
        "checkout_started" => Event::CheckoutStarted {
            products: event
                .optional("products", |v| products(v, "products"))?
                .unwrap_or_default(),
            value: event.optional("value", |v| amount(v, "value"))?,
        },
        // `allowed` has matched every other name above.
        _ => Event::OrderCompleted {
            items: event.required("items", |v| {
                list(v, "items", "a list of order lines", |line, at| {
                    let line = Fields::of(line, &at, LINE_FIELDS)?;
                    Ok(OrderLine {
                        product: line.product("product")?,
                        quantity: line.integer("quantity", QUANTITY)?.unwrap_or(1),
                    })
                })
            })?,
            revenue: event.optional("revenue", |v| amount(v, "revenue"))?,
        },
    })
}

/// Most objects, lists and separators one event's JSON may hold. The largest valid event
/// (an order of 200 lines) has about 1400; the limit keeps the parsed tree of a small but
/// dense text (`[{"id":0},{"id":0},…]`, 20 MB of tree for 512 KiB of text) out of the
/// wasm memory, whose cap it would reach.
const MAX_TREE_NODES: usize = 4096;

/// Counts the `{`, `[` and `,` outside strings before anything is parsed.
fn check_size_of_tree(json: &str) -> Result<()> {
    let (mut nodes, mut in_string, mut escaped) = (0usize, false, false);
    for byte in json.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' | b',' => nodes += 1,
            _ => {}
        }
    }
    if nodes > MAX_TREE_NODES {
        let got = format!("{nodes} objects, lists and separators");
        return Err(Error::invalid(
            "event",
            "at most 4096 objects, lists and separators",
            got,
        ));
    }
    Ok(())
}

/// The fields of one JSON object at `path` (`""` for the event itself).
struct Fields<'a> {
    map: &'a Object,
    path: &'a str,
}

impl<'a> Fields<'a> {
    /// `value` as an object with no field outside `allowed`.
    fn of(value: &'a Value, path: &'a str, allowed: &[&str]) -> Result<Fields<'a>> {
        let Value::Object(map) = value else {
            return Err(wrong_type(path, "an object", value));
        };
        if let Some((unknown, _)) = map.iter().find(|(k, _)| !allowed.contains(k)) {
            let (at, expected) = (inside(path), listed(allowed));
            return Err(malformed(format!(
                "{at}unknown field `{unknown}`, expected one of {expected}"
            )));
        }
        Ok(Fields { map, path })
    }

    /// The path of `field` in the event, as validation names it too.
    fn path_of(&self, field: &str) -> String {
        if self.path.is_empty() {
            field.to_owned()
        } else {
            format!("{}.{field}", self.path)
        }
    }

    fn optional<T>(&self, field: &str, read: impl Fn(&Value) -> Result<T>) -> Result<Option<T>> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => read(value).map(Some),
        }
    }

    fn required<T>(&self, field: &str, read: impl Fn(&Value) -> Result<T>) -> Result<T> {
        self.optional(field, read)?
            .ok_or_else(|| malformed(format!("{}missing field `{field}`", inside(self.path))))
    }

    fn string(&self, field: &str, value: &Value) -> Result<String> {
        match value {
            Value::String(text) => Ok(text.clone()),
            other => Err(wrong_type(&self.path_of(field), "a string", other)),
        }
    }

    fn integer(&self, field: &str, expected: &'static str) -> Result<Option<u32>> {
        self.optional(field, |value| {
            value
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| wrong_type(&self.path_of(field), expected, value))
        })
    }

    fn widget(&self, field: &str) -> Result<Option<WidgetKind>> {
        self.optional(field, |value| {
            let expected = "one of \"search\", \"recommendations\", \"cart\"";
            value
                .as_str()
                .and_then(|name| WidgetKind::parse(name).ok())
                .ok_or_else(|| wrong_type(&self.path_of(field), expected, value))
        })
    }

    fn product(&self, field: &str) -> Result<Product> {
        self.required(field, |value| product(value, &self.path_of(field)))
    }
}

fn product(value: &Value, path: &str) -> Result<Product> {
    let product = Fields::of(value, path, PRODUCT_FIELDS)?;
    Ok(Product {
        id: product.required("id", |v| product.string("id", v))?,
        category: product.optional("category", |v| product.string("category", v))?,
        brand: product.optional("brand", |v| product.string("brand", v))?,
        price: product.optional("price", |v| amount(v, &product.path_of("price")))?,
    })
}

fn products(value: &Value, path: &str) -> Result<Vec<Product>> {
    list(value, path, "a list of products", |item, at| {
        product(item, &at)
    })
}

/// Each element of the array `value` at `path`, read by `read` with its own path.
fn list<T>(
    value: &Value,
    path: &str,
    expected: &'static str,
    read: impl Fn(&Value, String) -> Result<T>,
) -> Result<Vec<T>> {
    let Value::Array(items) = value else {
        return Err(wrong_type(path, expected, value));
    };
    // A loop, not `collect::<Result<_>>()`, as `stored::Fields::list` says why.
    let mut read_all = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        read_all.push(read(item, format!("{path}[{i}]"))?);
    }
    Ok(read_all)
}

/// A price or an order amount. `NaN` and `±Infinity` arrive as strings (JSON has no such
/// numbers; the browser layer writes them so) and are read as numbers, so that validation
/// refuses them by name with the rest of the field's bounds.
fn amount(value: &Value, path: &str) -> Result<f64> {
    match value {
        Value::Number(n) => Some(*n),
        Value::String(text) => match text.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
    .ok_or_else(|| wrong_type(path, "a number", value))
}

/// "`path`: " before a message about the object at `path`; nothing for the event itself.
fn inside(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("`{path}`: ")
    }
}

fn malformed(why: String) -> Error {
    Error::Malformed(format!("event: {why}"))
}

fn wrong_type(path: &str, expected: &str, got: &Value) -> Error {
    let at = if path.is_empty() { "the event" } else { path };
    malformed(format!("`{at}`: expected {expected}, got {}", got.quoted()))
}

/// `names` as "`a`, `b`, `c`".
fn listed(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    quoted.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(json: &str) -> String {
        let error = read_event(json).expect_err(json);
        assert_eq!(error.code(), "malformed_input", "{json}: {error}");
        error.to_string()
    }

    #[test]
    fn every_event_reads_back_what_serde_writes() {
        let product = Product {
            id: "1004237".into(),
            category: Some("electronics.smartphone".into()),
            brand: Some("apple".into()),
            price: Some(1081.98),
        };
        let bare = Product {
            id: "7".into(),
            category: None,
            brand: None,
            price: None,
        };
        let events = [
            Event::ProductViewed {
                product: product.clone(),
            },
            Event::ProductClicked {
                product: product.clone(),
                widget: Some(WidgetKind::Search),
                position: Some(3),
            },
            Event::AddedToCart {
                product: bare.clone(),
                quantity: 2,
            },
            Event::RemovedFromCart {
                product: bare.clone(),
                quantity: 1,
            },
            Event::ProductsSearched {
                query: "sofa".into(),
                result_count: None,
            },
            Event::ProductImpression {
                product: bare.clone(),
                widget: None,
                position: Some(0),
            },
            Event::ProductDwell {
                product: bare.clone(),
                seconds: 12.5,
            },
            Event::ListViewed {
                category: None,
                list_id: Some("summer-sale".into()),
            },
            Event::CartViewed { products: None },
            Event::CheckoutStarted {
                products: vec![product.clone(), bare.clone()],
                value: Some(19.5),
            },
            Event::OrderCompleted {
                items: vec![OrderLine {
                    product,
                    quantity: 3,
                }],
                revenue: None,
            },
        ];
        for event in events {
            let json = serde_json::to_string(&event).unwrap();
            assert_eq!(read_event(&json).unwrap(), event, "{json}");
        }
    }

    #[test]
    fn null_is_absent_and_absent_counts_take_their_default() {
        let event = read_event(
            r#"{"type":"added_to_cart","product":{"id":"1","brand":null,"price":null},
                "quantity":null}"#,
        )
        .unwrap();
        let Event::AddedToCart { product, quantity } = event else {
            panic!("{event:?}");
        };
        assert_eq!((product.brand, product.price, quantity), (None, None, 1));
        let event = read_event(r#"{"type":"checkout_started"}"#).unwrap();
        assert_eq!(
            event,
            Event::CheckoutStarted {
                products: vec![],
                value: None
            }
        );
    }

    #[test]
    fn shape_errors_name_the_field_where_it_sits() {
        let cases = [
            (
                r#"{"type":"order_completed","items":[{"product":{"id":"1","size":"L"}}]}"#,
                "`items[0].product`: unknown field `size`, expected one of `id`",
            ),
            (
                r#"{"type":"order_completed","items":[{"quantity":1}]}"#,
                "`items[0]`: missing field `product`",
            ),
            (
                r#"{"type":"order_completed","items":[{"product":{"id":"1"},"quantity":1.5}]}"#,
                "`items[0].quantity`: expected an integer from 1 to 10000, got 1.5",
            ),
            (
                r#"{"type":"cart_viewed","products":[{"id":"1"},"2"]}"#,
                r#"`products[1]`: expected an object, got "2""#,
            ),
            (
                r#"{"type":"cart_viewed","products":{"id":"1"}}"#,
                "`products`: expected a list of products",
            ),
            (
                r#"{"type":"product_clicked","product":{"id":"1"},"widget":"sidebar"}"#,
                r#"`widget`: expected one of "search", "recommendations", "cart", got "sidebar""#,
            ),
            (
                r#"{"type":"product_clicked","product":{"id":"1"},"position":4294967296}"#,
                "`position`: expected an integer ≥ 0",
            ),
            (
                r#"{"type":"list_viewed","category":["a"]}"#,
                r#"`category`: expected a string, got ["a"]"#,
            ),
            (
                r#"{"type":"product_viewed","product":{"id":"1"},"widget":"search"}"#,
                "unknown field `widget`, expected one of `type`, `product`",
            ),
            (r#"{"type":7}"#, "`type`: expected an event type, got 7"),
            (r#"{"product":{"id":"1"}}"#, "missing field `type`"),
            (r#"[1,2]"#, "expected an object, got [1,2]"),
            (r#"{"type":"product_viewed""#, "EOF while parsing"),
        ];
        for (json, needle) in cases {
            let message = refusal(json);
            assert!(message.contains(needle), "{json}: {message}");
            assert!(message.starts_with("malformed input: event: "), "{message}");
        }
    }

    #[test]
    fn a_dense_tree_is_refused_before_it_is_parsed() {
        let dense = vec![r#"{"id":"1"}"#; MAX_TREE_NODES].join(",");
        let json = format!(r#"{{"type":"cart_viewed","products":[{dense}]}}"#);
        let error = read_event(&json).unwrap_err();
        assert_eq!(error.code(), "invalid_field", "{error}");
        assert!(error.to_string().contains("`event`"), "{error}");
        // Separators inside strings are text, not nodes.
        let text = "{[,\\\"".repeat(MAX_TREE_NODES);
        let json = format!(r#"{{"type":"products_searched","query":"{text}"}}"#);
        assert!(read_event(&json).is_ok());
    }

    #[test]
    fn the_largest_valid_order_fits_the_tree_limit() {
        let line = r#"{"product":{"id":"1","category":"a.b","brand":"c","price":1},"quantity":1}"#;
        let lines = vec![line; crate::event::MAX_LINES].join(",");
        let json = format!(r#"{{"type":"order_completed","items":[{lines}],"revenue":1}}"#);
        assert!(crate::event::Event::from_json(&json).is_ok());
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let long = "x".repeat(500);
        let message = refusal(&format!(r#"{{"type":"list_viewed","list_id":["{long}"]}}"#));
        assert!(message.len() < 200, "{message}");
        assert!(message.ends_with('…'), "{message}");
    }
}
