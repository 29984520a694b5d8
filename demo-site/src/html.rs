//! HTML building blocks: escaping, the page layout, and the product markup of the DOM
//! contract (`data-vitrine-*`).
//!
//! Every value from the catalogue or the request goes through [`escape`] before it is
//! written. Pages carry no inline script or style: the only script is `/static/app.js`.

use std::fmt::Write;

use crate::catalogue::Product;

/// The credit the source data asks for, shown in every page's footer.
const ATTRIBUTION: &str = "Product data: “eCommerce behavior data from multi category store” \
     by the REES46 Marketing Platform / Open CDP, published on Kaggle. Used with credit to \
     REES46 and Kaggle; product names are made up from category and brand.";

/// Escapes text for use in HTML content and in double- or single-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page: head, the site header with its search box (pre-filled with `query`), the
/// `main` content and the footer.
pub fn layout(title: &str, query: &str, main: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Vitrine demo store</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/style.css">
<script type="module" src="/static/app.js"></script>
</head>
<body>
<header class="site-header">
<a class="site-name" href="/">Vitrine demo store</a>
<nav aria-label="Site">
<a href="/">Home</a>
<a href="/cart">Cart <span id="cart-count" class="cart-count"></span></a>
<a href="/privacy">Privacy</a>
</nav>
<form class="search-box" action="/search" method="get" role="search" data-vitrine-search>
<input name="q" type="search" value="{query}" placeholder="Search products"
 aria-label="Search products">
<button type="submit">Search</button>
</form>
</header>
<main>
{main}
</main>
<footer class="site-footer">
<p>{attribution}</p>
<p>Personalization runs in your browser; see <a href="/privacy">what it knows</a>.</p>
</footer>
</body>
</html>
"#,
        title = escape(title),
        query = escape(query),
        attribution = escape(ATTRIBUTION),
    )
}

