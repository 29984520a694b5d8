/**
 * React bindings: start Vitrine once for the app, and re-rank a widget React renders.
 *
 * ```jsx
 * const vitrine = useVitrine({ modelUrl: "/models/ranker.onnx" });
 * const list = useRankedWidget(vitrine, [products]);
 * return <ul data-vitrine-widget="recommendations" ref={list}>…</ul>;
 * ```
 *
 * React stays the owner of the items: Vitrine only moves the elements it rendered. After
 * React updates a list, its order is React's again, which is why {@link useRankedWidget}
 * re-ranks after every change of `deps` (a ranking always starts from `data-vitrine-rank`,
 * never from the current order), in a layout effect: before the browser paints the list.
 *
 * @module vitrine/react
 */

import {
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type DependencyList,
  type EffectCallback,
  type RefObject,
} from "react";

import { start, type VitrineConfig, type VitrineHandle } from "./index.js";

/**
 * Starts Vitrine when the component mounts and stops it when it unmounts; `null` until it
 * has started. Call it once, near the app's root, and pass the handle down. `config` is read
 * at mount only: a later change does not restart Vitrine.
 */
export function useVitrine(config: VitrineConfig = {}): VitrineHandle | null {
  const [vitrine, setVitrine] = useState<VitrineHandle | null>(null);
  const configAtMount = useRef(config);

  useEffect(() => {
    // Strict mode mounts, unmounts and mounts again: an instance that finishes starting after
    // its unmount is stopped at once instead of being left listening.
    let unmounted = false;
    let started: VitrineHandle | null = null;
    void start(configAtMount.current).then((handle) => {
      if (unmounted) {
        handle.stop();
        return;
      }
      started = handle;
      setVitrine(handle);
    });
    return () => {
      unmounted = true;
      started?.stop();
      setVitrine(null);
    };
  }, []);

  return vitrine;
}

/**
 * A ref for a widget container (an element with `data-vitrine-widget`): once Vitrine is
 * ready, and again whenever one of `deps` changes, the container is re-ranked.
 */
export function useRankedWidget<T extends Element>(
  vitrine: VitrineHandle | null,
  deps: readonly unknown[] = [],
): RefObject<T | null> {
  const container = useRef<T | null>(null);

  useBeforePaint(() => {
    if (!vitrine) return;
    // Ready already (the first re-rank has happened): rank now, before this render is
    // painted, so the list is never seen in the server's order and then moving.
    if (vitrine.timings.firstRerank !== undefined) {
      if (container.current) vitrine.rerank(container.current);
      return;
    }
    let current = true;
    void vitrine.ready.then(() => {
      if (current && container.current) vitrine.rerank(container.current);
    });
    return () => {
      current = false;
    };
    // `deps` are the caller's: the list's data, whose change means new items to rank.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [vitrine, ...deps]);

  return container;
}

/**
 * `useLayoutEffect`, which runs before the browser paints; on the server, where neither
 * runs, `useEffect`, which React does not warn about there. Chosen per call, not at import:
 * importing this module must read no browser global.
 */
function useBeforePaint(effect: EffectCallback, deps: DependencyList): void {
  // The same hook on every render of one environment, so the rules of hooks hold.
  (typeof document === "undefined" ? useEffect : useLayoutEffect)(effect, deps);
}
