/**
 * Listening to the page's GA4 `dataLayer`, so that a store whose pages already push GA4
 * e-commerce events, through Google Tag Manager or gtag.js, feeds Vitrine without new
 * tracking code. `start({ dataLayer: true })` does this; the mechanism is written against a
 * plain array so that it runs, and is tested, without a page.
 *
 * Two shapes of entry are read, each through {@link fromGa4}; every other entry is passed
 * over without a word:
 *
 * - GTM's, `dataLayer.push({ event: "add_to_cart", ecommerce: { items: [...] } })`;
 * - gtag.js's: `gtag("event", "add_to_cart", { items: [...] })` pushes its own `arguments`
 *   object, whose `[0]` is `"event"`, `[1]` the name and `[2]` the params.
 *
 * How `push` is shared. Vitrine replaces the array's `push` with one that calls the `push`
 * it found first, returns its result unchanged and lets its exceptions through, and only
 * then reads the entries. A tag manager replaces `push` too when it loads, so the order of
 * loading sets the chain:
 *
 * - Vitrine after GTM: the page's push runs Vitrine's, which runs GTM's, and so on down to
 *   Array's own; Vitrine reads the entries once GTM is done with them.
 * - GTM after Vitrine: GTM's replacement finds Vitrine's. As long as it calls the `push` it
 *   found, as wrapping scripts do, Vitrine still reads every push, before GTM goes on; one
 *   that replaces `push` without calling it hides later pushes from Vitrine, and the page
 *   keeps working all the same.
 *
 * Either way an entry is read once it is in the array. On detach, Vitrine puts back the
 * `push` it found if its own is still the array's; if another script has wrapped it since,
 * it cannot take itself out of that script's chain, so it stays there as a pass-through
 * that only calls on.
 *
 * @internal
 */

import type { TrackedEvent } from "./index.js";
import { fromGa4 } from "./migration.js";

/**
 * Receives what the listener could not take: a malformed setup (`event` absent), or an
 * entry of the GA4 event `event` that could not be read or that `track` refused.
 */
export type DataLayerReport = (error: unknown, event?: string) => void;

/**
 * The entries already read, per dataLayer, for every listener of the page: a second
 * listener on the same array (a second `start`) replays none of them again, and neither
 * does an object pushed twice.
 */
const seenEntries = new WeakMap<object, WeakSet<object>>();

/**
 * Takes the GA4 e-commerce events of `dataLayer`: those already in it now, then each one
 * pushed later, handing each Vitrine event to `track`. Never throws: an entry that cannot be
 * read, or that `track` throws on, goes to `report`, and the page's push goes on.
 *
 * `dataLayer` defaults to `window.dataLayer`, made an empty array when the page has none
 * yet, as GTM's and gtag's snippets do: both keep an array they find, so a snippet that runs
 * later still pushes into this one. (A page that assigns `dataLayer = [...]` after this
 * call replaces the array, and its pushes go unseen.)
 *
 * Returns the function that stops listening; see the module's comment for what it does to
 * `push`.
 */
export function listenToDataLayer(
  track: (event: TrackedEvent) => void,
  report: DataLayerReport,
  dataLayer: unknown[] | undefined = pageDataLayer(),
): () => void {
  if (dataLayer === undefined) return () => {};
  if (!Array.isArray(dataLayer)) {
    const got = dataLayer === null ? "null" : typeof dataLayer;
    reportQuietly(report, () => malformed(`expected an array, got ${got}`));
    return () => {};
  }
  const layer = dataLayer;
  let seen = seenEntries.get(layer);
  if (seen === undefined) seenEntries.set(layer, (seen = new WeakSet()));
  let read: ((entry: unknown) => void) | null = entryReader(track, report, seen);

  for (const entry of layer.slice()) read(entry);

  const found = layer.push;
  // A page whose `push` is not a function pushes nothing through it: nothing to wrap.
  if (typeof found !== "function") {
    return () => {
      read = null;
    };
  }
  const foundWasOwn = Object.prototype.hasOwnProperty.call(layer, "push");
  const push = function (this: unknown, ...entries: unknown[]): unknown {
    // The page's push first, exactly as without Vitrine: its result and its exceptions are
    // the page's own, and an entry is only read once it is in the array.
    const result = found.apply(this, entries);
    if (read !== null) for (const entry of entries) read(entry);
    return result;
  };
  layer.push = push as typeof layer.push;

  return () => {
    // Dropping the reader also lets go of `track`, so that a pass-through left in another
    // script's chain holds no stopped Vitrine.
    read = null;
    if (layer.push !== push) return;
    if (foundWasOwn) layer.push = found;
    else Reflect.deleteProperty(layer, "push");
  };
}

/** Reads one entry at a time, each object once, into `track`. Never throws. */
function entryReader(
  track: (event: TrackedEvent) => void,
  report: DataLayerReport,
  seen: WeakSet<object>,
): (entry: unknown) => void {
  return (entry) => {
    if (typeof entry !== "object" || entry === null || seen.has(entry)) return;
    seen.add(entry);

    let name: string | undefined;
    let events: TrackedEvent[];
    try {
      const command = ga4Command(entry);
      if (command === null) return;
      name = command.name;
      events = fromGa4(command.name, command.params);
    } catch (e) {
      // A getter or a `toString` of the page's that throws.
      const error = () => malformed(`the entry could not be read (${describe(e)})`);
      reportQuietly(report, error, name);
      return;
    }

    // One refused item (a negative price) does not cost the other items of the entry.
    for (const event of events) {
      try {
        track(event);
      } catch (e) {
        reportQuietly(report, () => e, name);
      }
    }
  };
}

/**
 * The GA4 event an entry carries, or `null`. GTM's clearing push `{ ecommerce: null }`, its
 * own `gtm.*` events and gtag's `config`, `set`, `consent` and `js` commands give `null`,
 * and so does an `event` without an `ecommerce` object: in GTM's shape, e-commerce params
 * live there.
 */
function ga4Command(entry: object): { name: string; params: unknown } | null {
  if (Object.prototype.toString.call(entry) === "[object Arguments]") {
    const command = entry as ArrayLike<unknown>;
    return command[0] === "event" && typeof command[1] === "string"
      ? { name: command[1], params: command[2] }
      : null;
  }
  if (Array.isArray(entry)) return null;
  const { event, ecommerce } = entry as { event?: unknown; ecommerce?: unknown };
  return typeof event === "string" && typeof ecommerce === "object" && ecommerce !== null
    ? { name: event, params: ecommerce }
    : null;
}

/** `window.dataLayer`, made an empty array first when the page has none; outside a page, none. */
function pageDataLayer(): unknown[] | undefined {
  if (typeof window === "undefined") return undefined;
  const page = window as unknown as { dataLayer?: unknown[] };
  page.dataLayer ??= [];
  return page.dataLayer;
}

/**
 * Reports the error `error()` makes. Neither a reporter that throws nor an error of the
 * page's whose `message` throws may reach the page's push; there is nobody left to tell.
 */
function reportQuietly(report: DataLayerReport, error: () => unknown, event?: string): void {
  try {
    report(error(), event);
  } catch {
    // Deliberately dropped, see above.
  }
}

/** An error with the `code` Vitrine's errors carry, for one the caller did not make. */
function malformed(message: string): Error {
  return Object.assign(new Error(message), { code: "malformed_input" });
}

/** What a thrown value was, for a message: an Error's name and message, else only its type. */
function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : typeof e;
}
