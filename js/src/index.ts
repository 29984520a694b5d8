/**
 * Vitrine: on-device personalization for online stores.
 *
 * ```js
 * import { start } from "vitrine";
 * const vitrine = await start({ modelUrl: "/models/ranker.onnx", syncUrl: "/v1/signals" });
 * ```
 *
 * `start` never rejects and nothing here throws into the page (except `track` in `strict`
 * mode): every failure goes to `onError` and a console warning, and widgets keep the
 * server's order, marked `data-vitrine-state="fallback"`.
 *
 * @module vitrine
 */

import type { Vitrine as Core } from "./pkg/vitrine.js";
import type { Ranker } from "./pkg/vitrine_ranker.js";
import type { DataLayerReport } from "./data-layer.js";
import { decisionLog, logFallback, logRanking, widgetName, type DecisionLog } from "./debug.js";
import { RANKER_VERSION } from "./ranker-version.js";
import type { WarmUpAnswer, WarmUpRequest } from "./ranker-warmup.js";

export { fromGa4, fromSegment } from "./migration.js";

/** The attributes that make a widget and its items, and the one that says how it was served. */
const WIDGET = "data-vitrine-widget";
const ITEM = "data-vitrine-item";
const STATE = "data-vitrine-state";

/** Options for {@link start}. Every one is optional. */
export interface VitrineConfig {
  /** URL of the ONNX ranking model. Without it, widgets are ranked by the built-in rule. */
  modelUrl?: string;
  /** The collector's endpoint for aggregated, noised signals. Without it, nothing is sent. */
  syncUrl?: string;
  /** Least time between two signal batches, in ms. Default 15 minutes. */
  syncIntervalMs?: number;
  /** Delay before the first sync attempt, in ms. Default 3000. */
  firstSyncDelayMs?: number;
  /** Privacy loss ε one batch spends. Default ln 3. */
  epsilon?: number;
  /** Most ε one shopper spends per UTC day. Default ln 3. */
  dailyEpsilon?: number;
  /** Weight of the personal score against the server order, 0 to 1. Default 0.7. */
  personalWeight?: number;
  /** At most this many items of one brand in the first `diversityDepth` positions of a
   * widget. Default: no cap. */
  maxPerBrand?: number | null;
  /** How many leading positions `maxPerBrand` covers. Default 10. */
  diversityDepth?: number;
  /** Days for an interest to fade by half. Default 7. */
  halfLifeDays?: number;
  /** Prefix of every storage key Vitrine writes. Default `"vitrine"`. */
  storagePrefix?: string;
  /**
   * Capture views, clicks, cart actions, searches and impressions (half visible for a
   * second, once per page view) from `data-vitrine-*` attributes, following client-side
   * navigation and back/forward-cache restores, and rank each widget the page adds after
   * the first re-rank as it is inserted. Default true.
   */
  autoCapture?: boolean;
  /**
   * Take GA4 e-commerce events from the page's `dataLayer`: `true` for `window.dataLayer`
   * (made an empty array if the page has none yet), or the array itself when it has another
   * name. Events already in it are taken at start, later ones as they are pushed, in GTM's
   * shape (`{ event, ecommerce }`) and in gtag.js's, each through {@link fromGa4}. Default
   * false, because a store that already calls `track` for the same events, or leaves
   * `autoCapture` on, would count them twice. An entry Vitrine cannot take goes to
   * `onError`, never into the page's push, in `strict` mode too. `stop()` lets go of it.
   */
  dataLayer?: boolean | unknown[];
  /** How long profile changes gather before one write to storage, in ms. Default 1000. */
  persistDelayMs?: number;
  /** Days a stored fact about the shopper is kept; a profile idle that long is deleted.
   * Default 30. */
  retentionDays?: number;
  /**
   * How consent to sync works. `"opt-out"` (default): batches are sent unless the shopper
   * called {@link VitrineHandle.revokeConsent}. `"opt-in"`: nothing is sent before
   * {@link VitrineHandle.grantConsent}. A store that needs prior consent for analytics (as
   * under the GDPR) must choose `"opt-in"`.
   */
  consent?: "opt-in" | "opt-out";
  /**
   * Whether `navigator.globalPrivacyControl === true` stops sync, even after a grant.
   * Default true; set false only if the store has another lawful basis and says so.
   */
  honorGlobalPrivacyControl?: boolean;
  /**
   * Whether tracking and re-ranking on the device go on while sync is not allowed. Nothing
   * leaves the device for them. Default true.
   */
  personalizeWithoutConsent?: boolean;
  /**
   * Fraction of shoppers, 0 to 1, in the holdout arm: they see the server's order (widgets
   * marked `data-vitrine-state="holdout"`) while tracking goes on, so the store can measure
   * uplift per arm. Assigned at random on the device, once. Default 0.1.
   */
  holdout?: number;
  /** Upper bound of the first retry wait after a failed send, in ms. Default 30000. */
  retryBaseMs?: number;
  /** Longest retry wait, in ms. Default 3600000 (an hour). */
  retryMaxMs?: number;
  /**
   * Where `vitrine_bg.wasm` is served. Default: beside this module. Only the first `start`
   * in a page loads the module; later ones reuse it and ignore this option.
   */
  wasmUrl?: string | URL;
  /**
   * Where `vitrine_ranker_bg.wasm` (the model runtime, fetched only with `modelUrl`, once
   * the core is up; tracking never waits for it) is served. Default: beside this module.
   * Serve it with a long-lived cache header; like `wasmUrl`, only the first load in a page
   * uses it.
   */
  rankerUrl?: string | URL;
  /**
   * Prepare the model once in a short-lived worker before the page prepares it. The browser
   * compiles the model runtime's code as it first runs, and this does that off the page's
   * main thread, which then needs a few ms instead of tasks of 30 to 60. The worker shares no
   * memory and needs no COOP/COEP; where none can start (a `worker-src` policy, Trusted Types
   * for script URLs, the SDK served from another origin than the page), the page prepares the
   * model itself. `false` never starts one: the browser logs (and may report) each refusal
   * of a policy. Default true.
   */
  prepareInWorker?: boolean;
  /** Make `track` throw on invalid events instead of only reporting them. Default false. */
  strict?: boolean;
  /**
   * Receives every error Vitrine does not throw, after its console warning. A hook that
   * throws is itself only warned about.
   */
  onError?: (error: VitrineError) => void;
  /** Called once tracking is ready, with this shopper's engagement, so the page can show its
   * own retention nudge. The estimate is computed and kept on the device. */
  onEngagement?: (engagement: Engagement) => void;
  /**
   * Log each decision to the console (`console.info`): which widget, how many items moved,
   * model or rule or fallback, and the start-up timings. Never shopper data: no product ids,
   * queries or profile values. Default false.
   */
  debug?: boolean;
}

