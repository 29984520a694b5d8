// The other two widgets of the contract, search results and cart suggestions, re-ranked in a
// real browser on the demo store: a shopper's interest, learned on product pages, lifts the
// matching items in each, and the widget says it was ranked.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { demoAndBrowser, meanPosition, repo, watchConsole, widgetItems } from "./harness.mjs";

const env = demoAndBrowser();

/** The demo catalogue: `{ id, category, brand }` per product. */
function catalogue() {
  const text = readFileSync(join(repo, "demo-site", "catalogue", "products.csv"), "utf8");
  const [, ...lines] = text.trim().split("\n");
  return lines.map((line) => {
    const [id, category, brand] = line.split(",");
    return { id, category, brand };
  });
}

/** The category with at least two items that the server placed lowest on average. */
function lowestPlacedCategory(items) {
  const counts = new Map();
  for (const item of items) counts.set(item.category, (counts.get(item.category) ?? 0) + 1);
  let lowest = null;
  for (const [category, count] of counts) {
    if (!category || count < 2) continue;
    const mean = meanPosition(items, (item) => item.category === category);
    if (!lowest || mean > lowest.mean) lowest = { category, mean };
  }
  return lowest;
}

/** Views three products of `category` that `shown` does not hold: interest, not re-views. */
async function browseCategory(page, category, shown) {
  const ids = new Set(shown.map((item) => item.id));
  const others = catalogue().filter((p) => p.category === category && !ids.has(p.id));
  assert.ok(others.length >= 3, `the catalogue has more of ${category}`);
  for (const product of others.slice(0, 3)) {
    await page.goto(`${env.demo.origin}/product/${product.id}`);
    await widgetItems(page, "recommendations");
  }
  return others.slice(0, 3);
}

test("search results move toward the categories the shopper browsed", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  const url = `${env.demo.origin}/search?q=samsung`;

  await page.goto(url);
  const server = (await widgetItems(page, "search")).sort((a, b) => a.rank - b.rank);
  const target = lowestPlacedCategory(server);
  assert.ok(target, "the results span several categories");
  await browseCategory(page, target.category, server);

  await page.goto(url);
  const personalized = await widgetItems(page, "search");
  const state = await page.getAttribute("[data-vitrine-widget='search']", "data-vitrine-state");
  assert.equal(state, "ranked");
  assert.deepEqual(
    personalized.map((item) => item.id).sort(),
    server.map((item) => item.id).sort(),
    "re-ranking reorders the results, it never adds or drops one",
  );
  const inCategory = (item) => item.category === target.category;
  const after = meanPosition(personalized, inCategory);
  console.log(
    `  search: ${target.category} mean position ${target.mean.toFixed(1)} → ` +
      `${after.toFixed(1)} of ${server.length}`,
  );
  assert.ok(after < target.mean - 1, `${target.category}: ${target.mean} → ${after}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("cart suggestions move toward what the shopper put in the cart", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);

  await page.goto(`${env.demo.origin}/cart`);
  const server = (await widgetItems(page, "cart")).sort((a, b) => a.rank - b.rank);
  const department = (category) => category.split(".")[0];
  const byDepartment = server.map((item) => ({ ...item, category: department(item.category) }));
  const target = lowestPlacedCategory(byDepartment);
  assert.ok(target, "the suggestions span several departments");
  const product = catalogue().find(
    (p) => department(p.category) === target.category && !server.some((s) => s.id === p.id),
  );
  assert.ok(product, `the catalogue has more of ${target.category}`);
  await page.goto(`${env.demo.origin}/product/${product.id}`);
  await widgetItems(page, "recommendations");
  await page.click("[data-vitrine-detail] [data-vitrine-action='add-to-cart']");

  await page.goto(`${env.demo.origin}/cart`);
  const personalized = await widgetItems(page, "cart");
  const state = await page.getAttribute("[data-vitrine-widget='cart']", "data-vitrine-state");
  assert.equal(state, "ranked");
  const inDepartment = (item) => department(item.category) === target.category;
  const after = meanPosition(personalized, inDepartment);
  console.log(
    `  cart: ${target.category} mean position ${target.mean.toFixed(1)} → ` +
      `${after.toFixed(1)} of ${server.length}`,
  );
  assert.ok(after < target.mean - 1, `${target.category}: ${target.mean} → ${after}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a widget the shopper touched before the model was ready keeps the server order", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  // The model arrives late, as on a slow network: the shopper acts first.
  let releaseModel;
  const modelHeld = new Promise((resolve) => (releaseModel = resolve));
  await page.route("**/models/ranker.onnx", async (route) => {
    await modelHeld;
    await route.continue();
  });
  await page.goto(`${env.demo.origin}/`);
  await page.waitForFunction(() => window.vitrine?.timings.trackingReady !== undefined);
  const widget = '[data-vitrine-widget="recommendations"]';
  const before = await page.$$eval(`${widget} > [data-vitrine-item]`, (items) =>
    items.map((item) => item.getAttribute("data-vitrine-item")),
  );
  await page.dispatchEvent(`${widget} > [data-vitrine-item]`, "pointerdown");
  releaseModel();

  await page.waitForFunction(() => window.vitrine.timings.firstRerank !== undefined);
  assert.equal(await page.getAttribute(widget, "data-vitrine-state"), "fallback");
  const after = await page.$$eval(`${widget} > [data-vitrine-item]`, (items) =>
    items.map((item) => item.getAttribute("data-vitrine-item")),
  );
  assert.deepEqual(after, before, "nothing moved under the shopper's finger");

  // Untouched, the same page ranks the widget.
  await page.unroute("**/models/ranker.onnx");
  await page.reload();
  await page.waitForFunction(() => window.vitrine?.timings.firstRerank !== undefined);
  assert.equal(await page.getAttribute(widget, "data-vitrine-state"), "ranked");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a model runtime served without application/wasm still ranks", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  // Many servers say octet-stream, which streaming compilation would refuse.
  let served = 0;
  await page.route("**/vitrine/pkg/vitrine_ranker_bg.wasm*", async (route) => {
    const response = await route.fetch();
    served += 1;
    await route.fulfill({
      response,
      headers: { ...response.headers(), "content-type": "application/octet-stream" },
    });
  });
  await page.goto(`${env.demo.origin}/`);
  await page.waitForFunction(() => window.vitrine?.timings.firstRerank !== undefined);
  assert.equal(served, 1);
  assert.ok(await page.evaluate(() => window.vitrine.timings.modelReady !== undefined));
  const widget = '[data-vitrine-widget="recommendations"]';
  assert.equal(await page.getAttribute(widget, "data-vitrine-state"), "ranked");
  assert.deepEqual(errors, []);
  await context.close();
});

