// listenToDataLayer against the two shapes pages push GA4 events in, GTM's and gtag.js's, and
// against what the page's push must keep: its result, its exceptions and GTM's own wrapper.
import assert from "node:assert/strict";
import { test } from "node:test";

import { listenToDataLayer } from "../dist/data-layer.js";

const phone = { item_id: "1004237", item_name: "iPhone", item_brand: "apple",
  item_category: "electronics", item_category2: "smartphone", price: 1081.98, quantity: 1 };
const buds = { item_id: "4804056", item_category: "electronics", price: 160.57, quantity: 2 };
const phoneProduct = { id: "1004237", category: "electronics.smartphone", brand: "apple",
  price: 1081.98 };
const budsProduct = { id: "4804056", category: "electronics", price: 160.57 };

/** What gtag.js pushes for `gtag(...args)`: its own `arguments` object, not an array. */
function gtagCommand(...args) {
  return (function () {
    return arguments;
  })(...args);
}

/** A listener on `layer`, with what it tracked and what it reported. */
function listen(layer, track = () => {}) {
  const tracked = [];
  const reported = [];
  const stop = listenToDataLayer(
    (event) => {
      track(event);
      tracked.push(event);
    },
    (error, event) => reported.push({ error, event }),
    layer,
  );
  return { tracked, reported, stop };
}

test("entries already in the dataLayer are taken when listening starts", () => {
  const layer = [
    { "gtm.start": 1718000000000, event: "gtm.js" },
    { event: "view_item", ecommerce: { currency: "EUR", value: 1081.98, items: [phone] } },
  ];
  const { tracked, reported } = listen(layer);
  assert.deepEqual(tracked, [{ type: "product_viewed", product: phoneProduct }]);
  assert.deepEqual(reported, []);
  assert.equal(layer.length, 2, "replaying leaves the array as it was");
});

test("later pushes are taken as they come, every entry of a push", () => {
  const layer = [];
  const { tracked } = listen(layer);
  layer.push({ event: "add_to_cart", ecommerce: { items: [phone, buds] } });
  assert.deepEqual(tracked, [
    { type: "added_to_cart", product: phoneProduct, quantity: 1 },
    { type: "added_to_cart", product: budsProduct, quantity: 2 },
  ]);
  layer.push(
    { event: "search", ecommerce: { search_term: "phone" } },
    { event: "purchase", ecommerce: { transaction_id: "T-1", value: 321.14, items: [buds] } },
  );
  assert.deepEqual(tracked.slice(2), [
    { type: "products_searched", query: "phone" },
    { type: "order_completed", revenue: 321.14,
      items: [{ product: budsProduct, quantity: 2 }] },
  ]);
  assert.equal(layer.length, 3);
});

test("gtag.js's arguments objects are read as [\"event\", name, params]", () => {
  const layer = [gtagCommand("js", new Date()), gtagCommand("config", "G-TEST")];
  layer.push(gtagCommand("event", "view_item", { items: [phone] }));
  const { tracked, reported } = listen(layer);
  layer.push(gtagCommand("event", "add_to_cart", { currency: "EUR", items: [buds] }));
  layer.push(gtagCommand("event", "page_view"), gtagCommand("set", { currency: "EUR" }));
  // A plain array is a GTM command, not a gtag call: gtag.js itself pushes `arguments`.
  layer.push(["event", "add_to_cart", { items: [phone] }]);
  assert.deepEqual(tracked, [
    { type: "product_viewed", product: phoneProduct },
    { type: "added_to_cart", product: budsProduct, quantity: 2 },
  ]);
  assert.deepEqual(reported, []);
});

test("GTM's { ecommerce: null } clearing pushes are passed over", () => {
  const layer = [{ ecommerce: null }];
  const { tracked, reported } = listen(layer);
  layer.push({ ecommerce: null });
  // Read as params, a null would still make an order or a cart of nothing.
  layer.push({ event: "purchase", ecommerce: null }, { event: "view_cart", ecommerce: null });
  layer.push({ ecommerce: null }, { event: "view_item", ecommerce: { items: [phone] } });
  assert.deepEqual(tracked, [{ type: "product_viewed", product: phoneProduct }]);
  assert.deepEqual(reported, []);
});

