//! Loading a batch's working set: one query per table for all its commands, each
//! `= ANY` a list of keys, in rounds (a payment names its payee, a bill its claim),
//! and the rows that change locked. Every batch has locked the ledger's chain head
//! first, so batches are serialized and their row locks never meet in another order.

mod graph;
mod wanted;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Text};
use ledger::Prepared;

use super::command::Command;
use super::working::{Rows, Settings, Working};
use super::BatchError;
use crate::instance::{self, Instance};
use crate::rules::vietnam_date;
use crate::schema::identity_usage;
use crate::usage::UsageRow;
use graph::{load_details, load_keys, load_parties, load_payments, load_records, load_requests};
use wanted::{from_commands, sorted, Wanted};

fn load_usage(conn: &mut PgConnection, w: &mut Working, wanted: &Wanted) -> Result<(), BatchError> {
    if wanted.usage.is_empty() {
        return Ok(());
    }
    let ids = sorted(&wanted.usage);
    let rows: Vec<(String, chrono::NaiveDate, i64, chrono::NaiveDate, i64, i64)> =
        identity_usage::table
            .filter(identity_usage::identity_id.eq_any(&ids))
            .order(identity_usage::identity_id)
            .for_no_key_update()
            .select((
                identity_usage::identity_id,
                identity_usage::day,
                identity_usage::day_total,
                identity_usage::month,
                identity_usage::month_general,
                identity_usage::month_essential,
            ))
            .load(conn)?;
    for (identity_id, day, day_total, month, month_general, month_essential) in rows {
        w.usage.loaded(
            identity_id.clone(),
            UsageRow {
                identity_id,
                day,
                day_total,
                month,
                month_general,
                month_essential,
            },
        );
    }
    // A citizen from before the counters existed: start theirs now.
    for id in ids {
        if !w.usage.contains(&id) && w.parties.contains_key(&id) {
            w.usage.insert(id.clone(), UsageRow::empty(&id, w.today));
        }
    }
    Ok(())
}

fn load_devices(
    conn: &mut PgConnection,
    w: &mut Working,
    wanted: &Wanted,
) -> Result<(), BatchError> {
    if wanted.devices.is_empty() {
        return Ok(());
    }
    let (owners, devices): (Vec<String>, Vec<String>) = sorted(&wanted.devices).into_iter().unzip();
    #[derive(QueryableByName)]
    struct Known {
        #[diesel(sql_type = Text)]
        identity_id: String,
        #[diesel(sql_type = Text)]
        device_id: String,
    }
    let known: Vec<Known> = Prepared::new(
        "SELECT d.identity_id, d.device_id FROM citizen_devices d \
         JOIN unnest($1::text[], $2::text[]) AS w(identity_id, device_id) \
         ON d.identity_id = w.identity_id AND d.device_id = w.device_id",
    )
    .bind::<Array<Text>, _>(owners)
    .bind::<Array<Text>, _>(devices)
    .load(conn)?;
    w.devices
        .extend(known.into_iter().map(|k| (k.identity_id, k.device_id)));
    Ok(())
}

fn load_resolved(
    conn: &mut PgConnection,
    w: &mut Working,
    wanted: &Wanted,
) -> Result<(), BatchError> {
    if wanted.discrepancies.is_empty() {
        return Ok(());
    }
    #[derive(QueryableByName)]
    struct Resolved {
        #[diesel(sql_type = Text)]
        discrepancy_id: String,
    }
    let resolved: Vec<Resolved> = Prepared::new(
        "SELECT discrepancy_id FROM reconciliation_resolutions WHERE discrepancy_id = ANY($1)",
    )
    .bind::<Array<Text>, _>(sorted(&wanted.discrepancies))
    .load(conn)?;
    w.resolved
        .extend(resolved.into_iter().map(|r| r.discrepancy_id));
    Ok(())
}

/// Loads what `commands` may read. The chain head is already locked.
pub fn working_set(
    conn: &mut PgConnection,
    commands: &[Command],
    instance: &Arc<Instance>,
    settings: &Arc<Settings>,
) -> Result<Working, BatchError> {
    let now = Utc::now();
    let (mut wanted, resume, expire) = from_commands(commands);
    let mut w = Working {
        now,
        today: vietnam_date(now),
        settings: Arc::clone(settings),
        instance: Arc::clone(instance),
        live: HashSet::new(),
        keys: Rows::default(),
        payments: Rows::default(),
        parties: Default::default(),
        by_cccd: Default::default(),
        by_phone: Default::default(),
        links: Default::default(),
        bills: Default::default(),
        quotes: Default::default(),
        records: Rows::default(),
        claims: Default::default(),
        requests: Rows::default(),
        merchants: Default::default(),
        orders: Rows::default(),
        usage: Rows::default(),
        devices: HashSet::new(),
        new_devices: Vec::new(),
        resolved: HashSet::new(),
        resolutions: Vec::new(),
        refunds: Vec::new(),
        revenue: Default::default(),
        events: Vec::new(),
        remote_payees: Default::default(),
        remote_requests: std::mem::take(&mut wanted.remote_requests),
    };
    load_keys(conn, &wanted.keys, &mut w.keys)?;
    for k in w.keys.values() {
        if let Some(resource) = k.resource_id.as_ref().filter(|_| k.response.is_none()) {
            if resource.starts_with("pay_") {
                wanted.payments.insert(resource.clone());
            }
        }
    }
    load_details(conn, &mut w, &mut wanted)?;
    let order_payments: Vec<String> = w.orders.values().map(|o| o.payment_id.clone()).collect();
    wanted.payments.extend(order_payments);
    load_requests(conn, &mut w, &mut wanted, expire)?;
    load_payments(conn, &mut w, &mut wanted, resume)?;
    // Requests and orders named by the payments just loaded.
    load_requests(conn, &mut w, &mut wanted, None)?;
    load_details(conn, &mut w, &mut wanted)?;
    load_parties(conn, &mut w, &wanted)?;
    load_records(conn, &mut w, &mut wanted)?;
    load_usage(conn, &mut w, &wanted)?;
    load_devices(conn, &mut w, &wanted)?;
    load_resolved(conn, &mut w, &wanted)?;
    if w.payments.values().any(|p| p.driver.is_some()) {
        w.live = instance::live(conn).map_err(|e| BatchError::Broken(e.to_string()))?;
    }
    Ok(w)
}
