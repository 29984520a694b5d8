// DOM capture without code, in the demo store: impressions (half visible for a second, once
// per page view), client-side navigation and back/forward-cache restores as new page views,
// nothing counted twice, and stop() taking every listener and observer with it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { demoAndBrowser, watchConsole, widgetItems } from "./harness.mjs";

// Playwright switches the back/forward cache off by default; these tests need it.
const env = demoAndBrowser({ ignoreDefaultArgs: ["--disable-back-forward-cache"] });

/** A fresh context with a short viewport, so that part of the home shelf is below the fold. */
async function openHome() {
  const context = await env.browser.newContext({ viewport: { width: 1000, height: 500 } });
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.goto(`${env.demo.origin}/`);
  await widgetItems(page, "recommendations");
  await page.waitForFunction(() => window.vitrine?.timings.firstRerank !== undefined);
  return { context, page, errors };
}

/** A page in a fresh context, watched for console errors; `init` runs before each load. */
async function freshPage(init) {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.addInitScript(init);
  return { context, page, errors };
}

/** The first product of the home page's shelf, once Vitrine settled it. */
async function firstShelfProduct(page) {
  await page.goto(`${env.demo.origin}/`);
  const [first] = await widgetItems(page, "recommendations");
  return first.id;
}

const totals = (page) => page.evaluate(() => window.vitrine.profile().totals);

/** How many widget items are at least half inside the viewport right now. */
const halfVisibleItems = (page) =>
  page.evaluate(() => {
    let count = 0;
    for (const item of document.querySelectorAll("[data-vitrine-widget] > [data-vitrine-item]")) {
      const r = item.getBoundingClientRect();
      const shownHeight = Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0));
      const shownWidth = Math.max(0, Math.min(r.right, innerWidth) - Math.max(r.left, 0));
      if (r.width * r.height > 0 && (shownWidth * shownHeight) / (r.width * r.height) >= 0.5) {
        count += 1;
      }
    }
    return count;
  });

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("an item half visible for a second counts once per page view", async () => {
  const { context, page, errors } = await openHome();
  const before = (await totals(page)).impressions;
  const visible = await halfVisibleItems(page);
  assert.ok(visible > 0, "the home shelf shows items above the fold");

  await pause(1_600);
  const afterOneSecond = (await totals(page)).impressions;
  assert.equal(afterOneSecond - before, visible);

  // Staying on screen longer counts nothing more.
  await pause(1_200);
  assert.equal((await totals(page)).impressions, afterOneSecond);

  // Scrolled past in under a second: nothing. Scrolled to and left there: the new ones.
  const all = await page.$$eval("[data-vitrine-widget] > [data-vitrine-item]", (e) => e.length);
  assert.ok(all > visible, "part of the shelf is below the fold");
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await pause(300);
  await page.evaluate(() => window.scrollTo(0, 0));
  await pause(1_300);
  assert.equal((await totals(page)).impressions, afterOneSecond);

  assert.deepEqual(errors, []);
  await context.close();
});

test("client-side navigation starts a new page view, and nothing counts twice", async () => {
  const { context, page, errors } = await openHome();
  await pause(1_600);
  const start = await totals(page);
  const shown = await halfVisibleItems(page);

  // A router changes the URL, then renders the product page.
  await page.evaluate(() => {
    history.pushState({}, "", "/spa/product/A");
    const detail = document.createElement("div");
    detail.id = "spa-detail";
    detail.setAttribute("data-vitrine-item", "spa-A");
    detail.setAttribute("data-vitrine-detail", "");
    detail.setAttribute("data-vitrine-category", "kids.toys");
    detail.setAttribute("data-vitrine-price", "12.5");
    document.body.prepend(detail);
  });
  await pause(100);
  assert.equal((await totals(page)).views, start.views + 1, "the product page counted");

  // The same URL again, and a new URL while the same product still shows: no new view.
  await page.evaluate(() => history.replaceState({ tab: "reviews" }, "", location.href));
  await page.evaluate(() => history.pushState({}, "", "/spa/product/A?tab=reviews"));
  await pause(100);
  assert.equal((await totals(page)).views, start.views + 1);

  // The router re-uses the element for another product: that is a view.
  await page.evaluate(() => {
    history.pushState({}, "", "/spa/product/B");
    document.getElementById("spa-detail").setAttribute("data-vitrine-item", "spa-B");
  });
  await pause(100);
  assert.equal((await totals(page)).views, start.views + 2);

  // Back: popstate is a new view, but the element still shows B, already counted.
  await page.goBack();
  await pause(100);
  assert.equal((await totals(page)).views, start.views + 2);

  // Each navigation started a new view, so the shelf still on screen counts once more per
  // view that lasted a second; the quick ones above lasted less.
  await pause(1_600);
  const shownNow = await halfVisibleItems(page);
  assert.ok(shownNow > 0 && Math.abs(shownNow - shown) <= 4, "the shelf is still on screen");
  assert.equal((await totals(page)).impressions, start.impressions + shownNow);

  assert.deepEqual(errors, []);
  await context.close();
});