/** How engaged the shopper is; see `src/engagement.rs` for how each figure is made. */
export interface Engagement {
  /** Days between the previous visit's end and the latest activity (0 on a first visit). */
  recency_days: number;
  /** Days since the latest activity. */
  idle_days: number;
  /** Visits over about the last month (decayed count). */
  visits: number;
  /** Mean actions per visit. */
  depth: number;
  /** 0 (none) to 1. */
  score: number;
  /** 0 to 1: how likely the shopper is drifting away, given how engaged they were. */
  churn_risk: number;
  level: "new" | "engaged" | "casual" | "at_risk" | "lapsed";
}

/** An error from Vitrine: `code` is stable, `message` names the field and what was expected. */
export interface VitrineError extends Error {
  name: "VitrineError";
  /** One of `invalid_field`, `malformed_input`, `model_contract`, `model_runtime`,
   * `corrupt_storage`, `storage_unavailable`, `wasm_unavailable`, `network`, `no_sync_url`,
   * `already_started`, `internal`. See docs/errors.md for what each means and what to do. */
  code: string;
}

/** Why an item of a re-ranked widget sits where it does. */
export interface Explanation {
  /** Its 0-based position in the server's order. */
  server_position: number;
  /** Its position now. */
  position: number;
  /** What placed it: `"pinned"` (a `data-vitrine-pinned` item, never moved),
   * `"brand_diversity"` (pushed down by `maxPerBrand`), `"holdout"` (a holdout shopper: the
   * server's order), else the profile signal that speaks most for it, or `"server_order"`. */
  signal: string;
}

/** Milliseconds since the page's time origin (`performance.now()`), for each milestone. */
export interface Timings {
  /** When `start` was called. */
  started: number;
  /** When tracking, the profile and sync were ready. */
  trackingReady?: number;
  /** When the model was loaded and checked. */
  modelReady?: number;
  /** When the widgets were first re-ranked (or marked fallback). */
  firstRerank?: number;
}

/** A running Vitrine. */
export interface VitrineHandle {
  /** False when Vitrine could not start, and after `stop()`; see those. */
  readonly active: boolean;
  /** Settles when the model is loaded and the page's widgets re-ranked or marked fallback. */
  readonly ready: Promise<void>;
  /** Milestones of this start, for measuring. */
  readonly timings: Timings;
  /** Records an event; returns whether it was accepted. */
  track(event: TrackedEvent): boolean;
  /** Re-ranks one widget container; `null` when it kept the server order. */
  rerank(container: Element): Explanation[] | null;
  /** Re-ranks every `[data-vitrine-widget]`; returns how many were ranked. */
  rerankAll(): number;
  /**
   * Re-reads the page: a product page's view and a search, each counted once per element
   * and value. With `autoCapture` on this happens by itself as the page changes.
   */
  scan(): void;
  /** The local profile as a plain object. It never leaves the device. */
  profile(): unknown;
  /** The profile in plain words, one sentence per fact. */
  describeProfile(): string[];
  /** This shopper's engagement estimate; `null` when Vitrine is not running. */
  engagement(): Engagement | null;
  /** Sends the due signal batch now; resolves to whether nothing is left unsent. */
  sync(): Promise<boolean>;
  /** Writes the profile to storage now. */
  flush(): void;
  /** Erases everything Vitrine stored on this device, in this tab and in other open ones. */
  erase(): void;
  /** Pauses personalization: server order, nothing tracked, stored or sent. Persists. */
  pause(): void;
  /** Resumes personalization and re-ranks the page's widgets. */
  resume(): void;
  /** Whether personalization is paused. */
  readonly paused: boolean;
  /** Every batch sent from this device, oldest first. It never leaves the device. */
  ledger(): LedgerEntry[];
  /** Grants consent to sync; stored. Global Privacy Control still wins unless overridden. */
  grantConsent(): void;
  /**
   * Revokes consent to sync; stored. The request in flight is aborted, the queue of unsent
   * batches is purged, and nothing is sent until consent is granted again.
   */
  revokeConsent(): void;
  /** Whether sync is allowed now, and why; `null` when Vitrine is not running. */
  consent(): ConsentState | null;
  /** This shopper's segment, 0 to 7, computed on the device; `null` when not running. */
  segment(): number | null;
  /** This shopper's experiment arm, stable on this device. */
  readonly arm: "personalized" | "holdout" | null;
  /** Everything Vitrine stores here, by storage key, for the shopper to download. */
  exportData(): VitrineExport | null;
  /**
   * Removes every listener and timer, after one last write. After it, `track` returns false
   * and `rerank`, `rerankAll`, `scan` and `sync` do nothing; the shopper's choices (`pause`,
   * `resume`, consent, `erase`) are still stored, and what is stored can still be read.
   */
  stop(): void;
}

