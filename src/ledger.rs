//! The shopper's own record of every batch that left the device: what was sent, when, how,
//! and how much privacy budget it spent.
//!
//! The ledger stays on the device. It exists so that a shopper (or a privacy team looking
//! over their shoulder) can compare what Vitrine says it sends with what it did send. It is
//! bounded in count and in age, like every other stored record.

use crate::error::{Error, Result};
use crate::json::{Object, Value};
use crate::outbox::Delivery;
use crate::signals::SignalBatch;
use crate::stored::{self, Fields};

/// The version of the stored ledger's shape. Schema 2 holds signal batches of schema 2; a
/// schema 1 ledger is refused as corrupt and the SDK starts a new one.
pub const LEDGER_SCHEMA: u32 = 2;
/// How many sends the ledger remembers; the oldest goes first. At about 290 bytes a schema 2
/// entry (a full ledger measured 14,424 bytes) it stays under 15 KB.
pub const LEDGER_CAPACITY: usize = 50;

/// How a batch was handed to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `fetch` with `keepalive` and no credentials, while the page lives or as it goes away.
    Fetch,
    /// `navigator.sendBeacon`, by which earlier versions sent as the page went away: still
    /// read in a stored ledger, no longer written (a beacon carries cookies).
    Beacon,
}

/// One send of one batch.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    /// When it was handed to the network, ms since the epoch.
    pub sent_ms: f64,
    /// How.
    pub transport: Transport,
    /// The ε this send spent: the batch's ε the first time its id is sent, 0 for a re-send
    /// of the same batch (the collector keeps one copy, and the noise was drawn once).
    pub epsilon_spent: f64,
    /// What came back: `accepted`, `rejected`, `failed` (kept for a retry) or `queued`
    /// (handed to the browser as the page went away, with no answer heard).
    pub outcome: String,
    /// The HTTP status, when there was one.
    pub status: Option<u16>,
    /// Exactly what was sent.
    pub batch: SignalBatch,
}

impl Transport {
    /// The transport's name in the ledger.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Fetch => "fetch",
            Transport::Beacon => "beacon",
        }
    }

    /// The transport of this name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Transport::Fetch, Transport::Beacon]
            .into_iter()
            .find(|transport| transport.name() == name)
    }
}

impl LedgerEntry {
    /// The entry as JSON, as stored and as the page's `ledger()` shows it.
    pub fn to_value(&self) -> Value {
        Object::new()
            .with("sent_ms", self.sent_ms)
            .with("transport", self.transport.name())
            .with("epsilon_spent", self.epsilon_spent)
            .with("outcome", self.outcome.as_str())
            .with_some("status", self.status.map(u32::from))
            .with("batch", self.batch.to_value())
            .into()
    }

    fn from_value(value: &Value, path: &str) -> Result<Self> {
        let fields = Fields::of(value, path)?;
        let transport = Transport::from_name(&fields.string("transport")?)
            .ok_or_else(|| fields.corrupt("transport", "expected \"fetch\" or \"beacon\""))?;
        let status = match fields.get("status") {
            None | Some(Value::Null) => None,
            Some(_) => Some(fields.small("status")?),
        };
        Ok(LedgerEntry {
            sent_ms: fields.number("sent_ms")?,
            transport,
            epsilon_spent: fields.number("epsilon_spent")?,
            outcome: fields.string("outcome")?,
            status,
            batch: SignalBatch::from_value(fields.value("batch")?, &format!("{path}.batch"))?,
        })
    }
}

/// The bounded list of sends, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Ledger {
    schema: u32,
    entries: Vec<LedgerEntry>,
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger {
            schema: LEDGER_SCHEMA,
            entries: Vec::new(),
        }
    }
}

impl Ledger {
    /// Records that `batch` was sent at `now_ms` by `transport`, with what came back.
    pub fn record(
        &mut self,
        batch: &SignalBatch,
        transport: Transport,
        delivery: Delivery,
        now_ms: f64,
    ) {
        let resent = self
            .entries
            .iter()
            .any(|e| e.batch.batch_id == batch.batch_id);
        let (outcome, status) = match delivery {
            Delivery::Status(s) if (200..300).contains(&s) => ("accepted", Some(s)),
            Delivery::Status(s) if (400..500).contains(&s) => ("rejected", Some(s)),
            Delivery::Status(s) => ("failed", Some(s)),
            Delivery::NetworkError => ("failed", None),
            Delivery::HandedOver => ("queued", None),
        };
        if self.entries.len() >= LEDGER_CAPACITY {
            self.entries.remove(0);
        }
        self.entries.push(LedgerEntry {
            sent_ms: now_ms,
            transport,
            epsilon_spent: if resent { 0.0 } else { batch.epsilon },
            outcome: outcome.to_owned(),
            status,
            batch: batch.clone(),
        });
    }

