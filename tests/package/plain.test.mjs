// The unpacked tarball imported by a plain HTML page through `<script type="module">` and an
// import map, no bundler: it ranks with the model, its `debug` log tells decisions and no
// shopper data, and bad input gets stable codes and messages that name the field.
import assert from "node:assert/strict";
import { copyFileSync, cpSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import {
  launchBrowser,
  modelPath,
  openPage,
  scratch,
  serve,
  settledState,
  unpackInto,
} from "./harness.mjs";

let site, server, browser;
before(async () => {
  site = scratch("plain");
  cpSync(join(import.meta.dirname, "apps", "plain"), site.dir, { recursive: true });
  unpackInto(join(site.dir, "unpacked"));
  cpSync(join(site.dir, "unpacked", "package"), join(site.dir, "vitrine"), { recursive: true });
  copyFileSync(modelPath, join(site.dir, "ranker.onnx"));
  server = await serve(site.dir);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  site?.cleanup();
});

async function settledPage(url) {
  const opened = await openPage(browser, server.origin, url);
  assert.equal(await settledState(opened.page, "#recs"), "ranked");
  assert.equal(await settledState(opened.page, "#search"), "ranked");
  await opened.page.waitForFunction(() => window.pageReport.active !== undefined);
  return opened;
}

test("a plain module page ranks its widgets with the model", async () => {
  const opened = await settledPage("/");
  try {
    const report = await opened.page.evaluate(() => window.pageReport);
    assert.equal(report.active, true);
    assert.equal(report.hasModel, true);
    assert.deepEqual(report.errors, []);
    assert.deepEqual(opened.pageErrors, []);
    assert.deepEqual(opened.foreign, []);
  } finally {
    await opened.close();
  }
});

test("debug: true logs each decision and timing, and no shopper data", async (t) => {
  const opened = await settledPage("/?debug");
  try {
    const lines = opened.console.map((m) => m.text);
    const debug = lines.filter((l) => l.startsWith("vitrine debug: "));
    for (const line of debug) t.diagnostic(line);
    const has = (pattern) => assert.ok(debug.some((l) => pattern.test(l)), `${pattern}`);
    has(/tracking ready \d+\.\d ms after start/);
    has(/model ready \d+\.\d ms after start/);
    has(/recommendations #0 ranked by model: \d+ of 4 items moved \(\d+\.\d ms\)/);
    has(/search #1 ranked by model: \d+ of 2 items moved/);
    has(/first re-rank done \d+\.\d ms after start/);

    // What the page knows about the shopper: the products, the query, the profile.
    const stored = await opened.page.waitForFunction(
      () => localStorage.getItem("vitrine.profile"),
      null,
      { timeout: 10_000 },
    );
    const profile = await stored.jsonValue();
    assert.ok(profile.includes("electronics"), "the view reached the profile");
    const html = await opened.page.content();
    const ids = [...html.matchAll(/data-vitrine-item="(\d+)"/g)].map((m) => m[1]);
    const labels = [...html.matchAll(/data-vitrine-(?:category|brand)="([^"]+)"/g)];
    const secrets = [...ids, ...labels.map((m) => m[1]), "trail running shoes", "trail"];
    for (const line of lines) {
      for (const secret of secrets) {
        assert.ok(!line.includes(secret), `console line leaks ${secret}: ${line}`);
      }
    }
  } finally {
    await opened.close();
  }
});

test("debug: true says when the rule ranks, and when the model could not be used", async () => {
  const debugLines = async (url, state) => {
    const opened = await openPage(browser, server.origin, url);
    try {
      assert.equal(await settledState(opened.page, "#recs"), state);
      await opened.page.waitForFunction(() => window.pageReport.active !== undefined);
      return opened.console.map((m) => m.text).filter((l) => l.startsWith("vitrine debug: "));
    } finally {
      await opened.close();
    }
  };
  const rule = await debugLines("/?debug&model=none", "ranked");
  assert.ok(rule.some((l) => l.includes("no modelUrl: widgets are ranked by the rule")), rule);
  assert.ok(rule.some((l) => /recommendations #0 ranked by rule: \d+ of 4 items moved/.test(l)));
  const broken = await debugLines("/?debug&model=/missing.onnx", "fallback");
  assert.ok(broken.some((l) => l.includes("model not used (network): server order kept")), broken);
  assert.ok(!broken.some((l) => l.includes("ranked by")), broken);
});

test("without debug, Vitrine writes nothing to the console", async () => {
  const opened = await settledPage("/");
  try {
    assert.deepEqual(opened.console, []);
  } finally {
    await opened.close();
  }
});

/**
 * Runs `body(vitrine, errors)` in the error page, `vitrine` being the imported package and
 * `errors` what `onError` received as `{ code, name, message }`, and returns that.
 */
async function reported(body) {
  const opened = await openPage(browser, server.origin, "/errors.html");
  try {
    await opened.page.waitForFunction(() => window.pageReady === true);
    const result = await opened.page.evaluate(async (source) => {
      const errors = [];
      const onError = (e) => errors.push({ code: e.code, name: e.name, message: e.message });
      const run = new Function("vitrine", "onError", `return (${source})(vitrine, onError);`);
      const value = await run(window.vitrine, onError);
      return { errors, value };
    }, body.toString());
    assert.deepEqual(opened.pageErrors, [], "nothing thrown into the page");
    return result;
  } finally {
    await opened.close();
  }
}

function assertError(error, code, ...words) {
  assert.equal(error?.name, "VitrineError");
  assert.equal(error.code, code, error.message);
  for (const word of words) {
    assert.ok(error.message.includes(word), `"${word}" in ${error.message}`);
  }
}

test("an option out of range names the option and its range; nothing starts", async () => {
  const { errors, value } = await reported(async (vitrine, onError) => {
    const handle = await vitrine.start({ personalWeight: 2, onError });
    return { active: handle.active, state: document.querySelector("#recs").dataset.vitrineState };
  });
  assert.equal(errors.length, 1);
  assertError(errors[0], "invalid_field", "personalWeight", "a number from 0 to 1", "got 2");
  assert.deepEqual(value, { active: false, state: "fallback" });
});

test("an unknown option names it and lists the known ones", async () => {
  const { errors } = await reported((vitrine, onError) => vitrine.start({ colour: 1, onError }));
  assertError(errors[0], "malformed_input", "`colour`", "expected one of", "modelUrl", "debug");
});

test("bad events name the field and what was expected; strict mode throws the same", async () => {
  const { errors, value } = await reported(async (vitrine, onError) => {
    const handle = await vitrine.start({ onError, autoCapture: false });
    const accepted = [
      handle.track({ type: "added_to_cart", product: { id: "1", price: -3 } }),
      handle.track({ type: "added_to_cart", product: { id: "1" }, quantity: 0 }),
      handle.track({ type: "product_viewed", product: { id: " " } }),
      handle.track({ type: "teleported", product: { id: "1" } }),
      handle.track({ type: "product_viewed", product: { id: 42 } }),
    ];
    handle.stop();
    const strict = await vitrine.start({ onError, autoCapture: false, strict: true });
    try {
      strict.track({ type: "product_viewed", product: { id: "1", price: Infinity } });
      return { accepted, thrown: null };
    } catch (e) {
      return { accepted, thrown: { code: e.code, name: e.name, message: e.message } };
    }
  });
  assert.deepEqual(value.accepted, [false, false, false, false, false]);
  assertError(errors[0], "invalid_field", "`product.price`", "a finite, non-negative number");
  assertError(errors[1], "invalid_field", "`quantity`", "an integer from 1 to 10000", "got 0");
  assertError(errors[2], "invalid_field", "`product.id`", "a non-empty string");
  assertError(errors[3], "malformed_input", "teleported", "product_viewed");
  assertError(errors[4], "malformed_input", "`product.id`", "expected a string", "got 42");
  assertError(value.thrown, "invalid_field", "`product.price`", "a finite, non-negative number");
  assert.equal(errors.length, 5, "strict mode throws instead of reporting");
});

test("a model that cannot be fetched is reported, and widgets keep the server order", async () => {
  const { errors, value } = await reported(async (vitrine, onError) => {
    const handle = await vitrine.start({ modelUrl: "/no-such-model.onnx", onError });
    await handle.ready;
    return document.querySelector("#recs").dataset.vitrineState;
  });
  assert.equal(errors.length, 1);
  assertError(errors[0], "network", "modelUrl", "/no-such-model.onnx", "HTTP 404", "expected 200");
  assert.equal(value, "fallback");
});

test("a wasm module that will not load leaves an inert handle and fallback widgets", async () => {
  // A page of its own: once one `start` has loaded the module, later ones reuse it.
  const { errors, value } = await reported(async (vitrine, onError) => {
    const handle = await vitrine.start({ wasmUrl: "/no-such.wasm", onError });
    await handle.ready;
    return { active: handle.active, state: document.querySelector("#recs").dataset.vitrineState };
  });
  assert.equal(errors.length, 1);
  assertError(errors[0], "wasm_unavailable", "wasmUrl", "/no-such.wasm");
  assert.deepEqual(value, { active: false, state: "fallback" });
});

test("a file that is not an ONNX model is refused with model_runtime", async (t) => {
  const { errors } = await reported(async (vitrine, onError) => {
    const handle = await vitrine.start({ modelUrl: "/errors.html", onError });
    await handle.ready;
  });
  assert.equal(errors.length, 1);
  assertError(errors[0], "model_runtime", "modelUrl: /errors.html", "ONNX");
  t.diagnostic(errors[0].message);
});
