// The model prepared once in a short-lived worker before the page prepares it
// (`prepareInWorker`, on by default): the worker starts, answers and is ended. Where it cannot
// start, is switched off, or is a page's replacement that answers nothing, the page prepares
// the model itself, ranks the same, and reports nothing, since nothing went wrong for the
// store.
import assert from "node:assert/strict";
import { test } from "node:test";

import { demoAndBrowser, waitFor, watchConsole, widgetItems } from "./harness.mjs";

const env = demoAndBrowser();

const WORKER_SCRIPT = "/vitrine/ranker-warmup.js";

/**
 * The demo home page with the debug log, as it starts loading: the SDK's debug lines, the
 * workers the page started (and whether each was ended), and the console's errors.
 */
async function watchedHomePage(context) {
  const page = await context.newPage();
  const consoleErrors = watchConsole(page);
  const debug = [];
  page.on("console", (m) => m.text().startsWith("vitrine debug: ") && debug.push(m.text()));
  const workers = [];
  page.on("worker", (worker) => {
    const seen = { path: new URL(worker.url()).pathname, ended: false };
    workers.push(seen);
    worker.on("close", () => (seen.ended = true));
  });
  await page.goto(`${env.demo.origin}/?vitrine-debug`);
  return { page, debug, workers, consoleErrors };
}

/**
 * `watchedHomePage` once its first re-rank is done, with the widget's state and the errors
 * Vitrine reported.
 */
async function homePage(context) {
  const watched = await watchedHomePage(context);
  const { page } = watched;
  await widgetItems(page, "recommendations");
  await page.waitForFunction(() => window.vitrine?.timings.firstRerank !== undefined);
  const state = await page.getAttribute("[data-vitrine-widget]", "data-vitrine-state");
  const reported = await page.evaluate(() => window.vitrineErrors);
  return { ...watched, state, reported };
}

const prepared = (debug, how) => debug.filter((line) => line.includes(how));

test("the model is prepared in a worker first, which is then ended", async () => {
  const context = await env.browser.newContext();
  const home = await homePage(context);
  assert.equal(home.state, "ranked");
  // Ended as the model is ready; the close event may come a moment later.
  await waitFor(() => home.workers.every((w) => w.ended), "the worker was ended", 5000);
  assert.deepEqual(home.workers, [{ path: WORKER_SCRIPT, ended: true }]);
  assert.equal(prepared(home.debug, "model prepared in a worker").length, 1, home.debug.join("\n"));
  const warmed = await home.page.evaluate(
    () => performance.getEntriesByName("vitrine:ranker-warmed").length,
  );
  assert.equal(warmed, 1);
  assert.deepEqual(home.reported, []);
  assert.deepEqual(home.consoleErrors, []);
  await context.close();
});

test("a widget longer than the core ranks gets no plan: the model is prepared for the longest "
  + "one it ranks", async () => {
  const context = await env.browser.newContext();
  await context.addInitScript(() => {
    addEventListener("DOMContentLoaded", () => {
      const widget = document.createElement("ul");
      widget.dataset.vitrineWidget = "search";
      for (let i = 0; i < 2001; i++) {
        const item = document.createElement("li");
        item.dataset.vitrineItem = `long-${i}`;
        widget.append(item);
      }
      document.body.append(widget);
    });
  });
  const home = await homePage(context);
  const longestRanked = await home.page.evaluate(() => {
    const counts = [...document.querySelectorAll("[data-vitrine-widget]")]
      .map((w) => w.querySelectorAll(":scope > [data-vitrine-item]").length);
    return { all: Math.max(...counts), ranked: Math.max(...counts.filter((n) => n <= 2000)) };
  });
  assert.deepEqual(longestRanked.all, 2001);
  const lines = prepared(home.debug, "model prepared in a worker");
  assert.equal(lines.length, 1, home.debug.join("\n"));
  assert.match(lines[0], new RegExp(`for lists of ${longestRanked.ranked},`));
  assert.equal(home.state, "ranked");
  await context.close();
});