    /// Forgets entries sent before `cutoff_ms`. Returns whether any went.
    pub fn forget_before(&mut self, cutoff_ms: f64) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| e.sent_ms >= cutoff_ms);
        self.entries.len() != before
    }

    /// The sends, oldest first.
    pub fn entries(&self) -> impl Iterator<Item = &LedgerEntry> {
        self.entries.iter()
    }

    /// Whether nothing was sent (or all of it has expired).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Total ε spent by the remembered sends.
    pub fn epsilon_spent(&self) -> f64 {
        self.entries.iter().map(|e| e.epsilon_spent).sum()
    }

    /// Serializes the ledger for storage.
    pub fn to_json(&self) -> String {
        let entries: Vec<Value> = self.entries.iter().map(LedgerEntry::to_value).collect();
        Value::from(
            Object::new()
                .with("schema", self.schema)
                .with("entries", entries),
        )
        .to_json()
    }

    /// Restores a stored ledger.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when the text is not a ledger of a known schema or holds a batch
    /// that would not validate.
    pub fn from_json(json: &str) -> Result<Self> {
        let value = stored::parse("ledger", json)?;
        let fields = Fields::of(&value, "ledger")?;
        let ledger = Ledger {
            schema: fields.small("schema")?,
            entries: fields.list("entries", |at, entry| LedgerEntry::from_value(entry, &at))?,
        };
        if ledger.schema != LEDGER_SCHEMA {
            return Err(Error::Corrupt(format!(
                "ledger schema {} is not known",
                ledger.schema
            )));
        }
        for entry in &ledger.entries {
            entry
                .batch
                .validate()
                .map_err(|e| Error::Corrupt(format!("ledger batch: {e}")))?;
        }
        Ok(ledger)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    pub(crate) use crate::signals::tests::batch;

    #[test]
    fn a_resend_spends_nothing_and_outcomes_are_named() {
        let mut ledger = Ledger::default();
        let b = batch(1);
        ledger.record(&b, Transport::Fetch, Delivery::Status(503), 10.0);
        ledger.record(&b, Transport::Beacon, Delivery::HandedOver, 20.0);
        ledger.record(&batch(2), Transport::Fetch, Delivery::Status(422), 30.0);
        let outcomes: Vec<_> = ledger.entries().map(|e| e.outcome.as_str()).collect();
        assert_eq!(outcomes, ["failed", "queued", "rejected"]);
        assert_eq!(
            ledger.epsilon_spent(),
            2.0,
            "the re-send of batch 1 spent nothing"
        );
        assert_eq!(Ledger::from_json(&ledger.to_json()).unwrap(), ledger);
    }

    #[test]
    fn it_stays_bounded_and_forgets_by_age() {
        let mut ledger = Ledger::default();
        for i in 0..(LEDGER_CAPACITY as u64 + 7) {
            ledger.record(&batch(i), Transport::Fetch, Delivery::Status(202), i as f64);
        }
        assert_eq!(ledger.entries().count(), LEDGER_CAPACITY);
        assert_eq!(
            ledger.entries().next().unwrap().sent_ms,
            7.0,
            "the oldest went first"
        );
        assert!(ledger.forget_before(50.0));
        assert_eq!(ledger.entries().count(), 7);
    }

    #[test]
    fn a_full_ledger_stays_under_16_kb() {
        let mut ledger = Ledger::default();
        for i in 0..LEDGER_CAPACITY as u64 {
            let sent = 1.7e12 + i as f64 * 86_400_000.0;
            ledger.record(&batch(i), Transport::Fetch, Delivery::Status(202), sent);
        }
        let bytes = ledger.to_json().len();
        assert!(bytes < 16 * 1024, "{bytes} bytes");
    }

    #[test]
    fn a_tampered_ledger_is_refused() {
        let mut ledger = Ledger::default();
        ledger.record(&batch(3), Transport::Fetch, Delivery::Status(202), 1.0);
        let bad = ledger
            .to_json()
            .replace("\"schema\":2,\"batch_id\"", "\"schema\":9,\"batch_id\"");
        assert!(Ledger::from_json(&bad).is_err());
        assert!(Ledger::from_json("{\"schema\":3,\"entries\":[]}").is_err());
    }
}
