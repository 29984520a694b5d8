// Five REES46 products, in the server's order, and a view of the first one's category.
export const products = [
  { id: "1307310", category: "computers.notebook", brand: "hp", price: 411.83 },
  { id: "12703498", category: "construction.tools.generator", brand: "huter", price: 254.03 },
  { id: "4804056", category: "electronics.audio.headphone", brand: "apple", price: 160.57 },
  { id: "1005115", category: "electronics.smartphone", brand: "apple", price: 975.57 },
  { id: "1004237", category: "electronics.smartphone", brand: "apple", price: 1081.98 },
];

/** Item attributes, as a store's templates would write them. */
export function itemAttributes(product, rank) {
  return {
    "data-vitrine-item": product.id,
    "data-vitrine-category": product.category,
    "data-vitrine-brand": product.brand,
    "data-vitrine-price": String(product.price),
    "data-vitrine-rank": String(rank),
  };
}

/** What the tests read: whether Vitrine runs, and every error code it reported. */
export const report = { active: null, errors: [] };
window.pageReport = report;
export const onError = (error) => report.errors.push(`${error.code}: ${error.message}`);
