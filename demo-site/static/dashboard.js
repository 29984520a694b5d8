// The collector dashboard: fetches /v1/estimates and plots it with Chart.js (loaded before
// this script as the global `Chart`). Each estimate is a point; its 95% interval is a
// floating bar behind it. Aggregates the collector holds back show its reason instead.

const PERCENT = { callback: (value) => `${Math.round(value * 1000) / 10}%` };
const COLOURS = { personalized: "#2f6fdf", holdout: "#9a9a9a" };

function setText(id, text) {
  const element = document.getElementById(id);
  if (element) element.textContent = text;
}

function percent(value) {
  return `${(value * 100).toFixed(1)}%`;
}

function intervalText(interval) {
  if (!interval) return "not enough impressions yet";
  return `${percent(interval.estimate)} (95% CI ${percent(interval.low)} to ` +
    `${percent(interval.high)})`;
}

/** A chart of estimates with their intervals, one group of datasets per series. */
function intervalChart(canvasId, labels, series, options = {}) {
  const datasets = [];
  for (const { name, colour, intervals } of series) {
    datasets.push({
      type: "bar",
      label: `${name}: 95% interval`,
      data: intervals.map((i) => (i ? [i.low, i.high] : null)),
      backgroundColor: `${colour}44`,
      borderColor: colour,
      borderWidth: 1,
    });
    datasets.push({
      type: "line",
      label: `${name}: estimate`,
      data: intervals.map((i) => (i ? i.estimate : null)),
      showLine: false,
      pointRadius: 5,
      pointBackgroundColor: colour,
      borderColor: colour,
    });
  }
  // Chart.js writes the canvas's inline size, which the CSP allows (style-src 'unsafe-inline').
  return new Chart(document.getElementById(canvasId), {
    data: { labels, datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      indexAxis: options.indexAxis ?? "x",
      scales: { [options.indexAxis === "y" ? "x" : "y"]: { ticks: PERCENT } },
      plugins: { legend: { position: "bottom" } },
    },
  });
}

function drawInterest(estimates) {
  const interest = estimates.interest;
  if (!interest.published) {
    setText("interest-note", interest.reason);
    return;
  }
  setText("interest-note", `From ${interest.batches} batches, at least ` +
    `${interest.shoppers_at_least} distinct shoppers.`);
  intervalChart("interest-chart", interest.values.map((v) => v.label), [
    { name: "share of shoppers", colour: COLOURS.personalized, intervals: interest.values },
  ]);
}

function drawArms(estimates) {
  const arms = ["personalized", "holdout"].map((name) => ({ name, arm: estimates.arms[name] }));
  const notes = arms.map(({ name, arm }) => arm.published
    ? `${name}: ${arm.batches} batches, click-through ${intervalText(arm.click_through)}`
    : `${name}: ${arm.reason}`);
  setText("arms-note", notes.join(". "));
  const published = arms.filter(({ arm }) => arm.published);
  if (published.length > 0) {
    const series = published.map(({ name, arm }) => ({
      name,
      colour: COLOURS[name],
      intervals: [arm.click_through, arm.add_to_cart],
    }));
    intervalChart("arms-chart", ["click-through", "add-to-cart"], series);
  }

  const uplift = estimates.uplift;
  if (!uplift.published) {
    setText("uplift-note", uplift.reason);
    return;
  }
  setText("uplift-note", `Click-through ${intervalText(uplift.click_through)}; add-to-cart ` +
    `${intervalText(uplift.add_to_cart)}.`);
  intervalChart("uplift-chart", ["click-through", "add-to-cart"], [{
    name: "uplift",
    colour: COLOURS.personalized,
    intervals: [uplift.click_through, uplift.add_to_cart],
  }], { indexAxis: "y" });
}

async function main() {
  const status = document.getElementById("dashboard-status");
  try {
    if (typeof Chart !== "function") throw new Error("the charting library did not load");
    const response = await fetch("/v1/estimates", { headers: { accept: "application/json" } });
    if (!response.ok) throw new Error(`the collector answered ${response.status}`);
    const estimates = await response.json();
    drawInterest(estimates);
    drawArms(estimates);
    status.textContent = `${estimates.batches} batches stored.`;
    status.dataset.state = "ready";
  } catch (error) {
    status.textContent = `Could not show the estimates: ${error.message}`;
    status.dataset.state = "failed";
  }
}

main();
