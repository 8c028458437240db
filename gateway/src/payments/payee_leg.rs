//! The payee's half of a transfer to a citizen on another home shard: the outside call
//! such a payment waits for. The payer's hold toward `xs:a→b` is already durable on
//! shard a; this places the payee's leg from `xs:b←a` on shard b, naming that hold.
//! The payment then posts the hold (the commit point) or voids it, and the leg is
//! finished from it, here at once or by any replica's sweeper within a second.
//!
//! A shard b that does not answer refuses the call: the hold is voided and the payment
//! fails, never waits. If b did place the leg and only its answer was lost, the
//! sweeper voids that leg from the voided hold, so nothing is ever applied once on one
//! side only.

use std::collections::HashMap;

use actix_web::web;
use ledger::shards::protocol::{
    decided, leg_id_for, payee_leg_for, placed, resolve, sweep_decision, Side,
};

use crate::chart::{Purpose, VND};
use crate::citizens::identity;
use crate::commit::{Confirmation, OutsideResult};
use crate::db;
use crate::payments::model::{PayeeView, PaymentView};
use crate::state::AppState;

/// What placing a leg may be refused with.
pub const PAYEE_SHARD_UNAVAILABLE: &str = "payee_shard_unavailable";
pub const PAYEE_NOT_FOUND: &str = "payee_not_found";
pub const PAYEE_REFUSED: &str = "payee_refused";

/// A leg to place on the payee's shard.
pub struct LegRequest<'a> {
    pub payer_shard: u16,
    pub payee_shard: u16,
    pub payee_identity_id: &'a str,
    pub hold: u128,
    pub amount: i64,
}

/// Places the payee's leg; every attempt writes the same leg (its id derives from
/// the hold), so a repeat answers `exists`.
pub async fn place(state: &AppState, leg: LegRequest<'_>) -> OutsideResult {
    let there = state.at_home(leg.payee_shard);
    let payee = leg.payee_identity_id.to_string();
    let (wallet, shown) = match db::run(&there, move |conn| identity::find(conn, &payee)).await {
        Ok(Some(row)) => match row.wallet_ledger_id() {
            Ok(wallet) => (wallet, PayeeView::citizen(&row.cccd, &row.full_name)),
            Err(_) => return OutsideResult::Refused(PAYEE_NOT_FOUND),
        },
        Ok(None) => return OutsideResult::Refused(PAYEE_NOT_FOUND),
        Err(e) => {
            tracing::warn!(shard = leg.payee_shard, error = %e, "payee's shard did not answer");
            return OutsideResult::Refused(PAYEE_SHARD_UNAVAILABLE);
        }
    };
    let transfer = payee_leg_for(
        leg.hold,
        leg.payer_shard,
        Side {
            shard: leg.payee_shard,
            account: wallet,
        },
        leg.amount.unsigned_abs(),
        VND,
        Purpose::Transfer.code(),
    );
    let Some(legs) = state.legs_on(leg.payee_shard) else {
        return OutsideResult::Refused(PAYEE_SHARD_UNAVAILABLE);
    };
    match legs.submit(vec![transfer]).await {
        Ok(results) => match results.first() {
            Some(&result) if placed(result) => {
                OutsideResult::Done(Confirmation::PayeeLeg { payee: shown })
            }
            Some(result) => {
                tracing::info!(%result, "payee's shard refused the leg");
                OutsideResult::Refused(PAYEE_REFUSED)
            }
            None => OutsideResult::Refused(PAYEE_SHARD_UNAVAILABLE),
        },
        Err(e) => {
            tracing::warn!(shard = leg.payee_shard, error = %e, "payee's shard did not place the leg");
            OutsideResult::Refused(PAYEE_SHARD_UNAVAILABLE)
        }
    }
}

/// Finishes the leg of `hold` from the hold as it now stands on the payer's shard
/// (posted: post the leg; voided: void it), so the payee has the money at once. The
/// ids are the sweeper's, so racing it is harmless; whatever this misses (a shard that
/// does not answer, a hold still pending), the sweeper finishes within a second.
pub async fn finish(state: &AppState, payer_shard: u16, payee_shard: u16, hold: u128) {
    let Some(legs) = state.legs_on(payee_shard) else {
        return;
    };
    let payer_ledger = state.at_home(payer_shard).ledger;
    let found = web::block(move || payer_ledger.lookup_holds(&[hold])).await;
    let status = match found {
        Ok(Ok(holds)) => holds.first().map(|h| h.status),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "reading a hold to finish its leg failed; the sweeper will");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "reading a hold to finish its leg was cancelled");
            None
        }
    };
    let Some(decision) = status.and_then(sweep_decision) else {
        return;
    };
    let finish = resolve(leg_id_for(hold), decision);
    match legs.submit(vec![finish]).await {
        Ok(results) => {
            if let Some(result) = results.first() {
                if decided("finish", decision, *result).is_err() {
                    tracing::error!(%result, "a payee's leg could not be finished");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "finishing a payee's leg failed; the sweeper will"),
    }
}

/// The views of payments, each with the payee its row names, with every payee who
/// lives on another home shard filled in from there (one read per shard): the payer's
/// shard has no row for that citizen, so its stored view cannot name them.
pub async fn with_remote_payees(
    state: &AppState,
    viewed: Vec<(Option<String>, PaymentView)>,
) -> Vec<PaymentView> {
    let mut wanted: HashMap<u16, Vec<String>> = HashMap::new();
    if state.routes_citizens() {
        for (payee, view) in &viewed {
            if let (Some(payee), None) = (payee, &view.payee) {
                wanted
                    .entry(state.shard_of_identity(payee))
                    .or_default()
                    .push(payee.clone());
            }
        }
    }
    let mut found: HashMap<String, PayeeView> = HashMap::new();
    for (shard, ids) in wanted {
        let rows = db::run(&state.at_home(shard), move |conn| {
            identity::find_many(conn, &ids)
        })
        .await;
        match rows {
            Ok(rows) => found.extend(
                rows.into_iter()
                    .map(|r| (r.id.clone(), PayeeView::citizen(&r.cccd, &r.full_name))),
            ),
            Err(e) => tracing::warn!(shard, error = %e, "payees on another shard unread"),
        }
    }
    viewed
        .into_iter()
        .map(|(payee, mut view)| {
            if view.payee.is_none() {
                view.payee = payee.and_then(|id| found.get(&id).cloned());
            }
            view
        })
        .collect()
}
