// Start-up figures of the SDK on the demo home page: `make measure`. Not a test: it prints
// medians over cold loads (a fresh browser context each, so nothing is cached), in ms since
// navigation start. Absolute times on shared machines are noisy; compare runs side by side.
import { launchBrowser, startDemo } from "./harness.mjs";

const LOADS = 7;
const demo = await startDemo();
const browser = await launchBrowser();
const rows = [];
try {
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${demo.origin}/`);
    await page.waitForSelector("[data-vitrine-widget][data-vitrine-state]");
    const timings = await page.evaluate(() => window.vitrine.timings);
    const dcl = await page.evaluate(
      () => performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd,
    );
    rows.push({ ...timings, dcl, toRerank: timings.firstRerank - timings.started });
    await context.close();
  }
} finally {
  await browser.close();
  await demo.stop();
}
const median = (key) => {
  const values = rows.map((r) => r[key]).sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)].toFixed(0);
};
console.log(`median of ${LOADS} cold loads, ms since navigation start:`);
console.log(`  DOMContentLoaded  ${median("dcl")}`);
console.log(`  start() called    ${median("started")}`);
console.log(`  tracking ready    ${median("trackingReady")}`);
console.log(`  model ready       ${median("modelReady")}`);
console.log(`  first re-rank     ${median("firstRerank")}`);
console.log(`  start() → re-rank ${median("toRerank")}`);
