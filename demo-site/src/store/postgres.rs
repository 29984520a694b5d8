//! The PostgreSQL backend, over `tokio-postgres` without TLS.
//!
//! One client: tokio-postgres pipelines the queries of concurrent requests over its single
//! connection, which is plenty for a collector whose every write is one short insert. TLS is
//! left out on purpose (the reference setup talks to a database on the same host); a
//! database elsewhere wants a TLS connector here.

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

/// A PostgreSQL database. Cheap to clone; clones share the client.
#[derive(Clone)]
pub struct PostgresStore {
    client: Arc<Client>,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`, or key=value pairs) and creates the
    /// table if it is missing.
    ///
    /// # Errors
    /// The server cannot be reached, refuses us, or cannot create the table.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let (client, connection) = tokio_postgres::connect(url, NoTls)
            .await
            .context("connecting to PostgreSQL (see --database-url)")?;
        // The connection does the actual I/O; it ends when the client is dropped or the server
        // goes away, and then every later query fails with its own error.
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("vitrine-demo: PostgreSQL connection ended: {e}");
            }
        });
        client
            .batch_execute(SCHEMA)
            .await
            .context("creating the signals table")?;
        Ok(PostgresStore {
            client: Arc::new(client),
        })
    }

    pub(super) async fn insert(&self, batch: &SignalBatch, day: i64) -> anyhow::Result<Stored> {
        let c = Columns::of(batch)?;
        let changed = self
            .client
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
            .client
            .query_one("SELECT COUNT(*) FROM signals", &[])
            .await?;
        Ok(u64::try_from(row.get::<_, i64>(0))?)
    }

    pub(super) async fn batches(&self) -> anyhow::Result<Vec<StoredBatch>> {
        let rows = self
            .client
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
