// `make sdk-release`: wasm-opt (npm binaryen, installed in bench/) over both modules in
// js/pkg, in place. It takes a minute or more on these machines, so `make sdk` skips it, and
// each output is kept by the hash of its input and flags in target/wasm-opt/: a rebuild
// that changed nothing costs a copy. Prints each file's bytes before and after.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const wasmOpt = join(repo, "bench", "node_modules", "binaryen", "bin", "wasm-opt");
const cacheDir = join(repo, "target", "wasm-opt");

// rustc's stripped output has no target_features section for wasm-opt to read, so the
// features the Rust target emits are named here; `--strip-*` drop what rustc left.
const FEATURES = ["--enable-simd", "--enable-bulk-memory", "--enable-nontrapping-float-to-int",
  "--enable-sign-ext", "--enable-mutable-globals", "--enable-multivalue",
  "--enable-reference-types"];
const FLAGS = {
  // Not -Oz: on rustc's opt-level "z" output it made the raw file 11 % smaller but the
  // brotli 5 % larger (168834 -> 177592 bytes), and brotli is what a browser downloads.
  // -O1 took 0.7 % off the brotli.
  "vitrine_bg.wasm": ["-O1"],
  // -O2 for the model's readiness, not its bytes: brotli grows 4.6 % (572877 to 599451 B).
  // The browser compiles each function at its first call, on the page's main thread, and
  // -O2 inlines tract's many small ones: 1,777 instead of 3,148 are compiled while the model
  // is parsed and prepared (`bench/first-calls.mjs`), though 6 % more bytes of them. Model
  // ready 10 to 42 ms sooner: the medians of four runs of 12 to 20 cold loads each,
  // interleaved with the build without it (22 ms in the run of 20). -O1 (565 KB) gained 6 to
  // 7 ms in two runs; -O3 (two runs) and -Os (one) no more than -O2. About 40 s.
  "vitrine_ranker_bg.wasm": ["-O2"],
};
const STRIP = ["--strip-debug", "--strip-producers"];

if (!existsSync(wasmOpt)) {
  console.error("wasm-opt: run `npm ci` in bench/ first (make sdk-release does)");
  process.exit(1);
}
mkdirSync(cacheDir, { recursive: true });
for (const [name, level] of Object.entries(FLAGS)) {
  const file = join(repo, "js", "pkg", name);
  const flags = [...level, ...FEATURES, ...STRIP];
  const input = readFileSync(file);
  const key = createHash("sha256").update(input).update(flags.join(" ")).digest("hex");
  const cached = join(cacheDir, `${key}.wasm`);
  if (!existsSync(cached)) {
    const begun = Date.now();
    execFileSync(wasmOpt, [file, ...flags, "-o", cached], { stdio: "inherit" });
    console.error(`wasm-opt: ${name} took ${((Date.now() - begun) / 1000).toFixed(0)} s`);
  }
  copyFileSync(cached, file);
  console.log(`wasm-opt ${flags.slice(0, level.length).join(" ")}: ${name} `
    + `${input.length} -> ${statSync(file).size} bytes`);
}
