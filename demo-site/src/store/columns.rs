//! A batch as flat columns, the same for both backends, and back.

use anyhow::Context;
use serde_json::{json, Value};
use vitrine::signals::SignalBatch;

use super::StoredBatch;

/// The columns [`Columns::into_batch`] reads, in the order the backends select them.
pub(super) const LIST: &str =
    "received_day, batch_id, schema, epsilon, arm, interest, segment, engagement_band, funnel";

/// One row. Integers are i64 because that is what both databases hand back without a cast.
pub(super) struct Columns {
    pub batch_id: String,
    pub schema: i64,
    pub epsilon: f64,
    /// The arm's name as it travels (`personalized` or `holdout`).
    pub arm: String,
    /// The interest bits as their JSON array, e.g. `[0,1,0,…]`.
    pub interest: String,
    pub segment: i64,
    pub engagement_band: i64,
    pub funnel: i64,
}

impl Columns {
    pub fn of(batch: &SignalBatch) -> anyhow::Result<Self> {
        Ok(Columns {
            batch_id: batch.batch_id.clone(),
            schema: i64::from(batch.schema),
            epsilon: batch.epsilon,
            arm: batch.arm.as_str().to_string(),
            interest: serde_json::to_string(&batch.interest)?,
            segment: i64::from(batch.segment),
            engagement_band: i64::from(batch.engagement_band),
            funnel: i64::from(batch.funnel),
        })
    }

    /// The batch again, through the core's own type and validation: a row that no valid
    /// batch could have produced (edited by hand, say) is an error, not a silent skew.
    pub fn into_batch(self, day: i64) -> anyhow::Result<StoredBatch> {
        let interest: Value = serde_json::from_str(&self.interest)
            .with_context(|| format!("stored interest of {} is not JSON", self.batch_id))?;
        let value = json!({
            "schema": self.schema,
            "batch_id": self.batch_id,
            "epsilon": self.epsilon,
            "arm": self.arm,
            "interest": interest,
            "segment": self.segment,
            "engagement_band": self.engagement_band,
            "funnel": self.funnel,
        });
        let batch = SignalBatch::parse(value.to_string().as_bytes())
            .with_context(|| format!("stored batch {} is not a valid batch", self.batch_id))?;
        Ok(StoredBatch { day, batch })
    }
}
