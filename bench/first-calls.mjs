// The model runtime's functions that the browser's engine compiles at their first call, stage
// by stage, while the wrapper parses and prepares the model and scores its first list:
// counted, not timed, so the figure is the same on a busy machine as on an idle one.
//
// V8 compiles a wasm function only when it is first called, on the calling thread; with
// tract's thousands of small functions, that is most of the time between the ranker's
// instantiation and the model's readiness (Chromium with --no-wasm-lazy-compilation parsed
// and prepared in 6 ms instead of about 50). Node's V8 prints each compilation with
// --trace-wasm-compilation-times, so a child Node runs the steps the wrapper runs and the
// parent counts the lines between its stage markers. Node's V8 is older than Chromium's;
// which functions run is the module's business, not the engine's.
import { closeSync, openSync, readFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..");
const pkg = join(repo, "js", "dist", "pkg");
// The rows of the demo home page's longest widget, for which the wrapper prepares its plan.
const ROWS = 48;
const MARK = "vitrine-first-calls:";

/**
 * The functions compiled at first call in each stage, as `[{ stage, functions, body_bytes }]`:
 * instantiating the module, parsing the model, each stage of preparing it, the first score.
 */
export function firstCalls() {
  const log = join(repo, "target", "bench", "first-calls.log");
  const fd = openSync(log, "w");
  try {
    const child = spawnSync(
      process.execPath,
      ["--trace-wasm-compilation-times", fileURLToPath(import.meta.url), "--child"],
      { stdio: ["ignore", fd, fd] },
    );
    if (child.status !== 0) {
      throw new Error(`first-calls: the child exited with ${child.status}: ${readFileSync(log)}`);
    }
  } finally {
    closeSync(fd);
  }
  const stages = [];
  for (const line of readFileSync(log, "utf8").split("\n")) {
    if (line.startsWith(MARK)) {
      stages.push({ stage: line.slice(MARK.length), functions: 0, body_bytes: 0 });
      continue;
    }
    const compiled = /^Compiled function .* using Liftoff, .* bodysize (\d+)/.exec(line);
    if (compiled && stages.length > 0) {
      stages.at(-1).functions += 1;
      stages.at(-1).body_bytes += Number(compiled[1]);
    }
  }
  rmSync(log);
  // Without compilations between the markers the trace went elsewhere, and zero would lie.
  if (!stages.some((s) => s.functions > 0)) {
    throw new Error("first-calls: no compilation was traced between the stage markers");
  }
  return stages;
}

/** The child: the wrapper's steps, with a marker written before each. */
async function child() {
  const mark = (stage) => process.stderr.write(`${MARK}${stage}\n`);
  const { initSync, Ranker } = await import(pathToFileURL(join(pkg, "vitrine_ranker.js")));
  mark("instantiate");
  initSync({ module: readFileSync(join(pkg, "vitrine_ranker_bg.wasm")) });
  mark("parse");
  const ranker = new Ranker(readFileSync(join(repo, "models", "ranker.onnx")));
  let step = 1;
  mark(`prepare ${step}`);
  while (!ranker.prepare(ROWS)) mark(`prepare ${++step}`);
  mark("first score");
  const features = JSON.parse(readFileSync(join(repo, "models", "feature_contract.json")));
  ranker.scoreInto(new Float32Array(ROWS * features.features.length), new Float32Array(ROWS));
}

if (process.argv[2] === "--child") await child();
