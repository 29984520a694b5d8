//! The SQLite backend: one file, `signals.sqlite`, in the data folder.
//!
//! One connection behind a mutex, used from blocking tasks so that SQLite never stalls the
//! async runtime. WAL mode lets a reader (a dashboard, `sqlite3` in a shell) look while the
//! collector writes.

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Context};
use rusqlite::{params, Connection};
use vitrine::signals::SignalBatch;

use super::columns::{self, Columns};
use super::{Stored, StoredBatch};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS signals (
    batch_id        TEXT PRIMARY KEY,
    received_at     TEXT NOT NULL,
    received_day    INTEGER NOT NULL,
    schema          INTEGER NOT NULL,
    epsilon         REAL NOT NULL,
    arm             TEXT NOT NULL,
    interest        TEXT NOT NULL,
    segment         INTEGER NOT NULL,
    engagement_band INTEGER NOT NULL,
    funnel          INTEGER NOT NULL
);
";

/// `signals.sqlite`. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
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
        // A store of schema-1 batches has a `signals` table without the new columns: keep it
        // aside, untouched, rather than mix two shapes in one table.
        let legacy = conn.prepare("SELECT 1 FROM signals LIMIT 0").is_ok()
            && conn.prepare("SELECT funnel FROM signals LIMIT 0").is_err();
        if legacy {
            conn.execute_batch("ALTER TABLE signals RENAME TO signals_schema_1")
                .context("setting the schema-1 signals table aside")?;
        }
        conn.execute_batch(SCHEMA)
            .context("creating the signals table")?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    pub(super) async fn insert(&self, batch: SignalBatch, day: i64) -> anyhow::Result<Stored> {
        self.with_conn(move |conn| {
            let c = Columns::of(&batch)?;
            let changed = conn.execute(
                "INSERT INTO signals (batch_id, received_at, received_day, schema, epsilon, arm,
                                      interest, segment, engagement_band, funnel)
                 VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?2, ?3, ?4, ?5, ?6, ?7,
                         ?8, ?9)
                 ON CONFLICT (batch_id) DO NOTHING",
                params![
                    c.batch_id,
                    day,
                    c.schema,
                    c.epsilon,
                    c.arm,
                    c.interest,
                    c.segment,
                    c.engagement_band,
                    c.funnel
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

    pub(super) async fn count(&self) -> anyhow::Result<u64> {
        self.with_conn(|conn| {
            let n: i64 = conn.query_row("SELECT COUNT(*) FROM signals", [], |row| row.get(0))?;
            Ok(u64::try_from(n)?)
        })
        .await
    }

    pub(super) async fn batches(&self) -> anyhow::Result<Vec<StoredBatch>> {
        self.with_conn(|conn| {
            let mut statement = conn.prepare(&format!("SELECT {} FROM signals", columns::LIST))?;
            let rows = statement.query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    Columns {
                        batch_id: row.get(1)?,
                        schema: row.get(2)?,
                        epsilon: row.get(3)?,
                        arm: row.get(4)?,
                        interest: row.get(5)?,
                        segment: row.get(6)?,
                        engagement_band: row.get(7)?,
                        funnel: row.get(8)?,
                    },
                ))
            })?;
            rows.map(|row| {
                let (day, columns) = row?;
                columns.into_batch(day)
            })
            .collect()
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
    use vitrine::signals::{Arm, INTEREST_DOMAIN, SIGNAL_SCHEMA};

    fn batch(id: char) -> SignalBatch {
        SignalBatch {
            schema: SIGNAL_SCHEMA,
            batch_id: id.to_string().repeat(32),
            epsilon: 1.0,
            arm: Arm::Holdout,
            interest: vec![0; INTEREST_DOMAIN.len()],
            segment: 7,
            engagement_band: 2,
            funnel: 3,
        }
    }

    #[tokio::test]
    async fn a_schema_1_table_is_set_aside_and_batches_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested/data");
        std::fs::create_dir_all(&data).unwrap();
        let old = Connection::open(data.join("signals.sqlite")).unwrap();
        old.execute_batch(
            "CREATE TABLE signals (batch_id TEXT PRIMARY KEY, received_at TEXT NOT NULL,
                 schema INTEGER NOT NULL, epsilon REAL NOT NULL, interest TEXT NOT NULL,
                 engagement_band INTEGER NOT NULL);
             INSERT INTO signals VALUES ('x', 'then', 1, 1.0, '[]', 0);",
        )
        .unwrap();
        drop(old);

        let store = SqliteStore::open(&data).unwrap();
        assert_eq!(store.count().await.unwrap(), 0);
        assert_eq!(store.insert(batch('a'), 3).await.unwrap(), Stored::New);
        assert_eq!(
            store.insert(batch('a'), 3).await.unwrap(),
            Stored::Duplicate
        );
        drop(store);

        let store = SqliteStore::open(&data).unwrap();
        let kept = store.batches().await.unwrap();
        assert_eq!(
            kept,
            [StoredBatch {
                day: 3,
                batch: batch('a')
            }]
        );
        let old_rows: i64 = store
            .with_conn(|conn| {
                Ok(conn.query_row("SELECT COUNT(*) FROM signals_schema_1", [], |r| r.get(0))?)
            })
            .await
            .unwrap();
        assert_eq!(old_rows, 1);
    }
}
