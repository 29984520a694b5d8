// The plain API from a bundled app: render the widget, then start Vitrine with the model.
import { start } from "vitrine";

import { itemAttributes, onError, products, report } from "./catalogue.js";

const widget = document.getElementById("recs");
products.forEach((product, rank) => {
  const item = document.createElement("article");
  for (const [name, value] of Object.entries(itemAttributes(product, rank))) {
    item.setAttribute(name, value);
  }
  item.textContent = product.id;
  widget.append(item);
});

// `?debug` logs the SDK's decisions, among them where the model was prepared.
const debug = new URLSearchParams(location.search).has("debug");
const vitrine = await start({ modelUrl: "/ranker.onnx", onError, holdout: 0, debug });
vitrine.track({ type: "product_viewed", product: products[4] });
await vitrine.ready;
report.hasModel = vitrine.timings.modelReady !== undefined;
report.active = vitrine.active;
