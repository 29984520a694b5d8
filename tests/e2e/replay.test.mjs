// Replays real REES46 sessions on the demo store in headless Chromium and checks the three
// promises of the first milestone: the home page's recommendations move toward what the
// shopper looked at, no sync request carries any of their product ids, and the console stays
// free of errors.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  demoAndBrowser,
  fixtureSessions,
  meanPosition,
  watchConsole,
  widgetItems,
} from "./harness.mjs";

const env = demoAndBrowser();

for (const [sessionId, events] of fixtureSessions()) {
  test(`session ${sessionId.slice(0, 8)}: replayed views personalize the home page`, async () => {
    const context = await env.browser.newContext();
    // Every request the page makes, as the browser reports it; requests sent while a page
    // unloads may be missing here, so the collector's raw request log is read as well.
    const pageRequests = [];
    context.on("request", (request) => {
      pageRequests.push({ url: request.url(), body: request.postData() ?? "" });
    });
    const receivedBefore = env.demo.receivedBodies().length;
    const page = await context.newPage();
    const consoleErrors = watchConsole(page);

    await page.goto(`${env.demo.origin}/`);
    const server = (await widgetItems(page, "recommendations")).sort((a, b) => a.rank - b.rank);

    const productIds = [...new Set(events.map((e) => e.product_id))];
    for (const event of events) {
      await page.goto(`${env.demo.origin}/product/${event.product_id}`);
      await widgetItems(page, "recommendations");
      if (event.event_type === "cart") {
        await page.click("[data-vitrine-detail] [data-vitrine-action='add-to-cart']");
      }
    }

    await page.goto(`${env.demo.origin}/`);
    const personalized = await widgetItems(page, "recommendations");
    const state = await page.getAttribute("[data-vitrine-widget]", "data-vitrine-state");
    const t = await page.evaluate(() => window.vitrine?.timings);
    console.log(
      `  timings (ms since navigation): start ${t.started.toFixed(0)}, tracking ready ` +
        `${t.trackingReady.toFixed(0)}, model ready ${t.modelReady.toFixed(0)}, ` +
        `first re-rank ${t.firstRerank.toFixed(0)}`,
    );
    assert.equal(state, "ranked");

    const categories = new Set(events.map((e) => e.category_code || e.category_id));
    const tops = new Set([...categories].map((c) => c.split(".")[0]));
    const brands = new Set(events.map((e) => e.brand).filter(Boolean));
    const related = (item) =>
      categories.has(item.category) || tops.has(item.category.split(".")[0]) ||
      brands.has(item.brand);
    assert.ok(server.some(related), "the home widget offers something of the session's interest");
    const serverMean = meanPosition(server, related);
    const personalMean = meanPosition(personalized, related);
    console.log(
      `  ${sessionId.slice(0, 8)}: related items' mean position ${serverMean.toFixed(1)} ` +
        `(server) → ${personalMean.toFixed(1)} (personalized) of ${server.length}`,
    );
    assert.ok(
      personalMean < serverMean - 1,
      `related items should move up: ${serverMean} → ${personalMean}`,
    );

    // The sync timer or the page-hide request carries one batch; ask for it explicitly too,
    // so the test does not depend on timing.
    await page.evaluate(() => window.vitrine?.sync());
    await page.goto("about:blank");
    await context.close();

    const origin = new URL(env.demo.origin).origin;
    for (const request of pageRequests) {
      assert.equal(new URL(request.url).origin === origin || request.url === "about:blank", true,
        `a request left the store's origin: ${request.url}`);
    }
    const syncBodies = [
      ...env.demo.receivedBodies().slice(receivedBefore),
      ...pageRequests.filter((r) => new URL(r.url).pathname === "/v1/signals").map((r) => r.body),
    ];
    assert.ok(syncBodies.length >= 1, "at least one signal batch was sent");
    for (const body of syncBodies) {
      for (const id of productIds) {
        assert.ok(!body.includes(id), `a sync body carries product id ${id}: ${body}`);
      }
      const batch = JSON.parse(body);
      assert.deepEqual(
        Object.keys(batch).sort(),
        [
          "arm",
          "batch_id",
          "engagement_band",
          "epsilon",
          "funnel",
          "interest",
          "schema",
          "segment",
        ],
      );
    }
    assert.deepEqual(consoleErrors, [], "no console errors");
  });
}
