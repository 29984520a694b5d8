/**
 * `<vitrine-widget>`: a widget container as a custom element, for pages without a framework.
 *
 * ```html
 * <vitrine-widget kind="recommendations">
 *   <article data-vitrine-item="1004237" data-vitrine-rank="0" …>…</article>
 * </vitrine-widget>
 * <script type="module">
 *   import { start } from "vitrine";
 *   import { defineVitrineWidget } from "vitrine/element";
 *   defineVitrineWidget(start({ modelUrl: "/models/ranker.onnx" }));
 * </script>
 * ```
 *
 * The element is the container: its `kind` becomes `data-vitrine-widget`, and its direct
 * children with `data-vitrine-item` are ranked when it is attached and Vitrine is ready, or
 * on `element.rerank()` after its items change. It renders nothing itself and, like any
 * custom element, is `display: inline` unless the page's CSS says otherwise.
 *
 * @module vitrine/element
 */

import type { Explanation, VitrineHandle } from "./index.js";

/** What `<vitrine-widget>` adds to `HTMLElement`. */
export interface VitrineWidgetElement extends HTMLElement {
  /** `search`, `recommendations` or `cart`: the `kind` attribute. */
  kind: string;
  /** Re-ranks the items now; `null` when the server order was kept or Vitrine is not ready. */
  rerank(): Promise<Explanation[] | null>;
}

/**
 * Registers `<vitrine-widget>` (or `tagName`) with the page, ranking through `vitrine`, the
 * handle or the promise `start` returns. Does nothing outside a browser (SSR) or when the tag
 * is already registered.
 */
export function defineVitrineWidget(
  vitrine: VitrineHandle | Promise<VitrineHandle>,
  tagName = "vitrine-widget",
): void {
  // The class is made here, not at the module's top level: `HTMLElement` does not exist in
  // Node, and importing this module during server rendering must not throw.
  if (typeof customElements === "undefined" || customElements.get(tagName)) return;
  const handle = Promise.resolve(vitrine);
  // The handle once it is ready: an element attached from then on ranks at once, before
  // the browser paints it (and before Vitrine's watch for added widgets would rank it too).
  let ready: VitrineHandle | undefined;
  void handle.then(async (running) => {
    await running.ready;
    ready = running;
  });

  class VitrineWidget extends HTMLElement implements VitrineWidgetElement {
    static observedAttributes = ["kind"];

    get kind(): string {
      return this.getAttribute("kind") ?? "";
    }

    set kind(value: string) {
      this.setAttribute("kind", value);
    }

    attributeChangedCallback(): void {
      this.setAttribute("data-vitrine-widget", this.kind);
    }

    connectedCallback(): void {
      this.setAttribute("data-vitrine-widget", this.kind);
      if (ready) ready.rerank(this);
      else void this.rerank();
    }

    async rerank(): Promise<Explanation[] | null> {
      const running = await handle;
      await running.ready;
      return this.isConnected ? running.rerank(this) : null;
    }
  }

  customElements.define(tagName, VitrineWidget);
}
