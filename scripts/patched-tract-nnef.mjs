// `make sdk`: writes target/patched/tract-nnef, the tract-nnef of Cargo.lock less one
// registration, for the ranker's wasm build to use in place of the registry's copy.
//
// Why: tract-nnef registers a model transform named "patch" through the `inventory` crate.
// Registrations run as wasm constructors, which the linker must keep, and this one reaches
// the whole NNEF framework: its operator registry, its parser, and rustfft behind tract's
// FFT operator. The ranker never asks tract for a transform by name, yet that code was 2.5 of
// the ranker's 6.5 MB (1111239 to 706048 B brotli without it). Every other registration, the
// kernels in tract-linalg among them, stays.
//
// The source is the one cargo already fetched (found with `cargo metadata`), so the version is
// the lockfile's. The edit must match exactly once, or this fails: a tract upgrade that moves
// the registration should be looked at, not built around.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(repo, "target", "patched", "tract-nnef");
const stamp = join(target, ".vitrine-patched-from");
const script = readFileSync(fileURLToPath(import.meta.url), "utf8");

const metadata = JSON.parse(execFileSync("cargo", ["metadata", "--format-version", "1", "--locked"], {
  cwd: repo,
  maxBuffer: 256 * 1024 * 1024,
  encoding: "utf8",
}));
const registry = metadata.packages.filter((p) => p.name === "tract-nnef" && p.source !== null);
if (registry.length !== 1) {
  fail(`expected one tract-nnef from the registry in Cargo.lock, found ${registry.length}`);
}
const source = dirname(registry[0].manifest_path);

// Copied again only when the source or this script changed: a fresh copy has fresh mtimes,
// and cargo would rebuild tract-nnef and everything above it.
const from = `${source}\n${createHash("sha256").update(script).digest("hex")}\n`;
if (existsSync(stamp) && readFileSync(stamp, "utf8") === from) {
  console.log(`tract-nnef: ${target} is up to date`);
  process.exit(0);
}
rmSync(target, { recursive: true, force: true });
cpSync(source, target, { recursive: true });

const file = join(target, "src", "transform.rs");
const text = readFileSync(file, "utf8");
// The block is `inventory::submit! { ModelTransformFactory { name: "patch", … } }`, closed by
// the first brace alone on a line after it.
const registration = /^inventory::submit! \{\n\s+ModelTransformFactory \{\n\s+name: "patch",\n[\s\S]*?^\}\n/gm;
const found = text.match(registration) ?? [];
if (found.length !== 1) {
  fail(`expected one registration of the "patch" transform in ${file}, found ${found.length}`);
}
// The notice the Apache-2.0 licence asks of a changed file.
const notice = "// Changed by Vitrine's build (scripts/patched-tract-nnef.mjs): the registration of\n"
  + "// the \"patch\" model transform is removed, so that the ranker's wasm links without it.\n"
  // What only the registration used is now unused; tract's own code stays as it was.
  + "#![allow(dead_code, unused_imports)]\n";
writeFileSync(file, notice + text.replace(registration, ""));
writeFileSync(stamp, from);
console.log(`tract-nnef: ${target} written from ${source}, the "patch" transform unregistered`);

function fail(message) {
  console.error(`patched-tract-nnef: ${message}`);
  process.exit(1);
}
