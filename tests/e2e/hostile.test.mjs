// A page whose own scripts patched JavaScript's built-ins before Vitrine started, as legacy
// libraries did (Prototype.js gave arrays a `toJSON` that returned a string; rounding "fixes"
// replaced `toFixed`). Vitrine must store and send the same records there as on a clean
// page: the page's patches may not reach into the numbers, arrays and texts it writes.
import assert from "node:assert/strict";
import { test } from "node:test";

import { auditBody, auditStored, firstSession, sdkReady, shop, storedOnDevice } from "./audit.mjs";
import { demoAndBrowser, waitFor, watchConsole } from "./harness.mjs";

const env = demoAndBrowser();

/** Run in the page before any of its scripts. Each patch breaks a built-in the way a careless
 * library could: what it returns looks like data and throws nothing. */
function patchBuiltIns() {
  Array.prototype.toJSON = function () {
    return "an array";
  };
  Array.prototype.join = function () {
    return "joined";
  };
  Number.prototype.toString = function () {
    return "a number";
  };
  Number.prototype.toFixed = function () {
    return "fixed";
  };
  Number.parseFloat = () => 42;
  window.parseFloat = () => 42;
}

// An order whose price has 17 significant digits (0.1 + 0.2 in JavaScript), so that reading
// it goes beyond the exact decimals the core reads by itself.
const ORDER = {
  type: "order_completed",
  items: [
    {
      product: { id: "p-hostile", category: "electronics.audio", brand: "acme", price: 0.1 + 0.2 },
      quantity: 2,
    },
  ],
  revenue: 0.6000000000000001,
};

/** Shops the first fixture session, tracks ORDER, reloads (so that the stored records are
 * read back) and syncs; returns what was stored, sent, recorded and summarized. */
async function visit(patched) {
  const receivedBefore = env.demo.receivedBodies().length;
  const context = await env.browser.newContext();
  if (patched) await context.addInitScript(patchBuiltIns);
  const page = await context.newPage();
  const errors = watchConsole(page);
  const warnings = [];
  page.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
  await shop(page, env.demo.origin, firstSession().slice(0, 3));
  await sdkReady(page);
  const tracked = await page.evaluate((order) => window.vitrine.track(order), ORDER);
  await page.goto(`${env.demo.origin}/`);
  await sdkReady(page);
  // The day's batch leaves as the first page is left, or here.
  await page.evaluate(() => window.vitrine.sync());
  await waitFor(() => env.demo.receivedBodies().length > receivedBefore, "a batch arrived");
  const sent = env.demo.receivedBodies().slice(receivedBefore);
  const ledger = await page.evaluate(() => window.vitrine.ledger());
  const exported = await page.evaluate(() => window.vitrine.exportData());
  const stored = await storedOnDevice(page);
  await context.close();
  return { tracked, sent, ledger, exported, stored, errors, warnings };
}

// Batch ids and tab ids: 128 random bits in hex.
const RANDOM_ID = /^[0-9a-f]{32}$/;

/** `value` with every number replaced by its type and every random id by "id": the noise,
 * the clock and the ids differ between two visits, the structure and the texts may not. */
function shape(value) {
  if (typeof value === "number") return Number.isFinite(value) ? "finite number" : String(value);
  if (typeof value === "string") return RANDOM_ID.test(value) ? "id" : value;
  if (Array.isArray(value)) return value.map(shape);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v], i) => [RANDOM_ID.test(k) ? `id ${i}` : k, shape(v)]),
    );
  }
  return value;
}

const vitrineRecords = (stored) =>
  Object.fromEntries(
    Object.entries(stored.localStorage)
      .filter(([key]) => key.startsWith("vitrine."))
      .map(([key, text]) => [key, JSON.parse(text)]),
  );

test("built-ins patched by the page change nothing Vitrine stores, sends or says", async () => {
  const clean = await visit(false);
  const patched = await visit(true);

  assert.equal(clean.tracked, true, "the order was accepted on the clean page");
  assert.equal(patched.tracked, true, "the order was accepted on the patched page");
  assert.deepEqual(patched.errors, []);
  assert.deepEqual(patched.warnings.filter((w) => w.includes("vitrine")), []);

  // Stored: every record declared and valid JSON, the same records with the same texts.
  assert.deepEqual(auditStored(patched.stored), []);
  const records = vitrineRecords(patched.stored);
  assert.deepEqual(shape(records), shape(vitrineRecords(clean.stored)));
  const bands = JSON.stringify(records["vitrine.profile"]);
  assert.ok(!/a number|joined|an array|fixed|"42"/.test(bands), bands);

  // Sent: one batch each, declared, of the same shape, and recorded alike in the ledger.
  assert.equal(patched.sent.length, 1);
  assert.deepEqual(auditBody(patched.sent[0]), []);
  assert.deepEqual(shape(JSON.parse(patched.sent[0])), shape(JSON.parse(clean.sent[0])));
  assert.deepEqual(shape(patched.ledger), shape(clean.ledger));

  // Said: the profile in plain words, rounded by Vitrine itself.
  assert.deepEqual(patched.exported.summary, clean.exported.summary);
});
