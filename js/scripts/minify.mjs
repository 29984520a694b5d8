// Minifies the package's JavaScript in place: `node scripts/minify.mjs <folder>...` takes every
// .js file below each folder. A page without a bundler loads these files as they are, and the
// wrapper, the core's glue and its snippets are on the start-up path of every page view; a
// store's bundler minifies them anyway. Each file keeps a source map to what it was made from
// (tsc's map is chained through, so devtools still show the TypeScript), sources included.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { minify } from "terser";

async function minifyInPlace(file) {
  const name = basename(file);
  const code = readFileSync(file, "utf8");
  const mapFile = `${file}.map`;
  const inputMap = existsSync(mapFile) ? readFileSync(mapFile, "utf8") : undefined;
  // Without a map of its own (wasm-bindgen's glue), a file's map points at its text before
  // minifying, under a name of its own so as not to be taken for the minified file.
  const source = inputMap === undefined ? `unminified/${name}` : name;
  const result = await minify(
    { [source]: code },
    {
      module: true,
      ecma: 2020,
      compress: { passes: 2 },
      mangle: true,
      format: { comments: false },
      sourceMap: {
        content: inputMap,
        filename: name,
        url: `${name}.map`,
        includeSources: true,
      },
    },
  );
  writeFileSync(file, result.code);
  writeFileSync(mapFile, result.map);
  return [code.length, result.code.length];
}

function scriptsBelow(folder) {
  return readdirSync(folder).flatMap((entry) => {
    const path = join(folder, entry);
    if (statSync(path).isDirectory()) return scriptsBelow(path);
    return entry.endsWith(".js") ? [path] : [];
  });
}

const folders = process.argv.slice(2);
if (folders.length === 0) {
  console.error("usage: node scripts/minify.mjs <folder>...");
  process.exit(2);
}
let before = 0;
let after = 0;
for (const file of folders.flatMap(scriptsBelow)) {
  const [from, to] = await minifyInPlace(file);
  before += from;
  after += to;
}
console.log(`minify: ${folders.join(" ")}: ${before} -> ${after} bytes of JavaScript`);
