// Sync in a real Chromium against the demo's own collector, watching what reaches it: the
// batch sent as the tab closes arrives exactly once and without the store's cookies, Global
// Privacy Control blocks sync, revoking consent purges the queue and stops every request, a
// 503 is retried with spaced waits and a 400 is not retried at all (the last two against a
// demo started with `--fail-signals`), and an unreadable outbox spends the day's budget.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { firstSession, sdkReady, shop } from "./audit.mjs";
import { launchBrowser, startDemo, waitFor } from "./harness.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** A demo of its own for one test, stopped when the test ends. */
async function demo(t, extraArgs = []) {
  const d = await startDemo(extraArgs);
  t.after(() => d.stop());
  return d;
}

/** A fresh shopper whose page starts Vitrine with `options` on top of the demo's own. */
async function shopper(options) {
  const context = await browser.newContext();
  await context.addInitScript((o) => {
    window.vitrineDemoOptions = o;
  }, options);
  const page = await context.newPage();
  const posts = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/v1/signals") {
      posts.push({ at: Date.now(), body: request.postData() });
    }
  });
  return { context, page, posts };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const ids = (bodies) => bodies.map((b) => JSON.parse(b).batch_id);

/** The stored outbox's queue on this page, or `[]` when no outbox is stored. */
async function storedQueue(page) {
  const outbox = await page.evaluate(() => localStorage.getItem("vitrine.outbox"));
  return JSON.parse(outbox ?? "{}").queue ?? [];
}

// Nothing goes by fetch while the page lives: the first sync would come after ten minutes.
const QUIET = { firstSyncDelayMs: 600_000 };
// Every 50 ms the SDK checks for a due batch; retries wait from 0.4 s upwards.
const EAGER = { firstSyncDelayMs: 50, syncIntervalMs: 50, retryBaseMs: 400, retryMaxMs: 10_000 };

test("the tab's close sends the batch once, without the store's cookies", async (t) => {
  const d = await demo(t);
  const { context, page } = await shopper(QUIET);
  // The store's own session, on the collector's origin: a beacon would carry it.
  await context.addCookies([{ name: "store_session", value: "shopper-42", url: d.origin }]);
  // One page only: leaving it is the tab close.
  await shop(page, d.origin, firstSession().slice(0, 1));
  await sdkReady(page);
  assert.equal(d.receivedBodies().length, 0, "nothing was sent while the page lived");

  await page.close({ runBeforeUnload: true });
  await waitFor(() => d.receivedBodies().length > 0, "the batch reached the collector");
  await sleep(1_500); // a second copy would have arrived by now
  const received = ids(d.receivedBodies());
  assert.equal(received.length, 1, `one batch, got ${received.join(", ")}`);
  const [request] = d.receivedRequests();
  assert.equal(JSON.parse(request.body).schema, 2);
  assert.equal(request.cookie, false, "the request carried the store's cookie");
  assert.equal(request.content_type, "text/plain;charset=UTF-8");
  await context.close();
});

test("with Global Privacy Control on, nothing is sent", async (t) => {
  const d = await demo(t);
  const { context, page, posts } = await shopper(EAGER);
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true });
  });
  await shop(page, d.origin, firstSession().slice(0, 2));
  await sdkReady(page);
  const consent = await page.evaluate(() => window.vitrine.consent());
  assert.equal(consent.syncAllowed, false);
  assert.equal(consent.reason, "global_privacy_control");
  assert.equal(await page.evaluate(() => window.vitrine.sync()), false);
  await sleep(1_000);
  await page.close({ runBeforeUnload: true });
  await sleep(1_000);
  assert.deepEqual(posts, []);
  assert.deepEqual(d.receivedBodies(), [], "the collector heard nothing, as pages closed too");
  await context.close();
});

