//! The PostgreSQL backend, over `tokio-postgres` without TLS.
//!
//! A fixed set of [`CONNECTIONS`] clients, taken in turn. One would pipeline concurrent
//! queries, but the server runs one connection's statements one after another, each insert
//! waiting for its own commit to reach the disk; several connections let those commits share
//! a flush. A connection the server drops is not reopened: its queries fail (500) until the
//! collector restarts. TLS is left out on purpose (the reference setup talks to a database on
//! the same host); a database elsewhere wants a TLS connector here.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::Context;
use tokio_postgres::{Client, NoTls};
use vitrine::signals::SignalBatch;

use super::columns::{self, Columns};
use super::{Stored, StoredBatch};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS signals (
    batch_id        TEXT PRIMARY KEY,
    received_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    received_day    BIGINT NOT NULL,
    schema          BIGINT NOT NULL,
    epsilon         DOUBLE PRECISION NOT NULL,
    arm             TEXT NOT NULL,
    interest        TEXT NOT NULL,
    segment         BIGINT NOT NULL,
    engagement_band BIGINT NOT NULL,
    funnel          BIGINT NOT NULL
);
";

/// How many connections the collector opens.
pub const CONNECTIONS: usize = 8;

/// A PostgreSQL database. Cheap to clone; clones share the clients.
#[derive(Clone)]
pub struct PostgresStore {
    clients: Arc<[Client]>,
    next: Arc<AtomicUsize>,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`, or key=value pairs) and creates the
    /// table if it is missing.
    ///
    /// # Errors
    /// The server cannot be reached, refuses us, or cannot create the table.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let mut clients = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            let (client, connection) = tokio_postgres::connect(url, NoTls)
                .await
                .context("connecting to PostgreSQL (see --database-url)")?;
            // The connection does the actual I/O; it ends when the client is dropped or the
            // server goes away, and then every later query fails with its own error.
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    eprintln!("vitrine-demo: PostgreSQL connection ended: {e}");
                }
            });
            clients.push(client);
        }
        clients[0]
            .batch_execute(SCHEMA)
            .await
            .context("creating the signals table")?;
        Ok(PostgresStore {
            clients: clients.into(),
            next: Arc::new(AtomicUsize::new(0)),
        })
    }

    fn client(&self) -> &Client {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.clients.len();
        &self.clients[i]
    }

    pub(super) async fn insert(&self, batch: &SignalBatch, day: i64) -> anyhow::Result<Stored> {
        let c = Columns::of(batch)?;
        let changed = self
            .client()
            .execute(
                "INSERT INTO signals (batch_id, received_day, schema, epsilon, arm, interest,
                                      segment, engagement_band, funnel)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (batch_id) DO NOTHING",
                &[
                    &c.batch_id,
                    &day,
                    &c.schema,
                    &c.epsilon,
                    &c.arm,
                    &c.interest,
                    &c.segment,
                    &c.engagement_band,
                    &c.funnel,
                ],
            )
            .await?;
        Ok(if changed == 1 {
            Stored::New
        } else {
            Stored::Duplicate
        })
    }

    pub(super) async fn count(&self) -> anyhow::Result<u64> {
        let row = self
            .client()
            .query_one("SELECT COUNT(*) FROM signals", &[])
            .await?;
        Ok(u64::try_from(row.get::<_, i64>(0))?)
    }

    pub(super) async fn batches(&self) -> anyhow::Result<Vec<StoredBatch>> {
        let rows = self
            .client()
            .query(&format!("SELECT {} FROM signals", columns::LIST), &[])
            .await?;
        rows.iter()
            .map(|row| {
                Columns {
                    batch_id: row.try_get(1)?,
                    schema: row.try_get(2)?,
                    epsilon: row.try_get(3)?,
                    arm: row.try_get(4)?,
                    interest: row.try_get(5)?,
                    segment: row.try_get(6)?,
                    engagement_band: row.try_get(7)?,
                    funnel: row.try_get(8)?,
                }
                .into_batch(row.try_get(0)?)
            })
            .collect()
    }
}
