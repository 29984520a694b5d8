// Cold starts of the demo home page, each in a fresh browser context so nothing is cached:
// Vitrine's own milestones, and the bytes of every file the page loads.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

// Brotli at quality 11 takes over a minute for onnxruntime-web's 14 MB wasm on these
// machines, and that file never changes: sizes are kept by content hash between runs.
const cacheFile = join(dirname(fileURLToPath(import.meta.url)), "..", "target", "bench",
  "compressed-sizes.json");
const cache = existsSync(cacheFile) ? JSON.parse(readFileSync(cacheFile, "utf8")) : {};

/** Raw, gzip (level 9) and brotli (quality 11) sizes of one response body. */
export function compressedSizes(body) {
  const key = createHash("sha256").update(body).digest("hex");
  cache[key] ??= {
    raw: body.length,
    gzip: gzipSync(body, { level: 9 }).length,
    brotli: brotliCompressSync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }).length,
  };
  mkdirSync(dirname(cacheFile), { recursive: true });
  writeFileSync(cacheFile, JSON.stringify(cache));
  return cache[key];
}

/** The body at `url`, or null. */
async function refetch(url) {
  const response = await fetch(url).catch(() => null);
  return response?.ok ? Buffer.from(await response.arrayBuffer()) : null;
}

/** Every successful response of `page` from now on, as `{ path, type, response }`. */
export function recordResponses(page) {
  const seen = [];
  page.on("response", (response) => {
    const { pathname, search } = new URL(response.url());
    seen.push({ path: pathname + search, type: response.request().resourceType(), response });
  });
  return async () => {
    const files = [];
    for (const { path, type, response } of seen) {
      if (response.status() !== 200) continue;
      // A worker's responses have no body to read through the page: fetched again, from
      // the same local server.
      const body = await response.body().catch(() => refetch(response.url()));
      if (body) files.push({ path, type, ...compressedSizes(body) });
    }
    return files;
  };
}

/**
 * The marks `vitrine:<step>` the wrapper sets while it loads the model: the model file and
 * the ranker are fetched side by side once the core is up ("ranker-fetched" is its response's
 * arrival), the ranker is compiled whole and instantiated, a worker prepares the model once
 * ("ranker-warmed"), and then the page parses and prepares it.
 */
const MODEL_STEPS = [
  "model-fetched",
  "ranker-fetched",
  "ranker-compiled",
  "ranker-instantiated",
  "ranker-warmed",
  "model-parsed",
  "model-prepared",
];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Navigates `page` to the demo home page; once a widget is settled, Vitrine's milestones in
 * ms since its `start()`, and `started` itself in ms since navigation.
 */
