// Tracking under load, in a page of its own: what a minute of heavy browsing costs in storage,
// the longest task during a burst of 10^4 events, and the stored profile's size after 10^6
// events shaped like real REES46 sessions (`tests/fixtures/eval/rees46-train.csv`, replayed
// with fresh product ids each pass). `run.mjs` calls `window.runTrackingBench()`.
import { start } from "/vitrine/index.js";

// Installed before Vitrine starts, so that every write it makes is counted and timed.
const writes = { count: 0, bytes: 0, ms: 0 };
const setItem = Storage.prototype.setItem;
Storage.prototype.setItem = function countedSetItem(key, value) {
  const t = performance.now();
  setItem.call(this, key, value);
  writes.ms += performance.now() - t;
  writes.count += 1;
  writes.bytes += utf8Bytes(String(key)) + utf8Bytes(String(value));
};

const longTasks = [];
new PerformanceObserver((list) => longTasks.push(...list.getEntries())).observe({
  type: "longtask",
  buffered: true,
});

const HEAVY_BROWSING_MS = 10_000;
const HEAVY_BROWSING_EVERY_MS = 100;
const BURST = 10_000;
const BURST_CHUNK = 100;
const MILLION = 1_000_000;
const MILLION_CHUNK = 10_000;

const utf8Bytes = (text) => new TextEncoder().encode(text).length;
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The real sessions' events as Vitrine events, in their order. */
async function realEvents() {
  const response = await fetch("/sessions/rees46-train.csv");
  if (!response.ok) throw new Error(`the REES46 sessions answered ${response.status}`);
  const [header, ...lines] = (await response.text()).trim().split("\n");
  const names = header.split(",");
  const events = [];
  for (const line of lines) {
    const values = line.split(",");
    const row = Object.fromEntries(names.map((name, i) => [name, values[i]]));
    const product = {
      id: row.product_id,
      category: row.category_code || row.category_id || undefined,
      brand: row.brand || undefined,
      price: Number(row.price),
    };
    if (row.event_type === "view") events.push({ type: "product_viewed", product });
    else if (row.event_type === "cart") events.push({ type: "added_to_cart", product });
    else if (row.event_type === "remove_from_cart") {
      events.push({ type: "removed_from_cart", product });
    } else if (row.event_type === "purchase") {
      events.push({ type: "order_completed", items: [{ product }], revenue: product.price });
    }
  }
  return events;
}

/** Event `i` of an endless replay: each pass over the sessions uses new product ids. */
function replayed(events, i) {
  const event = events[i % events.length];
  const pass = Math.floor(i / events.length);
  const fresh = (product) => ({ ...product, id: `${product.id}-${pass}` });
  if (event.product) return { ...event, product: fresh(event.product) };
  const items = event.items.map((line) => ({ ...line, product: fresh(line.product) }));
  return { ...event, items };
}

function storedProfileBytes() {
  const key = Object.keys(localStorage).find((k) => k.endsWith("profile"));
  return key === undefined ? 0 : utf8Bytes(localStorage.getItem(key));
}

async function runTrackingBench() {
  const events = await realEvents();
  const errors = [];
  const vitrine = await start({ autoCapture: false, onError: (e) => errors.push(e.message) });
  let rejected = 0;
  const track = (event) => {
    if (!vitrine.track(event)) rejected += 1;
  };

  // Heavy browsing: an event every 100 ms for 10 s, written as the SDK coalesces by default.
  const writesBefore = { ...writes };
  for (let i = 0; i < HEAVY_BROWSING_MS / HEAVY_BROWSING_EVERY_MS; i++) {
    track(replayed(events, i));
    await wait(HEAVY_BROWSING_EVERY_MS);
  }
  await wait(1_200);
  const perMinute = 60_000 / HEAVY_BROWSING_MS;
  const heavy = {
    count: writes.count - writesBefore.count,
    bytes: writes.bytes - writesBefore.bytes,
    ms: writes.ms - writesBefore.ms,
  };
  const flushMs = [];
  for (let i = 0; i < 50; i++) {
    track(replayed(events, i));
    const t = performance.now();
    vitrine.flush();
    flushMs.push(performance.now() - t);
  }
  flushMs.sort((a, b) => a - b);
  const storage = {
    writes_per_minute: heavy.count * perMinute,
    bytes_per_minute: heavy.bytes * perMinute,
    set_item_ms_per_minute: heavy.ms * perMinute,
    flush_median_ms: flushMs[flushMs.length >> 1],
  };

  // A burst: 10^4 events, 100 per task, as a page passes on a long list's impressions.
  longTasks.length = 0;
  let longestChunkMs = 0;
  const burstStart = performance.now();
  for (let i = 0; i < BURST; i += BURST_CHUNK) {
    const t = performance.now();
    for (let k = i; k < i + BURST_CHUNK; k++) track(replayed(events, k));
    longestChunkMs = Math.max(longestChunkMs, performance.now() - t);
    await nextTask();
  }
  const burstMs = performance.now() - burstStart;
  await wait(1_500); // the coalesced write after the burst, and any long task it makes
  const burst = {
    events: BURST,
    chunk: BURST_CHUNK,
    total_ms: burstMs,
    longest_chunk_ms: longestChunkMs,
    long_tasks: longTasks.length,
    longest_task_ms: Math.max(0, ...longTasks.map((task) => task.duration)),
  };

  // 10^6 events shaped like the real sessions, then the stored profile.
  const millionStart = performance.now();
  for (let i = 0; i < MILLION; i += MILLION_CHUNK) {
    for (let k = i; k < i + MILLION_CHUNK; k++) track(replayed(events, k));
    await nextTask();
  }
  const millionMs = performance.now() - millionStart;
  vitrine.flush();
  const profile = {
    events: MILLION,
    sessions_rows: events.length,
    seconds: millionMs / 1000,
    stored_bytes: storedProfileBytes(),
  };
  vitrine.stop();
  return { storage, burst, profile, rejected, errors };
}

window.runTrackingBench = runTrackingBench;
window.trackingBenchLoaded = true;
