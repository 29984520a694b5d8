/**
 * The `debug: true` log: what Vitrine decided, on the console, and nothing about the shopper.
 *
 * Lines name a widget by its kind and its index among the page's widgets, never by a product
 * id, a query or a profile value, so a log pasted into a bug report leaks nothing.
 */

import type { Vitrine as Core } from "./pkg/vitrine.js";
import type { Explanation, VitrineError } from "./index.js";

/** Writes one decision line; `undefined` when `debug` is off, so callers skip the work. */
export type DecisionLog = ((line: string) => void) | undefined;

export function decisionLog(enabled: boolean | undefined): DecisionLog {
  if (!enabled) return undefined;
  // `info`, not `debug`: Chromium hides the verbose level by default, and someone who asked
  // for `debug: true` wants to see these lines.
  return (line) => console.info(`vitrine debug: ${line}`);
}

/** How the widgets are ranked: by the model, by the built-in rule, or not at all. */
export function rankingMode(core: Core): "model" | "rule" {
  return core.hasModel() ? "model" : "rule";
}

/** The kind of a widget and its place on the page, e.g. `recommendations #1`. */
export function widgetName(container: Element): string {
  const kind = container.getAttribute("data-vitrine-widget") ?? "?";
  const all = Array.from(document.querySelectorAll("[data-vitrine-widget]"));
  const index = all.indexOf(container);
  return index >= 0 ? `${kind} #${index}` : `${kind} (detached)`;
}

/** One widget's outcome: how many items left their server position, how long it took. */
export function logRanking(
  log: DecisionLog,
  core: Core,
  container: Element,
  explanations: Explanation[],
  ms: number,
): void {
  if (!log) return;
  const moved = explanations.filter((e) => e.position !== e.server_position).length;
  log(
    `${widgetName(container)} ranked by ${rankingMode(core)}: ${moved} of ` +
      `${explanations.length} items moved (${ms.toFixed(1)} ms)`,
  );
}

/** A widget that kept the server order, and the code of the error that made it. */
export function logFallback(log: DecisionLog, container: Element, error: VitrineError): void {
  log?.(`${widgetName(container)} kept the server order (fallback): ${error.code}`);
}
