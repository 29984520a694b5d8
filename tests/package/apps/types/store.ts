// Type-checked only, never run: what a TypeScript store writes against the three entry
// points. Each `@ts-expect-error` must stay an error, so the declarations cannot decay to
// `any` unnoticed.
import { fromGa4, start, type TrackedEvent, type VitrineError } from "vitrine";
import { defineVitrineWidget, type VitrineWidgetElement } from "vitrine/element";
import { useRankedWidget, useVitrine } from "vitrine/react";

export async function run(): Promise<number> {
  const vitrine = await start({
    modelUrl: "/models/ranker.onnx",
    debug: true,
    onError: (error: VitrineError) => console.warn(error.code),
  });
  const accepted: boolean = vitrine.track({ type: "added_to_cart", product: { id: "1" } });
  // @ts-expect-error: not an event type
  vitrine.track({ type: "teleported" });
  // @ts-expect-error: not an option
  await start({ colour: "red" });
  const events: TrackedEvent[] = fromGa4("view_item", { items: [{ item_id: "1" }] });
  defineVitrineWidget(vitrine);
  const widget = document.querySelector("vitrine-widget") as VitrineWidgetElement | null;
  const explanations = await widget?.rerank();
  return (accepted ? 1 : 0) + events.length + (explanations?.length ?? 0);
}

export function useStore(): unknown {
  const vitrine = useVitrine({ modelUrl: "/models/ranker.onnx" });
  return useRankedWidget<HTMLUListElement>(vitrine, []);
}
