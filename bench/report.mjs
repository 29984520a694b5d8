// The benchmark's outputs from one run: the printed table, target/bench/results.json and
// BENCHMARKS.md. Ratios matter more than absolute times: they were taken side by side.

const us = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const kib = (bytes) => (bytes / 1024).toFixed(1);
const mib = (bytes) => (bytes === null ? "n/a" : (bytes / 1048576).toFixed(1));
const verdict = (met) => (met ? "met" : "not met");
const pad = (text, width) => String(text).padStart(width);

/**
 * Vitrine's files on the demo page: the start-up path (the wrapper and the modules it
 * imports, the core's wasm-bindgen glue with its snippets, the core wasm) and the ranker
 * loaded after it (glue, wasm, and the worker that prepares the model once).
 */
function sdkFiles(files) {
  const path = (f) => f.path.split("?")[0];
  const sdk = files.filter((f) => path(f).startsWith("/vitrine/"));
  const find = (suffix) => {
    const file = sdk.find((f) => path(f).endsWith(suffix));
    if (!file) throw new Error(`report: the demo page did not load /vitrine/…${suffix}`);
    return file;
  };
  const rankerFiles = [
    "/pkg/vitrine_ranker.js",
    "/pkg/vitrine_ranker_bg.wasm",
    "/ranker-warmup.js",
  ];
  // The worker imports the ranker's glue again, from the browser's cache: `find` counts the
  // first, and neither copy is the core's.
  const ranker = rankerFiles.map(find);
  const core = sdk.filter((f) => !rankerFiles.some((suffix) => path(f).endsWith(suffix)));
  for (const needed of ["/index.js", "/pkg/vitrine.js"]) find(needed);
  // The core's wasm module alone, without the JavaScript that loads it.
  const coreWasm = find("/pkg/vitrine_bg.wasm");
  return { core, coreWasm, ranker };
}

const brotliOf = (files) => files.reduce((sum, f) => sum + f.brotli, 0);

const keyed = (sizes, f) => Object.fromEntries(sizes.map((n) => [String(n), f(n)]));

/** The machine-readable results; the keys named by issue 7 come first. */
export function results(run) {
  const { bench, cold } = run;
  const sdk = sdkFiles(cold.files);
  const ratio = (a, b) => keyed(bench.sizes, (n) => a[n].median_us / b[n].median_us);
  return roundFloats({
    // Issue 7's re-rank: features, model and blend on candidates already read from the page.
    rerank_median_us: keyed(bench.sizes, (n) => bench.decide[n].median_us),
    ort_run_median_us: keyed(bench.sizes, (n) => bench.ort[n].median_us),
    rerank_end_to_end_median_us: keyed(bench.sizes, (n) => bench.rerank[n].median_us),
    core_brotli_bytes: brotliOf(sdk.core),
    core_brotli_note: "the start-up path: the wrapper and the modules it imports, the core's "
      + "wasm-bindgen glue and snippets, and vitrine_bg.wasm (tracking, profile, sync, "
      + "re-ranking; no model runtime)",
    core_wasm_brotli_bytes: sdk.coreWasm.brotli,
    core_wasm_brotli_note: "vitrine_bg.wasm alone, the start-up module in the narrower "
      + "reading of issue 7's budget; core_brotli_bytes is the wider one",
    ranker_brotli_bytes: brotliOf(sdk.ranker),
    ranker_brotli_note: "loaded after tracking is ready: vitrine_ranker.js, "
      + "vitrine_ranker_bg.wasm (tract and the model's contract checks) and ranker-warmup.js",
    tracking_ready_ms: cold.tracking_ready_ms,
    longest_task_ms: cold.longest_task_ms,
    long_tasks: cold.long_tasks,
    loads_with_long_task: cold.loads_with_long_task,
    longest_task_max_ms: cold.longest_task_max_ms,
    loads_with_long_task_after_start: cold.loads_with_long_task_after_start,
    longest_task_after_start_max_ms: cold.longest_task_after_start_max_ms,
    vitrine_script_before_start_max_ms: cold.vitrine_script_before_start_max_ms,
    model_ready_ms: cold.model_ready_ms,
    model_steps_ms: cold.model_steps_ms,
    first_rerank_ms: cold.first_rerank_ms,
    // Counted in Node, not timed: see bench/first-calls.mjs.
    ranker_first_call_compilations: run.rankerFirstCalls,
    second_view_tracking_ready_ms: run.secondView.tracking_ready_ms,
    second_view_model_ready_ms: run.secondView.model_ready_ms,
    second_view_first_rerank_ms: run.secondView.first_rerank_ms,
    // Not issue 7's goals, which are for this machine: the same cold starts with the page's
    // main thread slowed (CDP CPU throttling), for what a slower machine would see.
    slowed_cpu: {
      cpu_slowdown: run.slowed.cpu_slowdown,
      loads: run.slowed.loads,
      tracking_ready_ms: run.slowed.tracking_ready_ms,
      model_ready_ms: run.slowed.model_ready_ms,
      first_rerank_ms: run.slowed.first_rerank_ms,
      model_steps_ms: run.slowed.model_steps_ms,
      loads_with_long_task: run.slowed.loads_with_long_task,
      longest_task_max_ms: run.slowed.longest_task_max_ms,
      loads_with_long_task_after_start: run.slowed.loads_with_long_task_after_start,
      longest_task_after_start_max_ms: run.slowed.longest_task_after_start_max_ms,
      vitrine_script_before_start_max_ms: run.slowed.vitrine_script_before_start_max_ms,
    },
    rerank_p95_us: keyed(bench.sizes, (n) => bench.decide[n].p95_us),
    ort_run_p95_us: keyed(bench.sizes, (n) => bench.ort[n].p95_us),
    rerank_end_to_end_p95_us: keyed(bench.sizes, (n) => bench.rerank[n].p95_us),
    rerank_rule_median_us: keyed(bench.sizes, (n) => bench.decideRule[n].median_us),
    rerank_rule_p95_us: keyed(bench.sizes, (n) => bench.decideRule[n].p95_us),
    rerank_rule_end_to_end_median_us: keyed(bench.sizes, (n) => bench.rerankRule[n].median_us),
    rerank_rule_end_to_end_p95_us: keyed(bench.sizes, (n) => bench.rerankRule[n].p95_us),
    tract_score_median_us: keyed(bench.sizes, (n) => bench.tract[n].median_us),
    tract_score_p95_us: keyed(bench.sizes, (n) => bench.tract[n].p95_us),
    plain_js_median_us: keyed(bench.sizes, (n) => bench.plainJs[n].median_us),
    plain_js_p95_us: keyed(bench.sizes, (n) => bench.plainJs[n].p95_us),
    vitrine_over_ort: ratio(bench.decide, bench.ort),
    vitrine_end_to_end_over_ort: ratio(bench.rerank, bench.ort),
    tract_over_ort: ratio(bench.tract, bench.ort),
    plain_js_over_ort: ratio(bench.plainJs, bench.ort),
    goals: goals(run),
    calls_per_sample: {
      rerank: keyed(bench.sizes, (n) => bench.decide[n].batch * bench.decide[n].repeats),
      rerank_end_to_end: keyed(bench.sizes, (n) => bench.rerank[n].batch),
      rerank_rule: keyed(bench.sizes, (n) => bench.rerankRule[n].batch),
      ort_run: keyed(bench.sizes, (n) => bench.ort[n].batch),
      tract_score: keyed(bench.sizes, (n) => bench.tract[n].batch),
      plain_js: keyed(bench.sizes, (n) => bench.plainJs[n].batch),
    },
    ort_vs_plain_js_max_abs_delta: keyed(bench.sizes, (n) => bench.agreement[n]),
    ort_vs_tract_max_abs_delta: keyed(bench.sizes, (n) => bench.tractAgreement[n]),
    plain_js_vs_golden_max_abs_delta: bench.goldenDelta,
    track_median_us: bench.track.median_us,
    track_p99_us: bench.track.p99_us,
    track_events: bench.track.events,
    tracking: run.tracking,
    memory: bench.memory,
    timer_resolution_us: bench.timerResolutionUs,
    demo_files: cold.files,
    ort_files: run.benchFiles.filter((f) => f.path.startsWith("/ort/")),
    cold_loads: cold.loads,
    onnxruntime_web: bench.ortVersion,
    chromium: run.chromium,
    machine: run.machine,
    date: run.date,
  });
}