/** One batch sent from this device, as the local ledger records it. */
export interface LedgerEntry {
  /** When it was handed to the network, ms since the epoch. */
  sent_ms: number;
  /** Always `"fetch"` now; `"beacon"` in entries that earlier versions stored. */
  transport: "fetch" | "beacon";
  /** The ε this send spent; 0 for a re-send of a batch already sent. */
  epsilon_spent: number;
  /** `"queued"`: handed to the browser as the page went away, with no answer heard. */
  outcome: "accepted" | "rejected" | "failed" | "queued";
  /** The collector's HTTP status, when there was one. */
  status?: number;
  /** The batch exactly as sent: `segment`, `engagement_band` and `funnel` are the noised
   * values, not the truth. */
  batch: {
    schema: 2;
    batch_id: string;
    epsilon: number;
    arm: "personalized" | "holdout";
    interest: number[];
    segment: number;
    engagement_band: number;
    funnel: number;
  };
}

/** What {@link VitrineHandle.consent} returns. */
export interface ConsentState {
  /** Whether batches may be built and sent now. */
  syncAllowed: boolean;
  reason: "granted" | "opt_out_default" | "not_asked" | "revoked" | "global_privacy_control";
  mode: "opt-in" | "opt-out";
  /** Whether the browser sends Global Privacy Control. */
  globalPrivacyControl: boolean;
}

/** What {@link VitrineHandle.exportData} returns. */
export interface VitrineExport {
  format: "vitrine-export/1";
  exported_at: string;
  /** The profile in plain words. */
  summary: string[];
  /** Each stored record by its storage key, exactly as stored. */
  stored: Record<string, unknown>;
}

/** A product as events describe it. */
export interface Product {
  id: string;
  category?: string;
  brand?: string;
  price?: number;
}

/** The events `track` accepts. */
export type TrackedEvent =
  | { type: "product_viewed"; product: Product }
  | {
      type: "product_clicked";
      product: Product;
      widget?: "search" | "recommendations" | "cart";
      position?: number;
    }
  | { type: "added_to_cart"; product: Product; quantity?: number }
  | { type: "removed_from_cart"; product: Product; quantity?: number }
  | { type: "products_searched"; query: string; result_count?: number }
  | {
      type: "product_impression";
      product: Product;
      widget?: "search" | "recommendations" | "cart";
      position?: number;
    }
  | { type: "product_dwell"; product: Product; seconds: number }
  | { type: "list_viewed"; category?: string; list_id?: string }
  | { type: "cart_viewed"; products?: Product[] }
  | { type: "checkout_started"; products?: Product[]; value?: number }
  | {
      type: "order_completed";
      items: { product: Product; quantity?: number }[];
      revenue?: number;
    };

/**
 * Options the wasm core reads; the rest are handled here. The same names, in the same order,
 * as `OPTIONS` in src/web/config.rs (tests/option_lists.rs compares the two).
 */
const CORE_OPTIONS = [
  "syncUrl",
  "syncIntervalMs",
  "firstSyncDelayMs",
  "epsilon",
  "dailyEpsilon",
  "personalWeight",
  "maxPerBrand",
  "diversityDepth",
  "halfLifeDays",
  "storagePrefix",
  "autoCapture",
  "persistDelayMs",
  "retentionDays",
  "consent",
  "honorGlobalPrivacyControl",
  "personalizeWithoutConsent",
  "holdout",
  "retryBaseMs",
  "retryMaxMs",
] as const;

const WRAPPER_OPTIONS = [
  "modelUrl",
  "wasmUrl",
  "rankerUrl",
  "prepareInWorker",
  "dataLayer",
  "strict",
  "onError",
  "onEngagement",
  "debug",
];

/** The wrapper's options that are true or false. */
const WRAPPER_SWITCHES = ["prepareInWorker", "strict", "debug"] as const;

/**
 * The instances running in this page, by storage prefix. A second instance with the same
 * prefix would capture every click and view again into the same profile.
 */
const running = new Map<string, Promise<VitrineHandle>>();

/**
 * Starts Vitrine in this page: tracking first, then the model, then re-ranking.
 * Never rejects; check `active` to know whether it runs. While an instance with the same
 * `storagePrefix` runs (until its `stop()`), another `start` returns that instance's handle
 * and reports `already_started`.
 */
export function start(config: VitrineConfig = {}): Promise<VitrineHandle> {
  const prefix = typeof config.storagePrefix === "string" ? config.storagePrefix : "vitrine";
  const already = running.get(prefix);
  if (already !== undefined) {
    const message = `start: Vitrine already runs in this page with storagePrefix "${prefix}"; `
      + "the running instance is returned (stop() it first to start another)";
    reporter(config.onError)(vitrineError("already_started", message));
    return already;
  }
  const forget = () => {
    if (running.get(prefix) === started) running.delete(prefix);
  };
  const started = startOnce(config, forget).then((handle) => {
    if (!handle.active) forget();
    return handle;
  });
  running.set(prefix, started);
  return started;
}