test("what the page puts among a widget's items stays in its place, ranked or not", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.goto(`${env.demo.origin}/`);
  await page.waitForFunction(() => window.vitrine?.timings.firstRerank !== undefined);
  const layouts = await page.evaluate(() => {
    // Items shown in the server's order, with an ad slot and a heading among them; the
    // shopper likes category "b", which the server placed last.
    const widget = document.createElement("div");
    widget.setAttribute("data-vitrine-widget", "search");
    const item = (id, rank, category) =>
      `<div data-vitrine-item="${id}" data-vitrine-rank="${rank}"
        data-vitrine-category="${category}" data-vitrine-price="10"></div>`;
    widget.innerHTML = item("p1", 0, "a") + '<div id="ad"></div>' + item("p2", 1, "a")
      + "<h3>More</h3>" + item("p3", 2, "a") + item("p4", 3, "b.x") + item("p5", 4, "b.x");
    document.body.append(widget);
    for (let i = 0; i < 3; i++) {
      window.vitrine.track({ type: "product_viewed", product: { id: `v${i}`, category: "b.x" } });
    }
    const layout = () =>
      Array.from(widget.children, (c) => c.getAttribute("data-vitrine-item") ?? c.id ?? "")
        .map((name, i) => name || widget.children[i].tagName.toLowerCase());
    const shown = layout();
    window.vitrine.rerank(widget);
    const ranked = layout();
    const state = widget.getAttribute("data-vitrine-state");
    window.vitrine.pause();
    const paused = layout();
    window.vitrine.resume();
    // A bad price: the ranking fails, and the widget is restored as it was ranked from.
    widget.querySelector('[data-vitrine-item="p5"]').setAttribute("data-vitrine-price", "12,50");
    window.vitrine.rerank(widget);
    const failed = layout();
    widget.remove();
    // A widget that was never ranked is left as the page rendered it, even when its items'
    // ranks disagree with their order.
    const fresh = document.createElement("div");
    fresh.setAttribute("data-vitrine-widget", "search");
    fresh.innerHTML = item("q3", 2, "a") + "<h3></h3>" + item("q2", 1, "a") + item("q1", 0, "a");
    fresh.lastElementChild.setAttribute("data-vitrine-price", "12,50");
    document.body.append(fresh);
    const before = fresh.innerHTML;
    window.vitrine.rerank(fresh);
    const untouched = fresh.innerHTML === before && fresh.dataset.vitrineState === "fallback";
    fresh.remove();
    return { shown, ranked, state, paused, failed, untouched };
  });
  assert.equal(layouts.state, "ranked");
  const others = (layout) =>
    layout.flatMap((name, i) => (name === "ad" || name === "h3" ? [i] : []));
  assert.deepEqual(others(layouts.ranked), others(layouts.shown), layouts.ranked.join(" "));
  assert.notDeepEqual(layouts.ranked, layouts.shown, "the ranking moved the items");
  assert.deepEqual(layouts.paused, layouts.shown, "paused: the server's order, in place");
  assert.deepEqual(layouts.failed, layouts.shown, "after a failure: the same");
  assert.equal(layouts.untouched, true, "a widget never ranked is not touched on a failure");
  assert.deepEqual(errors, []);
  await context.close();
});