/** Issue 7's goals, each with whether this run met it. Reported, never asserted. */
function goals(run) {
  const { bench, cold } = run;
  const sdk = sdkFiles(cold.files);
  return {
    rerank_100_within_ort_run_100: bench.decide[100].median_us <= bench.ort[100].median_us,
    model_ready_within_150_ms: cold.model_ready_ms <= 150,
    // "A small module": the whole start-up path, the stricter reading, and the wasm alone.
    core_within_80_kb_brotli: brotliOf(sdk.core) <= 80_000,
    core_wasm_within_80_kb_brotli: sdk.coreWasm.brotli <= 80_000,
    ranker_within_1_mb_brotli: brotliOf(sdk.ranker) <= 1_000_000,
    // Vitrine's: every long task after start(), and before it a frame in which Vitrine's own
    // scripts ran that long; the page's own tasks before start() are reported apart.
    no_long_task_over_50_ms: cold.loads_with_long_task_after_start === 0
      && cold.vitrine_script_before_start_max_ms <= 50,
  };
}

// Timer steps show up as 6699.999999254942: three digits, or a tenth of a unit, is all the
// precision there is.
function roundFloats(value) {
  if (typeof value === "number" && !Number.isInteger(value)) {
    return Math.abs(value) < 100 ? Number(value.toPrecision(3)) : Math.round(value * 10) / 10;
  }
  if (Array.isArray(value)) return value.map(roundFloats);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundFloats(v)]));
  }
  return value;
}

function bytesRows(files) {
  const total = files.reduce(
    (t, f) => ({ raw: t.raw + f.raw, gzip: t.gzip + f.gzip, brotli: t.brotli + f.brotli }),
    { raw: 0, gzip: 0, brotli: 0 },
  );
  const line = (name, f) =>
    `  ${name.padEnd(40)}${pad(kib(f.raw), 10)}${pad(kib(f.gzip), 10)}${pad(kib(f.brotli), 10)}`;
  return [...files.map((f) => line(f.path, f)), line("total", total)];
}

/** The milestones of a set of loads (as `coldStarts` returns them), in ms after `start()`. */
function milestones(loads) {
  return `tracking ready ${loads.tracking_ready_ms.toFixed(1)} · model ready `
    + `${loads.model_ready_ms.toFixed(1)} · first re-rank ${loads.first_rerank_ms.toFixed(1)}`;
}

/** The cold starts with the CPU slowed, in the table's words. */
function slowedLines(slowed) {
  return [
    `  the same cold starts with the main thread slowed ${slowed.cpu_slowdown}× (CDP CPU `
      + `throttling), median of ${slowed.loads}: ${milestones(slowed)}`,
    `    the model's steps: ${modelSteps(slowed.model_steps_ms)}`,
    `    long tasks: ${slowed.loads_with_long_task_after_start} of ${slowed.loads} loads had `
      + `one after start() (the longest ${slowed.longest_task_after_start_max_ms.toFixed(0)} ms)`
      + `; ${slowed.loads_with_long_task} counting the page's own before it`,
  ];
}

