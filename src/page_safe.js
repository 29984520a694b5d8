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
 * holds written in place of what a built-in prototype's `toJSON` made of it. What JSON
 * cannot hold (a BigInt, a string with a lone surrogate, an object within itself), or a
 * field whose getter or `toJSON` throws, throws a `VitrineFieldError` whose `path` names
 * where it is, as `items[0].price`. */
export function vitrineStringify(value) {
  try {
    return stringify(value);
  } catch (thrown) {
    throw fieldOf(value, thrown);
  }
}

/** What to throw for `thrown`, which stringify threw: a `VitrineFieldError` as it is; else,
 * where reading the page's object again throws at a field, an error naming that field with
 * what it threw there; else `thrown` itself. Nothing here may lose `thrown`. */
function fieldOf(value, thrown) {
  try {
    if (thrown !== null && typeof thrown === "object" && thrown.name === "VitrineFieldError") {
      return thrown;
    }
    // The page's code threw while its object was read: find which field.
    const found = throwingField(value);
    if (found === undefined) return thrown;
    return fieldError(found.path, "reading it threw (" + messageOf(found.thrown) + ")");
  } catch {
    return thrown;
  }
}

function stringify(value) {
  // Only where a prototype has a `toJSON` is each property read a second time (so a getter
  // runs twice).
  const patched = Array.prototype.toJSON !== undefined || Object.prototype.toJSON !== undefined;
  // The path of each object written so far; the root's holder has none.
  const paths = new Map();
  return JSON.stringify(value, function (key, converted) {
    if (patched) {
      const held = this[key];
      if (held !== null && typeof held === "object" && builtInToJson(held)) converted = held;
    }
    if (converted !== converted) return "NaN";
    if (converted === Infinity) return "Infinity";
    if (converted === -Infinity) return "-Infinity";
    if (typeof converted === "bigint") {
      throw fieldError(pathOf(paths, this, key), "expected a number, got a BigInt");
    }
    if (typeof converted === "string" && !wellFormed(converted)) {
      const why = "expected text, got a string with a lone surrogate";
      throw fieldError(pathOf(paths, this, key), why);
    }
    if (converted !== null && typeof converted === "object") {
      const path = pathOf(paths, this, key);
      const seen = paths.get(converted);
      if (seen !== undefined && within(path, seen)) {
        throw fieldError(path, "holds the object it is in (a cycle)");
      }
      paths.set(converted, path);
    }
    return converted;
  });
}

/** Where reading `value` as `JSON.stringify` does throws: the path of the first property
 * whose getter or `toJSON` throws, in the order stringify reads them, with what it threw;
 * `undefined` when none throws this time, or when the walk cannot follow stringify (too
 * deep, too long, or the page's list or proxy failing otherwise), so that the field named
 * is the one stringify stopped at. Only called once stringify has thrown, so getters run a
 * second time, and the message is that of the second throw, so that the two agree. */
function throwingField(value) {
  const seen = new Set();
  // Far more reads than an event or the options may hold: a list of a billion holes, which
  // stringify itself gives up on, is not walked for seconds.
  let reads = 100000;
  const GIVE_UP = {};
  const walk = (holder, key, path, depth) => {
    // Deeper than stringify goes before its stack runs out: an endless chain of getters is
    // not followed into a path of thousands of names.
    if (--reads < 0 || depth > MAX_DEPTH) return GIVE_UP;
    let read;
    try {
      read = holder[key];
      if (read !== null && typeof read === "object" && typeof read.toJSON === "function"
        && !builtInToJson(read)) {
        read = read.toJSON(key);
      }
    } catch (thrown) {
      return { path, thrown };
    }
    if (read === null || typeof read !== "object" || seen.has(read)) return undefined;
    seen.add(read);
    let array, keys, count;
    try {
      array = Array.isArray(read);
      keys = array ? undefined : Object.keys(read);
      count = array ? +read.length : keys.length;
    } catch {
      // A revoked proxy, a throwing trap, or a page's own `Object.keys`: not a field.
      return GIVE_UP;
    }
    for (let i = 0; i < count; i++) {
      // Keys as stringify passes them to `toJSON`: strings, for a list's items too.
      const child = array ? "" + i : keys[i];
      const found = walk(read, child, childPath(path, child, array), depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const found = walk({ "": value }, "", "", 0);
  return found === GIVE_UP ? undefined : found;
}

/** Nesting the walk above follows, past what an event or the options hold. */
const MAX_DEPTH = 1000;

/** The message of what the page's code threw, as the core describes a thrown value: an
 * error's message, a thrown string, or its type. */
function messageOf(thrown) {
  try {
    const message = thrown !== null && typeof thrown === "object" ? thrown.message : undefined;
    if (typeof message === "string" && message !== "") return message;
    if (typeof thrown === "string") return thrown;
  } catch {
    // A message getter that throws says nothing more than the type below.
  }
  return "a thrown value of type " + typeof thrown;
}

/** The path of `holder[key]`, as `items[0].price`, from `paths` of the objects written so far.
 * Written out only for an object or an error: most values are numbers and short texts, and
 * `track` stringifies every event. */
function pathOf(paths, holder, key) {
  const parent = paths.get(holder);
  return parent === undefined ? "" : childPath(parent, key, Array.isArray(holder));
}

/** The path of field `key` of the value at `parent`: `parent[key]` in a list, else
 * `parent.key` (just `key` at the top). */
function childPath(parent, key, inList) {
  if (inList) return parent + "[" + key + "]";
  return parent === "" ? key : parent + "." + key;
}

// The two checks below index strings rather than call `startsWith` or `isWellFormed`, which
// a page may have replaced: a wrong answer would refuse every event.

/** Whether `path` is `ancestor` or below it. */
function within(path, ancestor) {
  if (path.length < ancestor.length) return false;
  for (let i = 0; i < ancestor.length; i++) if (path[i] !== ancestor[i]) return false;
  const next = path[ancestor.length];
  return ancestor === "" || next === undefined || next === "." || next === "[";
}

/** Whether `text` has no lone surrogate, which no UTF-8 text can hold. */
function wellFormed(text) {
  for (let i = 0; i < text.length; i++) {
    const unit = text[i];
    if (unit < "\ud800" || unit > "\udfff") continue;
    const next = text[i + 1];
    if (unit > "\udbff" || next === undefined || next < "\udc00" || next > "\udfff") return false;
    i++;
  }
  return true;
}

function fieldError(path, message) {
  const error = new TypeError(message);
  error.name = "VitrineFieldError";
  error.path = path;
  return error;
}
