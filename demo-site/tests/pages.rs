//! The storefront's pages over real HTTP, checked against the DOM contract.

mod common;

use std::collections::HashSet;
use std::path::Path;

use common::{attr, select, widget_items, TestServer};
use scraper::{ElementRef, Html};
use vitrine_demo::catalogue::{Catalogue, Product};

fn catalogue() -> Catalogue {
    Catalogue::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogue/products.csv")).unwrap()
}

/// The catalogue row an element describes, checking that its attributes carry the row's own
/// values (and no brand attribute where the brand is empty).
fn product_of<'c>(catalogue: &'c Catalogue, element: &ElementRef) -> &'c Product {
    let id = attr(element, "data-vitrine-item");
    let product = catalogue
        .get(id)
        .unwrap_or_else(|| panic!("{id} is in the catalogue"));
    assert_eq!(attr(element, "data-vitrine-category"), product.category);
    assert_eq!(
        attr(element, "data-vitrine-price"),
        format!("{:.2}", product.price)
    );
    let brand = element.value().attr("data-vitrine-brand");
    if product.brand.is_empty() {
        assert_eq!(brand, None, "{id} has no brand");
    } else {
        assert_eq!(brand, Some(product.brand.as_str()));
    }
    product
}

/// Every page: one module script and no inline script, the nav, search box and credit.
fn check_layout(doc: &Html) {
    let scripts = select(doc, "script");
    assert_eq!(scripts.len(), 1);
    assert_eq!(attr(&scripts[0], "type"), "module");
    assert_eq!(attr(&scripts[0], "src"), "/static/app.js");
    assert!(select(doc, "[onclick], [onload], [onsubmit]").is_empty());

    let nav: Vec<&str> = select(doc, "header nav a")
        .iter()
        .map(|a| attr(a, "href"))
        .collect();
    assert_eq!(nav, ["/", "/cart", "/privacy"]);
    assert_eq!(
        select(
            doc,
            r#"form[action="/search"][data-vitrine-search] input[name="q"]"#
        )
        .len(),
        1
    );
    let footer: String = select(doc, "footer")
        .iter()
        .flat_map(|f| f.text())
        .collect();
    assert!(
        footer.contains("REES46") && footer.contains("Kaggle"),
        "{footer}"
    );
}