async function loadHome(page, origin) {
  await page.goto(`${origin}/`);
  // Waited for in the page, not with Playwright's selectors: their engine is a script of its
  // own, parsed on the page's main thread when first used, and with the CPU slowed that
  // alone made a task of 64 ms among the page's.
  await page.evaluate(async () => {
    while (window.vitrine === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    await window.vitrine.ready;
  });
  const t = await page.evaluate(() => window.vitrine.timings);
  if (t.trackingReady === undefined || t.modelReady === undefined) {
    throw new Error(`Vitrine did not get ready: ${JSON.stringify(t)}`);
  }
  return {
    started: t.started,
    trackingReady: t.trackingReady - t.started,
    modelReady: t.modelReady - t.started,
    firstRerank: t.firstRerank - t.started,
  };
}

/**
 * The home page viewed twice in one tab, `loads` times, each in a fresh context: medians of
 * the second view's milestones in ms since its `start()`. The second view finds the files in
 * the HTTP cache and the wasm modules already compiled in the renderer, as a shopper's next
 * page would.
 */
export async function secondViews(browser, origin, loads) {
  const rows = [];
  for (let i = 0; i < loads; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await loadHome(page, origin);
    rows.push(await loadHome(page, origin));
    await context.close();
  }
  return { loads: rows.length, ...readiness(rows) };
}

/** Medians of the milestones of `rows` (as `loadHome` returns them). */
function readiness(rows) {
  const of = (key) => median(rows.map((r) => r[key]));
  return {
    tracking_ready_ms: of("trackingReady"),
    model_ready_ms: of("modelReady"),
    first_rerank_ms: of("firstRerank"),
  };
}

/**
 * Loads `origin/` `loads` times; returns medians of the milestones in ms since `start()`
 * was called, and the files the first load fetched. With `cpuSlowdown`, each page runs under
 * Chromium's CPU throttling at that rate (CDP `Emulation.setCPUThrottlingRate`), which slows
 * the page's main thread: how the milestones and long tasks might look on a slower machine
 * (the browser's compile threads and the network are not slowed).
 */
export async function coldStarts(browser, origin, loads, { cpuSlowdown } = {}) {
  const rows = [];
  let files = [];
  // One load first, not counted: the first after the earlier parts of the bench was often
  // the slowest by far (the server's first reads of each file, a new renderer process).
  const warmUp = await browser.newContext();
  await loadHome(await warmUp.newPage(), origin);
  await warmUp.close();
  for (let i = 0; i < loads; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    if (cpuSlowdown !== undefined) {
      const cdp = await context.newCDPSession(page);
      await cdp.send("Emulation.setCPUThrottlingRate", { rate: cpuSlowdown });
    }
    const filesOf = recordResponses(page);
    // Long tasks of the whole page, from before its first script: issue 7 wants none over
    // 50 ms from Vitrine. After `start()` each counts as Vitrine's (the demo's own script is
    // tiny). Before it, the long animation frames say whose scripts ran in them: Vitrine's
    // modules are evaluated then, with the page's.
    await page.addInitScript(() => {
      window.benchLongTasks = [];
      window.benchVitrineScriptMs = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          window.benchLongTasks.push({ at: entry.startTime, ms: entry.duration });
        }
      }).observe({ type: "longtask", buffered: true });
      new PerformanceObserver((list) => {
        for (const frame of list.getEntries()) {
          const ours = frame.scripts.filter((s) => s.sourceURL.includes("/vitrine/"));
          const ms = ours.reduce((sum, s) => sum + s.duration, 0);
          window.benchVitrineScriptMs.push({ at: frame.startTime, ms });
        }
      }).observe({ type: "long-animation-frame", buffered: true });
    });
    const t = await loadHome(page, origin);
    // The wrapper's user-timing marks of each step of loading the model.
    const steps = await page.evaluate((names) => {
      const at = (name) => performance.getEntriesByName(`vitrine:${name}`)[0]?.startTime;
      return Object.fromEntries(names.map((name) => [name, at(name)]));
    }, MODEL_STEPS);
    // Let a last task finish and be reported before reading the list.
    await page.waitForTimeout(200);
    const longTasks = await page.evaluate(() => window.benchLongTasks);
    // Those that began once Vitrine's `start()` was called, apart: before it, the page's own.
    const afterStart = longTasks.filter((task) => task.at >= t.started).map((task) => task.ms);
    const frames = await page.evaluate(() => window.benchVitrineScriptMs);
    const oursBeforeStart = frames.filter((f) => f.at < t.started).map((f) => f.ms);
    rows.push({
      ...t,
      longestTask: Math.max(0, ...longTasks.map((task) => task.ms)),
      longTasks: longTasks.length,
      longestTaskAfterStart: Math.max(0, ...afterStart),
      vitrineScriptBeforeStart: Math.max(0, ...oursBeforeStart),
      ...Object.fromEntries(MODEL_STEPS.map((name) => [name, steps[name] - t.started])),
    });
    if (i === 0) files = await filesOf();
    await context.close();
  }
  const of = (key) => median(rows.map((r) => r[key]));
  return {
    loads,
    ...readiness(rows),
    started_ms: of("started"),
    longest_task_ms: of("longestTask"),
    long_tasks: of("longTasks"),
    // The median hides the odd slow load: how many had a long task, and the worst one.
    loads_with_long_task: rows.filter((r) => r.longTasks > 0).length,
    longest_task_max_ms: Math.max(...rows.map((r) => r.longestTask)),
    loads_with_long_task_after_start: rows.filter((r) => r.longestTaskAfterStart > 0).length,
    longest_task_after_start_max_ms: Math.max(...rows.map((r) => r.longestTaskAfterStart)),
    // The most Vitrine's scripts ran in one long animation frame before `start()`.
    vitrine_script_before_start_max_ms: Math.max(...rows.map((r) => r.vitrineScriptBeforeStart)),
    model_steps_ms: Object.fromEntries(MODEL_STEPS.map((name) => [name, of(name)])),
    files,
  };
}
