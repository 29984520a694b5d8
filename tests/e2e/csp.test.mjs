// The demo under its strict Content-Security-Policy, and under the same policy without
// 'wasm-unsafe-eval' (rewritten by a Playwright route): the SDK runs in the first case; in
// the second it reports why it cannot, the page keeps the server's order, and nothing is
// thrown at the page. Under a policy that refuses workers, the page prepares the model
// itself.
import assert from "node:assert/strict";
import { test } from "node:test";

import { demoAndBrowser, watchConsole, widgetItems } from "./harness.mjs";

const env = demoAndBrowser();

const STRICT_SCRIPT_SRC = "script-src 'self' 'wasm-unsafe-eval'";

/** A page that records every CSP violation report and every console warning. */
async function watchedPage(context) {
  await context.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`),
    );
  });
  const page = await context.newPage();
  const errors = watchConsole(page);
  const warnings = [];
  page.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
  return { page, errors, warnings };
}

test("under the strict policy the SDK runs and nothing is refused", async () => {
  const context = await env.browser.newContext();
  const { page, errors } = await watchedPage(context);
  const response = await page.goto(`${env.demo.origin}/`);
  const csp = response.headers()["content-security-policy"];
  assert.ok(csp.split(";").map((d) => d.trim()).includes(STRICT_SCRIPT_SRC), csp);

  await widgetItems(page, "recommendations");
  assert.equal(await page.getAttribute("[data-vitrine-widget]", "data-vitrine-state"), "ranked");
  assert.equal(await page.evaluate(() => window.vitrine.active), true);
  assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
  assert.deepEqual(await page.evaluate(() => window.vitrineErrors), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test("without 'wasm-unsafe-eval' the SDK says why and the page keeps server order", async () => {
  const context = await env.browser.newContext();
  let rewritten = 0;
  await context.route("**/*", async (route) => {
    if (route.request().resourceType() !== "document") return route.continue();
    const response = await route.fetch();
    const headers = response.headers();
    const policy = headers["content-security-policy"];
    headers["content-security-policy"] = policy.replace(" 'wasm-unsafe-eval'", "");
    rewritten += policy === headers["content-security-policy"] ? 0 : 1;
    return route.fulfill({ response, headers });
  });
  const { page, errors, warnings } = await watchedPage(context);
  await page.goto(`${env.demo.origin}/`);
  assert.equal(rewritten, 1, "the policy lost 'wasm-unsafe-eval'");

  const items = await widgetItems(page, "recommendations");
  assert.equal(
    await page.getAttribute("[data-vitrine-widget]", "data-vitrine-state"),
    "fallback",
  );
  assert.deepEqual(
    items.map((i) => i.rank),
    items.map((_, i) => i),
    "the server's order",
  );
  // The widgets are marked before `start` resolves and the demo sets `window.vitrine`.
  await page.waitForFunction(() => window.vitrine !== undefined);
  assert.deepEqual(await page.evaluate(() => window.vitrineErrors), ["wasm_unavailable"]);
  assert.equal(await page.evaluate(() => window.vitrine.active), false);
  const reason = warnings.find((w) => w.includes("[wasm_unavailable]"));
  assert.ok(reason, `a warning with the reason: ${warnings}`);
  assert.match(reason, /WebAssembly|wasm/i);
  assert.match(reason, /unsafe-eval|Content Security Policy/i, reason);
  assert.ok(
    (await page.evaluate(() => window.cspViolations)).some((v) => v.startsWith("script-src")),
    "the browser refused WebAssembly under script-src",
  );

  // No uncaught error reached the page; Chromium's own notice of the refusal is the only
  // console error, and the inert handle still answers.
  assert.deepEqual(errors.filter((e) => e.startsWith("uncaught")), []);
  for (const error of errors) assert.match(error, /Content Security Policy/, error);
  assert.equal(await page.evaluate(() => window.vitrine.track({ type: "x" })), false);
  await context.close();
});

test("under a policy that refuses workers the page prepares the model itself", async () => {
  const context = await env.browser.newContext();
  await context.route("**/*", async (route) => {
    if (route.request().resourceType() !== "document") return route.continue();
    const response = await route.fetch();
    const headers = response.headers();
    headers["content-security-policy"] += "; worker-src 'none'";
    return route.fulfill({ response, headers });
  });
  const { page, errors } = await watchedPage(context);
  await page.goto(`${env.demo.origin}/`);
  await widgetItems(page, "recommendations");
  await page.waitForFunction(() => window.vitrine?.timings.firstRerank !== undefined);
  assert.equal(await page.getAttribute("[data-vitrine-widget]", "data-vitrine-state"), "ranked");
  assert.ok(await page.evaluate(() => window.vitrine.timings.modelReady !== undefined));
  assert.deepEqual(await page.evaluate(() => window.vitrineErrors), []);
  assert.ok(
    (await page.evaluate(() => window.cspViolations)).some((v) => v.startsWith("worker-src")),
    "the browser refused the worker",
  );
  // Chromium's own notice of the refusal is the only console error.
  for (const error of errors) assert.match(error, /Content Security Policy/, error);
  await context.close();
});
