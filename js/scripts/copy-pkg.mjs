// Copies the wasm-pack output (js/pkg) into the package's dist folder, so that `dist` is the
// whole published package and `import "./pkg/vitrine.js"` resolves beside index.js.
import { cpSync, existsSync, rmSync } from "node:fs";
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
