// The demo store's own script.
//
// The Vitrine SDK does all the tracking (views, clicks, add-to-cart from
// `data-vitrine-action`) and re-ranks the widgets by itself. This file only keeps the
// demo's own cart in localStorage, draws it on /cart, and shows the SDK's profile on
// /privacy. Nothing here may break the page: the store works without the SDK.

const CART_KEY = "demo-cart";

/** The demo's cart: an array of `{ id, category, brand, price, name, quantity }`. */
function readCart() {
  try {
    const lines = JSON.parse(localStorage.getItem(CART_KEY) ?? "[]");
    return Array.isArray(lines) ? lines.filter((line) => line && line.id) : [];
  } catch {
    // Unreadable or blocked storage: an empty cart, not a broken page.
    return [];
  }
}

function writeCart(lines) {
  try {
    localStorage.setItem(CART_KEY, JSON.stringify(lines));
  } catch {
    // Storage full or blocked (private mode): the cart just does not persist.
  }
}

/** A product's data attributes, as the page's markup carries them. */
function productOf(element) {
  const data = element.dataset;
  const name = element.querySelector(".product-name")?.textContent?.trim();
  return {
    id: data.vitrineItem,
    category: data.vitrineCategory ?? null,
    brand: data.vitrineBrand ?? null,
    price: data.vitrinePrice === undefined ? null : Number(data.vitrinePrice),
    name: name || `Product ${data.vitrineItem}`,
  };
}

function addToCart(product) {
  const lines = readCart();
  const line = lines.find((l) => l.id === product.id);
  if (line) {
    line.quantity = (Number(line.quantity) || 1) + 1;
  } else {
    lines.push({ ...product, quantity: 1 });
  }
  writeCart(lines);
}

function removeFromCart(id) {
  writeCart(readCart().filter((line) => line.id !== id));
}

function showCartCount() {
  const badge = document.getElementById("cart-count");
  if (!badge) return;
  const count = readCart().reduce((n, line) => n + (Number(line.quantity) || 1), 0);
  badge.textContent = count > 0 ? `(${count})` : "";
}

function formatPrice(price) {
  return typeof price === "number" && Number.isFinite(price)
    ? price.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })
    : "";
}

/** Draws #cart-lines; each line carries the product's attributes, like a product element. */
function renderCart() {
  const list = document.getElementById("cart-lines");
  if (!list) return;
  const lines = readCart();
  const items = lines.map((line) => {
    const item = document.createElement("li");
    item.className = "cart-line";
    item.dataset.vitrineItem = line.id;
    if (line.category) item.dataset.vitrineCategory = line.category;
    if (line.brand) item.dataset.vitrineBrand = line.brand;
    if (typeof line.price === "number") item.dataset.vitrinePrice = line.price.toFixed(2);

    const link = document.createElement("a");
    link.href = `/product/${encodeURIComponent(line.id)}`;
    link.textContent = line.name;
    const details = document.createElement("span");
    details.className = "cart-line-details";
    details.textContent = `× ${Number(line.quantity) || 1} · ${formatPrice(line.price)}`;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.dataset.vitrineAction = "remove-from-cart";
    remove.textContent = "Remove";

    item.append(link, details, remove);
    return item;
  });
  if (items.length === 0) {
    const empty = document.createElement("li");
    empty.className = "cart-empty";
    empty.textContent = "Your cart is empty.";
    items.push(empty);
  }
  list.replaceChildren(...items);
}

function onClick(event) {
  const button = event.target instanceof Element ? event.target.closest("button") : null;
  const action = button?.dataset.vitrineAction;
  const product = button?.closest("[data-vitrine-item]");
  if (!product || (action !== "add-to-cart" && action !== "remove-from-cart")) return;

  if (action === "add-to-cart") {
    addToCart(productOf(product));
    button.textContent = "Added ✓";
    setTimeout(() => (button.textContent = "Add to cart"), 1200);
  } else {
    removeFromCart(product.dataset.vitrineItem);
  }
  // Redraw after this click has reached every listener, the SDK's included, so that it
  // still finds the line it was clicked in.
  setTimeout(() => {
    showCartCount();
    renderCart();
  }, 0);
}