/// The contract attributes of a product: item, category, brand (omitted when empty), price.
pub fn product_attributes(product: &Product) -> String {
    let mut attrs = format!(
        r#"data-vitrine-item="{}" data-vitrine-category="{}""#,
        escape(&product.id),
        escape(&product.category)
    );
    if !product.brand.is_empty() {
        let _ = write!(attrs, r#" data-vitrine-brand="{}""#, escape(&product.brand));
    }
    let _ = write!(
        attrs,
        r#" data-vitrine-price="{}""#,
        price_attribute(product.price)
    );
    attrs
}

/// A widget: the container of the contract and the products as its direct children, with
/// their server positions as `data-vitrine-rank`. `extra` is further, already escaped,
/// attributes of the container.
pub fn widget(kind: &str, extra: &str, products: &[&Product]) -> String {
    let mut out = format!(
        r#"<section class="shelf" data-vitrine-widget="{}"{extra}>"#,
        escape(kind)
    );
    out.push('\n');
    for (rank, product) in products.iter().enumerate() {
        out.push_str(&product_card(product, rank));
    }
    out.push_str("</section>");
    out
}

/// One product in a widget.
fn product_card(product: &Product, rank: usize) -> String {
    format!(
        r#"<article class="product" {attrs} data-vitrine-rank="{rank}">
<a class="product-link" href="/product/{id}"><h3 class="product-name">{name}</h3></a>
<p class="product-meta">{brand}{category}</p>
<p class="price">{price}</p>
<button type="button" data-vitrine-action="add-to-cart">Add to cart</button>
</article>
"#,
        attrs = product_attributes(product),
        id = escape(&product.id),
        name = escape(&product.name),
        brand = brand_label(product),
        category = escape(&category_label(product)),
        price = price_label(product.price),
    )
}

/// `<span class="brand">apple</span> · ` or nothing, for the meta line.
pub fn brand_label(product: &Product) -> String {
    if product.brand.is_empty() {
        String::new()
    } else {
        let brand = escape(&display_brand(&product.brand));
        format!(r#"<span class="brand">{brand}</span> · "#)
    }
}

/// The brand as people write it: `apple` → `Apple`, `de-longhi` → `De-Longhi`, and short
/// ones, mostly initialisms, in capitals: `lg` → `LG` (the rule `derive.py` names use).
pub fn display_brand(brand: &str) -> String {
    if brand.chars().count() <= 3 {
        return brand.to_uppercase();
    }
    let capitalize = |part: &str| {
        let mut chars = part.chars();
        chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    };
    brand
        .split('-')
        .map(capitalize)
        .collect::<Vec<String>>()
        .join("-")
}

/// `electronics › smartphone`, or `category 2053…` for a bare category id.
pub fn category_label(product: &Product) -> String {
    if product.has_category_code() {
        product
            .category
            .split('.')
            .map(|part| part.replace('_', " "))
            .collect::<Vec<_>>()
            .join(" › ")
    } else {
        format!("category {}", product.category)
    }
}

/// `text` as a URL query value (form encoding). The result is plain ASCII letters, digits,
/// `+` and `%XX`, so it is also safe in an HTML attribute.
pub fn query_value(text: impl AsRef<str>) -> String {
    let mut out = String::new();
    for byte in text.as_ref().bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

/// The price as the catalogue writes it (`33.20`), so the attribute round-trips.
pub fn price_attribute(price: f64) -> String {
    format!("{price:.2}")
}

/// The price for people: `1,081.98`. The source names no currency, so neither do we.
pub fn price_label(price: f64) -> String {
    let fixed = price_attribute(price);
    let (whole, cents) = fixed.split_once('.').unwrap_or((&fixed, "00"));
    format!("{}.{cents}", group_thousands(whole))
}

/// `1234567` → `1,234,567`, for a string of digits.
pub fn group_thousands(digits: &str) -> String {
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(brand: &str) -> Product {
        Product {
            id: "1004237".into(),
            category: "electronics.smartphone".into(),
            brand: brand.into(),
            price: 1081.98,
            name: "Apple <smartphone> \"4237\"".into(),
            popularity: 3,
        }
    }

    #[test]
    fn escapes_everything_that_could_break_out() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        let page = layout("<t>", "\"><script>", "");
        assert!(!page.contains("<script>") && page.contains("&quot;&gt;&lt;script&gt;"));
    }

    #[test]
    fn cards_carry_the_contract() {
        let p = product("apple");
        let html = widget("recommendations", "", &[&p]);
        assert!(
            html.starts_with(r#"<section class="shelf" data-vitrine-widget="recommendations">"#)
        );
        assert!(html.contains(concat!(
            r#"data-vitrine-item="1004237" data-vitrine-category="electronics.smartphone" "#,
            r#"data-vitrine-brand="apple" data-vitrine-price="1081.98" data-vitrine-rank="0""#,
        )));
        assert!(html.contains("Apple &lt;smartphone&gt; &quot;4237&quot;"));
        assert!(!product_attributes(&product("")).contains("data-vitrine-brand"));
    }

    #[test]
    fn prices_read_well() {
        assert_eq!(price_label(1081.98), "1,081.98");
        assert_eq!(price_label(0.0), "0.00");
        assert_eq!(price_label(1234567.5), "1,234,567.50");
        assert_eq!(price_attribute(33.2), "33.20");
        assert_eq!(group_thousands("5421"), "5,421");
    }

    #[test]
    fn brands_read_as_written() {
        assert_eq!(display_brand("apple"), "Apple");
        assert_eq!(display_brand("lg"), "LG");
        assert_eq!(display_brand("de-longhi"), "De-Longhi");
    }

    #[test]
    fn query_values_are_form_encoded() {
        assert_eq!(query_value("air heater"), "air+heater");
        assert_eq!(query_value("a&b=\"é\""), "a%26b%3D%22%C3%A9%22");
    }
}
