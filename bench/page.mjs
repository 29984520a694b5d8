// The benchmark page: Vitrine's re-rank, onnxruntime-web's `session.run` and the plain-JS
// forward pass, side by side in one page load. `run.mjs` calls `window.runBench()`.
//
// The page's clock is coarsened (about 100 µs without cross-origin isolation, which a store
// does not have), so each sample times a batch of calls long enough to dwarf that, and
// reports the time per call.
import * as ort from "/ort/ort.wasm.min.mjs";
import { start } from "/vitrine/index.js";
import initGlue, { Vitrine as Core } from "/vitrine/pkg/vitrine.js";
import initRanker, { Ranker } from "/vitrine/pkg/vitrine_ranker.js";
import { compileForward } from "/bench/forward.mjs";
import { readOnnx } from "/bench/onnx-model.mjs";

const SIZES = [1, 100, 1000];
const WARMUP_SAMPLES = 10;
const SAMPLES = 60;
const SAMPLE_MS = 3; // the least time one sample's batch should take
const TRACK_BATCHES = 100;
const TRACK_BATCH = 100;
const TOLERANCE = 1e-5;

const fetchOk = async (url) => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response;
};

/** Catalogue rows as `{ id, category, brand, price }`, in file order. */
async function catalogue() {
  const text = await (await fetchOk("/catalogue/products.csv")).text();
  const [header, ...lines] = text.trim().split("\n");
  const names = header.split(",");
  return lines.map((line) => {
    const values = line.split(",");
    const row = Object.fromEntries(names.map((n, i) => [n, values[i]]));
    return { id: row.product_id, category: row.category_code, brand: row.brand, price: +row.price };
  });
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const summary = (perCall) => {
  const sorted = [...perCall].sort((a, b) => a - b);
  return { median_us: quantile(sorted, 0.5) * 1000, p95_us: quantile(sorted, 0.95) * 1000 };
};

/**
 * Times `call(i)` for i in 0..k per sample, where `k` doubles (up to `maxBatch`) until one
 * batch takes SAMPLE_MS; `between()` runs untimed before each batch. Returns µs per call.
 */
async function measure(call, { maxBatch = 1 << 14, between = async () => {} } = {}) {
  // The first calls are cold (compilation, allocation): keep them out of the calibration.
  for (let i = 0; i < 3; i++) {
    await between();
    await call(0);
  }
  const batchMs = async (k) => {
    await between();
    const t = performance.now();
    for (let i = 0; i < k; i++) await call(i);
    return performance.now() - t;
  };
  let k = 1;
  while (k < maxBatch && (await batchMs(k)) < SAMPLE_MS) k = Math.min(maxBatch, k * 2);
  // One noisy batch can stop the doubling early: size `k` again from the median of five.
  const tries = [];
  for (let i = 0; i < 5; i++) tries.push(await batchMs(k));
  const typical = Math.max(tries.sort((a, b) => a - b)[2], 0.001);
  k = Math.max(1, Math.min(maxBatch, Math.ceil((k * SAMPLE_MS) / typical)));
  const perCall = [];
  for (let s = 0; s < WARMUP_SAMPLES + SAMPLES; s++) {
    await between();
    const t = performance.now();
    for (let i = 0; i < k; i++) await call(i);
    if (s >= WARMUP_SAMPLES) perCall.push((performance.now() - t) / k);
  }
  return { batch: k, ...summary(perCall) };
}

/** One widget container of `n` catalogue products in server order, appended to the page. */
function widget(products, n, offset) {
  const section = document.createElement("section");
  section.setAttribute("data-vitrine-widget", "recommendations");
  for (let rank = 0; rank < n; rank++) {
    const p = products[(offset + rank) % products.length];
    const item = document.createElement("article");
    item.setAttribute("data-vitrine-item", p.id);
    item.setAttribute("data-vitrine-category", p.category);
    if (p.brand) item.setAttribute("data-vitrine-brand", p.brand);
    item.setAttribute("data-vitrine-price", String(p.price));
    item.setAttribute("data-vitrine-rank", String(rank));
    item.textContent = `${p.brand} ${p.category} ${p.price}`;
    section.append(item);
  }
  document.getElementById("widgets").append(section);
  return section;
}

function restoreServerOrder(section) {
  const items = [...section.children].sort(
    (a, b) => a.getAttribute("data-vitrine-rank") - b.getAttribute("data-vitrine-rank"),
  );
  section.append(...items);
}

/** Golden feature rows tiled to `n` rows, row-major. */
function tiled(goldenRows, n) {
  const width = goldenRows[0].length;
  const out = new Float32Array(n * width);
  for (let i = 0; i < n; i++) out.set(goldenRows[i % goldenRows.length], i * width);
  return out;
}

const maxDelta = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/** Smallest step of `performance.now()` this page sees. */
function timerResolutionUs() {
  let smallest = Infinity;
  for (let i = 0; i < 200; i++) {
    const a = performance.now();
    let b = performance.now();
    while (b === a) b = performance.now();
    smallest = Math.min(smallest, b - a);
  }
  return smallest * 1000;
}

function trackingEvents(products) {
  const events = [];
  for (let i = 0; i < TRACK_BATCH; i++) {
    const p = products[(i * 37) % products.length];
    const product = { id: p.id, category: p.category, brand: p.brand || undefined, price: p.price };
    const kind = i % 4;
    if (kind === 0 || kind === 1) events.push({ type: "product_viewed", product });
    else if (kind === 2) {
      events.push({ type: "product_clicked", product, widget: "search", position: i % 10 });
    } else events.push({ type: "added_to_cart", product, quantity: 1 });
  }
  return events;
}

async function runBench() {
  const errors = [];
  const products = await catalogue();
  const modelBytes = new Uint8Array(await (await fetchOk("/models/ranker.onnx")).arrayBuffer());
  const golden = await (await fetchOk("/models/golden.json")).json();
  const goldenRows = (await (await fetchOk("/models/golden_inputs.json")).json()).groups.flatMap(
    (g) => g.rows,
  );

  // Vitrine, as a store starts it, with its own model fetch; no sync endpoint.
  const vitrine = await start({
    modelUrl: "/models/ranker.onnx",
    autoCapture: false,
    // Measure the ranking path: a holdout shopper would only restore the server order.
    holdout: 0,
    onError: (e) => errors.push(`vitrine: [${e.code}] ${e.message}`),
  });
  await vitrine.ready;
  if (!vitrine.active) throw new Error(`Vitrine did not start: ${errors.join("; ")}`);
  // A second instance without a model ranks by the built-in rule: the difference between the
  // two re-rank rows is what the model costs inside Vitrine.
  const ruleOnly = await start({
    autoCapture: false,
    storagePrefix: "vitrine-bench-rule",
    holdout: 0,
    onError: (e) => errors.push(`vitrine (rule): [${e.code}] ${e.message}`),
  });
  await ruleOnly.ready;
  // The glue modules are the ones the wrapper initialised: init returns their exports at once.
  const wasm = await initGlue();
  const rankerWasm = await initRanker();
  const wasmBytesAfterStart = wasm.memory.buffer.byteLength;
  const rankerBytesAfterStart = rankerWasm.memory.buffer.byteLength;
  // A shopper with some history, so features have something to say.
  for (const event of trackingEvents(products).slice(0, 40)) {
    vitrine.track(event);
    ruleOnly.track(event);
  }

  // The model runtime as the wrapper loads it: the rows below time it with the core around
  // it, and alone on the same rows as onnxruntime-web.
  const ranker = new Ranker(modelBytes);
  while (!ranker.prepare(1));

  // The core used bare for the "features + model + blend" rows.
  const report = (message) => errors.push(message);
  const modelCore = bareCore(products, "vitrine-bench-decide", report, ranker);
  const ruleCore = bareCore(products, "vitrine-bench-decide-rule", report);

  ort.env.wasm.wasmPaths = "/ort/";
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const session = await ort.InferenceSession.create(modelBytes, { executionProviders: ["wasm"] });
  const forward = compileForward(readOnnx(modelBytes));

  const rerank = {};
  const rerankRule = {};
  const decide = {};
  const decideRule = {};
  const ortRun = {};
  const tractRun = {};
  const plainJs = {};
  const agreement = {};
  const tractAgreement = {};
  for (const n of SIZES) {
    const maxBatch = Math.max(1, Math.floor(2000 / n));
    const widgets = Array.from({ length: maxBatch }, (_, i) => widget(products, n, i * 131));
    const rerankWith = (handle) => (i) => {
      if (handle.rerank(widgets[i]) === null) throw new Error(`rerank of ${n} items failed`);
    };
    const between = async () => widgets.forEach(restoreServerOrder);
    rerank[n] = await measure(rerankWith(vitrine), { maxBatch, between });
    rerankRule[n] = await measure(rerankWith(ruleOnly), { maxBatch, between });
    // One read per call of `benchDecide`, amortized over `repeats` rankings of it.
    const repeats = Math.ceil(20_000 / n);
    const decideWith = async (core) => {
      const timed = await measure(() => core.benchDecide(widgets[0], repeats));
      const perRanking = { median_us: timed.median_us / repeats, p95_us: timed.p95_us / repeats };
      return { ...timed, ...perRanking, repeats };
    };
    decide[n] = await decideWith(modelCore);
    decideRule[n] = await decideWith(ruleCore);
    widgets.forEach((w) => w.remove());

    const features = tiled(goldenRows, n);
    const input = new ort.Tensor("float32", features, [n, features.length / n]);
    ortRun[n] = await measure(() => session.run({ features: input }));
    // As the core calls it: the scores written into an array that outlives the call.
    const scores = new Float32Array(n);
    tractRun[n] = await measure(() => ranker.scoreInto(features, scores));
    plainJs[n] = await measure(() => forward(features, n));

    const ortScores = (await session.run({ features: input })).score.data;
    agreement[n] = maxDelta(ortScores, forward(features, n));
    tractAgreement[n] = maxDelta(ortScores, ranker.score(features));
  }
  const expected = golden.groups.flatMap((g) => g.scores);
  const goldenScores = forward(tiled(goldenRows, goldenRows.length), goldenRows.length);
  const goldenDelta = maxDelta(expected, goldenScores);

  const events = trackingEvents(products);
  const perEvent = [];
  let rejected = 0;
  for (let b = 0; b < TRACK_BATCHES + WARMUP_SAMPLES; b++) {
    const t = performance.now();
    for (const event of events) if (!vitrine.track(event)) rejected++;
    if (b >= WARMUP_SAMPLES) perEvent.push((performance.now() - t) / events.length);
  }
  const sortedEvents = perEvent.sort((a, b) => a - b);

  return {
    sizes: SIZES,
    samples: SAMPLES,
    warmupSamples: WARMUP_SAMPLES,
    sampleMs: SAMPLE_MS,
    goldenRows: goldenRows.length,
    rerank,
    rerankRule,
    decide,
    decideRule,
    ort: ortRun,
    tract: tractRun,
    plainJs,
    agreement,
    tractAgreement,
    goldenDelta,
    tolerance: TOLERANCE,
    track: {
      events: TRACK_BATCHES * events.length,
      batch: events.length,
      rejected,
      median_us: quantile(sortedEvents, 0.5) * 1000,
      p99_us: quantile(sortedEvents, 0.99) * 1000,
    },
    memory: {
      wasm_bytes_after_start: wasmBytesAfterStart,
      wasm_bytes_after_runs: wasm.memory.buffer.byteLength,
      ranker_wasm_bytes_after_start: rankerBytesAfterStart,
      ranker_wasm_bytes_after_runs: rankerWasm.memory.buffer.byteLength,
      js_heap_used_bytes: performance.memory?.usedJSHeapSize ?? null,
    },
    timerResolutionUs: timerResolutionUs(),
    ortVersion: ort.env.versions.web,
    errors,
  };
}

/**
 * The core the wrapper runs, used bare, with the shopper's history: its `benchDecide` reads a
 * widget once, then ranks it over and over without the DOM. With `ranker` it scores as the
 * wrapper makes it (the ranker module scores, the core calls it), else by the rule. Errors
 * go to `report` as text.
 */
function bareCore(products, prefix, report, ranker) {
  const core = new Core({ autoCapture: false, storagePrefix: prefix }, (e) =>
    report(`vitrine (${prefix}): ${e.message}`),
  );
  if (ranker) core.useScorer((rows, scores) => ranker.scoreInto(rows, scores));
  for (const event of trackingEvents(products).slice(0, 40)) core.track(event);
  return core;
}

/**
 * For `bench/profile.mjs`: a started Vitrine with history, a bare core without a model (as
 * the "rule only" row of (a) times it) and one widget of `n` items.
 */
let profiled;
async function prepareProfile(n) {
  const products = await catalogue();
  const vitrine = await start({ modelUrl: "/models/ranker.onnx", autoCapture: false });
  await vitrine.ready;
  for (const event of trackingEvents(products).slice(0, 40)) vitrine.track(event);
  const core = bareCore(products, "vitrine-profile-decide", console.warn);
  profiled = { vitrine, core, section: widget(products, n, 0) };
}

/** Re-ranks the prepared widget `calls` times, back in server order before each call. */
function profileRerank(calls) {
  const { vitrine, section } = profiled;
  let spent = 0;
  for (let i = 0; i < calls; i++) {
    restoreServerOrder(section);
    const t = performance.now();
    if (vitrine.rerank(section) === null) throw new Error("rerank failed");
    spent += performance.now() - t;
  }
  return (spent / calls) * 1000;
}

/** Ranks the prepared widget `calls` times without the DOM or a model: (a)'s "rule only". */
function profileDecide(calls) {
  const { core, section } = profiled;
  const t = performance.now();
  core.benchDecide(section, calls);
  return ((performance.now() - t) / calls) * 1000;
}

window.prepareProfile = prepareProfile;
window.profileRerank = profileRerank;
window.profileDecide = profileDecide;
window.runBench = runBench;
window.benchLoaded = true;
