// `make sdk`: writes target/patched/tract-core and target/patched/tract-nnef, the lockfile's
// versions of the two crates less their registrations of named model transforms, for the
// ranker's wasm build to use in place of the registry's copies.
//
// Why: tract registers each named model transform ("patch", "f32_to_f16", "batchify", …)
// through the `inventory` crate. Registrations run as wasm constructors, which the linker must
// keep, with all they reach: "patch" alone kept the whole NNEF framework (its operator
// registry, its parser, and rustfft behind tract's FFT operator). The ranker never asks tract
// for a transform by name (`tract_core::transform::get_transform`), yet that code was 3.2 of
// the ranker's 6.5 MB: 1111239 B of brotli with it, 706048 without "patch", 572989 without
// any. Every other registration, the kernels in tract-linalg and tract's runtimes among them,
// stays.
//
// The sources are the ones cargo already fetched (found with `cargo metadata`), so the
// versions are the lockfile's. Each crate must have exactly the registrations counted below,
// or this fails: a tract upgrade that adds or moves one should be looked at, not built around.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The registrations each crate has, in tract 0.23. */
const REGISTRATIONS = { "tract-core": 12, "tract-nnef": 1 };

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const script = readFileSync(fileURLToPath(import.meta.url), "utf8");
const scriptHash = createHash("sha256").update(script).digest("hex");
/** Where the patched copy of the crate `name` is written; the Makefile's RANKER_PATCH too. */
const patchedDir = (name) => join(repo, "target", "patched", name);

const metadata = JSON.parse(execFileSync(
  "cargo",
  ["metadata", "--format-version", "1", "--locked"],
  { cwd: repo, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" },
));

for (const [name, expected] of Object.entries(REGISTRATIONS)) {
  const registry = metadata.packages.filter((p) => p.name === name && p.source !== null);
  if (registry.length !== 1) {
    fail(`expected one ${name} from the registry in Cargo.lock, found ${registry.length}`);
  }
  const source = dirname(registry[0].manifest_path);
  const target = patchedDir(name);
  const stamp = join(target, ".vitrine-patched-from");

  // Copied again only when the source or this script changed: a fresh copy has fresh mtimes,
  // and cargo would rebuild the crate and everything above it.
  const from = `${source}\n${scriptHash}\n`;
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === from) {
    console.log(`${name}: ${target} is up to date`);
    continue;
  }
  rmSync(target, { recursive: true, force: true });
  cpSync(source, target, { recursive: true });

  let removed = 0;
  for (const file of rustFiles(join(target, "src"))) {
    const text = readFileSync(file, "utf8");
    const { kept, count } = withoutRegistrations(text);
    if (count === 0) continue;
    removed += count;
    // The notice the Apache-2.0 licence asks of a changed file. What only the registrations
    // used is now unused; tract's own code stays as it was.
    const notice = "// Changed by Vitrine's build (scripts/patched-tract.mjs): the registrations\n"
      + "// of named model transforms are removed, so that the ranker's wasm links without\n"
      + "// them.\n"
      + "#![allow(dead_code, unused_imports)]\n";
    writeFileSync(file, notice + kept);
  }
  if (removed !== expected) {
    rmSync(target, { recursive: true, force: true });
    fail(`expected ${expected} registrations of named model transforms in ${name}, `
      + `found ${removed}`);
  }
  writeFileSync(stamp, from);
  console.log(`${name}: ${target} written from ${source}, ${removed} registrations removed`);
}

// No registration left in any tract crate the ranker links, whatever its shape: the two
// patched copies, and the others as cargo fetched them.
for (const pkg of metadata.packages.filter((p) => p.name.startsWith("tract-") && p.source)) {
  const dir = pkg.name in REGISTRATIONS ? patchedDir(pkg.name) : dirname(pkg.manifest_path);
  for (const file of rustFiles(join(dir, "src"))) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((line, i) => {
      if (isRegistration(line)) fail(`${file}:${i + 1} still registers a model transform`);
    });
  }
}

/**
 * `text` without its registrations, each one of two shapes at the start of a line:
 * `register_model_transform!(…);` or `register_simple_model_transform!(…);`, ended by the
 * first line that ends with `);`, and `inventory::submit! { ModelTransformFactory { … } }`,
 * ended by the first line that is a lone `}`. (The macros' own definitions are indented or
 * `$crate::`-qualified, and match neither.)
 */
function withoutRegistrations(text) {
  const lines = text.split("\n");
  const kept = [];
  let count = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const macro = /^register_(simple_)?model_transform!\(/.test(line);
    const submit = line === "inventory::submit! {"
      && /^\s+ModelTransformFactory \{/.test(lines[i + 1] ?? "");
    if (!macro && !submit) {
      kept.push(line);
      continue;
    }
    // An attribute above it (`#[cfg(…)]`) would be left to fall on the next item.
    if (/^\s*#\[/.test(kept.at(-1) ?? "")) {
      fail(`an attribute precedes the registration at "${line}"`);
    }
    const ends = macro ? (l) => l.trimEnd().endsWith(");") : (l) => l === "}";
    while (i < lines.length && !ends(lines[i])) i++;
    if (i === lines.length) fail(`a registration at "${line}" never ends`);
    count++;
  }
  return { kept: kept.join("\n"), count };
}

/**
 * Whether `line` registers a named model transform: a call of either macro, or a
 * `ModelTransformFactory` built as a value, except inside the macros' own definitions
 * (`$crate::`-qualified) and the struct's.
 */
function isRegistration(line) {
  if (line.includes("$crate::") || /\bstruct ModelTransformFactory\b/.test(line)) return false;
  return /\bregister_(simple_)?model_transform!\s*\(/.test(line)
    || /\bModelTransformFactory\s*\{/.test(line);
}

function rustFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".rs"))
    .map((entry) => join(entry.parentPath, entry.name));
}

function fail(message) {
  console.error(`patched-tract: ${message}`);
  process.exit(1);
}
