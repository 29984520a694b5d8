// `make bench-profile`: where a re-rank's time goes. Runs re-ranks of 100 items on the
// benchmark page (or, with PROFILE_PART=decide, the ranking alone, as the bench's "rule
// only" row of (a) times it) under Chromium's sampling profiler (CDP `Profiler`) and prints
// self time by function, wasm and JS alike, so the per-item cost can be read instead of
// guessed. Wasm frames are named only when the module keeps its name section; a stripped
// build shows `wasm-function[i]`, and their sum is still the time spent inside the module.
import { launchBrowser } from "../tests/e2e/harness.mjs";
import { startStaticServer } from "./server.mjs";

const N = Number(process.env.PROFILE_ITEMS ?? 100);
const CALLS = Number(process.env.PROFILE_CALLS ?? 2000);
// "rerank": the page's rerank(), DOM included (b); "decide": ranking without the DOM or a
// model, (a)'s "rule only" row.
const PART = process.env.PROFILE_PART ?? "rerank";
const TOP = Number(process.env.PROFILE_TOP ?? 25);

const server = await startStaticServer();
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  await page.goto(`${server.origin}/bench/page.html`);
  await page.waitForFunction(() => window.benchLoaded === true, null, { timeout: 30_000 });
  await page.evaluate((n) => window.prepareProfile(n), N);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 50 });
  await cdp.send("Profiler.start");
  const perCallUs = await page.evaluate(
    ([calls, part]) => (part === "decide" ? window.profileDecide : window.profileRerank)(calls),
    [CALLS, PART],
  );
  const { profile } = await cdp.send("Profiler.stop");

  const selfUs = new Map();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const deltas = profile.timeDeltas;
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const where = url ? url.split("/").slice(-1)[0] : "";
    const name = `${functionName || "(anonymous)"} ${where}${where ? `:${lineNumber + 1}` : ""}`;
    selfUs.set(name, (selfUs.get(name) ?? 0) + (deltas[i + 1] ?? 0));
  });
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const rows = [...selfUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP);
  console.log(`${PART} of ${N} items: ${perCallUs.toFixed(1)} µs per call over ${CALLS} calls`);
  console.log("self time, share of the profiled run:");
  for (const [name, us] of rows) {
    console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${name}`);
  }
} finally {
  await browser.close().catch(() => {});
  await server.stop();
}
