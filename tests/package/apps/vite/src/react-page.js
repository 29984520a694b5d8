// The React hook: the widget is React's, rendered after Vitrine started, and re-ranked by
// `useRankedWidget` once the list is there.
import { createElement as h, StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { useRankedWidget, useVitrine } from "vitrine/react";

import { itemAttributes, onError, products, report } from "./catalogue.js";

function Recommendations({ vitrine }) {
  // The list arrives later than Vitrine, as data fetched by the app would.
  const [items, setItems] = useState([]);
  useEffect(() => {
    const timer = setTimeout(() => setItems(products), 50);
    return () => clearTimeout(timer);
  }, []);
  const list = useRankedWidget(vitrine, [items]);
  return h(
    "ul",
    { id: "recs", "data-vitrine-widget": "recommendations", ref: list },
    items.map((product, rank) =>
      h("li", { key: product.id, ...itemAttributes(product, rank) }, product.id),
    ),
  );
}

function App() {
  const vitrine = useVitrine({ onError });
  useEffect(() => {
    if (vitrine) report.active = vitrine.active;
  }, [vitrine]);
  return h(Recommendations, { vitrine });
}

createRoot(document.getElementById("root")).render(h(StrictMode, null, h(App)));
