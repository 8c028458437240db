//! What a batch's commands name: the keys of every table they may read, and the
//! resumer's and the expiry's sweeps.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::commit::command::{Command, NewPayment, PayeeRef};
use crate::merchants::requests::RequestRow;
use crate::payments::model::{PaymentKind, PaymentRow};

/// The keys each table is looked up by, gathered from the commands and from rows
/// loaded in earlier rounds.
#[derive(Default)]
pub(super) struct Wanted {
    pub keys: HashSet<(String, String)>,
    pub payments: HashSet<String>,
    pub requests: HashSet<String>,
    pub parties: HashSet<String>,
    pub cccds: HashSet<String>,
    pub phones: HashSet<String>,
    pub links: HashSet<String>,
    pub bills: HashSet<String>,
    pub quotes: HashSet<String>,
    pub records: HashSet<(String, String)>,
    pub orders: HashSet<String>,
    pub order_refs: HashSet<(String, String)>,
    pub usage: HashSet<String>,
    pub devices: HashSet<(String, String)>,
    pub discrepancies: HashSet<String>,
    /// Merchants named by requests on other home shards, and those requests.
    pub merchants: HashSet<String>,
    pub remote_requests: HashMap<String, RequestRow>,
}

pub(super) fn sorted<T: Ord + Clone>(set: &HashSet<T>) -> Vec<T> {
    let mut v: Vec<T> = set.iter().cloned().collect();
    v.sort();
    v
}

/// A query's cutoff and row limit.
pub(super) type Sweep = Option<(DateTime<Utc>, i64)>;

/// What the commands name, and the resumer's and the expiry's sweeps.
pub(super) fn from_commands(commands: &[Command]) -> (Wanted, Sweep, Sweep) {
    let mut w = Wanted::default();
    let (mut resume, mut expire) = (None, None);
    for c in commands {
        match c {
            Command::Pay {
                key,
                caller,
                payment,
            } => {
                if let Some(device) = &caller.device_id {
                    w.devices
                        .insert((caller.identity_id.clone(), device.clone()));
                }
                w.keys.insert((key.scope.clone(), key.key.clone()));
                w.usage.insert(caller.identity_id.clone());
                w.parties.insert(caller.identity_id.clone());
                match payment {
                    NewPayment::ToCitizen { payee, .. } => match payee {
                        PayeeRef::Cccd(c) => {
                            w.cccds.insert(c.clone());
                        }
                        PayeeRef::Phone(p) => {
                            w.phones.insert(p.clone());
                        }
                        PayeeRef::Remote { .. } => {}
                    },
                    NewPayment::Withdrawal { bank_link_id, .. }
                    | NewPayment::BankTopup { bank_link_id, .. } => {
                        w.links.insert(bank_link_id.clone());
                    }
                    NewPayment::Bill { bill_id } => {
                        w.bills.insert(bill_id.clone());
                    }
                    NewPayment::Insurance { quote_id } => {
                        w.quotes.insert(quote_id.clone());
                    }
                    NewPayment::Merchant {
                        request_id, remote, ..
                    } => {
                        // A copy here means a payment here claimed it already.
                        w.requests.insert(request_id.clone());
                        if let Some(row) = remote {
                            w.merchants.insert(row.merchant_id.clone());
                            w.remote_requests
                                .insert(request_id.clone(), (**row).clone());
                        }
                    }
                    NewPayment::ToBankAccount { .. } | NewPayment::ProviderTopup { .. } => {}
                }
            }
            Command::Confirm {
                key,
                caller,
                payment_id,
                remote_request,
                ..
            } => {
                if let Some(row) = remote_request {
                    w.merchants.insert(row.merchant_id.clone());
                    w.remote_requests.insert(row.id.clone(), (**row).clone());
                }
                w.keys.insert((key.scope.clone(), key.key.clone()));
                w.usage.insert(caller.identity_id.clone());
                w.parties.insert(caller.identity_id.clone());
                w.payments.insert(payment_id.clone());
            }
            Command::Settle {
                payment_id, key, ..
            } => {
                w.payments.insert(payment_id.clone());
                if let Some(k) = key {
                    w.keys.insert((k.scope.clone(), k.key.clone()));
                }
            }
            Command::Resume { before, limit } => resume = Some((*before, *limit)),
            Command::ProviderCallback(result) => {
                w.order_refs.insert((
                    result.provider.as_str().to_string(),
                    result.reference.clone(),
                ));
            }
            Command::CreateRequest { key, .. } => {
                w.keys.insert((key.scope.clone(), key.key.clone()));
            }
            Command::Capture {
                key, request_id, ..
            }
            | Command::Void {
                key, request_id, ..
            }
            | Command::Refund {
                key, request_id, ..
            } => {
                w.keys.insert((key.scope.clone(), key.key.clone()));
                w.requests.insert(request_id.clone());
            }
            Command::ExpireRequests { before, limit } => expire = Some((*before, *limit)),
            Command::Resolve { key, request } => {
                w.keys.insert((key.scope.clone(), key.key.clone()));
                w.discrepancies.insert(request.discrepancy.id.clone());
                if let Some(id) = &request.discrepancy.payment_id {
                    w.payments.insert(id.clone());
                }
            }
        }
    }
    (w, resume, expire)
}

/// What a loaded payment needs besides itself: its payee, link, bill record,
/// provider order, merchant request, and its citizen's counters.
pub(super) fn wants_of(p: &PaymentRow, wanted: &mut Wanted) {
    wanted.usage.insert(p.identity_id.clone());
    wanted.parties.insert(p.identity_id.clone());
    // A payee on another shard has no row here; wanting one is harmless.
    if let Some(payee) = &p.payee_identity_id {
        wanted.parties.insert(payee.clone());
    }
    if let Some(link) = &p.bank_link_id {
        wanted.links.insert(link.clone());
    }
    if let Some(request) = &p.payment_request_id {
        wanted.requests.insert(request.clone());
    }
    match p.kind() {
        Some(PaymentKind::Bill | PaymentKind::Insurance) => {
            wanted
                .records
                .insert((p.identity_id.clone(), p.idempotency_key.clone()));
        }
        Some(PaymentKind::Topup) if p.bank_link_id.is_none() => {
            wanted.orders.insert(p.id.clone());
        }
        _ => {}
    }
}
