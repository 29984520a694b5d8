// fromSegment and fromGa4 against the events the two specs document, and what they drop.
import assert from "node:assert/strict";
import { test } from "node:test";

import { fromGa4, fromSegment } from "../dist/index.js";

const phone = { id: "1004237", category: "electronics.smartphone", brand: "apple", price: 1081.98 };

test("Segment's product events map one to one", () => {
  const properties = { product_id: "1004237", sku: "X", category: "electronics.smartphone",
    name: "iPhone", brand: "apple", price: 1081.98, quantity: 2, position: 3 };
  assert.deepEqual(fromSegment("Product Viewed", properties), [
    { type: "product_viewed", product: phone },
  ]);
  assert.deepEqual(fromSegment("Product Clicked", properties), [
    { type: "product_clicked", product: phone, position: 3 },
  ]);
  assert.deepEqual(fromSegment("Product Added", properties), [
    { type: "added_to_cart", product: phone, quantity: 2 },
  ]);
  assert.deepEqual(fromSegment("Product Removed", { product_id: 1004237 }), [
    { type: "removed_from_cart", product: { id: "1004237" } },
  ]);
  assert.deepEqual(fromSegment("Products Searched", { query: "phone" }), [
    { type: "products_searched", query: "phone" },
  ]);
});

test("Segment: sku stands in for product_id; an event without either gives nothing", () => {
  assert.deepEqual(fromSegment("Product Viewed", { sku: "G-32" }), [
    { type: "product_viewed", product: { id: "G-32" } },
  ]);
  assert.deepEqual(fromSegment("Product Viewed", { name: "no id" }), []);
  assert.deepEqual(fromSegment("Products Searched", {}), []);
  assert.deepEqual(fromSegment("Product Viewed", null), []);
});

test("Segment lists, cart, checkout and orders", () => {
  const products = [{ product_id: "1", category: "a.b", price: 5, quantity: 2 }, { sku: "G-2" },
    { name: "no id" }];
  assert.deepEqual(fromSegment("Product List Viewed", { list_id: "sale", category: "a" }), [
    { type: "list_viewed", category: "a", list_id: "sale" },
  ]);
  assert.deepEqual(fromSegment("Product List Viewed", {}), []);
  assert.deepEqual(fromSegment("Cart Viewed", { products }), [
    { type: "cart_viewed", products: [{ id: "1", category: "a.b", price: 5 }, { id: "G-2" }] },
  ]);
  assert.deepEqual(fromSegment("Checkout Started", { products, value: 12 }), [
    { type: "checkout_started", value: 12,
      products: [{ id: "1", category: "a.b", price: 5 }, { id: "G-2" }] },
  ]);
  assert.deepEqual(fromSegment("Order Completed", { products, revenue: 10, total: 12 }), [
    { type: "order_completed", revenue: 10, items: [
      { product: { id: "1", category: "a.b", price: 5 }, quantity: 2 },
      { product: { id: "G-2" } },
    ] },
  ]);
});

test("Segment events without a Vitrine counterpart give nothing", () => {
  for (const name of ["Product List Filtered", "Checkout Step Viewed", "Order Refunded",
    "Promotion Viewed", "Product Added to Wishlist", "Signed Up"]) {
    assert.deepEqual(fromSegment(name, { product_id: "1", products: [{ product_id: "1" }] }), [],
      name);
  }
});

test("GA4: one event per item, the category levels joined into one path", () => {
  const item = { item_id: "1004237", item_name: "iPhone", item_brand: "apple",
    item_category: "electronics", item_category2: "smartphone", price: 1081.98, quantity: 1,
    index: 4 };
  const other = { item_id: 1005115, price: 975.57, quantity: 3 };
  assert.deepEqual(fromGa4("view_item", { currency: "USD", value: 1081.98, items: [item] }), [
    { type: "product_viewed", product: phone },
  ]);
  assert.deepEqual(fromGa4("select_item", { item_list_id: "recs", items: [item] }), [
    { type: "product_clicked", product: phone, position: 4 },
  ]);
  assert.deepEqual(fromGa4("add_to_cart", { items: [item, other] }), [
    { type: "added_to_cart", product: phone, quantity: 1 },
    { type: "added_to_cart", product: { id: "1005115", price: 975.57 }, quantity: 3 },
  ]);
  assert.deepEqual(fromGa4("remove_from_cart", { items: [other] }), [
    { type: "removed_from_cart", product: { id: "1005115", price: 975.57 }, quantity: 3 },
  ]);
  assert.deepEqual(fromGa4("search", { search_term: "phone" }), [
    { type: "products_searched", query: "phone" },
  ]);
});

test("GA4 lists, cart, checkout and purchases", () => {
  const items = [{ item_id: "1", item_category: "a", price: 5, quantity: 2 }, { item_name: "x" }];
  assert.deepEqual(fromGa4("view_item_list", { item_list_id: "recs", items }), [
    { type: "list_viewed", list_id: "recs" },
  ]);
  assert.deepEqual(fromGa4("view_cart", { items }), [
    { type: "cart_viewed", products: [{ id: "1", category: "a", price: 5 }] },
  ]);
  assert.deepEqual(fromGa4("begin_checkout", { items, value: 10 }), [
    { type: "checkout_started", value: 10, products: [{ id: "1", category: "a", price: 5 }] },
  ]);
  assert.deepEqual(fromGa4("purchase", { items, value: 10, currency: "EUR" }), [
    { type: "order_completed", revenue: 10,
      items: [{ product: { id: "1", category: "a", price: 5 }, quantity: 2 }] },
  ]);
});

test("GA4 events without a Vitrine counterpart, or without items, give nothing", () => {
  const items = [{ item_id: "1" }];
  for (const name of ["add_shipping_info", "add_payment_info", "refund", "view_promotion",
    "add_to_wishlist", "page_view"]) {
    assert.deepEqual(fromGa4(name, { items }), [], name);
  }
  assert.deepEqual(fromGa4("view_item", {}), []);
  assert.deepEqual(fromGa4("view_item_list", { items }), []);
  assert.deepEqual(fromGa4("add_to_cart", { items: [{ item_name: "no id" }] }), []);
});
