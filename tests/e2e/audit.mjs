// The privacy audit's view of a browser: the declared inventory (privacy/inventory.json, the
// file the SDK's own tests keep equal to the code), what a page has stored, and a scripted
// shopping session on the demo store.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { fixtureSessions, repo, widgetItems } from "./harness.mjs";

/** The committed data inventory. */
export const inventory = JSON.parse(
  readFileSync(join(repo, "privacy", "inventory.json"), "utf8"),
);

/** The demo store's own key: the store's cart, not Vitrine's, and so not in its inventory. */
export const DEMO_KEYS = new Set(["demo-cart"]);

/** Segments of a declared path, as `src/inventory.rs` reads them: `a[].b` → a, [], b. */
function patternSegments(pattern) {
  if (pattern === "") return [];
  return pattern
    .split(".")
    .flatMap((part) => (part.endsWith("[]") ? [part.slice(0, -2), "[]"] : [part]));
}

/** Every leaf path of a JSON value (and every empty list or map, and every null). */
function jsonPaths(value, at = [], out = []) {
  if (Array.isArray(value) && value.length > 0) {
    for (const item of value) jsonPaths(item, [...at, "[]"], out);
  } else if (value !== null && typeof value === "object" && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) jsonPaths(child, [...at, key], out);
  } else {
    out.push(at);
  }
  return out;
}

/** The same rule as `inventory::matches`: equal segments, `*` any map key, prefixes allowed. */
function declares(pattern, path) {
  const segments = patternSegments(pattern);
  return (
    path.length <= segments.length &&
    path.every((s, i) => segments[i] === s || (segments[i] === "*" && s !== "[]"))
  );
}

/** The paths of `value` that none of `fields` declares, joined with dots. */
export function undeclared(value, fields) {
  return jsonPaths(value)
    .filter((path) => !fields.some((f) => declares(f.path, path)))
    .map((path) => path.join("."));
}

/** The declared record of a full storage key such as `vitrine.profile`, if any. */
export function declaredKey(key, prefix = inventory.default_storage_prefix) {
  return inventory.stored.find((k) => `${prefix}.${k.key}` === key);
}

/** Everything the origin stores that script can see: localStorage, IndexedDB, caches. */
export async function storedOnDevice(page) {
  return page.evaluate(async () => ({
    localStorage: Object.fromEntries(
      Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i)).map((k) => [
        k,
        localStorage.getItem(k),
      ]),
    ),
    sessionStorage: sessionStorage.length,
    indexedDB: (await indexedDB.databases()).map((db) => db.name),
    caches: await caches.keys(),
    cookie: document.cookie,
  }));
}

/** Problems with what a page stored, against the inventory; empty when all is declared. */
export function auditStored(stored) {
  const problems = [];
  for (const [key, text] of Object.entries(stored.localStorage)) {
    if (DEMO_KEYS.has(key)) continue;
    const declared = declaredKey(key);
    if (!declared) {
      problems.push(`undeclared localStorage key ${key}`);
      continue;
    }
    let value;
    try {
      value = JSON.parse(text);
    } catch {
      problems.push(`${key} is not JSON`);
      continue;
    }
    for (const path of undeclared(value, declared.fields)) {
      problems.push(`${key}: undeclared field ${path}`);
    }
  }
  if (stored.sessionStorage > 0) problems.push("sessionStorage is used");
  for (const name of stored.indexedDB) problems.push(`undeclared IndexedDB database ${name}`);
  for (const name of stored.caches) problems.push(`undeclared cache ${name}`);
  if (stored.cookie !== "") problems.push(`cookies: ${stored.cookie}`);
  return problems;
}

/** Problems with one request body the collector received, against the declared batch. */
export function auditBody(body) {
  const fields = inventory.sent[0].fields;
  let batch;
  try {
    batch = JSON.parse(body);
  } catch {
    return [`a body is not JSON: ${body}`];
  }
  const problems = undeclared(batch, fields).map((p) => `undeclared sent field ${p}`);
  const names = fields.map((f) => f.path.replace("[]", ""));
  for (const name of names) {
    if (!(name in batch)) problems.push(`declared field ${name} missing`);
  }
  return problems;
}

/** The first REES46 fixture session, for a short scripted visit. */
export function firstSession() {
  return [...fixtureSessions().values()][0];
}

/** Shops the session on the demo: each product page viewed, cart events added to cart. */
export async function shop(page, origin, events) {
  for (const event of events) {
    await page.goto(`${origin}/product/${event.product_id}`);
    await widgetItems(page, "recommendations");
    if (event.event_type === "cart") {
      await page.click("[data-vitrine-detail] [data-vitrine-action='add-to-cart']");
    }
  }
}

/** Waits until the SDK has started on the page (`window.vitrine` set by the demo). */
export async function sdkReady(page) {
  await page.waitForFunction(() => window.vitrine?.active === true, null, { timeout: 15_000 });
}