async function startOnce(config: VitrineConfig, forget: () => void): Promise<VitrineHandle> {
  const timings: Timings = { started: now() };
  const report = reporter(config.onError);
  const log = decisionLog(config.debug);

  if (typeof window === "undefined" || typeof document === "undefined") {
    return inert(timings, "Vitrine runs in a browser page; nothing was started");
  }
  const unknown = Object.keys(config).filter(
    (k) => !(CORE_OPTIONS as readonly string[]).includes(k) && !WRAPPER_OPTIONS.includes(k),
  );
  if (unknown.length > 0) {
    const known = [...CORE_OPTIONS, ...WRAPPER_OPTIONS].join(", ");
    const message = `config: unknown option \`${unknown[0]}\`, expected one of ${known}`;
    report(vitrineError("malformed_input", message));
    return inert(timings);
  }
  const notBoolean = WRAPPER_SWITCHES.find((k) => ![undefined, true, false].includes(config[k]));
  if (notBoolean !== undefined) {
    const got = typeof config[notBoolean];
    const message = `config: \`${notBoolean}\`: expected true or false, got a value of type ${got}`;
    report(vitrineError("malformed_input", message));
    return inert(timings);
  }

  // The model runtime and the model are asked for once the core is up, not beside it: on two
  // cores the ranker's 3.2 MB competed with the core's files, and tracking was ready 112 ms
  // after start instead of 65, for no gain to the model (ready at 222 vs 219 ms; 10 cold
  // loads each, interleaved). A failure is reported once, below; no core, no model.
  const modelUrl = config.modelUrl;
  let tracking = (_ready: boolean) => {};
  const trackingReady = new Promise<boolean>((resolve) => (tracking = resolve));
  const stopping: Stopping = { stopped: false, ends: [] };
  const model = modelUrl === undefined
    ? undefined
    : loadCore(config).then(() => loadModel(config, modelUrl, log, trackingReady, stopping));
  model?.catch(() => {});

  let core: Core;
  try {
    const wasm = await loadCore(config);
    const options: Record<string, unknown> = {};
    for (const key of CORE_OPTIONS) {
      if (config[key] !== undefined) options[key] = config[key];
    }
    // Three tasks: compiling the core's last bytes and instantiating it; `open` (the options
    // and the stored records); `begin` (capture, the page's first scan, sync). The first call
    // of most of the core's functions is in the last two, and the browser compiles each
    // then. As one task they were over 50 ms in 8 of 15 cold loads with the main thread
    // slowed 2.5 times (CDP CPU throttling); tracking is ready no later for the split.
    await nextTask();
    core = wasm.Vitrine.open(options, (e: unknown) => report(asVitrineError(e)));
    await nextTask();
    core.begin();
  } catch (e) {
    const error = asVitrineError(e, "wasm_unavailable");
    report(error);
    markAllFallback();
    timings.firstRerank = now();
    tracking(false);
    return inert(timings);
  }
  timings.trackingReady = now();
  tracking(true);
  log?.(`tracking ready ${(timings.trackingReady - timings.started).toFixed(1)} ms after start`);
  // Before the first re-rank, so that the events the page pushed while Vitrine loaded count.
  // Straight to the core: `strict` must not make the page's push throw.
  // Loaded only when asked for: most stores never need it on their start-up path.
  let stopListening = () => {};
  if (config.dataLayer) {
    try {
      const { listenToDataLayer } = await import("./data-layer.js");
      stopListening = listenToDataLayer(
        (event) => core.track(event),
        dataLayerReporter(report),
        config.dataLayer === true ? undefined : config.dataLayer,
      );
    } catch (e) {
      const why = asVitrineError(e).message;
      report(vitrineError("network", `dataLayer: the listener's module did not load (${why})`));
    }
  }
  if (config.onEngagement) {
    try {
      config.onEngagement(core.engagement() as Engagement);
    } catch (e) {
      report(asVitrineError(e));
    }
  }

  const touched = watchInteractions();
  // Watching the page for new widgets is part of auto-capture: a page that turned it off
  // drives Vitrine itself (`rerank`) and pays for no observer.
  const added = rankAddedWidgets(core, report, log, config.autoCapture !== false);
  const ready = loadModelAndRerank(
    core, model, timings, report, log, touched, added, stopping,
  );
  const stop = () => {
    stopping.stopped = true;
    try {
      stopListening();
    } finally {
      added.stop();
      forget();
      for (const end of stopping.ends) end();
    }
  };
  return handle(core, ready, timings, config, report, log, stop, stopping, added);
}

/**
 * A handle's `stop()`: `stopped` once it was called (the handle then records, ranks and sends
 * nothing), and `ends`, called then, what it ends while the model still loads (the warm-up
 * worker, say).
 */
interface Stopping {
  stopped: boolean;
  ends: (() => void)[];
}

async function loadModelAndRerank(
  core: Core,
  model: Promise<Ranker> | undefined,
  timings: Timings,
  report: (e: VitrineError) => void,
  log: DecisionLog,
  touched: Interactions,
  added: AddedWidgets,
  stopping: Stopping,
): Promise<void> {
  try {
    if (model === undefined) {
      log?.("no modelUrl: widgets are ranked by the rule");
    } else {
      const ranker = await model;
      // A handle stopped while the model loaded ranks nothing, as `stop()` says.
      if (stopping.stopped) return touched.stop();
      core.useScorer((rows: Float32Array, scores: Float32Array) =>
        ranker.scoreInto(rows, scores),
      );
      timings.modelReady = now();
      log?.(`model ready ${(timings.modelReady - timings.started).toFixed(1)} ms after start`);
      // Loading the model and ranking the page are two tasks, not one long one.
      await nextTask();
    }
    firstRerank(core, touched.widgets, report, log);
    added.begin("rank");
  } catch (e) {
    if (stopping.stopped) return touched.stop();
    report(asVitrineError(e, "model_runtime"));
    log?.(`model not used (${asVitrineError(e, "model_runtime").code}): server order kept`);
    try {
      core.fallbackAll();
    } catch {
      markAllFallback();
    }
    added.begin("fallback");
  }
  touched.stop();
  timings.firstRerank = now();
  log?.(`first re-rank done ${(timings.firstRerank - timings.started).toFixed(1)} ms after start`);
}

