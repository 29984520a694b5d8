// Two tabs of one store, as two pages of one browser context: both tabs' events end up in the
// one stored profile, and in each tab's copy, however their writes interleave; and one tab
// syncs, so that the day's privacy budget is spent once per device, not once per tab.
import assert from "node:assert/strict";
import { test } from "node:test";

import { demoAndBrowser, watchConsole } from "./harness.mjs";

const env = demoAndBrowser();

async function openTab(context, options = {}) {
  const page = await context.newPage();
  const errors = watchConsole(page);
  // Short coalescing, so that the two tabs' writes interleave many times within the test.
  await page.addInitScript((o) => {
    window.vitrineDemoOptions = { persistDelayMs: 20, ...o };
  }, options);
  await page.goto(`${env.demo.origin}/search?q=phone`);
  await page.waitForFunction(() => window.vitrine?.timings.trackingReady !== undefined);
  return { page, errors };
}

/** `count()` once it has not changed for a second (at most 15 s of waiting). */
async function quietCount(count) {
  const deadline = Date.now() + 15_000;
  let last = count();
  let since = Date.now();
  while (Date.now() - since < 1_000 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = count();
    if (now !== last) [last, since] = [now, Date.now()];
  }
  return last;
}

const view = (page, id) =>
  page.evaluate(
    (id) =>
      window.vitrine.track({ type: "product_viewed", product: { id, category: "tabs.test" } }),
    id,
  );

const views = (page) => page.evaluate(() => window.vitrine.profile().totals.views);

const storedViews = (page) =>
  page.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.endsWith("profile"));
    return JSON.parse(localStorage.getItem(key)).totals.views;
  });

test("two tabs' events all reach the stored profile and both tabs", async () => {
  const context = await env.browser.newContext();
  const a = await openTab(context);
  const b = await openTab(context);
  const start = await views(a.page);

  // Alternating, with waits around the coalescing delay: every kind of interleaving of one
  // tab's write with the other's events and writes.
  const each = 15;
  for (let i = 0; i < each; i += 1) {
    await view(a.page, `a-${i}`);
    await view(b.page, `b-${i}`);
    await a.page.waitForTimeout((i * 7) % 30);
  }
  await a.page.evaluate(() => window.vitrine.flush());
  await b.page.evaluate(() => window.vitrine.flush());
  await a.page.waitForTimeout(300);

  assert.equal(await storedViews(a.page), start + 2 * each, "stored");
  assert.equal(await views(a.page), start + 2 * each, "tab A's copy");
  assert.equal(await views(b.page), start + 2 * each, "tab B's copy");
  const recent = await a.page.evaluate(() => window.vitrine.profile().recent.map((r) => r.id));
  assert.ok(recent.includes(`a-${each - 1}`) && recent.includes(`b-${each - 1}`), recent.join());

  assert.deepEqual([...a.errors, ...b.errors], []);
  await context.close();
});

test("a tab opened later joins the same profile and adds to it", async () => {
  const context = await env.browser.newContext();
  const a = await openTab(context);
  const start = await views(a.page);
  // Any script, emoji and smart quotes go through storage and back unharmed.
  const product = { id: "🛒-“1”", category: "家電.テレビ", brand: "Ёлка ‘Nova’", price: 9.5 };
  await a.page.evaluate(
    (p) => window.vitrine.track({ type: "product_viewed", product: p }),
    product,
  );
  await a.page.evaluate(() => window.vitrine.flush());
  const b = await openTab(context);
  assert.equal(await views(b.page), await views(a.page), "tab B starts from tab A's profile");
  const [seen] = await b.page.evaluate(() => window.vitrine.profile().recent);
  const text = (p) => [p.id, p.category, p.brand];
  assert.deepEqual(text(seen), text(product));

  await view(b.page, "second");
  await view(a.page, "third");
  await b.page.evaluate(() => window.vitrine.flush());
  await a.page.evaluate(() => window.vitrine.flush());
  await a.page.waitForTimeout(300);
  assert.equal(await views(a.page), start + 3, "tab A's copy");
  assert.equal(await views(b.page), start + 3, "tab B's copy");
  assert.equal(await storedViews(a.page), start + 3, "stored");
  assert.deepEqual([...a.errors, ...b.errors], []);
  await context.close();
});

test("one tab syncs: the day's budget is spent once, and the next tab takes it over", async () => {
  // A budget of two batches a day, and a due check every 50 ms in both tabs: two tabs that
  // each synced, or a successor that forgot what was spent, would send four.
  const options = { epsilon: 0.5, dailyEpsilon: 1, firstSyncDelayMs: 50, syncIntervalMs: 50 };
  const received = () => env.demo.receivedBodies().length;
  // The earlier tests' tabs send a batch as their contexts close (the page-hide flush), and
  // on a busy machine it can reach the shared collector only now: count from once it is quiet.
  const before = await quietCount(received);
  const context = await env.browser.newContext();
  const a = await openTab(context, options);
  const b = await openTab(context, options);
  await view(a.page, "x");
  await view(b.page, "y");
  await a.page.waitForTimeout(1_500);
  assert.equal(received() - before, 2, "two batches from the two tabs together");

  // The first tab, which holds the lock, closes; the other takes over, the budget spent.
  await a.page.close();
  await view(b.page, "z");
  await b.page.waitForTimeout(1_500);
  assert.equal(received() - before, 2, "the day's budget stays spent");
  const ledger = await b.page.evaluate(() => window.vitrine.ledger());
  assert.equal(ledger.length, 2, "the device's ledger lists both");

  assert.deepEqual([...a.errors, ...b.errors], []);
  await context.close();
});

test("a storage event the page dispatches itself is no other tab's change", async () => {
  const context = await env.browser.newContext();
  const { page, errors } = await openTab(context);
  // A page that tells its own listeners of its writes, from inside its wrapper of setItem,
  // and pokes them with a bare `storage` event (which reads as another tab's clear()).
  await page.evaluate(() => {
    const setItem = Storage.prototype.setItem;
    Storage.prototype.setItem = function (key, value) {
      setItem.call(this, key, value);
      window.dispatchEvent(new StorageEvent("storage", { key, newValue: value }));
    };
  });
  await page.evaluate(() => {
    window.vitrine.revokeConsent();
    window.vitrine.pause();
    window.vitrine.flush();
    window.dispatchEvent(new Event("storage"));
    window.dispatchEvent(new StorageEvent("storage", { key: null }));
  });
  const after = await page.evaluate(() => ({
    consent: window.vitrine.consent(),
    paused: window.vitrine.paused,
  }));
  assert.equal(after.consent.reason, "revoked", JSON.stringify(after.consent));
  assert.equal(after.consent.syncAllowed, false);
  assert.equal(after.paused, true);
  await page.evaluate(() => {
    window.vitrine.resume();
    window.vitrine.grantConsent();
    window.vitrine.flush();
  });
  assert.deepEqual(errors, []);
  await context.close();
});
