// The React hook: the widget is React's, its items rendered after Vitrine is ready, and
// ranked by `useRankedWidget` once they are there.
import { createElement as h, StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { useRankedWidget, useVitrine } from "vitrine/react";

import { itemAttributes, onError, products, report } from "./catalogue.js";

function Recommendations({ vitrine }) {
  // The list arrives after Vitrine has ranked the page once, as data fetched late would:
  // only `useRankedWidget` can rank these items.
  const [items, setItems] = useState([]);
  useEffect(() => {
    if (!vitrine) return;
    let current = true;
    void vitrine.ready.then(() => current && setItems(products));
    return () => {
      current = false;
    };
  }, [vitrine]);
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
  const vitrine = useVitrine({ onError, holdout: 0 });
  useEffect(() => {
    if (vitrine) report.active = vitrine.active;
  }, [vitrine]);
  return h(Recommendations, { vitrine });
}

// Whether the items were ranked before the browser could paint them: read in this
// observer's microtask right after React's commit, by which time layout effects have run
// and passive effects (`useEffect`, painted first) have not.
new MutationObserver((_, observer) => {
  const items = document.querySelectorAll("#recs > [data-vitrine-item]");
  if (items.length === 0) return;
  observer.disconnect();
  report.rankedBeforePaint = [...items].every((i) => i.hasAttribute("data-vitrine-signal"));
}).observe(document.getElementById("root"), { childList: true, subtree: true });

createRoot(document.getElementById("root")).render(h(StrictMode, null, h(App)));
