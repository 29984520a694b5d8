// The demo store with `?vitrine-debug`: the SDK, installed into demo-site as a package, logs
// its decisions for the home page's widget, and no product id of the page among them.
import assert from "node:assert/strict";
import { test } from "node:test";

import { demoAndBrowser, watchConsole, widgetItems } from "./harness.mjs";

const env = demoAndBrowser();

test("?vitrine-debug logs the home page's ranking decisions, without product ids", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  const lines = [];
  page.on("console", (message) => lines.push(message.text()));
  await page.goto(`${env.demo.origin}/?vitrine-debug`);
  const items = await widgetItems(page, "recommendations");
  await page.waitForFunction(() => window.vitrine?.timings.firstRerank !== undefined);
  await context.close();

  const debug = lines.filter((line) => line.startsWith("vitrine debug: "));
  const ranking = /recommendations #\d+ ranked by model: \d+ of \d+ items moved/;
  assert.ok(debug.some((l) => ranking.test(l)), debug.join("\n"));
  assert.ok(debug.some((l) => /model ready \d+\.\d ms after start/.test(l)), debug.join("\n"));
  for (const { id } of items) {
    assert.ok(!debug.some((l) => l.includes(id)), `product id ${id} in the debug log`);
  }
  assert.deepEqual(errors, []);
});