test("a back/forward-cache restore counts as a new view of the product", async () => {
  const { context, page, errors } = await freshPage(() => {
    // A request in flight when the page is left keeps it out of the cache: no sync now.
    window.vitrineDemoOptions = { firstSyncDelayMs: 600_000 };
    window.addEventListener("pageshow", (e) => {
      window.vitrineTestShown = e.persisted ? "restored" : "loaded";
    });
  });
  const product = await firstShelfProduct(page);
  await page.goto(`${env.demo.origin}/product/${product}`);
  await page.waitForFunction(() => window.vitrine?.timings.firstRerank !== undefined);
  await page.waitForLoadState("networkidle");
  await page.evaluate(() => {
    window.vitrineTestViews = window.vitrine.profile().totals.views;
    window.vitrineTestShown = undefined; // set again by the pageshow that brings it back
  });

  await page.goto(`${env.demo.origin}/search?q=phone`);
  // A restored page fires no `load`: wait only for the navigation, then for its pageshow.
  await page.goBack({ waitUntil: "commit" });
  await page.waitForFunction(() => window.vitrineTestShown !== undefined);
  const shown = await page.evaluate(() => ({
    how: window.vitrineTestShown,
    why: performance.getEntriesByType("navigation")[0]?.notRestoredReasons ?? null,
  }));
  assert.equal(shown.how, "restored", `not restored: ${JSON.stringify(shown.why)}`);
  const views = await page.evaluate(() => window.vitrine.profile().totals.views);
  const before = await page.evaluate(() => window.vitrineTestViews);
  assert.equal(views, before + 1);

  assert.deepEqual(errors, []);
  await context.close();
});

test("stop() restores the history methods and counts nothing more", async () => {
  const { context, page, errors } = await openHome();
  assert.equal(await page.evaluate(() => /\[native code\]/.test(history.pushState)), false);
  await page.evaluate(() => window.vitrine.stop());
  assert.equal(await page.evaluate(() => /\[native code\]/.test(history.pushState)), true);
  assert.equal(await page.evaluate(() => /\[native code\]/.test(history.replaceState)), true);

  // Any further view, navigation or impression goes unseen: the profile stays as it was.
  const before = await page.evaluate(() => JSON.stringify(window.vitrine.profile()));
  assert.match(before, /"totals"/);
  await page.evaluate(() => {
    history.pushState({}, "", "/spa/after-stop");
    const detail = document.createElement("div");
    detail.setAttribute("data-vitrine-item", "after-stop");
    detail.setAttribute("data-vitrine-detail", "");
    document.body.prepend(detail);
  });
  await pause(1_600);
  const after = await page.evaluate(() => JSON.stringify(window.vitrine.profile()));
  assert.equal(after, before);

  assert.deepEqual(errors, []);
  await context.close();
});