/** Functions compiled at first call by stage, as "parse 480 (143.1 KiB) · …". */
function firstCallLines(stages) {
  return stages.map((s) => `${s.stage} ${s.functions} (${kib(s.body_bytes)} KiB)`).join(" · ");
}

/** The medians of the wrapper's `vitrine:*` marks, as "step 12.3 · step 45.6". */
function modelSteps(steps) {
  return Object.entries(steps)
    .map(([name, ms]) => `${name.replace("-", " ")} ${ms.toFixed(1)}`)
    .join(" · ");
}

/** The one table `make bench` prints. */
export function table(run) {
  const { bench, cold } = run;
  const r = results(run);
  const cols = bench.sizes.map((n) => pad(`N=${n}`, 18)).join("");
  const cell = (m) => pad(`${us(m.median_us)} / ${us(m.p95_us)}`, 18);
  const row = (name, of) => `  ${name.padEnd(34)}${bench.sizes.map((n) => of(n)).join("")}`;
  const ratio = (v) => pad(v.toFixed(2), 18);
  const delta = (v) => pad(v.toExponential(1), 18);
  return [
    `Vitrine benchmark · ${run.date} · Chromium ${run.chromium} · onnxruntime-web `
      + `${bench.ortVersion} · ${run.machine.cpus} CPUs (${run.machine.model})`,
    "",
    `  ${"per call, µs: median / p95".padEnd(34)}${cols}`,
    row("Vitrine re-rank (a) *", (n) => cell(bench.decide[n])),
    row("  the same, rule only (no model)", (n) => cell(bench.decideRule[n])),
    row("Vitrine rerank(container) (b) **", (n) => cell(bench.rerank[n])),
    row("  the same, rule only (no model)", (n) => cell(bench.rerankRule[n])),
    row("onnxruntime-web session.run", (n) => cell(bench.ort[n])),
    row("tract alone: ranker.scoreInto ***", (n) => cell(bench.tract[n])),
    row("plain-JS forward pass", (n) => cell(bench.plainJs[n])),
    row("ratio (a) / onnxruntime-web", (n) => ratio(r.vitrine_over_ort[n])),
    row("ratio (b) / onnxruntime-web", (n) => ratio(r.vitrine_end_to_end_over_ort[n])),
    row("ratio tract alone / onnxruntime-web", (n) => ratio(r.tract_over_ort[n])),
    row("ratio plain JS / onnxruntime-web", (n) => ratio(r.plain_js_over_ort[n])),
    row("max |Δ score| ort vs plain JS", (n) => delta(bench.agreement[n])),
    row("max |Δ score| ort vs tract", (n) => delta(bench.tractAgreement[n])),
    "  * (a) features from the profile, the model, the blend and the policy, on candidates",
    "    already read from the page: what issue 7's goal compares with session.run.",
    "  ** (b) end to end: (a) plus reading the widget from the DOM and moving its items.",
    "    session.run and the plain-JS pass score ready-made feature rows only.",
    "  *** the tract ranker that (a) and (b) call, on the same rows as session.run: the",
    "    model's own cost, with the copies into and out of the ranker's wasm memory.",
    `  plain JS vs models/golden.json (onnxruntime, Python): max |Δ| `
      + `${bench.goldenDelta.toExponential(1)}; page timer resolution `
      + `${bench.timerResolutionUs.toFixed(0)} µs`,
    "",
    `  cold start on the demo home page, median of ${cold.loads} fresh contexts, ms after start():`,
    `    ${milestones(cold)} (start() itself at ${cold.started_ms.toFixed(0)} ms after navigation)`,
    `    the model's steps: ${modelSteps(cold.model_steps_ms)}`,
    `    the model runtime's functions compiled at their first call (Node, counted; in the `
      + `page, the warm-up worker compiles them): `
      + firstCallLines(run.rankerFirstCalls),
    `  the same page viewed again in the same tab, median of ${run.secondView.loads}: `
      + milestones(run.secondView),
    ...slowedLines(run.slowed),
    // The verdicts are the JSON's `goals`, so the table and the file cannot disagree.
    "  issue 7 goals, reported and not asserted:",
    `    re-rank (a) of 100 within session.run of 100: ${verdict(r.goals.rerank_100_within_ort_run_100)} `
      + `(${us(bench.decide[100].median_us)} vs ${us(bench.ort[100].median_us)} µs; `
      + `end to end ${us(bench.rerank[100].median_us)} µs)`,
    `    model ready within 150 ms of start(): ${verdict(r.goals.model_ready_within_150_ms)} `
      + `(${cold.model_ready_ms.toFixed(1)} ms)`,
    `    core ≤ 80 kB brotli: the start-up path ${verdict(r.goals.core_within_80_kb_brotli)} `
      + `(${r.core_brotli_bytes} B), its wasm alone `
      + `${verdict(r.goals.core_wasm_within_80_kb_brotli)} (${r.core_wasm_brotli_bytes} B); `
      + `ranker ≤ 1.0 MB brotli: `
      + `${verdict(r.goals.ranker_within_1_mb_brotli)} (${r.ranker_brotli_bytes} B)`,
    `    no long task over 50 ms from Vitrine in any load: `
      + `${verdict(r.goals.no_long_task_over_50_ms)} (${cold.loads_with_long_task_after_start} `
      + `of ${cold.loads} loads had one after start(), the longest `
      + `${cold.longest_task_after_start_max_ms.toFixed(0)} ms; before it, Vitrine's scripts `
      + `ran at most ${cold.vitrine_script_before_start_max_ms.toFixed(0)} ms in a frame; `
      + `with the page's own before start(): ${cold.loads_with_long_task} loads had one, the `
      + `longest ${cold.longest_task_max_ms.toFixed(0)} ms)`,
    `  track(): ${us(bench.track.median_us)} µs median, ${us(bench.track.p99_us)} µs p99 per `
      + `event (${bench.track.events} events in batches of ${bench.track.batch})`,
    ...trackingLines(run.tracking),
    `  memory: core wasm ${mib(bench.memory.wasm_bytes_after_start)} MiB after start, `
      + `${mib(bench.memory.wasm_bytes_after_runs)} MiB after the runs; ranker wasm `
      + `${mib(bench.memory.ranker_wasm_bytes_after_start)} / `
      + `${mib(bench.memory.ranker_wasm_bytes_after_runs)} MiB; JS heap used `
      + `${mib(bench.memory.js_heap_used_bytes)} MiB`,
    `  size: core ${kib(r.core_brotli_bytes)} KiB brotli (wasm + glue + the wrapper's modules), `
      + `ranker ${kib(r.ranker_brotli_bytes)} KiB brotli (wasm + glue + warm-up worker, loaded `
      + "after tracking)",
    "",
    `  files the demo home page loads${"KiB raw".padStart(19)}${"gzip".padStart(10)}`
      + `${"brotli".padStart(10)}`,
    ...bytesRows(cold.files),
    "",
    "  onnxruntime-web's files on the benchmark page, for comparison",
    ...bytesRows(r.ort_files),
  ].join("\n");
}