/**
 * The model at `url`, loaded into the model runtime: a second wasm, fetched and compiled
 * beside the model itself, then prepared in a worker (where one can start) and in the page.
 */
async function loadModel(
  config: VitrineConfig,
  url: string,
  log: DecisionLog,
  trackingReady: Promise<boolean>,
  stopping: Stopping,
): Promise<Ranker> {
  const warmUp = config.prepareInWorker === false ? undefined : startWarmUp(trackingReady);
  if (warmUp !== undefined) stopping.ends.push(warmUp.stop);
  try {
    const [{ runtime, module }, bytes] = await Promise.all([
      loadRanker(config),
      fetchModel(url),
    ]);
    // The plan for the longest list the page shows now, so that its first re-rank makes none
    // (a plan for one row went unused on the demo's 48 items).
    const rows = longestWidget();
    if (warmUp !== undefined) {
      const started = now();
      const failed = await warmUp.prepare({ module, model: bytes, rows });
      // Done, failed or late: a worker still at it would only compete with the page now.
      warmUp.stop();
      if (!stopping.stopped) {
        mark("ranker-warmed");
        const took = (now() - started).toFixed(1);
        log?.(failed === undefined
          ? `model prepared in a worker, for lists of ${rows}, in ${took} ms`
          : `model not prepared in a worker (${failed}): preparing on the main thread`);
      }
    }
    // Stopped meanwhile: the page's main thread has better things to do.
    if (stopping.stopped) throw vitrineError("internal", "stopped while the model loaded");
    return await prepareModel(runtime, url, bytes, rows);
  } finally {
    warmUp?.stop();
  }
}

/**
 * The model parsed and prepared by `runtime`, a stage per task: each runs tract code, and on a
 * cold page without the worker's help (`startWarmUp`) the browser compiles it as it goes; all
 * of them in one task blocked the page for 50 to 90 ms.
 */
async function prepareModel(
  runtime: RankerRuntime,
  url: string,
  bytes: Uint8Array,
  rows: number,
): Promise<Ranker> {
  try {
    const ranker = new runtime.Ranker(bytes);
    mark("model-parsed");
    do await nextTask();
    while (!ranker.prepare(rows));
    mark("model-prepared");
    return ranker;
  } catch (e) {
    // The ranker knows what is wrong with the model, not which option brought it.
    const error = asVitrineError(e, "model_runtime");
    throw vitrineError(error.code, `modelUrl: ${url}: ${error.message}`);
  }
}

/** A worker preparing the model once, off the main thread (`ranker-warmup.ts` says why). */
interface WarmUp {
  /**
   * Hands the worker its work; resolves once it is done, with why it failed if it did.
   * Never rejects.
   */
  prepare: (request: WarmUpRequest) => Promise<string | undefined>;
  /** Ends the worker, done or not; again does nothing. */
  stop: () => void;
}

/**
 * Longest wait for the worker. It took 50 ms on the benchmark's cold loads and 100 with the
 * CPU slowed 2.5 times; past this, the page prepares the model itself.
 */
const WARM_UP_TIMEOUT_MS = 3000;

/**
 * The warm-up worker, once per page: the module's code is compiled after the first, and
 * preparing again costs the page little. Started once tracking is ready (`after` resolves
 * true), while the model runtime is still downloaded and compiled: started beside the
 * core, the worker delayed tracking by 10 ms with the CPU slowed 2.5 times (12 cold loads
 * each); started once the module was compiled, the model was ready 15 ms later. Undefined
 * for a second model in the page; where no worker can be had (no `Worker`, a policy's
 * `worker-src`, the SDK served from another origin than the page's), `prepare` says so and
 * the page prepares the model as it would without.
 *
 * One promise settles the wait, by whichever comes first (the answer, the worker's error,
 * the timeout, `stop`), and no method of `Promise` is called on it: a page that replaced
 * `Promise.race` made a good model go unused.
 */
function startWarmUp(after: Promise<boolean>): WarmUp | undefined {
  if (rankerWarmedUp) return undefined;
  rankerWarmedUp = true;
  let ended = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let settle = (_failed?: string) => {};
  const answered = new Promise<string | undefined>((resolve) => (settle = resolve));
  const started = (async () => ((await after) && !ended ? warmUpWorker(settle) : undefined))();
  return {
    prepare: async (request) => {
      const worker = await started;
      if (ended) return "stopped";
      if (worker === undefined) return "no worker could start";
      try {
        worker.postMessage(request);
      } catch (e) {
        return asVitrineError(e).message;
      }
      timer = setTimeout(() => settle(`no answer in ${WARM_UP_TIMEOUT_MS} ms`), WARM_UP_TIMEOUT_MS);
      return answered;
    },
    stop: () => {
      ended = true;
      clearTimeout(timer);
      settle("stopped");
      void (async () => endWorker(await started))();
    },
  };
}

/**
 * A new warm-up worker, whose answer or error goes to `settle`; undefined when none can
 * start. It closes itself once it has answered, whether or not the page can end it.
 */
function warmUpWorker(settle: (failed?: string) => void): Worker | undefined {
  let worker: Worker;
  try {
    worker = new Worker(new URL("./ranker-warmup.js", import.meta.url), { type: "module" });
  } catch {
    return undefined;
  }
  try {
    worker.onmessage = (event: MessageEvent<WarmUpAnswer | null>) => settle(event.data?.failed);
    worker.onerror = (event) => {
      // Not the page's error: the page prepares the model itself instead.
      event.preventDefault();
      settle(event.message || "the worker did not start");
    };
    return worker;
  } catch {
    endWorker(worker);
    return undefined;
  }
}

