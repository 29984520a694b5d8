// Shared pieces of the end-to-end tests: the demo server on a free loopback port, a headless
// Chromium that talks to nothing else, and the REES46 fixture sessions.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";

import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repo = join(here, "..", "..");

/** A free TCP port on 127.0.0.1. */
async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the release demo server with a private data directory; `stop()` ends it.
 * `extraArgs` go to the server as they are (such as `["--fail-signals", "503"]` or
 * `["--collector-only"]`).
 */
export async function startDemo(extraArgs = []) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "vitrine-e2e-"));
  const binary = join(repo, "target", "release", "vitrine-demo");
  const requestLog = join(dataDir, "requests.jsonl");
  const args = [
    ...["--addr", `127.0.0.1:${port}`, "--data-dir", dataDir, "--request-log", requestLog],
    ...extraArgs,
  ];
  const child = spawn(binary, args, {
    stdio: ["ignore", "inherit", "inherit"],
  });
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`demo server exited with ${child.exitCode}`);
    try {
      // The collector answers in every mode; the store pages may be switched off.
      const response = await fetch(`${origin}/v1/signals/count`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("demo server did not start within 20 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    origin,
    /** Every signal request body the collector received so far, as it arrived. */
    receivedBodies() {
      return this.receivedRequests().map((request) => request.body);
    },
    /** The same, each as `{ content_type, cookie, body }`: `cookie` is whether the request
     * carried a Cookie header. */
    receivedRequests() {
      if (!existsSync(requestLog)) return [];
      return readFileSync(requestLog, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Debian's Chromium, headless, with its background traffic switched off. `options` go to
 * Playwright's launch as they are (such as `ignoreDefaultArgs`).
 */
export async function launchBrowser(extraArgs = [], options = {}) {
  return chromium.launch({
    ...options,
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
      ...extraArgs,
    ],
  });
}

/**
 * One demo server and one browser for a test file: started before its first test, stopped
 * after its last; `launchOptions` go to `launchBrowser`. Read `env.demo` and `env.browser`
 * inside the tests.
 */
export function demoAndBrowser(launchOptions = {}) {
  const env = {};
  before(async () => {
    env.demo = await startDemo();
    env.browser = await launchBrowser([], launchOptions);
  });
  after(async () => {
    await env.browser?.close();
    await env.demo?.stop();
  });
  return env;
}

/** Mean displayed position of the items `selected` picks (lower is higher on the page). */
export function meanPosition(items, selected) {
  const positions = items.flatMap((item, i) => (selected(item) ? [i] : []));
  return positions.reduce((a, b) => a + b, 0) / positions.length;
}

/** Sessions of the committed REES46 fixture: id → events in time order. */
export function fixtureSessions() {
  const text = readFileSync(join(here, "fixtures", "rees46-sessions.csv"), "utf8");
  const [header, ...lines] = text.trim().split("\n");
  const names = header.split(",");
  const sessions = new Map();
  for (const line of lines) {
    const values = line.split(",");
    const row = Object.fromEntries(names.map((n, i) => [n, values[i]]));
    if (!sessions.has(row.user_session)) sessions.set(row.user_session, []);
    sessions.get(row.user_session).push(row);
  }
  for (const events of sessions.values()) {
    events.sort((a, b) => a.event_time.localeCompare(b.event_time));
  }
  return sessions;
}

/** Waits until `condition()` (which may return a promise) holds, polling every 50 ms; after
 * `ms` it throws, naming `what` was awaited. */
export async function waitFor(condition, what, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Watches one page for console errors and uncaught exceptions. */
export function watchConsole(page) {
  const errors = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
  return errors;
}

/** The items of the first widget of `kind`, as displayed, once Vitrine has settled it. */
export async function widgetItems(page, kind) {
  const selector = `[data-vitrine-widget="${kind}"]`;
  await page.waitForSelector(`${selector}[data-vitrine-state]`, { timeout: 15_000 });
  return page.$$eval(`${selector} > [data-vitrine-item]`, (items) =>
    items.map((item) => ({
      id: item.getAttribute("data-vitrine-item"),
      category: item.getAttribute("data-vitrine-category") ?? "",
      brand: item.getAttribute("data-vitrine-brand") ?? "",
      rank: Number(item.getAttribute("data-vitrine-rank")),
    })),
  );
}
