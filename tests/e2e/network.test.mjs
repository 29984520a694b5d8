// Network watch: a scripted real session (REES46 replay, search, cart, privacy page, then the
// tab closes) in headless Chromium, with every request and response recorded. Vitrine talks
// only to the endpoints it was configured with, every body matches the declared batch, and
// nobody sets or sends a cookie.
import assert from "node:assert/strict";
import { test } from "node:test";

import { demoAndBrowser, watchConsole, widgetItems } from "./harness.mjs";
import { auditBody, firstSession, sdkReady, shop } from "./audit.mjs";

const env = demoAndBrowser();

/** What the demo configures (`static/app.js`) and where the SDK loads its module from. */
const SDK_ENDPOINTS = new Set([
  "/models/ranker.onnx",
  "/v1/signals",
  "/vitrine/pkg/vitrine_bg.wasm",
  "/vitrine/pkg/vitrine_ranker_bg.wasm",
]);
/** Requests a page makes by its markup; anything else is made by script. */
const MARKUP_TYPES = new Set(["document", "stylesheet", "image", "font", "script"]);
/** The `<link rel="icon">`, which Chromium files under "other". */
const FAVICON = "/static/favicon.svg";

/** Range checks of the declared batch (`signals::SignalBatch::validate`, restated). */
function batchProblems(batch) {
  const problems = [];
  if (batch.schema !== 2) problems.push(`schema ${batch.schema}`);
  if (!/^[0-9a-f]{32}$/.test(batch.batch_id)) problems.push(`batch_id ${batch.batch_id}`);
  if (!(batch.epsilon > 0 && batch.epsilon <= 10)) problems.push(`epsilon ${batch.epsilon}`);
  if (!(batch.interest.length === 14 && batch.interest.every((b) => b === 0 || b === 1))) {
    problems.push(`interest ${batch.interest}`);
  }
  if (![0, 1, 2, 3].includes(batch.engagement_band)) problems.push("engagement_band");
  if (!["personalized", "holdout"].includes(batch.arm)) problems.push(`arm ${batch.arm}`);
  if (!(Number.isInteger(batch.segment) && batch.segment >= 0 && batch.segment < 8)) {
    problems.push(`segment ${batch.segment}`);
  }
  if (![0, 1, 2, 3].includes(batch.funnel)) problems.push(`funnel ${batch.funnel}`);
  return problems;
}

async function count() {
  return (await (await fetch(`${env.demo.origin}/v1/signals/count`)).json()).batches;
}

test("a real session talks only to the configured endpoints, sends only the declared batch, \
and sets no cookie", async () => {
  const origin = new URL(env.demo.origin).origin;
  const storedBefore = await count();
  const receivedBefore = env.demo.receivedBodies().length;
  const context = await env.browser.newContext();
  const requests = [];
  const setCookies = [];
  const cookieHeaders = [];
  context.on("request", (request) => {
    requests.push(request);
    // Read while the page lives: the full headers, as sent, include any cookie.
    cookieHeaders.push(
      request
        .allHeaders()
        .then((h) => (h.cookie === undefined ? null : `${request.url()}: ${h.cookie}`))
        .catch(() => null),
    );
  });
  context.on("response", async (response) => {
    const headers = await response.headersArray();
    for (const h of headers) {
      if (h.name.toLowerCase() === "set-cookie") setCookies.push(`${response.url()}: ${h.value}`);
    }
  });
  const page = await context.newPage();
  const errors = watchConsole(page);

  await page.goto(`${env.demo.origin}/`);
  await widgetItems(page, "recommendations");
  await shop(page, env.demo.origin, firstSession());
  await page.goto(`${env.demo.origin}/search?q=lenovo`);
  await widgetItems(page, "search");
  await page.goto(`${env.demo.origin}/cart`);
  await widgetItems(page, "cart");
  await page.goto(`${env.demo.origin}/privacy`);
  await sdkReady(page);
  await page.evaluate(() => window.vitrine.sync());
  assert.deepEqual(await context.cookies(), [], "the browser holds no cookie");
  assert.equal(await page.evaluate(() => document.cookie), "");
  // Closing the tab sends the due batch; the collector's log sees what Playwright cannot.
  await page.close({ runBeforeUnload: true });
  const deadline = Date.now() + 10_000;
  while (env.demo.receivedBodies().length === receivedBefore && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const sentCookies = (await Promise.all(cookieHeaders)).filter(Boolean);
  await context.close();

  assert.ok(requests.length > 20, `${requests.length} requests watched`);
  for (const request of requests) {
    const url = new URL(request.url());
    assert.equal(url.origin, origin, `a third-party request: ${request.url()}`);
    if (!MARKUP_TYPES.has(request.resourceType()) && url.pathname !== FAVICON) {
      assert.ok(
        SDK_ENDPOINTS.has(url.pathname),
        `a ${request.resourceType()} request to an endpoint nobody configured: ${url.pathname}`,
      );
    }
    if (request.resourceType() === "script") {
      assert.match(url.pathname, /^\/(static|vitrine)\//, `a script from ${url.pathname}`);
    }
  }
  const signalRequests = requests.filter((r) => new URL(r.url()).pathname === "/v1/signals");
  for (const request of signalRequests) assert.equal(request.method(), "POST");
  assert.deepEqual(setCookies, [], "no response sets a cookie");
  assert.deepEqual(sentCookies, [], "no request carries a cookie");

  const bodies = [
    ...env.demo.receivedBodies().slice(receivedBefore),
    ...signalRequests.map((r) => r.postData() ?? ""),
  ];
  assert.ok(bodies.length >= 1, "the session sent its batch");
  for (const body of bodies) {
    assert.deepEqual(auditBody(body), [], body);
    assert.deepEqual(batchProblems(JSON.parse(body)), [], body);
  }
  const distinct = new Set(bodies.map((b) => JSON.parse(b).batch_id));
  assert.equal(await count(), storedBefore + distinct.size, "the collector kept each batch once");
  assert.deepEqual(errors, []);
});