/** Ends `worker`, if any; a `Worker` the page replaced may not let it. */
function endWorker(worker: Worker | undefined): void {
  try {
    worker?.terminate();
  } catch {
    // Nothing of ours to end: the worker closes itself once it has answered.
  }
}

/** Whether this page has started the warm-up worker: one is enough (`startWarmUp`). */
let rankerWarmedUp = false;

/** The most items the core re-ranks in one widget (`MAX_WIDGET_ITEMS`, `src/web/batch.rs`);
 * a longer widget keeps the server's order. */
const MAX_WIDGET_ITEMS = 2000;

/** The item count of the page's longest widget that the core will rank (its children), at
 * least 1: a plan for a longer one would be made, in the worker and the page, and unused. */
function longestWidget(): number {
  let longest = 1;
  for (const widget of document.querySelectorAll(`[${WIDGET}]`)) {
    const items = widget.querySelectorAll(`:scope > [${ITEM}]`).length;
    if (items <= MAX_WIDGET_ITEMS) longest = Math.max(longest, items);
  }
  return longest;
}

/** The model's bytes from `modelUrl`. */
async function fetchModel(url: string): Promise<Uint8Array> {
  const response = await fetch(url, { credentials: "omit" }).catch((e: unknown) => {
    const why = asVitrineError(e).message;
    throw vitrineError("network", `modelUrl: ${url} could not be fetched (${why})`);
  });
  if (!response.ok) {
    const got = `${url} answered HTTP ${response.status}`;
    throw vitrineError("network", `modelUrl: ${got}, expected 200 and the ONNX model`);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  mark("model-fetched");
  return bytes;
}

/**
 * `load`, run by the first call only: later calls share its promise, whatever their
 * config. A failed load is forgotten, so that a later `start` may retry it.
 */
function oncePerPage<T>(load: (config: VitrineConfig) => Promise<T>) {
  let loading: Promise<T> | undefined;
  return (config: VitrineConfig): Promise<T> => {
    if (loading !== undefined) return loading;
    const attempt = load(config);
    loading = attempt;
    attempt.catch(() => {
      if (loading === attempt) loading = undefined;
    });
    return attempt;
  };
}

/** The core's glue, initialised with its wasm; once per page. */
const loadCore = oncePerPage(async (config) => {
  // The wasm is asked for now, beside the glue: the glue would ask for it only once it and
  // its snippets had arrived, two round trips later. The glue awaits the response and
  // compiles it as it streams in; a failed fetch is reported there, with the URL.
  const wasmUrl = config.wasmUrl ?? defaultWasmUrl();
  const wasmResponse = fetch(wasmUrl);
  wasmResponse.catch(() => {});
  const wasm = await import("./pkg/vitrine.js");
  await wasm.default({ module_or_path: wasmResponse }).catch((e: unknown) => {
    const why = asVitrineError(e).message;
    const message = `wasmUrl: ${String(wasmUrl)} did not load (${why}), expected vitrine_bg.wasm`;
    throw vitrineError("wasm_unavailable", message);
  });
  return wasm;
});

/** The model runtime's glue, instantiated with its module. */
type RankerRuntime = typeof import("./pkg/vitrine_ranker.js");

/** The model runtime's module, compiled off the main thread, and its glue; once per page. */
const loadRanker = oncePerPage(async (config) => {
  const url = config.rankerUrl ?? defaultRankerUrl();
  try {
    const [runtime, module] = await Promise.all([
      import("./pkg/vitrine_ranker.js"),
      compileRanker(url),
    ]);
    await runtime.default({ module_or_path: module });
    mark("ranker-instantiated");
    return { runtime, module };
  } catch (e) {
    const why = asVitrineError(e).message;
    const message = `rankerUrl: ${String(url)} did not load (${why}), `
      + "expected vitrine_ranker_bg.wasm";
    throw vitrineError("wasm_unavailable", message);
  }
});

/**
 * The wasm module at `url`, compiled from its downloaded bytes, off the main thread, whatever
 * type the server says. Not as it streams in: Chromium decodes a streamed module's chunks on
 * the main thread, and for the ranker's 3.2 MB that was the page's longest task, over 50 ms
 * in 5 of 15 cold loads with the main thread slowed 2 times, and in 6 of 120 unslowed on a
 * slow day. Compiled whole, no load had that task, and the model was ready as soon on a cold
 * start when the two were interleaved load by load (175 against 179 ms, the mean of five
 * runs of 20 to 30 loads each). Whole `make bench` runs, one after another, varied more
 * than that: 163 to 236 ms in four compiling whole, 164 to 191 in three streaming.
 * Streaming let the browser keep the compiled code for the next page, where the model is
 * now ready about 9 ms later (54 against 45 ms, 12 loads each).
 */
async function compileRanker(url: string | URL): Promise<WebAssembly.Module> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  mark("ranker-fetched");
  const module = await WebAssembly.compile(await response.arrayBuffer());
  mark("ranker-compiled");
  return module;
}

/** The widgets the shopper touched before the first re-rank, and how to stop watching. */
interface Interactions {
  widgets: WeakSet<Element>;
  stop: () => void;
}

const INTERACTIONS = ["pointerdown", "touchstart", "keydown", "focusin", "wheel"] as const;

/**
 * Watches for the shopper touching a widget (a press, a key, focus or a scroll inside it)
 * until the first re-rank: moving items under a finger or a focused link is worse than not
 * personalizing that widget on this page.
 */
