//! Where accepted signal batches are kept: SQLite by default, PostgreSQL when a URL is given.
//!
//! Both backends keep one row per `batch_id` under a unique key and insert with "on conflict
//! do nothing", so the database, not a check in our code, decides which of two concurrent
//! posts of the same batch is the new one. Rows carry the UTC day they arrived on, which the
//! distinct-shopper bound needs; the day is computed here so both backends agree on it.

mod columns;
mod postgres;
mod sqlite;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use vitrine::signals::SignalBatch;

/// What happened to a batch we were asked to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// First time we saw this batch id.
    New,
    /// A re-send of a batch we already have; nothing changed.
    Duplicate,
}

/// One kept batch, as the estimator reads it back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBatch {
    /// UTC day of arrival, in days since the Unix epoch.
    pub day: i64,
    /// The batch as it was accepted.
    pub batch: SignalBatch,
}

/// The signal store. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub enum SignalStore {
    /// `signals.sqlite` in the data folder.
    Sqlite(sqlite::SqliteStore),
    /// A PostgreSQL database.
    Postgres(postgres::PostgresStore),
}

impl SignalStore {
    /// PostgreSQL at `database_url` when there is one, otherwise `signals.sqlite` in
    /// `data_dir` (created if needed).
    ///
    /// # Errors
    /// The database cannot be reached or opened, or its table cannot be created.
    pub async fn open(data_dir: &Path, database_url: Option<&str>) -> anyhow::Result<Self> {
        Ok(match database_url {
            Some(url) => SignalStore::Postgres(postgres::PostgresStore::connect(url).await?),
            None => SignalStore::Sqlite(sqlite::SqliteStore::open(data_dir)?),
        })
    }

    /// Which backend this is, for logs and the estimates' metadata.
    pub fn backend(&self) -> &'static str {
        match self {
            SignalStore::Sqlite(_) => "sqlite",
            SignalStore::Postgres(_) => "postgres",
        }
    }

    /// Keeps a validated batch, once per batch id, as arrived today.
    ///
    /// # Errors
    /// The database failed to write.
    pub async fn insert(&self, batch: SignalBatch) -> anyhow::Result<Stored> {
        let day = utc_day(SystemTime::now());
        match self {
            SignalStore::Sqlite(store) => store.insert(batch, day).await,
            SignalStore::Postgres(store) => store.insert(&batch, day).await,
        }
    }

    /// Number of batches kept.
    ///
    /// # Errors
    /// The database failed to read.
    pub async fn count(&self) -> anyhow::Result<u64> {
        match self {
            SignalStore::Sqlite(store) => store.count().await,
            SignalStore::Postgres(store) => store.count().await,
        }
    }

    /// Every batch kept, in no particular order.
    ///
    /// # Errors
    /// The database failed to read, or holds a row no valid batch could have produced.
    pub async fn batches(&self) -> anyhow::Result<Vec<StoredBatch>> {
        match self {
            SignalStore::Sqlite(store) => store.batches().await,
            SignalStore::Postgres(store) => store.batches().await,
        }
    }
}

/// Days since the Unix epoch, in UTC, of `time`.
pub fn utc_day(time: SystemTime) -> i64 {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    i64::try_from(seconds / 86_400).unwrap_or(i64::MAX)
}
