/**
 * For stores that already send Segment or GA4 e-commerce events: the same calls, translated
 * into the events {@link VitrineHandle.track} takes.
 *
 * ```js
 * analytics.on("track", (name, properties) => {
 *   for (const event of fromSegment(name, properties)) vitrine.track(event);
 * });
 * ```
 *
 * Only what maps is translated; every other event gives `[]`. Values are passed on as they
 * are, and `track` validates them, so a bad price still reaches `onError` by name.
 */

import type { Product, TrackedEvent, VitrineHandle } from "./index.js";

type Fields = Record<string, unknown>;

/**
 * Translates one Segment e-commerce event (spec v2: `Product Viewed`, `Product Clicked`,
 * `Product Added`, `Product Removed`, `Products Searched`, `Product List Viewed`,
 * `Cart Viewed`, `Checkout Started`, `Order Completed`). Any other name gives `[]`: list
 * filtering, checkout steps, order updates and refunds, promotions, wishlists and reviews
 * are not supported yet.
 */
export function fromSegment(name: string, properties: unknown): TrackedEvent[] {
  const p = fields(properties);
  switch (name) {
    case "Product Viewed":
      return withProduct(segmentProduct(p), (product) => ({ type: "product_viewed", product }));
    case "Product Clicked":
      return withProduct(segmentProduct(p), (product) => ({
        type: "product_clicked",
        product,
        ...optional("position", p.position),
      }));
    case "Product Added":
      return withProduct(segmentProduct(p), (product) => ({
        type: "added_to_cart",
        product,
        ...optional("quantity", p.quantity),
      }));
    case "Product Removed":
      return withProduct(segmentProduct(p), (product) => ({
        type: "removed_from_cart",
        product,
        ...optional("quantity", p.quantity),
      }));
    case "Products Searched":
      return typeof p.query === "string" ? [{ type: "products_searched", query: p.query }] : [];
    case "Product List Viewed":
      return p.category === undefined && p.list_id === undefined
        ? []
        : [
            {
              type: "list_viewed",
              ...optional("category", p.category),
              ...optional("list_id", p.list_id),
            },
          ];
    case "Cart Viewed":
      return [{ type: "cart_viewed", products: products(p.products, segmentProduct) }];
    case "Checkout Started":
      return [
        {
          type: "checkout_started",
          products: products(p.products, segmentProduct),
          ...optional("value", p.value ?? p.revenue),
        },
      ];
    case "Order Completed":
      return [
        {
          type: "order_completed",
          items: lines(p.products, segmentProduct),
          ...optional("revenue", p.revenue ?? p.total),
        },
      ];
    default:
      return [];
  }
}

/**
 * Translates one GA4 recommended e-commerce event: `view_item`, `select_item`, `add_to_cart`
 * and `remove_from_cart` give one Vitrine event per entry of `items`; `search`,
 * `view_item_list`, `view_cart`, `begin_checkout` and `purchase` give one event. Any other
 * name gives `[]`: shipping and payment steps, `refund`, promotions and wishlists are not
 * supported yet.
 */
export function fromGa4(name: string, params: unknown): TrackedEvent[] {
  const p = fields(params);
  const items = Array.isArray(p.items) ? p.items.map(fields) : [];
  switch (name) {
    case "view_item":
      return items.flatMap((item) =>
        withProduct(ga4Product(item), (product) => ({ type: "product_viewed", product })),
      );
    case "select_item":
      return items.flatMap((item) =>
        withProduct(ga4Product(item), (product) => ({
          type: "product_clicked",
          product,
          ...optional("position", item.index),
        })),
      );
    case "add_to_cart":
    case "remove_from_cart":
      return items.flatMap((item) =>
        withProduct(ga4Product(item), (product) => ({
          type: name === "add_to_cart" ? "added_to_cart" : "removed_from_cart",
          product,
          ...optional("quantity", item.quantity),
        })),
      );
    case "search":
      return typeof p.search_term === "string"
        ? [{ type: "products_searched", query: p.search_term }]
        : [];
    case "view_item_list":
      return p.item_list_id === undefined
        ? []
        : [{ type: "list_viewed", ...optional("list_id", p.item_list_id) }];
    case "view_cart":
      return [{ type: "cart_viewed", products: products(p.items, ga4Product) }];
    case "begin_checkout":
      return [
        {
          type: "checkout_started",
          products: products(p.items, ga4Product),
          ...optional("value", p.value),
        },
      ];
    case "purchase":
      return [
        {
          type: "order_completed",
          items: lines(p.items, ga4Product),
          ...optional("revenue", p.value),
        },
      ];
    default:
      return [];
  }
}

/** The products of a list, skipping entries without an id. */
function products(list: unknown, product: (f: Fields) => Product | null): Product[] {
  return (Array.isArray(list) ? list.map(fields) : [])
    .map(product)
    .filter((p): p is Product => p !== null);
}

/** Order lines: each product with its `quantity`, when the source gives one. */
function lines(
  list: unknown,
  product: (f: Fields) => Product | null,
): { product: Product; quantity?: number }[] {
  return (Array.isArray(list) ? list.map(fields) : []).flatMap((entry) => {
    const p = product(entry);
    return p === null ? [] : [{ product: p, ...optional("quantity", entry.quantity) }];
  });
}

/** Segment names the product `product_id`, and older specs `sku` or `id`. */
function segmentProduct(p: Fields): Product | null {
  const id = p.product_id ?? p.sku ?? p.id;
  if (id === undefined || id === null) return null;
  return {
    id: String(id),
    ...optional("category", p.category),
    ...optional("brand", p.brand),
    ...optional("price", p.price),
  };
}

/**
 * GA4 splits the category path over `item_category` … `item_category5`; Vitrine's category
 * is one dot-separated path (`electronics.smartphone`), whose first segment is the top level.
 */
function ga4Product(item: Fields): Product | null {
  const id = item.item_id;
  if (id === undefined || id === null) return null;
  const levels = ["item_category", "item_category2", "item_category3", "item_category4"]
    .concat("item_category5")
    .map((key) => item[key])
    .filter((level): level is string => typeof level === "string" && level !== "");
  // Concatenated, not `join`ed: the page may have replaced `Array.prototype.join`.
  let category: string | undefined;
  for (const level of levels) category = category === undefined ? level : `${category}.${level}`;
  return {
    id: String(id),
    ...optional("category", category),
    ...optional("brand", item.item_brand),
    ...optional("price", item.price),
  };
}

function withProduct(
  product: Product | null,
  event: (product: Product) => TrackedEvent,
): TrackedEvent[] {
  return product === null ? [] : [event(product)];
}

/**
 * `{ [key]: value }`, or nothing when the source left the value out. The value keeps its
 * type from the source, checked by `track`, hence the cast to what a valid one would be.
 */
function optional(key: string, value: unknown): Record<string, never> {
  return (value === undefined || value === null ? {} : { [key]: value }) as Record<string, never>;
}

function fields(value: unknown): Fields {
  return typeof value === "object" && value !== null ? (value as Fields) : {};
}
