#!/usr/bin/env python3
"""Derive the demo store's catalogue from the REES46 event log.

Usage: python3 derive.py [EVENTS_CSV] [OUT_CSV]

Defaults: the shared data copy of ``2019-10-01-sessions.csv`` and ``products.csv`` beside
this script. Standard library only (Python 3.11). The output is deterministic: the same
input always gives the same bytes, so a re-run shows no diff.

One row per product: ``product_id, category_code, brand, price, name, popularity``.

- ``category_code`` is the source's code, or its ``category_id`` where the code is empty
  (the same rule the SDK's DOM contract uses for ``data-vitrine-category``).
- ``price`` is the product's price in this window (the source has one per product).
- ``name`` is made up, since the source has none: brand + the last part of the category
  code + a short model number from the product id, lengthened until every name is unique.
- ``popularity`` is the number of events (views, carts, purchases) on the product.
"""

import csv
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_EVENTS = HERE.parents[2] / "shared/data/rees46/2019-10-01-sessions.csv"
DEFAULT_OUT = HERE / "products.csv"
COLUMNS = ["product_id", "category_code", "brand", "price", "name", "popularity"]


def read_products(events_path):
    """Returns ({product_id: first row seen}, Counter of events per product)."""
    first = {}
    events = Counter()
    with open(events_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            pid = row["product_id"]
            events[pid] += 1
            seen = first.setdefault(pid, row)
            # The README promises one price and one category per product; say so if not.
            for field in ("price", "category_id", "category_code", "brand"):
                if seen[field] != row[field]:
                    raise SystemExit(f"product {pid}: {field} changes from "
                                     f"{seen[field]!r} to {row[field]!r}")
    return first, events


def display_brand(brand):
    """'apple' -> 'Apple'; short brands are usually initialisms: 'lg' -> 'LG'."""
    if len(brand) <= 3:
        return brand.upper()
    return "-".join(part[:1].upper() + part[1:] for part in brand.split("-"))


def kind(category_code):
    """The readable leaf of a category code: 'appliances.kitchen.washer' -> 'washer'."""
    if not category_code:
        return "item"
    return category_code.rsplit(".", 1)[-1].replace("_", " ")


def base_name(row):
    brand = display_brand(row["brand"]) if row["brand"] else ""
    leaf = kind(row["category_code"])
    return f"{brand} {leaf}" if brand else leaf[:1].upper() + leaf[1:]


def unique_names(rows):
    """Appends the shortest product-id suffix (at least 4 digits) that makes names unique."""
    names = {}
    assigned = set()
    for digits in range(4, 12):
        taken = Counter(f"{base_name(r)} {r['product_id'][-digits:]}"
                        for r in rows if r["product_id"] not in names)
        for r in rows:
            pid = r["product_id"]
            if pid in names:
                continue
            candidate = f"{base_name(r)} {pid[-digits:]}"
            if taken[candidate] == 1 and candidate not in assigned:
                names[pid] = candidate
                assigned.add(candidate)
        if len(names) == len(rows):
            return names
    # Product ids are unique, so the full id always separates two products.
    raise AssertionError("invariant: full product ids make names unique")


def main(argv):
    events_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_EVENTS
    out_path = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    first, events = read_products(events_path)

    rows = sorted(first.values(), key=lambda r: int(r["product_id"]))
    names = unique_names(rows)

    with open(out_path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(COLUMNS)
        for r in rows:
            pid = r["product_id"]
            out.writerow([
                pid,
                r["category_code"] or r["category_id"],
                r["brand"],
                f"{float(r['price']):.2f}",
                names[pid],
                events[pid],
            ])
    print(f"wrote {len(rows)} products to {out_path}")


if __name__ == "__main__":
    main(sys.argv)