/** On /privacy: the profile in plain words and as stored, the ledger, and the controls. */
function showPrivacy(vitrine) {
  const pre = document.getElementById("vitrine-profile");
  const summary = document.getElementById("vitrine-summary");
  if (pre) {
    pre.textContent = JSON.stringify(vitrine.profile(), null, 2);
  }
  if (summary) {
    const list = document.createElement("ul");
    for (const sentence of vitrine.describeProfile()) {
      const item = document.createElement("li");
      item.textContent = String(sentence);
      list.append(item);
    }
    summary.replaceChildren(list);
  }
  showLedger(vitrine.ledger());
  const pause = document.getElementById("vitrine-pause");
  if (pause) {
    pause.textContent = vitrine.paused ? "Resume personalization" : "Pause personalization";
  }
}

function showLedger(entries) {
  const body = document.querySelector("#vitrine-ledger tbody");
  if (!body) return;
  const rows = entries.map((entry) => {
    const row = document.createElement("tr");
    row.className = "ledger-entry";
    const status = entry.status === undefined ? "" : ` (${entry.status})`;
    const cells = [
      new Date(entry.sent_ms).toLocaleString(),
      entry.transport,
      entry.epsilon_spent.toFixed(3),
      entry.outcome + status,
      JSON.stringify(entry.batch),
    ];
    for (const text of cells) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  });
  if (rows.length === 0) {
    const row = document.createElement("tr");
    const cell = document.createElement("td");
    cell.colSpan = 5;
    cell.textContent = "Nothing yet.";
    row.append(cell);
    rows.push(row);
  }
  body.replaceChildren(...rows);
}

/** Offers the export as a file download: a Blob URL, which the CSP does not restrict. */
function download(data) {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = "vitrine-data.json";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function wirePrivacyControls(vitrine) {
  const status = document.getElementById("vitrine-status");
  const say = (text) => {
    if (status) status.textContent = text;
  };
  const on = (id, handler) => {
    const button = document.getElementById(id);
    if (!button) return;
    button.disabled = false;
    button.addEventListener("click", () => {
      handler();
      showPrivacy(vitrine);
    });
  };
  on("vitrine-export", () => {
    download(vitrine.exportData());
    say("Your data was offered as vitrine-data.json.");
  });
  on("vitrine-pause", () => {
    if (vitrine.paused) {
      vitrine.resume();
      say("Personalization resumed.");
    } else {
      vitrine.pause();
      say("Personalization paused: nothing is recorded or sent, shelves keep the store's order.");
    }
  });
  on("vitrine-erase", () => {
    vitrine.erase();
    say("Everything Vitrine stored in this browser was erased, in every open tab.");
  });
}

document.addEventListener("click", onClick);
showCartCount();
renderCart();

try {
  // A dynamic import, so that a missing or broken SDK is an error caught here rather than
  // one that stops this module (and the demo's cart) from loading at all.
  const { start } = await import("/vitrine/index.js");
  // The SDK already warns on the console; the hook keeps the codes for anyone debugging.
  const errors = [];
  const vitrine = await start({
    modelUrl: "/models/ranker.onnx",
    syncUrl: "/v1/signals",
    onError: (e) => errors.push(e.code),
    // `?vitrine-debug` on any demo URL logs the SDK's decisions to the console.
    debug: new URLSearchParams(location.search).has("vitrine-debug"),
    // Every demo visitor sees personalization unless `?vitrine-holdout=1` puts this browser
    // in the holdout arm (server order, widgets marked `holdout`); a store keeps the
    // default of 0.1.
    holdout: Number(new URLSearchParams(location.search).get("vitrine-holdout") ?? 0),
    // Tests set this before the page loads (an init script) to shorten the sync schedule or
    // choose a consent mode; a real store passes its options here directly.
    ...(window.vitrineDemoOptions ?? {}),
  });
  // Exposed for the browser console and the end-to-end tests: `vitrine.timings`,
  // `vitrine.sync()`, `vitrine.describeProfile()`.
  window.vitrine = vitrine;
  window.vitrineErrors = errors;
  if (document.getElementById("vitrine-profile")) {
    showPrivacy(vitrine);
    wirePrivacyControls(vitrine);
  }
} catch (e) {
  // Without the SDK the store keeps its server order; say why once, quietly.
  console.warn("vitrine: not started:", e?.message ?? e);
}