function watchInteractions(): Interactions {
  const widgets = new WeakSet<Element>();
  const onInteraction = (event: Event) => {
    const widget = event.target instanceof Element
      ? event.target.closest(`[${WIDGET}]`)
      : null;
    if (widget !== null) widgets.add(widget);
  };
  const options = { capture: true, passive: true };
  for (const type of INTERACTIONS) document.addEventListener(type, onInteraction, options);
  const stop = () => {
    for (const type of INTERACTIONS) document.removeEventListener(type, onInteraction, options);
  };
  return { widgets, stop };
}

/**
 * Ranking the widgets a page adds later; `begin` once the first re-rank is done, with
 * `"fallback"` when the model failed and the page's widgets kept the server's order.
 */
interface AddedWidgets {
  begin: (as: "rank" | "fallback") => void;
  stop: () => void;
  /** Runs `write`, which moves items, unobserved: Vitrine's own moves add no widget. */
  quietly: <T>(write: () => T) => T;
}

/**
 * Ranks each widget the page adds after the first re-rank (a list fetched late, a new
 * client-side route) in the mutation observer's microtask, which runs before the browser
 * paints it: no one sees it in the server's order, then moving. A widget already marked
 * (`data-vitrine-state`, set by `rerank`, the React hook or `<vitrine-widget>`) is left as it
 * is. Only added widget elements count: items added to a widget already on the page are the
 * page's to re-rank (`rerank`), as Vitrine cannot tell when such a list is complete.
 */
function rankAddedWidgets(
  core: Core,
  report: (e: VitrineError) => void,
  log: DecisionLog,
  enabled: boolean,
): AddedWidgets {
  let observer: MutationObserver | undefined;
  let stopped = false;
  let fallback = false;
  let writing = 0;
  const watch = () => observer?.observe(document.documentElement, WATCHED);
  const serve = (widget: Element) => {
    if (!fallback) {
      rerankOne(core, widget, report, log);
      return;
    }
    markFallback(widget);
    log?.(`${widgetName(widget)} kept the server order: the model could not be used`);
  };
  const rankNew = (records: MutationRecord[]) => {
    for (const record of records) {
      // Items moved or added inside a widget: never a new widget, and many per re-rank.
      if (record.target instanceof Element && record.target.hasAttribute(WIDGET)) continue;
      for (const node of record.addedNodes) {
        if (!(node instanceof Element)) continue;
        const widgets = node.firstElementChild
          ? [...node.querySelectorAll(`[${WIDGET}]`)]
          : [];
        if (node.hasAttribute(WIDGET)) widgets.unshift(node);
        for (const widget of widgets) {
          if (widget.isConnected && !widget.hasAttribute(STATE)) serve(widget);
        }
      }
    }
  };
  return {
    begin(as) {
      if (!enabled || stopped || typeof MutationObserver === "undefined") return;
      fallback = as === "fallback";
      observer = new MutationObserver(rankNew);
      watch();
    },
    stop() {
      stopped = true;
      observer?.disconnect();
      observer = undefined;
    },
    quietly(write) {
      // Nested (an `onError` hook that ranks): the outer call reconnects.
      if (!observer || writing > 0) return write();
      // Nothing is recorded while Vitrine writes, so that moving a hundred items costs no
      // hundred records. The page's own changes before it still count, after the write:
      // a widget the page added and then asked to rank is ranked once.
      const before = observer.takeRecords();
      observer.disconnect();
      writing += 1;
      try {
        return write();
      } finally {
        writing -= 1;
        watch();
        rankNew(before);
      }
    },
  };
}

const WATCHED: MutationObserverInit = { childList: true, subtree: true };

/**
 * The re-rank once the model is ready: every widget but those the shopper already touched,
 * which keep the server's order and are marked `fallback` (a holdout shopper's are served
 * as usual, since the holdout moves nothing).
 */
function firstRerank(
  core: Core,
  touched: WeakSet<Element>,
  report: (e: VitrineError) => void,
  log: DecisionLog,
): void {
  const widgets = [...document.querySelectorAll(`[${WIDGET}]`)];
  if (core.arm === "holdout" || !widgets.some((w) => touched.has(w))) {
    rerankAll(core, report, log);
    return;
  }
  for (const container of widgets) {
    if (touched.has(container)) {
      markFallback(container);
      log?.(`${widgetName(container)} kept the server order: touched before ranking`);
    } else {
      rerankOne(core, container, report, log);
    }
  }
}

/**
 * The core's `rerankAll`, or with `debug` the same walk done here, one widget at a time, so
 * each decision can be logged.
 */
function rerankAll(core: Core, report: (e: VitrineError) => void, log: DecisionLog): number {
  if (!log) return core.rerankAll();
  let ranked = 0;
  for (const container of document.querySelectorAll(`[${WIDGET}]`)) {
    if (rerankOne(core, container, report, log) !== null) ranked += 1;
  }
  return ranked;
}

function rerankOne(
  core: Core,
  container: Element,
  report: (e: VitrineError) => void,
  log: DecisionLog,
): Explanation[] | null {
  const begun = now();
  try {
    const explanations = core.rerank(container) as Explanation[];
    logRanking(log, core, container, explanations, now() - begun);
    return explanations;
  } catch (e) {
    const error = asVitrineError(e);
    report(error);
    logFallback(log, container, error);
    return null;
  }
}

