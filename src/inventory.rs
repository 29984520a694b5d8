//! The declared list of everything Vitrine keeps on the device and everything it may send:
//! the source of the privacy audit.
//!
//! The browser layer names its storage keys only through the constants here, and tests hold
//! the declarations to the code both ways: every JSON path of every stored record and of a
//! [`crate::signals::SignalBatch`] must be declared, and every declared path must occur in a
//! fully populated record. `cargo run --bin vitrine-inventory` writes the machine-readable
//! form, `privacy/inventory.json`; a test fails when that file is out of date.
//!
//! Paths name JSON fields: `a.b` is field `b` of object `a`, `a[]` any element of array `a`,
//! and `*` any key of a map whose keys are data (such as category labels).

use serde::Serialize;

/// The version of the inventory's own shape.
pub const INVENTORY_SCHEMA: u32 = 1;

/// Key suffix of the profile: stored as `<storagePrefix>.profile`.
pub const PROFILE_KEY: &str = "profile";
/// Key suffix of the sync state.
pub const OUTBOX_KEY: &str = "outbox";
/// Key suffix of the ledger of sent batches.
pub const LEDGER_KEY: &str = "ledger";
/// Key suffix of the shopper's controls.
pub const CONTROLS_KEY: &str = "controls";
/// Key suffix of the shopper's consent choice.
pub const CONSENT_KEY: &str = "consent";
/// Key suffix of the holdout assignment.
pub const ASSIGNMENT_KEY: &str = "assignment";
/// Key suffix of the write probe.
pub const PROBE_KEY: &str = "probe";

/// One declared JSON field.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Field {
    /// Where it sits, in the path syntax of this module.
    pub path: &'static str,
    /// What it holds and why.
    pub meaning: &'static str,
}

/// One key Vitrine writes on the device.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct StoredKey {
    /// The storage area: always `localStorage` today.
    pub area: &'static str,
    /// The key suffix; the full key is `<storagePrefix>.<key>` (`vitrine.<key>` by default).
    pub key: &'static str,
    /// Why it is kept.
    pub purpose: &'static str,
    /// How long it lives.
    pub retention: &'static str,
    /// Every field of its JSON value.
    pub fields: &'static [Field],
}

/// One kind of request Vitrine sends.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SentMessage {
    /// Method and URL.
    pub endpoint: &'static str,
    /// How it travels.
    pub transport: &'static str,
    /// Why it is sent.
    pub purpose: &'static str,
    /// Every field of its JSON body.
    pub fields: &'static [Field],
}

/// The whole inventory, as `privacy/inventory.json` holds it.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    /// [`INVENTORY_SCHEMA`].
    pub schema: u32,
    /// The default storage prefix.
    pub default_storage_prefix: &'static str,
    /// Keys written on the device.
    pub stored: &'static [StoredKey],
    /// Requests sent.
    pub sent: &'static [SentMessage],
    /// Browser storage Vitrine never touches, stated so that an audit can check it.
    pub never_used: &'static [&'static str],
}

const fn field(path: &'static str, meaning: &'static str) -> Field {
    Field { path, meaning }
}

const BATCH: [Field; 8] = [
    field("schema", "version of the batch's shape (2)"),
    field(
        "batch_id",
        "32 random hex digits, new per batch: lets the collector drop re-sends",
    ),
    field("epsilon", "the privacy loss this batch spent"),
    field(
        "arm",
        "`personalized` or `holdout`, in the clear: drawn at random on the device, \
         independent of behaviour",
    ),
    field(
        "interest[]",
        "14 bits, one per top-level category, each randomized (optimized unary encoding)",
    ),
    field(
        "segment",
        "0 to 7, the nearest shipped segment, randomized by k-ary randomized response",
    ),
    field(
        "engagement_band",
        "0 to 3, randomized by k-ary randomized response",
    ),
    field(
        "funnel",
        "0 to 3, furthest widget stage since the last batch, randomized by k-ary \
         randomized response",
    ),
];

