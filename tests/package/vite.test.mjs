// A fresh Vite app installs the packed tarball, `vite build`s with Vite's defaults, and the
// built pages personalize their widgets in headless Chromium: the plain API with the model
// (prepared first in the bundled warm-up worker), the React hook, and the `<vitrine-widget>`
// element; and the dev server, with its dependency pre-bundling, serves the same app without
// any Vitrine-specific config.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { build, createServer } from "vite";

import {
  installApp,
  launchBrowser,
  modelPath,
  openPage,
  serve,
  settledState,
} from "./harness.mjs";

let app, server, browser;
before(async () => {
  app = installApp("vite");
  mkdirSync(join(app.dir, "public"));
  copyFileSync(modelPath, join(app.dir, "public", "ranker.onnx"));
  await build({ root: app.dir, logLevel: "warn" });
  server = await serve(join(app.dir, "dist"));
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  app?.cleanup();
});

/** Opens a built page, waits for `selector` to settle, and checks nothing went wrong. */
async function settle(url, selector) {
  const opened = await openPage(browser, server.origin, url);
  try {
    const state = await settledState(opened.page, selector);
    await opened.page.waitForFunction(() => window.pageReport.active !== null);
    const report = await opened.page.evaluate(() => window.pageReport);
    assert.deepEqual(opened.pageErrors, [], "uncaught errors");
    assert.deepEqual(report.errors, [], "errors reported to onError");
    assert.deepEqual(opened.foreign, [], "requests beyond the page's origin");
    return { state, report, messages: opened.console };
  } finally {
    await opened.close();
  }
}

/** Checks that the debug log says the model was prepared in the warm-up worker. */
function assertPreparedInWorker(messages) {
  const debug = messages.map((m) => m.text).filter((t) => t.startsWith("vitrine debug:"));
  assert.ok(debug.some((t) => t.includes("model prepared in a worker")), debug.join("\n"));
}

test("the bundled wasm, worker and model load, and the widget is ranked by the model", async () => {
  const { state, report, messages } = await settle("/?debug", "#recs");
  assertPreparedInWorker(messages);
  assert.equal(state, "ranked");
  assert.equal(report.active, true);
  assert.equal(report.hasModel, true);
});

test("useRankedWidget ranks a list React renders after Vitrine is ready, before it is painted", async () => {
  const opened = await openPage(browser, server.origin, "/react.html");
  try {
    // Every item carries the signal that placed it: ranked after React rendered it.
    await opened.page.waitForFunction(() => {
      const items = document.querySelectorAll("#recs > [data-vitrine-item]");
      return items.length === 5 && [...items].every((i) => i.hasAttribute("data-vitrine-signal"));
    });
    assert.equal(await opened.page.getAttribute("#recs", "data-vitrine-state"), "ranked");
    await opened.page.waitForFunction(() => window.pageReport.rankedBeforePaint !== undefined);
    const report = await opened.page.evaluate(() => window.pageReport);
    assert.equal(report.rankedBeforePaint, true, "no frame showed the server's order");
    assert.equal(report.active, true);
    assert.deepEqual(report.errors, []);
    assert.deepEqual(opened.pageErrors, []);
  } finally {
    await opened.close();
  }
});

test("<vitrine-widget> ranks itself, also when attached after Vitrine is ready", async () => {
  const opened = await openPage(browser, server.origin, "/element.html");
  try {
    assert.equal(await settledState(opened.page, "#recs"), "ranked");
    assert.equal(await settledState(opened.page, "#late"), "ranked");
    assert.equal(await opened.page.getAttribute("#late", "data-vitrine-widget"), "search");
    assert.deepEqual(await opened.page.evaluate(() => window.pageReport.errors), []);
    assert.deepEqual(opened.pageErrors, []);
  } finally {
    await opened.close();
  }
});

test("the Vite dev server, pre-bundling included, needs no config for the wasm or the worker",
  async () => {
    const dev = await createServer({
      root: app.dir,
      logLevel: "warn",
      server: { host: "127.0.0.1", port: 0 },
    });
    await dev.listen();
    const origin = `http://127.0.0.1:${dev.httpServer.address().port}`;
    const opened = await openPage(browser, origin, "/?debug");
    try {
      assert.equal(await settledState(opened.page, "#recs"), "ranked");
      await opened.page.waitForFunction(() => window.pageReport.active !== null);
      const report = await opened.page.evaluate(() => window.pageReport);
      assert.equal(report.hasModel, true);
      assertPreparedInWorker(opened.console);
      assert.deepEqual(report.errors, []);
      assert.deepEqual(opened.pageErrors, []);
    } finally {
      await opened.close();
      await dev.close();
    }
  });
