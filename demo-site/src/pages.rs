//! The storefront's pages, rendered on the server: `/`, `/search`, `/product/<id>`, `/cart`,
//! `/privacy` and the 404 page.
//!
//! The pages follow the DOM contract in `/work/shared/DESIGN.md` (see `html`); the SDK
//! reorders their widgets in the browser.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::catalogue::{Catalogue, Product};
use crate::html::{self, escape, layout, widget};
use crate::selection;

/// Candidates on the home page's shelf.
pub const HOME_SHELF: usize = 48;
/// Candidates in a product page's "Similar items".
pub const SIMILAR_SHELF: usize = 24;
/// Candidates among the cart's suggestions.
pub const CART_SHELF: usize = 24;

/// `GET /`.
pub async fn home(State(catalogue): State<Arc<Catalogue>>) -> Html<String> {
    let shelf = selection::popular_across_categories(&catalogue, HOME_SHELF);
    let main = format!(
        r#"<section class="intro">
<h1>Welcome to the Vitrine demo store</h1>
<p>{count} real products from a large multi-category store. The shelves below arrive in the
store's order, most popular first; Vitrine then reorders them in your browser from what you
look at here, and only noised, aggregated signals ever leave it.</p>
</section>
<h2 id="popular">Popular right now</h2>
{shelf}"#,
        count = html::group_thousands(&catalogue.len().to_string()),
        shelf = widget("recommendations", r#" aria-labelledby="popular""#, &shelf),
    );
    Html(layout("Home", "", &main))
}

/// The query string of `/search`.
#[derive(Debug, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
}

/// `GET /search?q=`.
pub async fn search(
    State(catalogue): State<Arc<Catalogue>>,
    Query(params): Query<SearchParams>,
) -> Html<String> {
    let query = params.q.trim();
    if query.is_empty() {
        let main = r#"<h1>Search</h1>
<p class="hint">Type a product, a brand or a category into the search box, for example
<a href="/search?q=samsung">samsung</a>, <a href="/search?q=sofa">sofa</a> or
<a href="/search?q=headphone">headphone</a>.</p>"#;
        return Html(layout("Search", "", main));
    }

    let results = selection::search(&catalogue, query);
    let summary = match results.len() {
        0 => "No products match. Try a brand or a kind of product.".to_string(),
        1 => "1 product".to_string(),
        n if n == selection::SEARCH_LIMIT => format!("The best {n} matches"),
        n => format!("{n} products"),
    };
    let extra = format!(
        r#" data-vitrine-query="{}" aria-labelledby="results""#,
        escape(query)
    );
    let main = format!(
        "<h1 id=\"results\">Results for “{query}”</h1>\n\
         <p class=\"hint\">{summary}</p>\n{shelf}",
        query = escape(query),
        shelf = widget("search", &extra, &results),
    );
    Html(layout(&format!("Search: {query}"), query, &main))
}

/// `GET /product/<id>`.
pub async fn product(State(catalogue): State<Arc<Catalogue>>, Path(id): Path<String>) -> Response {
    let Some(product) = catalogue.get(&id) else {
        return not_found_page(&format!(
            "There is no product with id “{id}” in this store."
        ));
    };
    let similar = selection::similar(&catalogue, product, SIMILAR_SHELF);
    let main = format!(
        r#"<nav class="breadcrumb" aria-label="Breadcrumb"><a href="/">Home</a> ›
<a href="/search?q={leaf}">{category}</a></nav>
<div class="detail" {attrs} data-vitrine-detail>
<h1 class="product-name">{name}</h1>
<p class="product-meta">{brand}{category}</p>
<p class="price">{price}</p>
<p class="hint">{popularity}</p>
<button type="button" data-vitrine-action="add-to-cart">Add to cart</button>
</div>
<h2 id="similar">Similar items</h2>
{shelf}"#,
        leaf = html::query_value(leaf_words(product)),
        category = escape(&html::category_label(product)),
        attrs = html::product_attributes(product),
        name = escape(&product.name),
        brand = html::brand_label(product),
        price = html::price_label(product.price),
        popularity = popularity_note(product.popularity),
        shelf = widget("recommendations", r#" aria-labelledby="similar""#, &similar),
    );
    Html(layout(&product.name, "", &main)).into_response()
}

/// `GET /cart`: the lines come from the browser (`app.js`), the suggestions from here.
pub async fn cart(State(catalogue): State<Arc<Catalogue>>) -> Html<String> {
    let suggestions = selection::popular_across_categories(&catalogue, CART_SHELF);
    let main = format!(
        r#"<h1>Your cart</h1>
<p class="hint">The cart lives in this browser only. This demo has no checkout.</p>
<ul id="cart-lines" class="cart-lines"></ul>
<h2 id="suggestions">You might also like</h2>
{shelf}"#,
        shelf = widget("cart", r#" aria-labelledby="suggestions""#, &suggestions),
    );
    Html(layout("Cart", "", &main))
}

/// `GET /privacy`: `app.js` fills in the profile, the controls and the ledger from the SDK.
pub async fn privacy() -> Html<String> {
    let main = r#"<h1>What this store knows about you</h1>
<p>Vitrine keeps a small profile of what you look at and add to your cart <strong>in this
browser</strong>, and uses it to reorder the shelves. The store's server never receives it.</p>
<p>What does leave is a noised batch: one randomized bit for each of 14 broad categories and a
randomized engagement band, sent within a daily privacy budget. Across many shoppers the store
can count interests; from one batch it cannot tell what you like.</p>
<h2>Your choices</h2>
<div class="privacy-controls">
<button type="button" id="vitrine-export" disabled>Download my data (JSON)</button>
<button type="button" id="vitrine-pause" disabled>Pause personalization</button>
<button type="button" id="vitrine-erase" disabled>Erase everything Vitrine stored</button>
</div>
<p id="vitrine-status" class="hint" role="status"></p>
<h2>In plain words</h2>
<div id="vitrine-summary"><p class="hint">This needs JavaScript and the Vitrine SDK.</p></div>
<h2>What was sent</h2>
<p class="hint">Every batch that left this browser, exactly as sent. This list itself stays
here.</p>
<table id="vitrine-ledger">
<thead><tr><th>When</th><th>How</th><th>ε spent</th><th>Outcome</th><th>Sent</th></tr></thead>
<tbody><tr><td colspan="5">Nothing yet.</td></tr></tbody>
</table>
<h2>The profile, exactly as stored</h2>
<pre id="vitrine-profile">Not loaded.</pre>"#;
    Html(layout("Privacy", "", main))
}

/// Any other path.
pub async fn fallback() -> Response {
    not_found_page("There is no page at this address.")
}

fn not_found_page(message: &str) -> Response {
    let main = format!(
        "<h1>Not found</h1>\n<p>{}</p>\n<p><a href=\"/\">Back to the store</a></p>",
        escape(message)
    );
    (StatusCode::NOT_FOUND, Html(layout("Not found", "", &main))).into_response()
}

/// The last part of the category code in words (`air heater`), or the bare category id.
fn leaf_words(product: &Product) -> String {
    let leaf = product
        .category
        .rsplit('.')
        .next()
        .unwrap_or(&product.category);
    leaf.replace('_', " ")
}

fn popularity_note(events: u32) -> String {
    match events {
        1 => "Seen once in the store's sample of shopper activity.".to_string(),
        n => format!("Seen {n} times in the store's sample of shopper activity."),
    }
}