/// The ledger keeps each sent batch as it was sent: the same fields under `entries[].batch`.
const LEDGER_FIELDS: [Field; 14] = [
    field("schema", "version of the ledger's shape (2)"),
    field(
        "entries[].sent_ms",
        "when the batch was handed to the network",
    ),
    field(
        "entries[].transport",
        "`fetch`; `beacon` in entries of earlier versions",
    ),
    field(
        "entries[].epsilon_spent",
        "ε this send spent; 0 for a re-send of the same batch",
    ),
    field("entries[].outcome", "accepted, rejected, failed or queued"),
    field(
        "entries[].status",
        "the collector's HTTP status, when there was one",
    ),
    field("entries[].batch.schema", "as sent"),
    field("entries[].batch.batch_id", "as sent"),
    field("entries[].batch.epsilon", "as sent"),
    field("entries[].batch.arm", "as sent"),
    field("entries[].batch.interest[]", "as sent"),
    field("entries[].batch.segment", "as sent (noised)"),
    field("entries[].batch.engagement_band", "as sent"),
    field("entries[].batch.funnel", "as sent (noised)"),
];

const LAST_REINFORCED: &str = "when that affinity was last reinforced (its weight is as of then)";

const PROFILE_FIELDS: [Field; 46] = [
    field("schema", "version of the profile's shape"),
    field("config.half_life_ms", "how fast interests fade"),
    field(
        "clock_ms",
        "latest time the profile saw: keeps decay monotonic",
    ),
    field(
        "categories.entries.*.v",
        "decayed affinity per exact category path (at most 48)",
    ),
    field(
        "categories.entries.*.t",
        "per exact category path (at most 48)",
    ),
    field(
        "top_categories.entries.*.v",
        "decayed affinity per top-level category (at most 24)",
    ),
    field(
        "top_categories.entries.*.t",
        "per top-level category (at most 24)",
    ),
    field(
        "brands.entries.*.v",
        "decayed affinity per brand (at most 48)",
    ),
    field("brands.entries.*.t", LAST_REINFORCED),
    field(
        "price_bands.entries.*.v",
        "decayed affinity per price band (at most 16)",
    ),
    field("price_bands.entries.*.t", LAST_REINFORCED),
    field(
        "log_price_sum.v",
        "decayed sum of ln(1 + price) of engaged products",
    ),
    field("log_price_sum.t", "when it last changed"),
    field("log_price_weight.v", "the weight matching log_price_sum"),
    field("log_price_weight.t", "when it last changed"),
    field(
        "recent[].id",
        "product id of one of the last 32 viewed or clicked products",
    ),
    field("recent[].category", "its category path"),
    field("recent[].brand", "its brand"),
    field(
        "recent[].last_seen_ms",
        "when it was last viewed or clicked",
    ),
    field("recent[].views", "how many times"),
    field(
        "writers.tabs.*.seq",
        "per open tab (a random id, at most 16), the last of its own events this profile holds",
    ),
    field("writers.tabs.*.t", "when that event was applied"),
    field(
        "recent[].dwell_s",
        "seconds its product page was visible, summed (absent when none)",
    ),
    field(
        "cart[]",
        "product ids believed to be in the cart (at most 64)",
    ),
    field("session.started_ms", "start of the current visit"),
    field(
        "session.last_event_ms",
        "latest action of the current visit",
    ),
    field("session.events", "actions in the current visit"),
    field("totals.events", "lifetime count of actions"),
    field("totals.views", "lifetime count of product views"),
    field("totals.clicks", "lifetime count of product clicks"),
    field("totals.cart_adds", "lifetime count of add-to-cart actions"),
    field(
        "totals.searches",
        "lifetime count of searches (never their words)",
    ),
    field("totals.sessions", "lifetime count of visits"),
    field(
        "totals.impressions",
        "lifetime count of products shown in widgets",
    ),
    field(
        "totals.list_views",
        "lifetime count of category and list pages opened",
    ),
    field("totals.cart_views", "lifetime count of cart views"),
    field("totals.checkouts", "lifetime count of checkouts started"),
    field(
        "totals.orders",
        "lifetime count of orders (never their items' prices or revenue)",
    ),
    field(
        "engagement.visits.v",
        "visits, decayed over 30 days (frequency)",
    ),
    field("engagement.visits.t", "when it last changed"),
    field(
        "engagement.actions.v",
        "actions, decayed over 30 days (depth)",
    ),
    field("engagement.actions.t", "when it last changed"),
    field(
        "engagement.commitments.v",
        "cart additions, checkouts and orders, decayed over 30 days",
    ),
    field("engagement.commitments.t", "when it last changed"),
    field(
        "engagement.previous_visit_end_ms",
        "when the visit before the current one ended (recency)",
    ),
    field(
        "engagement.last_event_ms",
        "latest action counted for engagement",
    ),
];

