// Puts wasm-bindgen's declarations beside src/index.ts, so that `import("./pkg/vitrine.js")`
// and `import("./pkg/vitrine_ranker.js")` type-check against the real exports; tsc emits
// nothing for a .d.ts, and copy-pkg.mjs brings the JavaScript itself into dist/pkg.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// Two modules: the core (`vitrine`) and the lazily loaded model runtime (`vitrine_ranker`).
const names = ["vitrine.d.ts", "vitrine_ranker.d.ts"];
if (!names.every((name) => existsSync(join(root, "pkg", name)))) {
  console.error("js/pkg is missing: run wasm-pack first (make sdk)");
  process.exit(1);
}
mkdirSync(join(root, "src", "pkg"), { recursive: true });
for (const name of names) copyFileSync(join(root, "pkg", name), join(root, "src", "pkg", name));
