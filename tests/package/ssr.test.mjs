// Server-side rendering: importing every entry point of the installed package in Node reads
// no browser global and throws nothing, and `start` there resolves to an inert handle.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

import { installApp } from "./harness.mjs";

const BROWSER_GLOBALS = [
  "window",
  "document",
  "navigator",
  "localStorage",
  "location",
  "customElements",
  "HTMLElement",
];

let app;
before(() => {
  app = installApp("ssr");
});
after(() => app.cleanup());

/** Imports `specifier` from inside the app, as its own server code would. */
async function importFromApp(specifier) {
  // A module inside the app does the import, so that Node resolves `specifier` from the
  // app's node_modules through the package's `exports`, as the app's own code would.
  const { load } = await import(pathToFileURL(join(app.dir, "resolve.mjs")).href);
  return load(specifier);
}

test("importing vitrine, vitrine/react and vitrine/element touches no browser global", async () => {
  const touched = [];
  for (const name of BROWSER_GLOBALS) {
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() {
        touched.push(name);
        return undefined;
      },
    });
  }
  try {
    const core = await importFromApp("vitrine");
    const react = await importFromApp("vitrine/react");
    const element = await importFromApp("vitrine/element");
    assert.equal(typeof core.start, "function");
    assert.equal(typeof core.fromSegment, "function");
    assert.equal(typeof react.useVitrine, "function");
    assert.equal(typeof element.defineVitrineWidget, "function");
  } finally {
    for (const name of BROWSER_GLOBALS) delete globalThis[name];
  }
  assert.deepEqual(touched, [], `read at import time: ${touched.join(", ")}`);
});

test("start in Node resolves to an inert handle and defineVitrineWidget does nothing", async () => {
  const { start } = await importFromApp("vitrine");
  const { defineVitrineWidget } = await importFromApp("vitrine/element");
  const errors = [];
  const vitrine = await start({ onError: (e) => errors.push(e) });
  assert.equal(vitrine.active, false);
  assert.equal(vitrine.track({ type: "product_viewed", product: { id: "1" } }), false);
  await vitrine.ready;
  assert.doesNotThrow(() => defineVitrineWidget(vitrine));
  assert.deepEqual(errors, []);
});

test("a React page using the hooks renders to a string on the server", async () => {
  const { createElement: h } = await import("react");
  const { renderToString } = await import("react-dom/server");
  const { useRankedWidget, useVitrine } = await importFromApp("vitrine/react");
  function Recommendations() {
    const vitrine = useVitrine({ modelUrl: "/models/ranker.onnx" });
    const list = useRankedWidget(vitrine, []);
    return h("ul", { "data-vitrine-widget": "recommendations", ref: list }, [
      h("li", { key: "a", "data-vitrine-item": "1", "data-vitrine-rank": "0" }, "a"),
    ]);
  }
  const html = renderToString(h(Recommendations));
  assert.match(html, /<ul data-vitrine-widget="recommendations"><li data-vitrine-item="1"/);
});
