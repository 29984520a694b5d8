// The size report: every file `npm pack` would put in the tarball, raw, gzip and brotli, so
// a change that grows what stores download shows in review.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [pack] = JSON.parse(
  execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: root,
    encoding: "utf8",
  }),
);

// Level 9 gzip and quality 11 brotli: what a CDN serving precompressed files would send.
const rows = pack.files.map(({ path }) => {
  const bytes = readFileSync(join(root, path));
  return {
    path,
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }).length,
  };
});
rows.sort((a, b) => b.raw - a.raw);

const total = { path: "total", raw: 0, gzip: 0, brotli: 0 };
for (const row of rows) {
  for (const key of ["raw", "gzip", "brotli"]) total[key] += row[key];
}

const width = Math.max(...rows.map((r) => r.path.length), 5);
const line = (r) =>
  `${r.path.padEnd(width)}  ${String(r.raw).padStart(10)}  ${String(r.gzip).padStart(10)}` +
  `  ${String(r.brotli).padStart(10)}`;
console.log(`${pack.filename}: ${rows.length} files, tarball ${pack.size} bytes`);
console.log(line({ path: "file", raw: "raw", gzip: "gzip", brotli: "brotli" }));
for (const row of rows) console.log(line(row));
console.log(line(total));

// What a page downloads, by module: the start-up path (wrapper entry, the core's glue and
// snippets, the core wasm) and the model runtime fetched after it. Brotli, the figure issue
// 7's budgets speak of (80 kB and 1.0 MB).
const start = new RegExp(
  "^dist/(index|debug|migration|ranker-version)\\.js$"
    + "|^dist/pkg/(vitrine\\.js|vitrine_bg\\.wasm|snippets/.*\\.js)$",
);
const ranker = /^dist\/pkg\/vitrine_ranker(\.js|_bg\.wasm)$/;
const brotli = (pattern) =>
  rows.filter((r) => pattern.test(r.path)).reduce((sum, r) => sum + r.brotli, 0);
console.log(`start-up path (core): ${brotli(start)} bytes brotli`);
console.log(`model runtime (ranker): ${brotli(ranker)} bytes brotli`);
