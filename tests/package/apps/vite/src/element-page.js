// The web component: registered with the promise `start` returns, before it settles.
import { start } from "vitrine";
import { defineVitrineWidget } from "vitrine/element";

import { onError, report } from "./catalogue.js";

const vitrine = start({ onError, autoCapture: false, holdout: 0 });
defineVitrineWidget(vitrine);
report.active = (await vitrine).active;

// A widget added after Vitrine is ready: only the element itself can rank this one.
await (await vitrine).ready;
const late = document.createElement("vitrine-widget");
late.id = "late";
late.setAttribute("kind", "search");
for (const [rank, id] of ["12703498", "1005115"].entries()) {
  const item = document.createElement("article");
  item.setAttribute("data-vitrine-item", id);
  item.setAttribute("data-vitrine-rank", String(rank));
  late.append(item);
}
document.body.append(late);