/** BENCHMARKS.md: the table of this run and what each figure means. */
export function markdown(run) {
  return `# Benchmarks

Written by \`make bench\` (\`bench/run.mjs\`); the figures below are from the last run
committed. Absolute times on shared machines are noisy: read the ratios, which were taken
side by side in one page of one browser.

- Date: ${run.date}
- Machine: ${run.machine.cpus} CPUs, ${run.machine.model} (\`nproc\`, \`/proc/cpuinfo\`)
- Browser: Debian Chromium ${run.chromium}, headless, on 127.0.0.1
- onnxruntime-web ${run.bench.ortVersion}, wasm backend, \`numThreads = 1\`, no proxy worker

\`\`\`text
${table(run)}
\`\`\`

## What each size step bought

Brotli (quality 11) of the wasm files alone, measured by hand when each step landed; the
steps before the split were already in place (\`Cargo.toml\`: LTO, one codegen unit,
\`strip = true\`, dependencies at opt-level "s" and tract-linalg at 3, with simd128 from
\`.cargo/config.toml\`).

| step | start-up wasm | model runtime wasm |
|---|---:|---:|
| one module, tract inside (before issue 7) | 1525.4 KiB | (the same file) |
| split: core without tract, ranker alone (\`make sdk\`) | 157.5 KiB | 1449.9 KiB |
| wasm-opt -Oz on the core (\`node scripts/wasm-opt.mjs\`) | 156.8 KiB | |
| wasm-opt -Os on the ranker (by hand, 3 min) | | 1547.1 KiB |
| DOM capture (impressions, navigation, dwell), the two-tab merge and the sync lock, in the core (\`make bench\`, wasm-opt -Oz) | 197.0 KiB | |
| opt-level "z" for both modules, tract-linalg still at 3 (\`Makefile\` \`WASM_SIZE\`; no wasm-opt) | 164.9 KiB | 1289.8 KiB |
| the same with wasm-opt -O1 instead of -Oz on the core | 163.7 KiB | |
| the above, plus the features' hashed lookups (\`make bench\`) | 165.1 KiB | 1291.1 KiB |
| events read field by field (\`src/event_json.rs\`), not by serde's internally tagged derive (\`make bench\`) | 156.5 KiB | |
| no serde in the core: every stored record, the options and the page's objects read and written through a small JSON tree (\`src/json.rs\`, \`src/stored.rs\`; \`make sdk\`) | 121.0 KiB | |
| numbers read by JavaScript's parser (\`src/number.rs\`: Rust's 10 KB table of powers of five goes), the profile's tables as sorted vectors instead of \`BTreeMap\` (\`src/label_map.rs\`, 21 KB of code), one sort instead of four copies (\`src/order.rs\`, 25.5 to 4.4 KB) | 100.7 KiB | |
| exact numbers of up to 15 digits read in Rust again (no call into JavaScript per price), explanations written as one string, page attributes refused by length, deques as vectors (\`make sdk\`) | 101.4 KiB | |
| no Rust float formatting: numbers written by JavaScript's \`Number#toString\` (\`number::Shortest\`), the profile's sentences rounded by \`number::fixed\` (one build each, wasm-bindgen, wasm-opt -O1, brotli 11: 100.7 KiB before) | 92.5 KiB | |
| no \`{:?}\` of text and no panicking string slices: messages quote the page's text as JSON (\`json::Quoted\`), and the panic messages' Unicode tables go (the same way) | 88.4 KiB | |
| no \`HashMap\`: sorted vectors for the engine's records, the memory store and the counted impressions, a small table of its own for the features' lookups (the same way) | 84.7 KiB | |
| the build of the row above, on the machine of the rows below (\`make bench\`) | 83.4 KiB | 1292.0 KiB |
| no \`{:?}\` of a thrown \`JsValue\`: described by its \`message\`, its text or its type (\`web::error::describe\`), so that wasm-bindgen's glue drops its printer of any JavaScript value (glue 9357 to 8823 B; wasm +39 B; one build each, wasm-bindgen, wasm-opt -O1, brotli 11) | 83.4 KiB | |
| Talc instead of dlmalloc as the core's allocator (85480 to 83368 B, the same way; \`make bench\`: \`track()\`, flush, re-rank and memory unchanged) | 81.4 KiB | |
| the ranker registers only the ONNX operators of a dense scorer (\`src/operators.rs\`: 14 of tract-onnx's 200; \`make sdk\` twice on one machine: 1292.0 KiB before, raw 7.67 to 6.47 MB) | | 1085.5 KiB |
| the ranker links tract-nnef without its "patch" transform registration (wasm-bindgen's output, one build each: 1111239 to 706048 B brotli, raw 6.47 to 3.97 MB; \`make bench\`) | | 689.0 KiB |
| ... and tract-core without its twelve (\`scripts/patched-tract.mjs\`; raw 3.97 to 3.24 MB; \`make bench\`) | | 559.4 KiB |
| wasm-opt -O2 on the ranker, for the model's readiness (below; raw 3.24 to 2.92 MB; one build) | | 585.4 KiB |
| the shipped segment centroids compiled in by \`build.rs\` instead of parsed at run time from the embedded \`models/segments.json\`, and \`exp\` for the one \`exp_m1\` (one build each, wasm-bindgen, wasm-opt -O1, brotli 11: 83,428 to 81,680, then 81,303 B) | 79.4 KiB | |
| a merge sort of its own in \`src/order.rs\` instead of the standard library's stable sort (the same way: 80,006 B; natively at opt-level "z", 100 indices in 4.1 against 5.1 µs, 1000 in 92 against 80) | 78.1 KiB | |
| \`document.hidden\` instead of web-sys's \`VisibilityState\` enum and its string conversion (the same way: 79,744 B; \`make bench\`, node's brotli: 79,811 B) | 77.9 KiB | |
| a product's field paths written only for an error (\`Product::check\`, \`Error::within\`), for speed: 98 B fewer raw, 198 B more brotli (the same way: 79,942 B) | 78.1 KiB | |
| stored records and events read their lists by a loop (\`Fields::list\`, \`Fields::entries\`) instead of \`collect::<Result<_>>()\`, whose short-circuiting adapters were compiled once per record type (the same way: 78,885 B) | 77.0 KiB | |

Before opt-level "z", the core's bytes went (twiggy, on an unstripped build): 37.5 % to
functions of serde, serde_json and serde-wasm-bindgen, and 55 to 70 KB more of serde
inlined into the core's own parsers; the internally tagged \`Event\` alone deserialized in
47 KB (at "z", 79 KB with serde's buffering, against 18 KB for the reader that replaced it).
Without serde, of the core's 331 KB of code and data (twiggy, at "z", unstripped): 35 % is
Vitrine's own code, 30 % generic code of the standard library instantiated for it
(iterators, \`Vec\`, \`VecDeque\`, closures), 10 % the bindings to the browser
(wasm-bindgen, js-sys, web-sys), 8 % data (error texts, the shipped segment centroids, the
float-formatting tables), 5.5 % float formatting (\`{}\` of an \`f64\` in messages and in the
JSON writer), 4 % \`HashMap\` and 4 % the rest of \`core::fmt\`. The ranker's went to
tract's operators (convolutions and pooling about 600 KB, FFT
with rustfft about 750 KB, NNEF serialisation 275 KB, recurrent layers 136 KB), to ndarray
(1.1 MB), and to code for datum types an MLP never uses (f16, f64 and the integer types, about
1.6 MB together), none of which a cargo feature of tract 0.23 can drop: every operator is
reached through tables of trait objects. Our model uses only Gemm and Relu, so the ranker
now registers only the operators of a dense scorer (\`src/operators.rs\`) and refuses a model
with any other, naming it; the builders it leaves out are what the linker could then drop.
After that, tract-nnef and tract-core still registered named model transforms ("patch",
"f32_to_f16", "batchify" and ten more) through the \`inventory\` crate, whose constructors the
linker must keep, with all they reach: "patch" alone reached NNEF's whole operator registry,
its parser, and rustfft behind tract's FFT operator, with every operator those name. That
was 3.2 of the ranker's 6.5 MB. The ranker never asks tract for a transform by name, so
\`make sdk\` builds it against copies of the two crates (the lockfile's versions, from cargo's
own download) with those thirteen registrations removed (\`scripts/patched-tract.mjs\`, which
fails if the count changes); every other registration, tract-linalg's kernels and tract's
runtimes among them, stays.

What was tried and not kept: wasm-opt -Oz on a "z" core (brotli +5 %), tract-linalg at "z"
(ranker 4.8 % smaller, scoring 60 % slower), \`panic = "abort"\` and building without
simd128 (no change). opt-level "z" also made the core's own code slower: see the ranking
rows above, and \`track()\`. For the model's readiness, with the 3.2 MB ranker, against the
build as shipped in cold loads interleaved one by one: \`compileStreaming\` beside the core
(16 loads each: model ready 15 ms sooner, tracking 50 ms later, a 55 ms task), preparing the model in time
slices of 8 ms instead of a stage per task (16 each: no change, a 65 ms task), and compiling
the ranker only once tracking is ready (two runs of 12 and 16 each: no change beyond the
noise); and in one \`make bench\` of the 4.0 MB ranker, skipping tract's \`optimize()\`
(prepare 57 to 35 ms, scoring 100 rows 13 to 291 µs). Since the ranker is asked for once
the core is up (10 loads each, interleaved): the ranker at opt-level "s" (11,186 functions
instead of 14,026; 673 KB of brotli) was ready 43 ms later; \`compileStreaming\` after the
core tied (218 vs 219 ms), and was kept for the page viewed again (81 vs 92 ms, 8 each)
until the long tasks below; skipping the declutter stage gained nothing, as
\`optimize()\` runs the same rules; a \`priority: "low"\` fetch beside the core gave tracking
91 ms against 67. A Chromium trace shows why preparing is slow: 3,668 of the ranker's
functions are compiled on the main thread at their first call while the model is parsed
and prepared, about 70 ms of those 80, and a page cannot ask for them earlier (a worker can:
see the warm-up below). For size,
wasm-opt buys about 1 % on either file. For time, -O2 on the ranker does more: it inlines
tract's many small functions, so that 1,777 instead of 3,148 are compiled at their first
call while the model is parsed and prepared (the table's "compiled at their first call"
line, counted by \`bench/first-calls.mjs\` in Node), though 6 % more bytes of them, and the
model was ready 10 to 42 ms sooner (the medians of four runs of 12 to 20 cold loads each,
interleaved with the build without it; 22 ms in the run of 20), for 4.6 % more brotli. -O1
gained 6 to 7 ms in two runs; -O3 (two runs) and -Os (one) no more than -O2. The five
whole \`make bench\` runs with it before this file's, within an hour and a half, had the
model ready at 153, 198, 119, 149 and 137 ms: from one run to the next, this machine varies
more than the step gains. Nor was a first plan made without tract's optimizer kept, scoring
until the optimized one replaced it after the first re-rank (16 cold loads each,
interleaved): the model was ready 12 ms sooner (176 against 188 ms), but the first re-rank
was not (210 against 206), and 2 of the 16 loads had a long task, of up to 93 ms, since the
first score on that plan compiles the code of tract's unoptimized operators. The size
budgets needed code changes, not settings. For the
core, float formatting, \`{:?}\` and \`HashMap\` are gone since; what is left is spread
thin: generic instantiations (iterator adaptors, \`Vec\` from iterators, closures: about
30 % of the code), the bindings and their glue, and Vitrine's own readers and writers of
each record. The package's JavaScript is minified (\`js/scripts/minify.mjs\`, terser, with
source maps): the wrapper, the core's glue and its snippets went from 14,398 to 9,829 B of
brotli, and the ranker's glue from 3,093 to 1,827 B (one build, brotli 11). The core's
wasm alone is now within 80 KB, the narrower reading of the budget; the start-up path, with
the wrapper, its modules, the glue and the snippets (about 13 KB of brotli more), is not. Tried
for the core's wasm and not kept (the same way, against 81,303 B): \`#[inline(never)]\` on
the record readers' field helpers (+56 B), one \`join\` written out by hand (886 B fewer
raw, 121 B more brotli), wasm-opt's \`--merge-similar-functions\`, \`--converge\` and
\`-Oz --converge\` (none smaller than -O1 alone), and remapping the crates' source paths
in panic locations (−76 B on that build, +34 B on the next: brotli's own noise).

Long tasks with the main thread slowed 2.5× (cold loads interleaved build by build, 15
each). Starting the core was one task (the last of its compiling, instantiating and
constructing it), over 50 ms in 8 of 15 loads. It is now three: instantiating,
\`Vitrine.open\` (the options and the stored records) and \`begin\` (capture, the first scan,
sync). Against the core constructed in one task after instantiating, construction made a
long task in 6 of 15 loads, and open and begin in none; tracking was ready no later (126
against 128 ms). Construction is slow because most of the core's functions run for the
first time in it, and the browser compiles each then: in a CPU profile of \`new Vitrine\`,
\`Config::from_js\` took 6.5 ms and \`Engine::start\` 6.0 of 23, mostly that. What was still
over 50 ms at 2.5× was the ranker. Chromium decodes a streamed module's chunks on the main
thread (two calls of 30 and 15 ms in one task at 3×), so the ranker is now compiled whole
(\`WebAssembly.compile\`), which decodes off the main thread: at 2×, no load had a long task
against 5 of 15 streamed, and unslowed on a slow day none against 6 of 120. Interleaved
load by load, the model was ready as soon on a cold start (means of five runs of 20 to 30
loads each: 175 against 179 ms; single runs differed by up to 27 ms either way). Whole
\`make bench\` runs, one after another, varied more than that: 163 to 236 ms in four
compiling whole, 164 to 191 in three streaming. The model is ready 9 ms later on the page
viewed again (54 against 45 ms), which streaming let the browser serve from its code cache.
Re-chunking the stream through a \`ReadableStream\` with a yield every 256 or 512 KB made
the model 56 or 11 ms later and kept the long tasks. The stages of preparing the model
take, at 1×, 12 to 22 ms to parse, then 15 to type, 10 to declutter, 17 to optimize and 2 to
plan: at 2.5× the longest of them is near 50 ms. Playwright's selector engine was one of
the long tasks: it is a script parsed on the page's main thread when \`waitForSelector\`
first runs, 64 ms at 2.5×, so the cold starts now wait inside the page.

The model is now prepared once in a worker before the page prepares it
(\`js/src/ranker-warmup.ts\`). Chromium compiles a wasm function at its first call, on the
calling thread, and a module's compiled code is shared by its instances in the page: the
worker is handed the page's compiled module, parses, prepares and scores once, and is
ended. The page's own parse and prepare then take about 3 ms instead of 40 (8 to parse,
then stages of 10, 7, 14 and 1 ms; the worker's part is the "ranker warmed" step above).
Cold loads interleaved with the same build without a worker (its \`Worker\` removed by an
init script; no request routing, which slowed the worker's requests most): with the main
thread idle on these two cores, 20 loads each, the model was ready 21 ms later (133 against
111 ms; 27 ms later in an earlier run, and 15 to 29 in three runs of a first version that
started the worker beside the core), since the worker compiles no faster than the page and
the page waits for it; with the main thread slowed 2.5 times, 14 loads each, it was ready 12
ms sooner (231 against 243 ms; 30 ms sooner in an earlier run, 18 and 25 for the first
version), and the stages of up to 60 ms at that speed leave the page. The worker starts once tracking is ready: started beside the core, it made
tracking 10 ms later at 2.5× (93 against 81 ms), and started once the module was compiled,
the model 15 ms later. Compiling the module in the worker as it streams in, and handing it
to the page, was no sooner (8 alternating loads each in a test page): the worker's start
took what streaming saved. A store's main thread is rarely idle while
its page loads, so the worker is on by default; \`prepareInWorker: false\` switches it off.

Where a re-rank (a) of 100 goes, from a Chromium CPU profile of \`benchDecide\` on builds
that keep their function names. A quarter of the model path was the new \`Float32Array\`
the core made for the rows on each call (its buffer lives outside the JavaScript heap);
the core now hands the ranker views on its own memory, and the ranker writes the scores
into the second view (\`Ranker.scoreInto\`). The features now look up the cart and the
recent items in one table, and read a price's band from its exponent instead of a
\`log2\`. Interleaved in one page, three runs of each build: the model path went from
47 to 53 µs to 39 to 40, and the rule path from 27 to 31 µs to 24 to 26. Then the profile
showed \`__wasm_call_ctors\` in the ranker on every call: a module that never calls its
static constructors itself is linked as a "command", and the linker puts a call to them
at the top of every export, so each \`scoreInto\` ran all of tract's \`inventory\`
registrations again. The ranker now runs them once, from its start hook: the model path
went from 40 to 41 µs to 35.5 to 36 (three runs each, the rule path unchanged). About two
thirds of what is left is the core: the feature rows take half of that (six label lookups
and two \`ln_1p\` per candidate), and the blend's sort and vectors take the rest. The
ranker's 8 to 14 µs go mostly to tract's run of the plan, around a matrix kernel of 2 to
3 µs. Tried and not kept: sorting the blended scores as integer keys (\`sort_unstable\` on
\`u128\`), 1.3 µs faster for 1.2 KB more of the core's brotli; the core at opt-level "s",
which made the rule path 20 % faster for 4.8 KB more brotli; and hashing a label's last
bytes as one word instead of a byte at a time (as slow or slower).

The core at opt-level 3 (\`make bench CORE_OPT=3\`), in two runs right after one of the
shipped "z" build on 2026-12-06: re-rank (a) of 100 in 25.0 µs against 34.0 (1.86 and 1.90 times
\`session.run\` in their runs, against 2.41), the rule path in 16.0 against 24.5, for a
core wasm of 89.3 KiB of brotli instead of 76.9, over the 80 KB goal. Even so (a) stays
near twice \`session.run\`: tract's own run is about 8 µs of \`session.run\`'s 13 to 14,
which leaves some 6 µs for the feature rows, the blend, the policy and the explanations of
100 items, and at opt-level 3 they take 16. The re-rank goal is out of this design's reach
at either level, and opt-level 3 would give up the size goal as well.

## Reproduce

\`make bench\`: it runs \`make sdk-release\` (\`make sdk\`, then wasm-opt, cached by
input hash), builds the demo server, runs \`npm ci\` in \`bench/\`
when its lockfile changed, then \`node bench/run.mjs\`, which also writes
\`target/bench/results.json\`. Two to five minutes on a shared 2-core machine the first time
(brotli at quality 11 of two large wasm files takes most of it); the sizes are then cached by
content hash in \`target/bench/compressed-sizes.json\`, and a run with the SDK already built
takes well under a minute.

\`cargo bench --bench rerank\` splits a re-rank natively into features, model, rule and
blend, for work on one part without a wasm build (its first build takes minutes: tract with
LTO). Native and wasm differ in their maths libraries: natively the exponentials dominate,
in the browser they did not.

## What each figure includes

- **Vitrine re-rank (a)**: the core's \`benchDecide(container, repeats)\`, which reads a
  widget of N products once and then ranks it \`repeats\` times (20000 / N, so the one read
  is amortized away): the feature rows from the profile, the tract model (or the rule, in the
  row below it), the blend with the server order and the policy, with the explanations.
  Nothing is read from or written to the DOM. Issue 7's goal compares this with
  \`session.run\`; \`rerank_median_us\` in the JSON is this row.
- **Vitrine rerank(container) (b)**: \`handle.rerank(container)\` on a widget of N real catalogue
  products (\`demo-site/catalogue/products.csv\`) through the npm wrapper: reading the items'
  \`data-vitrine-*\` attributes, the feature rows from the profile, the tract model, the blend
  with the server order, and moving the items in the DOM. The shopper has 40 tracked events.
  Before every sample each widget is put back in server order, outside the timed region.
  The row below it is a second instance without a model, ranking by the built-in rule: the
  difference between the two is the model's share.
- **onnxruntime-web session.run**: the awaited \`session.run\` on \`models/ranker.onnx\` with a
  ready [N, 13] tensor; no feature work, no DOM.
- **tract alone**: \`Ranker.scoreInto\` of the ranker wasm, the model runtime the rows above
  call, on the same rows as \`session.run\`: the copy of the rows into its memory, tract's
  plan for the batch and the copy of the scores out, into an array made once, as the core
  passes it. This is the model's own cost, runtime
  against runtime; (a) adds the features, the blend and the policy to it.
- **plain-JS forward pass**: \`bench/forward.mjs\` on the same rows, with the weights read
  from the same \`.onnx\` by \`bench/onnx-model.mjs\`.
- **Feature rows** for the last three: the ${run.bench.goldenRows} real rows of
  \`models/golden_inputs.json\`, tiled to N. Vitrine computes its own rows from the DOM and
  the profile; the model's cost does not depend on the values. The run fails if
  onnxruntime-web differs from tract or from the plain-JS pass by more than 1e-5 on these
  rows, or the plain-JS pass from \`models/golden.json\`.
- **Samples**: ${run.bench.warmupSamples} warm-up samples, then ${run.bench.samples}. Each
  sample times a batch of calls long enough (about ${run.bench.sampleMs} ms) to dwarf the
  page's coarsened clock (${run.bench.timerResolutionUs.toFixed(0)} µs here, without
  cross-origin isolation); when one call is shorter, a re-rank batch goes over several widgets
  of N products each (different catalogue rows), one call per widget. Medians and p95 are of
  the per-call time of each sample; \`calls_per_sample\` in the JSON gives the batch sizes.
- **Cold start**: the demo home page (\`vitrine-demo\`) in ${run.cold.loads} fresh browser
  contexts; \`handle.timings\` from \`start()\` to tracking ready and to model ready (the
  model's fetch, tract's parse and the contract check included). Medians. *The model's
  steps* are the wrapper's user-timing marks (\`vitrine:ranker-compiled\` and so on) in ms
  after \`start()\`: the model file fetched and the ranker's response arrived, the ranker
  compiled (\`WebAssembly.compile\`, once downloaded) and instantiated, the model
  parsed, and prepared (the last stage ends at model ready). Long tasks
  (\`PerformanceObserver\`, over 50 ms) are of the whole page, not attributed to Vitrine.
  Each load is awaited inside the page (\`handle.ready\`), not with Playwright's selectors,
  whose engine is a script parsed on the page's main thread: it made long tasks of its own.
  *Viewed again*: in ${run.secondView.loads} more fresh contexts, the page loaded twice in
  one tab, timed on the second load, which finds its files in the HTTP cache and the
  browser's compiled code: a shopper's next page, not issue 7's cold start.
  *Main thread slowed*: ${run.slowed.loads} more cold starts under Chromium's CPU throttling
  (CDP \`Emulation.setCPUThrottlingRate\`, ${run.slowed.cpu_slowdown}×), which slows the
  page's main thread but neither the browser's compile threads nor the network, so it
  stands for a slower machine only roughly. Long tasks are counted from \`start()\` on, and
  then with the page's own before it (its parse, layout and first paint). Issue 7's verdict
  counts every long task after \`start()\` as Vitrine's, and one before it only if Vitrine's
  scripts (\`/vitrine/…\`) ran over 50 ms in its long animation frame (the
  \`long-animation-frame\` entries name each script that ran in a frame): before
  \`start()\` they only evaluate their modules.
- **Bytes**: every response of the first cold load, raw, gzip level 9 and brotli quality 11
  (node's zlib). The demo serves them uncompressed. \`core_brotli_bytes\` in the JSON is the
  start-up path (the wrapper and the modules it imports, the core's glue and snippets,
  \`vitrine_bg.wasm\`), and \`ranker_brotli_bytes\` the ranker loaded after it
  (\`vitrine_ranker.js\`, \`vitrine_ranker_bg.wasm\`, and the warm-up worker's
  \`ranker-warmup.js\`).
- **track()**: ${run.bench.track.events} events (views, clicks, add-to-cart of catalogue
  products) through the wrapper's \`track\`, timed in batches of ${run.bench.track.batch}; median
  and p99 of the per-event time of each batch.
- **Tracking under load** (\`bench/tracking.mjs\`, a page of its own with \`localStorage.setItem\`
  counted and timed): *heavy browsing* is one real-session event every 100 ms for 10 s at
  the default coalescing (\`persistDelayMs\` 1000), scaled to a minute; *flush* is one
  whole write (serialization and \`setItem\`) after an event. The *burst* is 10^4 events,
  100 per task as a page passes on a long list's impressions; its long tasks
  (\`PerformanceObserver\`, over 50 ms) include the write after it. The *profile* is what is
  stored after 10^6 events that replay the committed REES46 sessions
  (\`tests/fixtures/eval/rees46-train.csv\`) with new product ids each pass.
- **Memory**: each wasm memory's size after \`start()\` (the core's is shared by every
  instance on the page, the ranker's by every loaded model) and after all runs, and
  \`performance.memory.usedJSHeapSize\` (Chromium only) of the benchmark page, which also
  holds onnxruntime-web.
`;
}

/** The tracking-under-load lines of the table. */
function trackingLines(t) {
  const kb = (bytes) => (bytes / 1000).toFixed(1);
  return [
    `  storage, heavy browsing: ${t.storage.writes_per_minute.toFixed(0)} writes, `
      + `${kb(t.storage.bytes_per_minute)} kB and `
      + `${t.storage.set_item_ms_per_minute.toFixed(1)} ms of setItem per minute; one flush `
      + `${t.storage.flush_median_ms.toFixed(2)} ms (median)`,
    `  burst of ${t.burst.events} events, ${t.burst.chunk} per task: `
      + `${t.burst.total_ms.toFixed(0)} ms in all, longest chunk `
      + `${t.burst.longest_chunk_ms.toFixed(1)} ms, ${t.burst.long_tasks} long tasks `
      + `(longest ${t.burst.longest_task_ms.toFixed(0)} ms; goal: none over 50 ms)`,
    `  profile after ${t.profile.events} events shaped like ${t.profile.sessions_rows} real `
      + `REES46 session rows: ${t.profile.stored_bytes} B stored (bound 32 KB), `
      + `${t.profile.seconds.toFixed(1)} s to track`,
  ];
}