const OUTBOX_FIELDS: [Field; 18] = [
    field("schema", "version of the outbox's shape"),
    field(
        "budget.day",
        "the UTC day (days since the epoch) the spending belongs to",
    ),
    field("budget.spent", "ε spent on that day"),
    field(
        "queue[]",
        "batches built but not yet taken by the collector: at most 8, 8 KB in all, none \
         older than 7 days",
    ),
    field("queue[].batch.schema", "as it will be sent"),
    field("queue[].batch.batch_id", "as it will be sent"),
    field("queue[].batch.epsilon", "as it will be sent"),
    field("queue[].batch.arm", "as it will be sent"),
    field("queue[].batch.interest[]", "as it will be sent"),
    field("queue[].batch.segment", "as it will be sent"),
    field("queue[].batch.engagement_band", "as it will be sent"),
    field("queue[].batch.funnel", "as it will be sent"),
    field(
        "queue[].built_ms",
        "when the batch was built: its age for expiry",
    ),
    field("queue[].attempts", "failed attempts so far"),
    field(
        "queue[].next_attempt_ms",
        "not to be re-sent before this time (exponential backoff with jitter)",
    ),
    field(
        "last_built_ms",
        "when the last batch was built: enforces the sync interval",
    ),
    field("delivered", "how many batches left this device"),
    field(
        "funnel.furthest",
        "furthest widget stage (`none`, `impression`, `click`, `cart_add`) since the last \
         batch; reset when one is built",
    ),
];

const CONSENT_FIELDS: [Field; 3] = [
    field("schema", "version of the consent record's shape"),
    field(
        "choice",
        "`granted` or `revoked`: the shopper's explicit answer about sync",
    ),
    field("at_ms", "when they chose"),
];

const ASSIGNMENT_FIELDS: [Field; 2] = [
    field("schema", "version of the assignment's shape"),
    field(
        "draw",
        "a uniform random number drawn once on this device: below the `holdout` fraction \
         means the holdout arm",
    ),
];

const CONTROLS_FIELDS: [Field; 2] = [
    field("schema", "version of the controls' shape"),
    field("paused", "the shopper paused personalization"),
];

const STORED: [StoredKey; 7] = [
    StoredKey {
        area: "localStorage",
        key: PROFILE_KEY,
        purpose: "ranking on this device; never sent",
        retention: "facts older than `retentionDays` (default 30) are deleted, the whole \
                    profile after that long without activity; `erase()` deletes it at once",
        fields: &PROFILE_FIELDS,
    },
    StoredKey {
        area: "localStorage",
        key: OUTBOX_KEY,
        purpose: "the daily privacy budget, the sync interval, the funnel stage and the \
                  bounded queue of unsent batches",
        retention: "the budget is replaced every UTC day, a batch once the collector \
                    answered or after 7 days; revoking consent empties the queue; `erase()` \
                    deletes it at once",
        fields: &OUTBOX_FIELDS,
    },
    StoredKey {
        area: "localStorage",
        key: LEDGER_KEY,
        purpose: "the shopper's record of what was sent; never sent",
        retention: "the last 50 sends, none older than `retentionDays`; `erase()` deletes it",
        fields: &LEDGER_FIELDS,
    },
    StoredKey {
        area: "localStorage",
        key: CONTROLS_KEY,
        purpose: "remembers that the shopper paused personalization",
        retention: "only while paused: `resume()` and `erase()` delete it",
        fields: &CONTROLS_FIELDS,
    },
    StoredKey {
        area: "localStorage",
        key: CONSENT_KEY,
        purpose: "remembers the shopper's `grantConsent()` or `revokeConsent()`",
        retention: "until the shopper chooses again; `erase()` deletes it",
        fields: &CONSENT_FIELDS,
    },
    StoredKey {
        area: "localStorage",
        key: ASSIGNMENT_KEY,
        purpose: "keeps the shopper in the same experiment arm (personalized or holdout) \
                  across visits",
        retention: "while Vitrine runs on this device; `erase()` deletes it, and the next \
                    start draws a new one",
        fields: &ASSIGNMENT_FIELDS,
    },
    StoredKey {
        area: "localStorage",
        key: PROBE_KEY,
        purpose: "checks at start that localStorage accepts writes",
        retention: "removed right after it was written",
        fields: &[field("", "the text \"1\"")],
    },
];

