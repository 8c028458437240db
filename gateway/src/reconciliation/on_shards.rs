//! Resolving a difference whose payment lives on a home shard. Runs and their
//! differences are recorded in the gateway's own database, where the operator reads
//! them; a resolution moves the payment's money and status, which only the payment's
//! shard can do in one transaction. So the difference (with its run) is copied to that
//! shard, resolved there by its group commit like on one database (the resolution's
//! audit record beside the ledger transfer it made), and the resolution is then copied
//! back beside the run. A copy back that a crash interrupted is made by the next
//! attempt, whatever that attempt is answered.

use diesel::prelude::*;

use super::store::{DiscrepancyRow, ResolutionRow, RunRow};
use super::views::DiscrepancyView;
use crate::db;
use crate::error::ApiError;
use crate::schema::{
    reconciliation_discrepancies as d, reconciliation_resolutions as r, reconciliation_runs as runs,
};
use crate::state::AppState;

/// Where a difference is resolved: the shard holding its payment, with the
/// difference and its run copied there; the gateway's own database otherwise.
pub async fn resolving_home(
    state: &AppState,
    discrepancy: &DiscrepancyView,
) -> Result<Option<AppState>, ApiError> {
    let Some(payment_id) = discrepancy.payment_id.as_ref() else {
        return Ok(None);
    };
    if !state.routes_citizens() {
        return Ok(None);
    }
    let Some((home, _)) = crate::payments::everywhere::find(state, payment_id).await? else {
        return Ok(None);
    };
    let id = discrepancy.id.clone();
    let (run, row) = db::run(state, move |conn| {
        let row: DiscrepancyRow = d::table
            .find(&id)
            .select(DiscrepancyRow::as_select())
            .first(conn)?;
        let run: RunRow = runs::table
            .find(&row.run_id)
            .select(RunRow::as_select())
            .first(conn)?;
        Ok((run, row))
    })
    .await?;
    db::run(&home, move |conn| {
        conn.transaction(|conn| {
            diesel::insert_into(runs::table)
                .values(&run)
                .on_conflict_do_nothing()
                .execute(conn)?;
            diesel::insert_into(d::table)
                .values(&row)
                .on_conflict_do_nothing()
                .execute(conn)?;
            Ok::<_, ApiError>(())
        })
    })
    .await?;
    Ok(Some(home))
}

/// Copies the resolution of difference `id`, made on `home`, beside its run.
pub async fn copy_back(state: &AppState, home: &AppState, id: &str) -> Result<(), ApiError> {
    let wanted = id.to_string();
    let made = db::run(home, move |conn| {
        Ok(r::table
            .find(&wanted)
            .select(ResolutionRow::as_select())
            .first(conn)
            .optional()?
            .zip(
                d::table
                    .find(&wanted)
                    .select(d::resolved_at)
                    .first::<Option<chrono::DateTime<chrono::Utc>>>(conn)
                    .optional()?
                    .flatten(),
            ))
    })
    .await?;
    let Some((resolution, resolved_at)) = made else {
        return Ok(());
    };
    db::run(state, move |conn| {
        conn.transaction(|conn| {
            diesel::insert_into(r::table)
                .values(&resolution)
                .on_conflict_do_nothing()
                .execute(conn)?;
            diesel::update(d::table.find(&resolution.discrepancy_id))
                .set(d::resolved_at.eq(resolved_at))
                .execute(conn)?;
            Ok::<_, ApiError>(())
        })
    })
    .await
}