test("entries that are not GA4 e-commerce events are passed over without a report", () => {
  const layer = [];
  const { tracked, reported } = listen(layer);
  layer.push({ event: "page_view", page_location: "/p/1004237" });
  layer.push({ event: "gtm.click", "gtm.element": {} }, { pageType: "product" });
  layer.push("a string", 42, null, undefined, () => {});
  // Known to GA4 but not mapped (see docs/migrating-from-segment-and-ga4.md).
  layer.push({ event: "refund", ecommerce: { items: [phone] } });
  // GA4 names without GTM's `ecommerce` object, and Universal Analytics' shape.
  layer.push({ event: "add_to_cart", items: [phone] });
  layer.push({ event: "addToCart", ecommerce: { add: { products: [{ id: "1004237" }] } } });
  assert.deepEqual(tracked, []);
  assert.deepEqual(reported, []);
  assert.equal(layer.length, 11);
});

test("an entry that cannot be read is reported, and the page's push goes on", () => {
  const layer = [];
  const { tracked, reported } = listen(layer);
  const unreadable = {
    get item_id() {
      throw new TypeError("the page's getter failed");
    },
  };
  assert.equal(layer.push({ event: "add_to_cart", ecommerce: { items: [unreadable] } }), 1);
  assert.deepEqual(tracked, []);
  assert.equal(reported.length, 1);
  assert.equal(reported[0].event, "add_to_cart");
  assert.equal(reported[0].error.code, "malformed_input");
  assert.match(reported[0].error.message, /could not be read \(TypeError: the page's getter/);
});

test("an item `track` refuses is reported; the other items of the entry are still taken", () => {
  const layer = [];
  const refusal = Object.assign(new Error("invalid `product.price`: expected a finite, "
    + "non-negative number, got -3"), { code: "invalid_field" });
  const { tracked, reported } = listen(layer, (event) => {
    if (event.product.price < 0) throw refusal;
  });
  const items = [{ item_id: "1", price: -3 }, { item_id: "2", price: 3 }];
  assert.equal(layer.push({ event: "view_item", ecommerce: { items } }), 1);
  assert.deepEqual(tracked, [{ type: "product_viewed", product: { id: "2", price: 3 } }]);
  assert.deepEqual(reported, [{ error: refusal, event: "view_item" }]);
});

test("a reporter that throws does not reach the page's push", () => {
  const layer = [];
  listenToDataLayer(
    () => {
      throw new Error("refused");
    },
    () => {
      throw new Error("the reporter failed too");
    },
    layer,
  );
  assert.equal(layer.push({ event: "view_item", ecommerce: { items: [phone] } }), 1);
  assert.equal(layer.length, 1);
});

test("a dataLayer that is not an array is reported, and nothing is listened to", () => {
  const reported = [];
  const stop = listenToDataLayer(() => {}, (error, event) => reported.push({ error, event }),
    "dataLayer");
  assert.equal(reported.length, 1);
  assert.equal(reported[0].event, undefined);
  assert.equal(reported[0].error.code, "malformed_input");
  assert.equal(reported[0].error.message, "expected an array, got string");
  stop();
});

test("the push found keeps its result, its `this` and its exceptions", () => {
  const layer = [];
  const { tracked } = listen(layer);
  assert.equal(layer.push({ a: 1 }, { b: 2 }), 2, "Array's push returns the new length");

  // A page (or a tag manager) whose own push returns something else, and sometimes throws.
  const own = [];
  const calls = [];
  own.push = function (...entries) {
    calls.push(this);
    if (entries.some((e) => e === "boom")) throw new RangeError("the page's push failed");
    Array.prototype.push.apply(this, entries);
    return "the page's result";
  };
  const { tracked: ownTracked } = listen(own);
  const entry = { event: "view_item", ecommerce: { items: [phone] } };
  assert.equal(own.push(entry), "the page's result");
  assert.equal(calls[0], own);
  assert.throws(() => own.push({ event: "add_to_cart", ecommerce: { items: [phone] } }, "boom"),
    RangeError);
  assert.deepEqual(ownTracked, [{ type: "product_viewed", product: phoneProduct }],
    "nothing is read from a push that threw");
  assert.deepEqual(tracked, []);
});

test("stopping puts Array's push back, and later pushes are not taken", () => {
  const layer = [];
  const { tracked, stop } = listen(layer);
  assert.ok(Object.hasOwn(layer, "push"));
  stop();
  assert.ok(!Object.hasOwn(layer, "push"), "the array inherits push again");
  assert.equal(layer.push, Array.prototype.push);
  layer.push({ event: "view_item", ecommerce: { items: [phone] } });
  assert.deepEqual(tracked, []);
  stop();
  assert.equal(layer.push, Array.prototype.push, "stopping twice changes nothing");
});

test("Vitrine after GTM: both see each push, and stopping puts GTM's push back", () => {
  const layer = [];
  const gtm = gtmWrap(layer);
  const gtmPush = layer.push;
  const { tracked, stop } = listen(layer);
  assert.equal(layer.push({ event: "view_item", ecommerce: { items: [phone] } }), "gtm");
  assert.equal(gtm.seen.length, 1);
  assert.equal(tracked.length, 1);
  stop();
  assert.equal(layer.push, gtmPush);
  layer.push({ event: "view_item", ecommerce: { items: [buds] } });
  assert.equal(gtm.seen.length, 2);
  assert.equal(tracked.length, 1);
  assert.equal(layer.length, 2);
});

test("GTM after Vitrine: its push still reaches ours; stopped, ours only passes on", () => {
  const layer = [];
  const { tracked, stop } = listen(layer);
  const gtm = gtmWrap(layer);
  const gtmPush = layer.push;
  assert.equal(layer.push({ event: "add_to_cart", ecommerce: { items: [phone] } }), "gtm");
  assert.deepEqual(tracked, [{ type: "added_to_cart", product: phoneProduct, quantity: 1 }]);
  assert.equal(gtm.seen.length, 1);

  stop();
  assert.equal(layer.push, gtmPush, "GTM's push is left where it is");
  assert.equal(layer.push({ event: "add_to_cart", ecommerce: { items: [buds] } }), "gtm");
  assert.equal(gtm.seen.length, 2);
  assert.equal(layer.length, 2, "the entry still reaches the array through ours");
  assert.equal(tracked.length, 1);
});

test("an entry is counted once: pushed twice, or seen again by a second listener", () => {
  const entry = { event: "add_to_cart", ecommerce: { items: [phone] } };
  const command = gtagCommand("event", "view_item", { items: [buds] });
  const layer = [entry];
  const first = listen(layer);
  layer.push(entry);
  layer.push(command, command);
  assert.deepEqual(first.tracked, [
    { type: "added_to_cart", product: phoneProduct, quantity: 1 },
    { type: "product_viewed", product: budsProduct },
  ]);
  assert.equal(layer.length, 4, "the array itself gets every push");

  // A second `start` on the same page replays the array: what the first took is not taken
  // again, what was pushed while nobody listened is.
  first.stop();
  const unseen = { event: "view_item", ecommerce: { items: [phone] } };
  layer.push(unseen);
  const second = listen(layer);
  assert.deepEqual(second.tracked, [{ type: "product_viewed", product: phoneProduct }]);
  layer.push(entry);
  assert.equal(second.tracked.length, 1);
});

test("by default window.dataLayer, made when the page has none yet", () => {
  globalThis.window = {};
  try {
    const tracked = [];
    const stop = listenToDataLayer((event) => tracked.push(event), () => {});
    assert.ok(Array.isArray(window.dataLayer));
    // What the gtag snippet does after Vitrine started: it keeps the array it finds.
    window.dataLayer = window.dataLayer || [];
    window.dataLayer.push(gtagCommand("event", "view_item", { items: [phone] }));
    assert.deepEqual(tracked, [{ type: "product_viewed", product: phoneProduct }]);
    stop();

    const earlier = { event: "view_item", ecommerce: { items: [buds] } };
    globalThis.window = { dataLayer: [earlier] };
    const replayed = [];
    listenToDataLayer((event) => replayed.push(event), () => {});
    assert.deepEqual(replayed, [{ type: "product_viewed", product: budsProduct }]);
  } finally {
    delete globalThis.window;
  }
});

/**
 * Wraps `layer.push` the way a tag manager does: keep the push found, call it, then process
 * the entries; return a value of its own.
 */
function gtmWrap(layer) {
  const seen = [];
  const found = layer.push;
  layer.push = function (...entries) {
    found.apply(layer, entries);
    seen.push(...entries);
    return "gtm";
  };
  return { seen };
}
