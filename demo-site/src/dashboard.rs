//! `GET /dashboard`: the collector's estimates, plotted.
//!
//! The page is static HTML; `/static/dashboard.js` fetches `/v1/estimates` and draws it with
//! Chart.js, which the server serves from the npm install in `demo-site` (no CDN: the
//! Content-Security-Policy allows scripts from this origin only, and none inline).

use axum::response::Html;

/// Where the page loads Chart.js's browser build from.
pub const CHART_JS_PATH: &str = "/vendor/chart.umd.min.js";

/// `GET /dashboard`.
pub async fn page() -> Html<String> {
    Html(format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Collector dashboard · Vitrine</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/style.css">
<script src="{CHART_JS_PATH}" defer></script>
<script src="/static/dashboard.js" defer></script>
</head>
<body>
<main class="dashboard">
<h1>What the shoppers' noised batches say</h1>
<p class="hint">Estimates decoded from locally differentially private batches, each with its
95% confidence interval. An aggregate appears only once the batches behind it come from at
least 50 distinct shoppers.</p>
<p id="dashboard-status" role="status" data-state="loading">Loading the estimates…</p>
<section aria-labelledby="interest-title">
<h2 id="interest-title">Interest by top-level category</h2>
<p class="hint" id="interest-note"></p>
<div class="chart-box"><canvas id="interest-chart" role="img"
 aria-label="Estimated share of shoppers by strongest category, with 95% intervals"></canvas></div>
</section>
<section aria-labelledby="arms-title">
<h2 id="arms-title">Widget rates by arm</h2>
<p class="hint" id="arms-note"></p>
<div class="chart-box"><canvas id="arms-chart" role="img"
 aria-label="Click-through and add-to-cart rates of the personalized and holdout arms">
</canvas></div>
</section>
<section aria-labelledby="uplift-title">
<h2 id="uplift-title">Uplift: personalized minus holdout</h2>
<p class="hint" id="uplift-note"></p>
<div class="chart-box"><canvas id="uplift-chart" role="img"
 aria-label="Uplift of click-through and add-to-cart rates, with 95% intervals"></canvas></div>
</section>
</main>
</body>
</html>
"#
    ))
}