fn check_card(card: &ElementRef) {
    let id = attr(card, "data-vitrine-item");
    assert_eq!(select_in(card, &format!(r#"a[href="/product/{id}"]"#)), 1);
    let add = common::selector(r#"button[data-vitrine-action="add-to-cart"]"#);
    let labels: Vec<String> = card.select(&add).map(|b| b.text().collect()).collect();
    assert_eq!(labels, ["Add to cart"]);
}

fn select_in(element: &ElementRef, css: &str) -> usize {
    element.select(&common::selector(css)).count()
}

#[tokio::test]
async fn home_shows_a_broad_popular_shelf() {
    let server = TestServer::start().await;
    let catalogue = catalogue();
    let doc = server.page("/").await;
    check_layout(&doc);

    let items = widget_items(&doc, "recommendations");
    assert!(items.len() >= 40, "{} candidates", items.len());
    let products: Vec<&Product> = items
        .iter()
        .map(|item| product_of(&catalogue, item))
        .collect();
    items.iter().for_each(check_card);

    let tops: HashSet<&str> = products.iter().map(|p| p.top_category()).collect();
    assert!(tops.len() >= 6, "{tops:?}");
    assert!(products
        .windows(2)
        .all(|w| w[0].popularity >= w[1].popularity));
    assert_eq!(products[0].id, catalogue.by_popularity()[0].id);
}

#[tokio::test]
async fn search_orders_by_match_then_popularity() {
    let server = TestServer::start().await;
    let catalogue = catalogue();
    let doc = server.page("/search?q=Oppo+smartphone").await;
    check_layout(&doc);

    let widget = &select(&doc, r#"section[data-vitrine-widget="search"]"#)[0];
    assert_eq!(attr(widget, "data-vitrine-query"), "Oppo smartphone");
    let items = widget_items(&doc, "search");
    assert!(
        !items.is_empty() && items.len() <= 60,
        "{} results",
        items.len()
    );
    let products: Vec<&Product> = items
        .iter()
        .map(|item| product_of(&catalogue, item))
        .collect();

    // Oppo smartphones (both words) first, by popularity; then only one word matches.
    let both = |p: &Product| p.brand == "oppo" && p.category.ends_with(".smartphone");
    let split = products
        .iter()
        .position(|p| !both(p))
        .expect("more than the exact matches");
    assert!(split >= 10, "{split} Oppo smartphones");
    assert!(products[split..].iter().all(|p| !both(p)));
    assert!(products[..split]
        .windows(2)
        .all(|w| w[0].popularity >= w[1].popularity));
    let rest = &products[split..];
    assert!(rest
        .iter()
        .all(|p| p.brand == "oppo" || p.category.contains("smartphone")));
    assert!(rest.windows(2).all(|w| w[0].popularity >= w[1].popularity));
}

#[tokio::test]
async fn search_escapes_the_query_and_hints_when_empty() {
    let server = TestServer::start().await;
    let raw = server
        .get("/search?q=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    let html = raw.text().await.unwrap();
    assert!(!html.contains("<script>alert"), "the query is escaped");
    let doc = Html::parse_document(&html);
    let widget = &select(&doc, r#"section[data-vitrine-widget="search"]"#)[0];
    assert_eq!(
        attr(widget, "data-vitrine-query"),
        "\"><script>alert(1)</script>"
    );
    assert!(widget_items(&doc, "search").is_empty());

    for path in ["/search", "/search?q=", "/search?q=+++"] {
        let doc = server.page(path).await;
        assert!(select(&doc, "[data-vitrine-widget]").is_empty(), "{path}");
        assert_eq!(select(&doc, "main p.hint").len(), 1, "{path}");
    }
}

#[tokio::test]
async fn a_product_page_shows_the_product_and_similar_items() {
    let server = TestServer::start().await;
    let catalogue = catalogue();
    let phone = catalogue.get("1004237").unwrap();
    let doc = server.page("/product/1004237").await;
    check_layout(&doc);

    let detail = select(&doc, "main div[data-vitrine-detail]");
    assert_eq!(detail.len(), 1);
    assert_eq!(product_of(&catalogue, &detail[0]).id, "1004237");
    assert_eq!(
        select_in(&detail[0], r#"button[data-vitrine-action="add-to-cart"]"#),
        1
    );
    let title: String = select(&doc, "main h1")[0].text().collect();
    assert_eq!(title, phone.name);

    let items = widget_items(&doc, "recommendations");
    assert!(items.len() >= 20, "{} similar items", items.len());
    let similar: Vec<&Product> = items.iter().map(|i| product_of(&catalogue, i)).collect();
    assert!(similar.iter().all(|p| p.id != phone.id));
    let tier = |p: &Product| {
        if p.category == phone.category {
            0
        } else if p.top_category() == phone.top_category() {
            1
        } else {
            2
        }
    };
    assert_eq!(tier(similar[0]), 0);
    for pair in similar.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!(tier(a) < tier(b) || (tier(a) == tier(b) && a.popularity >= b.popularity));
    }
}

#[tokio::test]
async fn a_product_without_brand_or_code_still_renders() {
    let server = TestServer::start().await;
    let catalogue = catalogue();
    let plain = catalogue
        .by_popularity()
        .iter()
        .find(|p| p.brand.is_empty() && !p.has_category_code())
        .unwrap();
    let doc = server.page(&format!("/product/{}", plain.id)).await;
    let detail = &select(&doc, "[data-vitrine-detail]")[0];
    product_of(&catalogue, detail);
    assert!(widget_items(&doc, "recommendations").len() >= 20);
}

#[tokio::test]
async fn unknown_pages_are_404_html() {
    let server = TestServer::start().await;
    for path in [
        "/product/does-not-exist",
        "/product/%3Cb%3E",
        "/no/such/page",
    ] {
        let response = server.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        let body = response.text().await.unwrap();
        assert!(
            body.contains("Not found") && !body.contains("<b>"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_cart_page_has_lines_and_suggestions() {
    let server = TestServer::start().await;
    let catalogue = catalogue();
    let doc = server.page("/cart").await;
    check_layout(&doc);
    assert_eq!(select(&doc, "ul#cart-lines").len(), 1);

    let items = widget_items(&doc, "cart");
    assert!(items.len() >= 20, "{} suggestions", items.len());
    let tops: HashSet<&str> = items
        .iter()
        .map(|i| product_of(&catalogue, i).top_category())
        .collect();
    assert!(tops.len() >= 4, "{tops:?}");
    items.iter().for_each(check_card);
}

#[tokio::test]
async fn the_privacy_page_has_room_for_the_profile_the_controls_and_the_ledger() {
    let server = TestServer::start().await;
    let doc = server.page("/privacy").await;
    check_layout(&doc);
    assert_eq!(select(&doc, "pre#vitrine-profile").len(), 1);
    assert_eq!(select(&doc, "div#vitrine-summary").len(), 1);
    for id in ["vitrine-export", "vitrine-pause", "vitrine-erase"] {
        let buttons = select(&doc, &format!("button#{id}[type=button]"));
        assert_eq!(buttons.len(), 1, "{id}");
    }
    assert_eq!(select(&doc, "table#vitrine-ledger tbody").len(), 1);
}

/// The policy the SDK is built to run under: scripts from this origin only, WebAssembly
/// compilation allowed, nothing inline and no `eval`.
const SCRIPT_SRC: &str = "script-src 'self' 'wasm-unsafe-eval'";

#[tokio::test]
async fn every_page_runs_under_the_strict_script_policy() {
    let server = TestServer::start().await;
    let paths = [
        "/",
        "/search?q=samsung",
        "/product/1004237",
        "/cart",
        "/privacy",
        "/no-such-page",
    ];
    for path in paths {
        let response = server.get(path).await;
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
        let scripts: Vec<&&str> = directives
            .iter()
            .filter(|d| d.starts_with("script-src"))
            .collect();
        assert_eq!(scripts, [&SCRIPT_SRC], "{path}: {csp}");
        assert!(directives.contains(&"default-src 'self'"), "{path}: {csp}");
        assert!(
            !directives.iter().any(|d| d.starts_with("script-src-")),
            "{path}"
        );
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert!(
            response.headers().get("set-cookie").is_none(),
            "{path} sets a cookie"
        );

        let doc = Html::parse_document(&response.text().await.unwrap());
        let inline: Vec<_> = select(&doc, "script")
            .into_iter()
            .filter(|s| s.value().attr("src").is_none() || s.text().any(|t| !t.trim().is_empty()))
            .collect();
        assert!(inline.is_empty(), "{path} has an inline script");
        let handlers = doc
            .root_element()
            .descendants()
            .filter_map(ElementRef::wrap)
            .filter(|e| e.value().attrs().any(|(name, _)| name.starts_with("on")))
            .count();
        assert_eq!(handlers, 0, "{path} has inline event handlers");
    }
}
