// Copies the wasm-pack output (js/pkg) into the package's dist folder, so that `dist` is the
// whole published package and `import "./pkg/vitrine.js"` resolves beside index.js.
import { createHash } from "node:crypto";
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const from = join(root, "pkg");
const to = join(root, "dist", "pkg");
if (!existsSync(join(from, "vitrine_bg.wasm"))) {
  console.error("js/pkg is missing: run wasm-pack first (make sdk)");
  process.exit(1);
}
rmSync(to, { recursive: true, force: true });
cpSync(from, to, {
  recursive: true,
  filter: (path) => !path.endsWith(".gitignore") && !path.endsWith("package.json"),
});

// The ranker wasm is asked for by content hash (`?v=`), so that a server may cache it for
// good and a rebuilt one still arrives: the hash goes into dist/ranker-version.js.
const ranker = readFileSync(join(to, "vitrine_ranker_bg.wasm"));
const hash = createHash("sha256").update(ranker).digest("hex").slice(0, 16);
const version = join(root, "dist", "ranker-version.js");
const compiled = readFileSync(version, "utf8");
// tsc writes `RANKER_VERSION = "…"`; once minified (scripts/minify.mjs), `RANKER_VERSION="…"`.
const written = compiled.replace(/(RANKER_VERSION ?= ?)"[^"]*"/, `$1${JSON.stringify(hash)}`);
if (!written.includes(hash)) {
  console.error("dist/ranker-version.js: no RANKER_VERSION to fill in");
  process.exit(1);
}
writeFileSync(version, written);