test("GA4 e-commerce pushes to the page's dataLayer reach the profile, once each", async () => {
  const { context, page, errors } = await freshPage(() => {
    window.vitrineDemoOptions = { dataLayer: true };
    // Pushed before Vitrine starts, as a tag manager's page would: replayed at start.
    window.dataLayer = [
      { event: "gtm.js" },
      {
        event: "view_item",
        ecommerce: { items: [{ item_id: "dl-1", item_category: "kids", price: 5 }] },
      },
    ];
  });
  await page.goto(`${env.demo.origin}/search?q=phone`);
  await page.waitForFunction(() => window.vitrine?.timings.trackingReady !== undefined);
  const recentIds = () => page.evaluate(() => window.vitrine.profile().recent.map((r) => r.id));
  assert.ok((await recentIds()).includes("dl-1"), "the entry pushed before start");

  // gtag's shape, pushed later, and the same object pushed twice: counted once.
  const before = await totals(page);
  await page.evaluate(() => {
    function gtag() {
      window.dataLayer.push(arguments);
    }
    gtag("event", "add_to_cart", { items: [{ item_id: "dl-2", item_brand: "Ёлка", price: 7 }] });
    const view = { event: "view_item", ecommerce: { items: [{ item_id: "dl-3" }] } };
    window.dataLayer.push(view);
    window.dataLayer.push(view);
    window.dataLayer.push({ ecommerce: null });
  });
  const after = await totals(page);
  assert.equal(after.cart_adds, before.cart_adds + 1);
  assert.equal(after.views, before.views + 1);
  const ids = await recentIds();
  assert.equal(ids.filter((id) => id === "dl-3").length, 1);
  assert.ok(ids.indexOf("dl-3") < ids.indexOf("dl-1"), "newest first");
  const brands = await page.evaluate(() => Object.keys(window.vitrine.profile().brands.entries));
  assert.ok(brands.includes("Ёлка"), "non-Latin text arrives unharmed");

  assert.deepEqual(errors, []);
  await context.close();
});

test("dwell counts the product page's visible time only", async () => {
  // A headless page is always visible: the test decides when this one is hidden.
  const { context, page, errors } = await freshPage(() => {
    let state = "visible";
    Object.defineProperty(document, "visibilityState", { get: () => state });
    Object.defineProperty(document, "hidden", { get: () => state === "hidden" });
    window.vitrineTestVisibility = (next) => {
      state = next;
      document.dispatchEvent(new Event("visibilitychange"));
    };
  });
  const product = await firstShelfProduct(page);
  await page.goto(`${env.demo.origin}/product/${product}`);
  await page.waitForFunction(() => window.vitrine?.timings.trackingReady !== undefined);

  // Visible 1.5 s, hidden 2 s, visible 1 s, then left: about 2.5 s of 4.5 s open.
  await pause(1_500);
  await page.evaluate(() => window.vitrineTestVisibility("hidden"));
  await pause(2_000);
  await page.evaluate(() => window.vitrineTestVisibility("visible"));
  await pause(1_000);
  await page.goto(`${env.demo.origin}/`);
  await page.waitForFunction(() => window.vitrine?.timings.trackingReady !== undefined);

  const dwell = await page.evaluate(
    (id) => window.vitrine.profile().recent.find((item) => item.id === id)?.dwell_s,
    product,
  );
  assert.ok(dwell >= 2.3 && dwell < 4.0, `${dwell} s of dwell for about 2.5 s visible`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a second start() returns the running instance, and a click counts once", async () => {
  const { context, page, errors } = await openHome();
  const second = await page.evaluate(async () => {
    const { start } = await import("/vitrine/index.js");
    const codes = [];
    const again = await start({ onError: (e) => codes.push(e.code) });
    return { same: again === window.vitrine, codes };
  });
  assert.deepEqual(second, { same: true, codes: ["already_started"] });

  const clicks = () => page.evaluate(() => window.vitrine.profile().totals.clicks);
  const before = await clicks();
  await page.evaluate(() => {
    const item = document.querySelector("[data-vitrine-widget] > [data-vitrine-item]");
    item.addEventListener("click", (event) => event.preventDefault());
    item.click();
  });
  assert.equal((await clicks()) - before, 1);

  // Once stopped, the handle records nothing, and the prefix is free: a new start runs.
  const afterStop = await page.evaluate(() => {
    window.vitrine.stop();
    const view = { type: "product_viewed", product: { id: "after-stop" } };
    return { active: window.vitrine.active, tracked: window.vitrine.track(view) };
  });
  assert.deepEqual(afterStop, { active: false, tracked: false });
  const restarted = await page.evaluate(async () => {
    const { start } = await import("/vitrine/index.js");
    const handle = await start({ autoCapture: false });
    const running = handle.active && handle !== window.vitrine;
    handle.stop();
    return running;
  });
  assert.equal(restarted, true);
  assert.deepEqual(errors, []);
  await context.close();
});
