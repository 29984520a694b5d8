/**
 * The worker that prepares the model once off the page's main thread, so that the browser
 * compiles the model runtime's code there and not in the page's tasks.
 *
 * Chromium compiles a WebAssembly function only when it is first called, on the thread that
 * calls it. Parsing and preparing the model call about 1,300 of tract's functions for the
 * first time, and compiling them was most of that work: 30 to 40 ms on the main thread of
 * a cold page, in tasks of up to 60 ms with the CPU slowed 2.5 times. The page hands this
 * worker its compiled module, and the worker parses, prepares and scores once. A module's
 * compiled code is shared by its instances in the page, so the page's own preparation then
 * runs code that is already compiled (3 to 8 ms in all). The worker keeps nothing and scores
 * nothing for the page: it answers and closes.
 *
 * @internal
 */

import { initSync, Ranker } from "./pkg/vitrine_ranker.js";

/** What the page sends: its compiled model runtime, the model, the rows it will plan for. */
export interface WarmUpRequest {
  module: WebAssembly.Module;
  model: Uint8Array;
  rows: number;
}

/** The worker's answer: `failed` says why it could not, and the page prepares unhelped. */
export interface WarmUpAnswer {
  failed?: string;
}

/** Features per candidate: the length of a row in the feature contract (`src/features.rs`). */
const FEATURES = 13;

addEventListener("message", (event: MessageEvent<WarmUpRequest>) => {
  const { module, model, rows } = event.data;
  let answer: WarmUpAnswer = {};
  try {
    initSync({ module });
    const ranker = new Ranker(model);
    while (!ranker.prepare(rows));
    // The first score runs functions that preparing did not.
    ranker.scoreInto(new Float32Array(rows * FEATURES), new Float32Array(rows));
    ranker.free();
  } catch (e) {
    answer = { failed: e instanceof Error ? e.message : String(e) };
  }
  // The worker's own `postMessage` and `close`; the DOM typings only know the window's.
  const scope = globalThis as unknown as { postMessage(message: unknown): void; close(): void };
  scope.postMessage(answer);
  // Done: whether or not the page ends this worker (a page may have replaced `terminate`).
  scope.close();
});