function handle(
  core: Core,
  ready: Promise<void>,
  timings: Timings,
  config: VitrineConfig,
  report: (e: VitrineError) => void,
  log: DecisionLog,
  stopListening: () => void,
  stopping: Stopping,
  added: AddedWidgets,
): VitrineHandle {
  // Every call goes through `guard`: whatever the core throws, the page gets a report.
  const guard = <T>(fallback: T, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      report(asVitrineError(e));
      return fallback;
    }
  };
  // After `stop` (`stopListening` sets `stopping.stopped`), what would record, rank or send
  // does nothing, as on an inert handle.
  const unlessStopped = <T>(fallback: T, f: () => T): T =>
    stopping.stopped ? fallback : guard(fallback, f);
  return {
    get active() {
      return !stopping.stopped;
    },
    ready,
    timings,
    track(event) {
      if (stopping.stopped) return false;
      try {
        core.track(event);
        return true;
      } catch (e) {
        const error = asVitrineError(e);
        if (config.strict) throw error;
        report(error);
        return false;
      }
    },
    rerank: (container) =>
      unlessStopped(null, () => added.quietly(() => rerankOne(core, container, report, log))),
    rerankAll: () => unlessStopped(0, () => added.quietly(() => rerankAll(core, report, log))),
    scan: () => unlessStopped(undefined, () => core.scan()),
    profile: () => guard(null, () => core.profile()),
    describeProfile: () => guard([], () => core.describeProfile()),
    engagement: () => guard(null, () => core.engagement() as Engagement),
    sync: async () => {
      if (stopping.stopped) return false;
      try {
        return await core.sync();
      } catch (e) {
        report(asVitrineError(e, "network"));
        return false;
      }
    },
    flush: () => guard(undefined, () => core.flush()),
    erase: () => guard(undefined, () => core.erase()),
    pause: () => guard(undefined, () => added.quietly(() => core.pause())),
    resume: () =>
      guard(undefined, () => {
        core.resume();
        if (!stopping.stopped) added.quietly(() => core.rerankAll());
      }),
    get paused() {
      return guard(false, () => core.paused);
    },
    ledger: () => guard([], () => core.ledger() as LedgerEntry[]),
    grantConsent: () => guard(undefined, () => core.grantConsent()),
    revokeConsent: () => guard(undefined, () => core.revokeConsent()),
    consent: () => guard(null, () => core.consent() as ConsentState),
    segment: () => guard(null, () => core.segment()),
    get arm() {
      return guard(null, () => core.arm as "personalized" | "holdout");
    },
    exportData: () => guard(null, () => core.exportData() as VitrineExport),
    stop: () =>
      guard(undefined, () => {
        stopListening();
        core.stop();
      }),
  };
}

function inert(timings: Timings, reason?: string): VitrineHandle {
  if (reason) console.warn(`vitrine: ${reason}`);
  return {
    active: false,
    ready: Promise.resolve(),
    timings,
    track: () => false,
    rerank: () => null,
    rerankAll: () => 0,
    scan: () => {},
    profile: () => null,
    describeProfile: () => [],
    engagement: () => null,
    sync: async () => false,
    flush: () => {},
    erase: () => {},
    pause: () => {},
    resume: () => {},
    paused: false,
    ledger: () => [],
    grantConsent: () => {},
    revokeConsent: () => {},
    consent: () => null,
    segment: () => null,
    arm: null,
    exportData: () => null,
    stop: () => {},
  };
}

function reporter(hook: VitrineConfig["onError"]): (e: VitrineError) => void {
  return (error) => {
    console.warn(`vitrine: [${error.code}] ${error.message}`);
    if (!hook) return;
    try {
      hook(error);
    } catch {
      console.warn("vitrine: the onError hook threw");
    }
  };
}

/** The dataLayer listener's failures, as errors that name the option and the GA4 event. */
function dataLayerReporter(report: (e: VitrineError) => void): DataLayerReport {
  return (cause, event) => {
    const error = asVitrineError(cause, "malformed_input");
    const source = event === undefined ? "dataLayer" : `dataLayer: ${event}`;
    report(vitrineError(error.code, `${source}: ${error.message}`));
  };
}

/** Without wasm, widgets still get their documented state. */
function markAllFallback(): void {
  if (typeof document === "undefined") return;
  for (const widget of document.querySelectorAll(`[${WIDGET}]`)) markFallback(widget);
}

/** Marks `widget` as keeping the server's order, which it shows as the page rendered it. */
function markFallback(widget: Element): void {
  widget.setAttribute(STATE, "fallback");
}

function vitrineError(code: string, message: string): VitrineError {
  const error = new Error(message) as VitrineError;
  error.name = "VitrineError";
  error.code = code;
  return error;
}

function asVitrineError(e: unknown, code = "internal"): VitrineError {
  if (e instanceof Error && (e as Partial<VitrineError>).code !== undefined) {
    return e as VitrineError;
  }
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return vitrineError(code, message);
}

function defaultWasmUrl(): URL {
  return new URL("./pkg/vitrine_bg.wasm", import.meta.url);
}

/** Beside this module, by content hash: a server may cache it for good. */
function defaultRankerUrl(): URL {
  // A literal first argument, so that bundlers still see and emit the asset.
  const url = new URL("./pkg/vitrine_ranker_bg.wasm", import.meta.url);
  url.searchParams.set("v", RANKER_VERSION);
  return url;
}

/**
 * A user-timing mark `vitrine:<name>` (the browser's performance panel shows them): the
 * steps of loading the model, which `timings` sums up as `modelReady`.
 */
function mark(name: string): void {
  try {
    performance.mark(`vitrine:${name}`);
  } catch {
    // No user timing here: a measurement aid, never worth an error.
  }
}

/**
 * Resolves in a later task, so that the browser may paint and handle input in between:
 * `scheduler.yield()` where the browser has it, which resumes ahead of other queued tasks
 * and without the clamp of nested timers; `setTimeout` elsewhere.
 */
function nextTask(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (typeof scheduler?.yield === "function") return scheduler.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function now(): number {
  return typeof performance !== "undefined" ? performance.now() : 0;
}