test("a worker that cannot load leaves the page to prepare the model, and nothing is reported",
  async () => {
    const context = await env.browser.newContext();
    let refused = 0;
    await context.route(`**${WORKER_SCRIPT}`, (route) => {
      refused += 1;
      return route.fulfill({ status: 404, body: "" });
    });
    const home = await homePage(context);
    assert.equal(refused, 1);
    assert.equal(home.state, "ranked");
    const fallback = prepared(home.debug, "model not prepared in a worker");
    assert.equal(fallback.length, 1, home.debug.join("\n"));
    assert.match(fallback[0], /preparing on the main thread/);
    assert.deepEqual(home.reported, []);
    // Only the browser's own line about the refused script.
    assert.ok(home.consoleErrors.every((e) => e.includes("404")), home.consoleErrors.join("\n"));
    await context.close();
  });

test("prepareInWorker: false starts no worker", async () => {
  const context = await env.browser.newContext();
  let rewritten = 0;
  await context.route("**/static/app.js", async (route) => {
    const response = await route.fetch();
    const script = await response.text();
    const body = script.replace("modelUrl: ", "prepareInWorker: false, modelUrl: ");
    rewritten += body === script ? 0 : 1;
    return route.fulfill({ response, body });
  });
  const home = await homePage(context);
  assert.equal(rewritten, 1, "the demo's start() got the option");
  assert.equal(home.state, "ranked");
  assert.deepEqual(home.workers, []);
  assert.deepEqual(prepared(home.debug, "in a worker"), []);
  assert.deepEqual(home.reported, []);
  assert.deepEqual(home.consoleErrors, []);
  await context.close();
});

test("a Worker the page replaced cannot keep the model from being used", async () => {
  const context = await env.browser.newContext();
  // Answers with nothing, and has no terminate(): the page prepares the model all the same.
  await context.addInitScript(() => {
    window.Worker = class {
      postMessage() {
        setTimeout(() => this.onmessage?.({ data: null }), 0);
      }
    };
  });
  const home = await homePage(context);
  assert.equal(home.state, "ranked");
  assert.deepEqual(home.workers, []);
  assert.ok(await home.page.evaluate(() => window.vitrine.timings.modelReady !== undefined));
  assert.deepEqual(home.reported, []);
  assert.deepEqual(home.consoleErrors, []);
  await context.close();
});

test("a page's Promise.race, onmessage setter or terminate() cannot cost it the model or leak",
  async () => {
    const pages = {
      // Promise.race was what the wait used: a good model went unused.
      race: () => {
        Promise.race = () => 42;
      },
      // A setter that throws: an uncaught rejection reached the page.
      setter: () => {
        const RealWorker = window.Worker;
        window.Worker = class extends RealWorker {
          set onmessage(_handler) {
            throw new Error("setter says no");
          }
        };
      },
      // terminate() that throws: the real worker lived on with its wasm memory.
      terminate: () => {
        Worker.prototype.terminate = () => {
          throw new Error("terminate says no");
        };
      },
    };
    for (const [name, patch] of Object.entries(pages)) {
      const context = await env.browser.newContext();
      await context.addInitScript(patch);
      const home = await homePage(context);
      assert.equal(home.state, "ranked", name);
      assert.deepEqual(home.reported, [], name);
      assert.deepEqual(home.consoleErrors, [], name);
      await waitFor(() => home.workers.every((w) => w.ended), `${name}: the worker ended`, 5000);
      await context.close();
    }
  });

test("stop() while the model loads ends the worker and ranks nothing", async () => {
  const context = await env.browser.newContext();
  await context.route("**/models/ranker.onnx", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return route.continue();
  });
  const { page, debug, workers, consoleErrors } = await watchedHomePage(context);
  await page.waitForFunction(() => window.vitrine !== undefined);
  await waitFor(() => workers.length === 1, "the worker started", 5000);
  await page.evaluate(() => window.vitrine.stop());
  await waitFor(() => workers[0].ended, "the worker ended with stop()", 1000);
  // Past the model's arrival: nothing is prepared, ranked or reported.
  await page.waitForTimeout(2500);
  const state = await page.getAttribute("[data-vitrine-widget]", "data-vitrine-state");
  assert.notEqual(state, "ranked");
  assert.equal(await page.evaluate(() => window.vitrine.timings.modelReady), undefined);
  assert.deepEqual(debug.filter((l) => /model (ready|prepared|not)/.test(l)), []);
  assert.deepEqual(await page.evaluate(() => window.vitrineErrors), []);
  assert.deepEqual(consoleErrors, []);
  await context.close();
});