const SENT: [SentMessage; 1] = [SentMessage {
    endpoint: "POST <syncUrl>",
    transport: "fetch (keepalive, credentials omitted) while the page lives and as it is \
                hidden, never sendBeacon (it carries cookies); never without `syncUrl`",
    purpose: "population statistics of interests and engagement, under local differential \
              privacy; at most `dailyEpsilon` (default ln 3) per shopper per UTC day",
    fields: &BATCH,
}];

/// The inventory.
pub const INVENTORY: Inventory = Inventory {
    schema: INVENTORY_SCHEMA,
    default_storage_prefix: "vitrine",
    stored: &STORED,
    sent: &SENT,
    never_used: &["cookies", "sessionStorage", "IndexedDB", "Cache Storage"],
};

/// The inventory as pretty JSON: the content of `privacy/inventory.json`.
pub fn to_json() -> String {
    let mut json =
        serde_json::to_string_pretty(&INVENTORY).expect("invariant: the inventory serializes");
    json.push('\n');
    json
}

/// The declared fields of the stored key with this suffix.
pub fn stored_fields(key: &str) -> Option<&'static [Field]> {
    STORED.iter().find(|k| k.key == key).map(|k| k.fields)
}

/// The path of every leaf of `value` (and of every empty list or map, and every null), as
/// segments: object keys, and `[]` for an array element.
pub fn json_paths(value: &serde_json::Value) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

fn walk(value: &serde_json::Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    use serde_json::Value;
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                at.push(key.clone());
                walk(child, at, out);
                at.pop();
            }
        }
        Value::Array(items) if !items.is_empty() => {
            at.push("[]".to_owned());
            for child in items {
                walk(child, at, out);
            }
            at.pop();
        }
        _ => out.push(at.clone()),
    }
}

/// The segments of a declared path: `recent[].id` → `recent`, `[]`, `id`.
pub fn pattern_segments(pattern: &str) -> Vec<&str> {
    if pattern.is_empty() {
        return Vec::new();
    }
    pattern
        .split('.')
        .flat_map(|part| match part.strip_suffix("[]") {
            Some(name) => vec![name, "[]"],
            None => vec![part],
        })
        .collect()
}

/// Whether a concrete path is declared by `pattern`: equal segment by segment, `*` standing
/// for any map key. A path that stops short of a pattern (an empty list or map, a null) is
/// declared by it too: it holds nothing the pattern does not name.
pub fn matches(path: &[String], pattern: &str) -> bool {
    let pattern = pattern_segments(pattern);
    path.len() <= pattern.len() && prefix_of(path, &pattern)
}

fn prefix_of(short: &[String], long: &[&str]) -> bool {
    long.iter()
        .zip(short)
        .all(|(p, s)| *p == s || (*p == "*" && s != "[]"))
}

/// The paths of `value` that no field declares, rendered with dots.
pub fn undeclared(value: &serde_json::Value, fields: &[Field]) -> Vec<String> {
    json_paths(value)
        .into_iter()
        .filter(|path| !fields.iter().any(|f| matches(path, f.path)))
        .map(|path| path.join("."))
        .collect()
}

/// The declared fields that no path of `value` reaches: stale declarations, when `value` is
/// a fully populated record.
pub fn unused(value: &serde_json::Value, fields: &[Field]) -> Vec<&'static str> {
    let paths = json_paths(value);
    fields
        .iter()
        .filter(|f| {
            let pattern = pattern_segments(f.path);
            !paths
                .iter()
                .any(|p| p.len() >= pattern.len() && prefix_of(&p[..pattern.len()], &pattern))
        })
        .map(|f| f.path)
        .collect()
}

#[cfg(test)]
mod tests;
