// Puts wasm-bindgen's declarations beside src/index.ts, so that `import("./pkg/vitrine.js")`
// type-checks against the real exports; tsc emits nothing for a .d.ts, and copy-pkg.mjs
// brings the JavaScript itself into dist/pkg.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const from = join(root, "pkg", "vitrine.d.ts");
if (!existsSync(from)) {
  console.error("js/pkg is missing: run wasm-pack first (make sdk)");
  process.exit(1);
}
mkdirSync(join(root, "src", "pkg"), { recursive: true });
copyFileSync(from, join(root, "src", "pkg", "vitrine.d.ts"));
