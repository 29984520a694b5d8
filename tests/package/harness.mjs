// Shared pieces of the package tests: the tarball `npm pack` makes, scratch projects that
// install it the way a store would, a static file server on 127.0.0.1, and headless Chromium.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repo = join(here, "..", "..");

/**
 * A scratch folder inside this one (so that `vite` and `react` from this folder's
 * node_modules resolve from it, as they would from a store's own), removed by `cleanup`.
 */
export function scratch(name) {
  const root = join(here, ".work");
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(join(root, `${name}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

let tarball;
/** `npm pack` of js/ (built by `make sdk`), once per test process. */
export function packedTarball() {
  if (tarball) return tarball;
  const { dir: out, cleanup } = scratch("pack");
  process.on("exit", cleanup);
  const [pack] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", out], {
      cwd: join(repo, "js"),
      encoding: "utf8",
    }),
  );
  tarball = join(out, pack.filename);
  return tarball;
}

/** Copies the fixture app `name` into a scratch folder and installs the tarball into it. */
export function installApp(name) {
  const app = scratch(name);
  cpSync(join(here, "apps", name), app.dir, { recursive: true });
  execFileSync(
    "npm",
    ["install", "--no-audit", "--no-fund", "--no-package-lock", "--offline", packedTarball()],
    { cwd: app.dir, stdio: ["ignore", "ignore", "inherit"] },
  );
  return app;
}

/** Unpacks the tarball as it is, for a page that imports it without any bundler. */
export function unpackInto(dir) {
  mkdirSync(dir, { recursive: true });
  execFileSync("tar", ["-xzf", packedTarball(), "-C", dir]);
  return join(dir, "package");
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".onnx": "application/octet-stream",
};

/** Serves `root` on a free port of 127.0.0.1; `stop()` ends it. */
export async function serve(root) {
  const base = resolve(root);
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url, "http://x").pathname);
    let file = normalize(join(base, path));
    if (!file.startsWith(base + sep) && file !== base) {
      response.writeHead(403).end();
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, "index.html");
      const body = readFileSync(file);
      const type = TYPES[extname(file)] ?? "application/octet-stream";
      response.writeHead(200, { "content-type": type }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise((r) => server.close(r)),
  };
}

/** Debian's Chromium, headless, with its background traffic switched off. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/**
 * Opens `url` in a fresh context and collects everything it says: console messages (type and
 * text), uncaught exceptions, and requests to anything but `origin`.
 */
export async function openPage(browser, origin, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const console = [];
  const pageErrors = [];
  const foreign = [];
  page.on("console", (m) => console.push({ type: m.type(), text: m.text() }));
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await context.route("**/*", (route) => {
    const target = route.request().url();
    if (target.startsWith(origin) || target.startsWith("data:")) return route.continue();
    foreign.push(target);
    return route.abort();
  });
  await page.goto(`${origin}${url}`);
  return { page, console, pageErrors, foreign, close: () => context.close() };
}

/** The state a widget settles in, `ranked` or `fallback`. */
export async function settledState(page, selector) {
  const widget = `${selector}[data-vitrine-state]`;
  await page.waitForSelector(widget, { state: "attached", timeout: 20_000 });
  return page.getAttribute(widget, "data-vitrine-state");
}

/** The model the project ships, for pages that rank with it. */
export const modelPath = join(repo, "models", "ranker.onnx");
