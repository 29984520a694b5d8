// Writes the API reference (docs/api/) from the doc comments in src/, with TypeDoc and its
// markdown plugin. `--check` writes it to a scratch folder instead and fails when the
// committed reference differs: a changed doc comment must come with its regenerated page.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const committed = join(root, "..", "docs", "api");
const check = process.argv.includes("--check");
const out = check ? mkdtempSync(join(tmpdir(), "vitrine-api-")) : committed;

if (!check) rmSync(out, { recursive: true, force: true });
const typedoc = join(root, "node_modules", ".bin", "typedoc");
execFileSync(typedoc, ["--options", "typedoc.json", "--out", out, "--logLevel", "Warn"], {
  cwd: root,
  stdio: "inherit",
});
if (!check) process.exit(0);

/** Every file under `dir`, as paths relative to it, sorted. */
function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

const expected = files(out);
const actual = files(committed);
const stale = [
  ...expected.filter((f) => !actual.includes(f)).map((f) => `missing: docs/api/${f}`),
  ...actual.filter((f) => !expected.includes(f)).map((f) => `not generated: docs/api/${f}`),
  ...expected
    .filter((f) => actual.includes(f))
    .filter((f) => !readFileSync(join(out, f)).equals(readFileSync(join(committed, f))))
    .map((f) => `differs: docs/api/${f}`),
];
rmSync(out, { recursive: true, force: true });
if (stale.length > 0) {
  console.error(`docs/api is out of date; run \`npm run docs\` in js/:\n  ${stale.join("\n  ")}`);
  process.exit(1);
}
console.log(`docs/api is up to date (${expected.length} files)`);