test("revoking consent purges the queue and stops every request", async (t) => {
  const d = await demo(t, ["--fail-signals", "503"]);
  const { context, page, posts } = await shopper(EAGER);
  // One page only: leaving a page sends a due batch, which may end it.
  await shop(page, d.origin, firstSession().slice(0, 1));
  await sdkReady(page);
  await waitFor(() => posts.length >= 1, "a first attempt was refused with 503");
  await waitFor(async () => (await storedQueue(page)).length === 1, "the batch is queued");

  await page.evaluate(() => window.vitrine.revokeConsent());
  const afterRevoke = posts.length;
  assert.deepEqual(await storedQueue(page), [], "the stored queue is empty");
  const consent = await page.evaluate(() => window.vitrine.consent());
  assert.equal(consent.reason, "revoked");
  await sleep(2_500); // several retry waits
  await page.goto(`${d.origin}/`); // a new page: page hide, then a fresh start
  await sdkReady(page);
  await sleep(1_000);
  assert.equal(posts.length, afterRevoke, "no request after the revoke");
  assert.deepEqual(await storedQueue(page), []);
  await context.close();
});

test("a 503 is retried with growing, spaced waits and the same batch id", async (t) => {
  const d = await demo(t, ["--fail-signals", "503"]);
  const { context, page, posts } = await shopper(EAGER);
  await shop(page, d.origin, firstSession().slice(0, 1));
  await sdkReady(page);
  await waitFor(() => posts.length >= 4, "four attempts", 15_000);
  const gaps = posts.slice(1, 4).map((p, i) => p.at - posts[i].at);
  // Attempt n waits within [base·2^(n−1)/2, base·2^(n−1)): at least 200, 400 and 800 ms.
  gaps.forEach((gap, i) => {
    assert.ok(gap >= 200 * 2 ** i - 30, `wait ${i + 1} was ${gap} ms: ${gaps.join(", ")}`);
  });
  assert.equal(new Set(ids(posts.map((p) => p.body))).size, 1, "one batch id throughout");
  const ledger = await page.evaluate(() => window.vitrine.ledger());
  assert.ok(ledger.every((e) => e.outcome === "failed" && e.status === 503));
  assert.ok(ledger.slice(1).every((e) => e.epsilon_spent === 0), "re-sends spend nothing");
  await context.close();
});

test("a 400 is not retried", async (t) => {
  const d = await demo(t, ["--fail-signals", "400"]);
  const { context, page, posts } = await shopper(EAGER);
  await shop(page, d.origin, firstSession().slice(0, 1));
  await sdkReady(page);
  await waitFor(() => posts.length >= 1, "the attempt");
  await sleep(3_000); // past several retry waits
  assert.equal(posts.length, 1, "one request only");
  assert.deepEqual(await storedQueue(page), [], "the refused batch left the queue");
  const ledger = await page.evaluate(() => window.vitrine.ledger());
  assert.deepEqual(
    ledger.map((e) => [e.outcome, e.status]),
    [["rejected", 400]],
  );
  await context.close();
});

test("an unreadable stored outbox counts the day's budget as spent", async (t) => {
  const d = await demo(t);
  const { context, page } = await shopper(EAGER);
  await shop(page, d.origin, firstSession().slice(0, 2));
  await sdkReady(page);
  await waitFor(() => d.receivedBodies().length === 1, "the day's batch arrived");
  // As another version of Vitrine, or a broken write, could leave it: written before the next
  // page's scripts run (a page's own write would be overwritten as it is left).
  await context.addInitScript(() => localStorage.setItem("vitrine.outbox", '{"schema":3}'));
  const next = await context.newPage();
  await page.close({ runBeforeUnload: true });
  const warnings = [];
  next.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
  await next.goto(`${d.origin}/`);
  await sdkReady(next);
  await next.evaluate(() => window.vitrine.sync());
  await sleep(500); // several sync checks
  assert.equal(d.receivedBodies().length, 1, "no second batch the same day");
  const unreadable = warnings.filter((w) => w.includes("outbox"));
  assert.equal(unreadable.length, 1, `one warning: ${unreadable.join(" | ")}`);
  assert.ok(unreadable[0].startsWith("vitrine: [corrupt_storage]"), unreadable[0]);
  await context.close();
});
