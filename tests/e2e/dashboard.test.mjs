// The collector's dashboard in Chromium, with the collector running on its own: batches
// posted by the test over HTTP, decoded by the server, plotted by Chart.js under the strict
// Content-Security-Policy.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";

import { launchBrowser, startDemo, watchConsole } from "./harness.mjs";

const LN_3 = Math.log(3);
const env = {};

before(async () => {
  env.demo = await startDemo(["--collector-only"]);
  env.browser = await launchBrowser();
});
after(async () => {
  await env.browser?.close();
  await env.demo?.stop();
});

/** A schema-2 batch: its fields are noised answers, so any in-range values are valid. */
function batch(i) {
  const bits = randomBytes(14);
  return {
    schema: 2,
    batch_id: randomBytes(16).toString("hex"),
    epsilon: LN_3,
    arm: i % 2 === 0 ? "personalized" : "holdout",
    // Slot 0 (electronics) is set far more often than the others.
    interest: [...bits].map((b, slot) => (slot === 0 ? Number(b < 200) : Number(b < 80))),
    segment: bits[0] % 8,
    engagement_band: bits[1] % 4,
    funnel: 1 + (bits[2] % 3),
  };
}

async function post(count, offset = 0) {
  for (let i = 0; i < count; i += 1) {
    const response = await fetch(`${env.demo.origin}/v1/signals`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(batch(offset + i)),
    });
    assert.equal(response.status, 202, await response.text());
  }
}

async function openDashboard() {
  const context = await env.browser.newContext();
  await context.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`),
    );
  });
  const page = await context.newPage();
  const errors = watchConsole(page);
  const response = await page.goto(`${env.demo.origin}/dashboard`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()["content-security-policy"], /script-src 'self'/);
  await page.waitForSelector("#dashboard-status:not([data-state='loading'])");
  return { context, page, errors };
}

/** What Chart.js holds for a canvas, or null when nothing was drawn there. */
function chartData(page, canvasId) {
  return page.evaluate((id) => {
    const chart = Chart.getChart(document.getElementById(id));
    if (!chart) return null;
    return {
      labels: chart.data.labels,
      datasets: chart.data.datasets.map((d) => ({ label: d.label, data: d.data })),
    };
  }, canvasId);
}

test("under 50 shoppers the dashboard shows why nothing is plotted", async () => {
  await post(20);
  const { context, page, errors } = await openDashboard();
  assert.equal(await page.getAttribute("#dashboard-status", "data-state"), "ready");
  assert.equal(await chartData(page, "interest-chart"), null);
  assert.match(await page.textContent("#interest-note"), /at least 50 distinct shoppers/);
  assert.match(await page.textContent("#uplift-note"), /each arm/);
  assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the charts plot the collector's estimates from the posted batches", async () => {
  await post(220, 20); // 240 in all: 120 per arm, each batch a whole day's ln 3
  const estimates = await (await fetch(`${env.demo.origin}/v1/estimates`)).json();
  assert.equal(estimates.batches, 240);
  assert.equal(estimates.uplift.published, true);

  const { context, page, errors } = await openDashboard();
  assert.equal(await page.getAttribute("#dashboard-status", "data-state"), "ready");

  const interest = await chartData(page, "interest-chart");
  assert.deepEqual(interest.labels, estimates.interest.values.map((v) => v.label));
  const points = interest.datasets.find((d) => d.label.endsWith("estimate")).data;
  assert.deepEqual(points, estimates.interest.values.map((v) => v.estimate));
  const bars = interest.datasets.find((d) => d.label.endsWith("interval")).data;
  assert.deepEqual(bars, estimates.interest.values.map((v) => [v.low, v.high]));
  // Electronics was sent far more often: the decoded share says so.
  const top = estimates.interest.values.reduce((a, b) => (b.estimate > a.estimate ? b : a));
  assert.equal(top.label, "electronics");

  const arms = await chartData(page, "arms-chart");
  assert.deepEqual(arms.labels, ["click-through", "add-to-cart"]);
  const personalized = arms.datasets.find((d) => d.label === "personalized: estimate").data;
  assert.deepEqual(personalized, [
    estimates.arms.personalized.click_through.estimate,
    estimates.arms.personalized.add_to_cart.estimate,
  ]);
  const uplift = await chartData(page, "uplift-chart");
  assert.deepEqual(uplift.datasets.find((d) => d.label === "uplift: estimate").data, [
    estimates.uplift.click_through.estimate,
    estimates.uplift.add_to_cart.estimate,
  ]);

  // Pixels, not only objects: the interest canvas is not blank.
  const inked = await page.evaluate(() => {
    const canvas = document.getElementById("interest-chart");
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    let count = 0;
    for (let i = 3; i < data.length; i += 4) count += data[i] > 0 ? 1 : 0;
    return count;
  });
  assert.ok(inked > 1000, `only ${inked} pixels drawn`);
  assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the collector on its own serves no store pages", async () => {
  const home = await fetch(`${env.demo.origin}/`);
  assert.equal(home.status, 404);
  assert.equal((await home.json()).error, "not_found");
});
