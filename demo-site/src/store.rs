//! Where accepted signal batches are kept: one SQLite file, `signals.sqlite`.
//!
//! One connection behind a mutex, used from blocking tasks so that SQLite never stalls the
//! async runtime. WAL mode lets a reader (a dashboard, `sqlite3` in a shell) look while the
//! collector writes.

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Context};
use rusqlite::{params, Connection};
use vitrine::signals::SignalBatch;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS signals (
    batch_id        TEXT PRIMARY KEY,
    received_at     TEXT NOT NULL,
    schema          INTEGER NOT NULL,
    epsilon         REAL NOT NULL,
    interest        TEXT NOT NULL,
    engagement_band INTEGER NOT NULL
);
";

/// What happened to a batch we were asked to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// First time we saw this batch id.
    New,
    /// A re-send of a batch we already have; nothing changed.
    Duplicate,
}

/// The signal store. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct SignalStore {
    conn: Arc<Mutex<Connection>>,
}

impl SignalStore {
    /// Opens (creating if needed) `signals.sqlite` in `data_dir`, creating the folder too.
    ///
    /// # Errors
    /// The folder cannot be created, or the file cannot be opened as a SQLite database.
    pub fn open(data_dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating the data folder {}", data_dir.display()))?;
        let path = data_dir.join("signals.sqlite");
        let conn = Connection::open(&path)
            .with_context(|| format!("opening the signal store {}", path.display()))?;
        // journal_mode answers with the mode it is now in, so it is a query, not a pragma set.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            eprintln!(
                "vitrine-demo: {} stays in {mode} journal mode",
                path.display()
            );
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;")?;
        conn.execute_batch(SCHEMA)
            .context("creating the signals table")?;
        Ok(SignalStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Keeps a validated batch, once per batch id.
    ///
    /// # Errors
    /// SQLite failed to write.
    pub async fn insert(&self, batch: SignalBatch) -> anyhow::Result<Stored> {
        self.with_conn(move |conn| {
            let interest = serde_json::to_string(&batch.interest)?;
            let changed = conn.execute(
                "INSERT INTO signals
                     (batch_id, received_at, schema, epsilon, interest, engagement_band)
                 VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?2, ?3, ?4, ?5)
                 ON CONFLICT (batch_id) DO NOTHING",
                params![
                    batch.batch_id,
                    batch.schema,
                    batch.epsilon,
                    interest,
                    batch.engagement_band
                ],
            )?;
            Ok(if changed == 1 {
                Stored::New
            } else {
                Stored::Duplicate
            })
        })
        .await
    }

    /// Number of batches kept.
    ///
    /// # Errors
    /// SQLite failed to read.
    pub async fn count(&self) -> anyhow::Result<u64> {
        self.with_conn(|conn| {
            let n: i64 = conn.query_row("SELECT COUNT(*) FROM signals", [], |row| row.get(0))?;
            Ok(u64::try_from(n)?)
        })
        .await
    }

    async fn with_conn<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Connection) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A poisoned lock means a job panicked mid-statement; SQLite has rolled that
            // statement back, so the connection itself is still sound.
            let conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            job(&conn)
        })
        .await
        .map_err(|e| anyhow!("signal store task failed: {e}"))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(id: char) -> SignalBatch {
        SignalBatch {
            schema: vitrine::signals::SIGNAL_SCHEMA,
            batch_id: id.to_string().repeat(32),
            epsilon: 1.0,
            arm: vitrine::signals::Arm::Personalized,
            interest: vec![0; vitrine::signals::INTEREST_DOMAIN.len()],
            segment: 0,
            engagement_band: 2,
            funnel: 1,
        }
    }

    #[tokio::test]
    async fn keeps_each_batch_once_and_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested/data");
        let store = SignalStore::open(&data).unwrap();
        assert_eq!(store.insert(batch('a')).await.unwrap(), Stored::New);
        assert_eq!(store.insert(batch('a')).await.unwrap(), Stored::Duplicate);
        assert_eq!(store.insert(batch('b')).await.unwrap(), Stored::New);
        drop(store);

        let store = SignalStore::open(&data).unwrap();
        assert_eq!(store.count().await.unwrap(), 2);
        let (interest, band): (String, u8) = store
            .with_conn(|conn| {
                Ok(conn.query_row(
                    "SELECT interest, engagement_band FROM signals WHERE batch_id = ?1",
                    ["a".repeat(32)],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )?)
            })
            .await
            .unwrap();
        assert_eq!(
            (interest.as_str(), band),
            ("[0,0,0,0,0,0,0,0,0,0,0,0,0,0]", 2)
        );
    }
}
