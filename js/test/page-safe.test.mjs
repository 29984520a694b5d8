// The core's JSON writer for the page's values (`src/page_safe.js`, a snippet of the core's
// glue), on what a page's own code may throw while its object is read. The core turns a
// `VitrineFieldError` into "`path`: message" and anything else into "not serializable".
import assert from "node:assert/strict";
import { test } from "node:test";

import { vitrineStringify } from "../../src/page_safe.js";

/** What `vitrineStringify(value)` threw. */
function thrownBy(value) {
  try {
    vitrineStringify(value);
  } catch (e) {
    return e;
  }
  assert.fail("expected a throw");
}

test("a getter or toJSON that throws is named, with what it threw", () => {
  // A revoked proxy throws as its `toJSON` is looked up: that read is the field's.
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  assert.equal(thrownBy({ p: proxy }).path, "p");
  const getter = thrownBy({ items: [{ id: "1" }, { get price() { throw new Error("later"); } }] });
  assert.equal(getter.name, "VitrineFieldError");
  assert.equal(getter.path, "items[1].price");
  assert.equal(getter.message, "reading it threw (later)");
  const toJson = thrownBy({ product: { when: { toJSON() { throw "not now"; } } } });
  assert.equal(toJson.path, "product.when");
  assert.equal(toJson.message, "reading it threw (not now)");
  const root = thrownBy({ toJSON() { throw new Error(); } });
  assert.equal(root.path, "", "the value itself: the core names it by its own field");
  assert.equal(root.message, "reading it threw (a thrown value of type object)");
});

test("the field named is the one whose second reading threw, with that message", () => {
  let reads = 0;
  const once = { get x() { if (reads++ === 0) throw new Error("first"); return 1; } };
  const error = thrownBy({ a: once, b: { get y() { throw new Error("always"); } } });
  assert.equal(error.path, "b.y");
  assert.equal(error.message, "reading it threw (always)");
  // Thrown once only: nothing to name, and stringify's own error stands.
  reads = 0;
  assert.equal(thrownBy({ a: once }).message, "first");
});

test("where the walk cannot follow stringify, stringify's own error stands", () => {
  let deep = {};
  const top = deep;
  for (let i = 0; i < 20000; i++) deep = deep.d = {};
  const tooDeep = thrownBy({ top, b: { get y() { throw new Error("b"); } } });
  assert.equal(tooDeep.name, "RangeError", "the stack ran out in `top`, not at `b.y`");

  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  assert.equal(thrownBy({ get x() { throw proxy; } }), proxy, "even an unreadable thrown value");
  const badLength = { valueOf: () => { throw 1; } };
  const holey = new Proxy([], { get: (t, k) => (k === "length" ? badLength : t[k]) });
  assert.equal(thrownBy({ holey }), 1, "a list whose length throws is no field");

  const keys = Object.keys;
  Object.keys = () => { throw new Error("replaced by the page"); };
  try {
    assert.equal(thrownBy({ a: { get x() { throw new Error("x"); } } }).message, "x");
  } finally {
    Object.keys = keys;
  }
});

test("what JSON cannot hold is still named by stringify's own pass", () => {
  assert.equal(thrownBy({ a: { price: 10n } }).path, "a.price");
  const looped = { id: "1" };
  looped.self = looped;
  assert.equal(thrownBy({ looped }).path, "looped.self");
  assert.equal(vitrineStringify({ n: NaN, list: [1, "two"] }), '{"n":"NaN","list":[1,"two"]}');
});
