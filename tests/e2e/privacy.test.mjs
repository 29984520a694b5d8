// The privacy audit in a real Chromium: after a scripted REES46 session everything stored and
// everything sent is declared in privacy/inventory.json; the shopper's controls on /privacy
// (export, erase, pause) and the ledger do what they say, across two tabs as well.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { demoAndBrowser, waitFor, watchConsole, widgetItems } from "./harness.mjs";
import { auditBody, auditStored, firstSession, sdkReady, shop, storedOnDevice } from "./audit.mjs";

const env = demoAndBrowser();

/** A fresh context that has shopped the first fixture session and sent its day's batch
 * (as a page was left, or by the sync asked for here). */
async function shopper() {
  const receivedBefore = env.demo.receivedBodies().length;
  const context = await env.browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const errors = watchConsole(page);
  await shop(page, env.demo.origin, firstSession());
  await sdkReady(page);
  await page.evaluate(() => window.vitrine.sync());
  await waitFor(
    () => env.demo.receivedBodies().length > receivedBefore,
    "a batch reached the collector",
  );
  return { context, page, errors };
}

const vitrineKeys = (stored) =>
  Object.keys(stored.localStorage).filter((k) => k.startsWith("vitrine."));

test("after a session, everything stored and sent is declared in the inventory", async () => {
  const receivedBefore = env.demo.receivedBodies().length;
  const { context, page, errors } = await shopper();
  await page.goto(`${env.demo.origin}/privacy`);
  await sdkReady(page);
  await page.evaluate(() => window.vitrine.flush());

  const stored = await storedOnDevice(page);
  assert.deepEqual(auditStored(stored), []);
  assert.deepEqual(
    vitrineKeys(stored).sort(),
    ["vitrine.assignment", "vitrine.ledger", "vitrine.outbox", "vitrine.profile"],
    "the session stored a profile, the budget and the ledger",
  );
  const bodies = env.demo.receivedBodies().slice(receivedBefore);
  assert.ok(bodies.length >= 1);
  assert.deepEqual(bodies.flatMap(auditBody), []);

  // The ledger holds exactly what the collector received, and the page shows it.
  const ledger = await page.evaluate(() => window.vitrine.ledger());
  assert.deepEqual(
    ledger.map((entry) => entry.batch),
    bodies.map((body) => JSON.parse(body)),
    "every send is in the ledger, exactly as received",
  );
  for (const entry of ledger) {
    assert.ok(["fetch", "beacon"].includes(entry.transport));
    assert.ok(["accepted", "queued"].includes(entry.outcome), entry.outcome);
  }
  const spent = ledger.reduce((sum, entry) => sum + entry.epsilon_spent, 0);
  assert.ok(Math.abs(spent - Math.log(3)) < 1e-9, `one day's budget, ln 3, was spent: ${spent}`);
  const rows = await page.$$eval("#vitrine-ledger tr.ledger-entry", (trs) =>
    trs.map((tr) => tr.textContent),
  );
  assert.equal(rows.length, ledger.length);
  assert.ok(rows[0].includes(ledger[0].batch.batch_id), rows[0]);
  assert.deepEqual(errors, []);
  await context.close();
});

test("export offers every stored record as a JSON download", async () => {
  const { context, page, errors } = await shopper();
  await page.goto(`${env.demo.origin}/privacy`);
  await sdkReady(page);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("#vitrine-export"),
  ]);
  assert.equal(download.suggestedFilename(), "vitrine-data.json");
  const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
  assert.equal(exported.format, "vitrine-export/1");
  const stored = await storedOnDevice(page);
  const expected = Object.fromEntries(
    vitrineKeys(stored).map((k) => [k, JSON.parse(stored.localStorage[k])]),
  );
  assert.deepEqual(exported.stored, expected, "the export is exactly what is stored");
  assert.ok(exported.summary.some((line) => line.includes("product views")), exported.summary);
  assert.deepEqual(errors, []);
  await context.close();
});

