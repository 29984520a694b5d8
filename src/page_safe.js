// The core's conversions between the page's values and text that it stores and sends. Each
// uses the language's own operators (unary `+`, a number added to a string) rather than a
// built-in method that the page's scripts may have replaced: `parseFloat`,
// `Number.prototype.toString`, `Array.prototype.join`, or a `toJSON` put on
// `Array.prototype` or `Object.prototype`, as Prototype.js did. What a replaced method
// returned would otherwise be stored and sent (tests/e2e/hostile.test.mjs).
//
// One file for `src/number.rs` and `src/web/json.rs`: each snippet is one more request as
// the core starts.

/** `text`, a plain decimal already checked by the core, as JavaScript reads a literal. */
export function vitrineReadNumber(text) {
  return +text;
}

/** Each of `numbers` as JavaScript writes it, joined by commas. */
export function vitrineNumberTexts(numbers) {
  let text = "";
  for (let i = 0; i < numbers.length; i++) text += (i > 0 ? "," : "") + numbers[i];
  return text;
}

const builtInToJson = (value) =>
  value.toJSON === (Array.isArray(value) ? Array.prototype : Object.prototype).toJSON;

/** `JSON.stringify(value)`, with `NaN` and the infinities written as strings (so that they
 * are refused at their field instead of turning into `null`), and what the page's object
 * holds written in place of what a built-in prototype's `toJSON` made of it. */
export function vitrineStringify(value) {
  // Only where a prototype has a `toJSON` is each property read a second time (so a getter
  // runs twice).
  const patched = Array.prototype.toJSON !== undefined || Object.prototype.toJSON !== undefined;
  return JSON.stringify(value, function (key, converted) {
    if (patched) {
      const held = this[key];
      if (held !== null && typeof held === "object" && builtInToJson(held)) return held;
    }
    if (converted !== converted) return "NaN";
    if (converted === Infinity) return "Infinity";
    if (converted === -Infinity) return "-Infinity";
    return converted;
  });
}