test("erase removes every key Vitrine wrote, and nothing comes back", async () => {
  const { context, page, errors } = await shopper();
  await page.goto(`${env.demo.origin}/privacy`);
  await sdkReady(page);
  await page.click("#vitrine-erase");

  let stored = await storedOnDevice(page);
  assert.deepEqual(vitrineKeys(stored), [], "no Vitrine key is left");
  assert.deepEqual(stored.indexedDB, []);
  assert.deepEqual(stored.caches, []);
  assert.ok(stored.localStorage["demo-cart"] === undefined || "the store's own cart may stay");

  // Leaving the page (pagehide writes) and coming back restores nothing.
  await page.goto(`${env.demo.origin}/privacy`);
  await sdkReady(page);
  stored = await storedOnDevice(page);
  assert.deepEqual(vitrineKeys(stored), []);
  const summary = await page.evaluate(() => window.vitrine.describeProfile());
  assert.deepEqual(summary, ["Vitrine has recorded nothing on this device yet."]);
  assert.deepEqual(await page.evaluate(() => window.vitrine.ledger()), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a second tab does not write its profile back after the first erased", async () => {
  const { context, page: tabA } = await shopper();
  const product = firstSession()[0].product_id;
  const tabB = await context.newPage();
  await tabB.goto(`${env.demo.origin}/product/${product}`);
  await sdkReady(tabB);
  // Its shelf's impressions (a second on screen) count now, before the erase: after it, tab B
  // must have nothing to write, so that anything written is the old profile coming back.
  await tabB.waitForTimeout(1_500);
  await tabA.goto(`${env.demo.origin}/privacy`);
  await sdkReady(tabA);

  // Tab B has a change of its own waiting for its coalesced write, and a long write delay
  // cannot be relied on: race it against the erase in tab A.
  await tabB.evaluate(
    (id) => window.vitrine.track({ type: "product_viewed", product: { id, price: 1 } }),
    product,
  );
  await tabA.click("#vitrine-erase");
  // Tab B's pending write fires, then it is hidden and closed: every chance to write back.
  await tabB.waitForTimeout(1_500);
  await tabB.evaluate(() => window.vitrine.flush());
  const inB = await tabB.evaluate(() => window.vitrine.describeProfile());
  assert.deepEqual(inB, ["Vitrine has recorded nothing on this device yet."]);
  await tabB.close({ runBeforeUnload: true });

  const stored = await storedOnDevice(tabA);
  assert.deepEqual(vitrineKeys(stored), [], "tab B wrote nothing back");
  await context.close();
});

test("a tab hears another tab's erase without writing anything", async () => {
  const { context, page: tabA } = await shopper();
  const tabB = await context.newPage();
  await tabB.goto(`${env.demo.origin}/`);
  await sdkReady(tabB);
  assert.ok((await tabB.evaluate(() => window.vitrine.profile().totals.events)) > 0);
  await tabA.evaluate(() => window.vitrine.erase());
  await tabB.waitForFunction(() => window.vitrine.profile().totals.events === 0, null, {
    timeout: 5_000,
  });
  await context.close();
});

test("pause keeps the server order and records and sends nothing", async () => {
  const receivedBefore = env.demo.receivedBodies().length;
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.goto(`${env.demo.origin}/privacy`);
  await sdkReady(page);
  await page.click("#vitrine-pause");
  assert.equal(await page.textContent("#vitrine-pause"), "Resume personalization");

  await shop(page, env.demo.origin, firstSession());
  await page.goto(`${env.demo.origin}/`);
  await sdkReady(page);
  const items = await widgetItems(page, "recommendations");
  assert.equal(
    await page.getAttribute("[data-vitrine-widget]", "data-vitrine-state"),
    "fallback",
  );
  assert.deepEqual(
    items.map((i) => i.rank),
    items.map((_, i) => i),
    "the server's order, untouched",
  );
  assert.equal(await page.evaluate(() => window.vitrine.sync()), false, "nothing to send");
  await page.goto(`${env.demo.origin}/privacy`);
  await sdkReady(page);
  const stored = await storedOnDevice(page);
  assert.deepEqual(vitrineKeys(stored), ["vitrine.controls"], "only the pause itself");
  assert.deepEqual(JSON.parse(stored.localStorage["vitrine.controls"]), {
    schema: 1,
    paused: true,
  });
  assert.equal(env.demo.receivedBodies().length, receivedBefore, "nothing reached the collector");

  // Resumed, the next visit is tracked and ranked again.
  await page.click("#vitrine-pause");
  await shop(page, env.demo.origin, firstSession().slice(0, 2));
  await page.goto(`${env.demo.origin}/`);
  await widgetItems(page, "recommendations");
  assert.equal(await page.getAttribute("[data-vitrine-widget]", "data-vitrine-state"), "ranked");
  assert.ok((await page.evaluate(() => window.vitrine.profile().totals.events)) >= 2);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a pause in one tab reaches the other open tabs", async () => {
  const { context, page: tabA } = await shopper();
  const tabB = await context.newPage();
  await tabB.goto(`${env.demo.origin}/`);
  await widgetItems(tabB, "recommendations");
  assert.equal(await tabB.getAttribute("[data-vitrine-widget]", "data-vitrine-state"), "ranked");
  await tabA.evaluate(() => window.vitrine.pause());
  await tabB.waitForFunction(() => window.vitrine.paused === true, null, { timeout: 5_000 });
  assert.equal(
    await tabB.getAttribute("[data-vitrine-widget]", "data-vitrine-state"),
    "fallback",
  );
  const ranks = await tabB.$$eval("[data-vitrine-widget] > [data-vitrine-item]", (items) =>
    items.map((item) => Number(item.getAttribute("data-vitrine-rank"))),
  );
  assert.deepEqual(ranks, ranks.map((_, i) => i), "tab B is back in the server's order");
  await context.close();
});

test("a profile idle longer than the retention period is deleted at the next start", async () => {
  const { context, page } = await shopper();
  await page.goto(`${env.demo.origin}/privacy`);
  await sdkReady(page);
  // Age the stored profile by 31 days, as if the shopper had been away: every time in it
  // moves back, and nothing else changes. The SDK's default retention is 30 days.
  await page.evaluate(() => {
    window.vitrine.stop();
    const age = 31 * 86_400_000;
    const profile = JSON.parse(localStorage.getItem("vitrine.profile"));
    const back = (time) => time - age;
    profile.clock_ms = back(profile.clock_ms);
    for (const table of ["categories", "top_categories", "brands", "price_bands"]) {
      for (const entry of Object.values(profile[table].entries)) entry.t = back(entry.t);
    }
    for (const item of profile.recent) item.last_seen_ms = back(item.last_seen_ms);
    profile.session.started_ms = back(profile.session.started_ms);
    profile.session.last_event_ms = back(profile.session.last_event_ms);
    localStorage.setItem("vitrine.profile", JSON.stringify(profile));
  });
  await page.goto(`${env.demo.origin}/privacy`);
  await sdkReady(page);
  const summary = await page.evaluate(() => window.vitrine.describeProfile());
  assert.deepEqual(summary, ["Vitrine has recorded nothing on this device yet."]);
  const stored = await storedOnDevice(page);
  assert.equal(stored.localStorage["vitrine.profile"], undefined, "the key itself is gone");
  await context.close();
});
