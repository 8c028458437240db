//! The in-memory orders of one simulated provider and what happened to their
//! callbacks, shared by the three providers.

use super::delivery::{Callback, DeliveryLog};
use super::ProviderSimConfig;
use crate::simulator::statements::{Profile, Reconciled, TweakStore};
use crate::statement::{LineStatus, StatementEntry, StatementSource};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Orders one simulator keeps; a demo or test suite needs a few hundred. The bound
/// keeps a runaway client from growing the process without limit.
pub const MAX_ORDERS: usize = 10_000;

/// How long one callback attempt may take before it counts as unanswered.
pub const CALLBACK_TIMEOUT: Duration = Duration::from_secs(5);

/// What a signed callback says; the provider turns it into its own format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Paid (true) or cancelled by the payer (false).
    pub paid: bool,
    /// The provider's transaction id; 0 when none was assigned.
    pub transaction_id: u64,
    /// The amount the callback reports, in dong.
    pub amount: i64,
    /// Sign with a key that is not the merchant's (forged callbacks).
    pub bad_signature: bool,
    /// When the provider says it happened.
    pub at: DateTime<Utc>,
    /// The provider's code for a declined payment when it is not the generic
    /// user-declined one (MoMo 4002, ...).
    pub decline: Option<i32>,
}

/// One simulated provider: its order type and callback format.
pub(crate) trait Wallet: Send + Sync + 'static {
    /// What the simulator keeps of an order (the create request, mostly).
    type Order: Clone + PartialEq + Send + Sync + 'static;
    /// Callback attempts before giving up (the first one included).
    const ATTEMPTS: u32;

    /// The order's amount in dong.
    fn amount(order: &Self::Order) -> i64;
    /// Where this order's callback goes.
    fn callback_url(&self, order: &Self::Order) -> String;
    /// A transaction id in the provider's style, from a per-simulator sequence.
    fn transaction_id(sequence: u64, at: DateTime<Utc>) -> u64;
    /// The signed callback reporting `outcome`, or `None` when the provider sends
    /// none for it.
    fn callback(&self, order: &Self::Order, outcome: &Outcome) -> Option<Callback>;
    /// Whether the merchant's answer stops the retries, the provider's way.
    fn acknowledged(status: u16, body: &str) -> bool;

    /// Which statement this provider's orders are listed on.
    const SOURCE: StatementSource;
    /// Whose statement: the terminal, partner or app the simulator serves.
    fn statement_account(&self) -> String;
    /// The provider's failure code a cancel may be declined with (`"4002"` at MoMo),
    /// or `None` if `code` is not one of this provider's failure codes.
    fn decline_code(code: &str) -> Option<i32>;
    /// A decline code as the provider writes it.
    fn format_decline(code: i32) -> String {
        code.to_string()
    }
    /// The order a payment URL's query describes, checked as the provider's page checks
    /// it, with its reference: for a provider that learns of an order only when the
    /// payer opens its page (VNPay). `Err` carries the page's refusal.
    fn order_from_page(
        &self,
        _query: &[(String, String)],
    ) -> Result<(String, Self::Order), PageRefusal> {
        Err(PageRefusal {
            code: "order_not_found",
            message: "this provider's orders are created through its API".into(),
        })
    }
}

/// Why a provider's payment page refuses a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageRefusal {
    pub code: &'static str,
    pub message: String,
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    /// Created, waiting for the payer.
    Pending,
    /// Paid.
    Paid,
    /// Cancelled by the payer.
    Cancelled,
}

pub(crate) struct Entry<O> {
    pub order: O,
    pub status: OrderStatus,
    pub transaction_id: Option<u64>,
    /// The last callback sent by pay or cancel, for `replay`.
    pub last_callback: Option<Callback>,
    pub delivery: Option<DeliveryLog>,
    /// When it was paid or cancelled.
    pub finished_at: Option<DateTime<Utc>>,
    /// The failure code a cancel was declined with, if not the generic one.
    pub decline: Option<i32>,
}

/// Why an order cannot be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CreateError {
    /// The reference is taken by a different order (or a finished one).
    Duplicate,
    /// [`MAX_ORDERS`] reached.
    Full,
}

/// A simulated provider's state.
pub(crate) struct WalletState<W: Wallet> {
    pub wallet: W,
    orders: Mutex<HashMap<String, Entry<W::Order>>>,
    pub client: reqwest::Client,
    pub backoff: Duration,
    sequence: AtomicU64,
    tweaks: TweakStore,
}

impl<W: Wallet> WalletState<W> {
    pub fn new(wallet: W, config: &ProviderSimConfig) -> Self {
        // No connection pool: callbacks are sent from several worker runtimes, and a
        // pooled connection dies with the runtime that opened it.
        let client = reqwest::Client::builder()
            .timeout(CALLBACK_TIMEOUT)
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            // Building only fails when a TLS backend cannot load, and this crate
            // enables none; the default client is then the same minus the settings.
            .unwrap_or_default();
        WalletState {
            wallet,
            orders: Mutex::new(HashMap::new()),
            client,
            backoff: config.callback_backoff,
            sequence: AtomicU64::new(0),
            tweaks: TweakStore::default(),
        }
    }

    // Every change under the lock is a handful of assignments after all checks, so a
    // poisoned lock never holds a half-made change.
    pub fn orders(&self) -> MutexGuard<'_, HashMap<String, Entry<W::Order>>> {
        self.orders.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A fresh transaction id.
    pub fn next_transaction_id(&self, at: DateTime<Utc>) -> u64 {
        W::transaction_id(self.sequence.fetch_add(1, Ordering::Relaxed) + 1, at)
    }

    /// Stores a new order. The same order again (a reloaded page, a retried create)
    /// is accepted while pending, as the providers treat it as one order.
    pub fn create(&self, reference: &str, order: W::Order) -> Result<(), CreateError> {
        let mut orders = self.orders();
        if let Some(entry) = orders.get(reference) {
            return if entry.order == order && entry.status == OrderStatus::Pending {
                Ok(())
            } else {
                Err(CreateError::Duplicate)
            };
        }
        if orders.len() >= MAX_ORDERS {
            return Err(CreateError::Full);
        }
        orders.insert(
            reference.to_owned(),
            Entry {
                order,
                status: OrderStatus::Pending,
                transaction_id: None,
                last_callback: None,
                delivery: None,
                finished_at: None,
                decline: None,
            },
        );
        Ok(())
    }

    /// Where an order stands, what it is for, its transaction id once paid, and the
    /// failure code it was declined with.
    pub fn state_of(&self, reference: &str) -> Option<OrderState> {
        let orders = self.orders();
        let entry = orders.get(reference)?;
        Some(OrderState {
            status: entry.status,
            amount: W::amount(&entry.order),
            transaction_id: entry.transaction_id,
            decline: entry.decline,
        })
    }

    /// The control API's view of an order.
    pub fn view(&self, reference: &str) -> Option<OrderView> {
        let orders = self.orders();
        let entry = orders.get(reference)?;
        Some(OrderView {
            reference: reference.to_owned(),
            amount: W::amount(&entry.order),
            status: entry.status,
            provider_transaction_id: entry.transaction_id.map(|id| id.to_string()),
            callback_url: self.wallet.callback_url(&entry.order),
            callback: entry.delivery.clone(),
        })
    }
}

impl<W: Wallet> Reconciled for WalletState<W> {
    fn profile(&self) -> Profile {
        Profile {
            source: W::SOURCE,
            account: self.wallet.statement_account(),
        }
    }

    /// Paid orders as settled, cancelled ones as failed; pending ones are not listed.
    fn entries(&self) -> Vec<StatementEntry> {
        self.orders()
            .iter()
            .filter_map(|(reference, entry)| {
                let status = match entry.status {
                    OrderStatus::Pending => return None,
                    OrderStatus::Paid => LineStatus::Settled,
                    OrderStatus::Cancelled => LineStatus::Failed,
                };
                Some(StatementEntry {
                    reference: reference.clone(),
                    their_id: entry.transaction_id.map(|id| id.to_string()),
                    amount: W::amount(&entry.order),
                    status,
                    at: entry.finished_at?,
                    party: None,
                    bank_bin: None,
                    account: None,
                    bill_ref: None,
                    result_code: entry.decline.map(W::format_decline),
                })
            })
            .collect()
    }

    fn tweaks(&self) -> &TweakStore {
        &self.tweaks
    }
}

impl<W: Wallet> fmt::Debug for WalletState<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WalletState")
            .field("orders", &self.orders().len())
            .finish_non_exhaustive()
    }
}

/// What a status query learns of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OrderState {
    pub status: OrderStatus,
    pub amount: i64,
    pub transaction_id: Option<u64>,
    pub decline: Option<i32>,
}

/// An order as `GET /{provider}/orders/{reference}` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    /// The provider reference (`vnp_TxnRef`, `orderId`, `app_trans_id`).
    pub reference: String,
    /// Amount in dong.
    pub amount: i64,
    /// Where the order stands.
    pub status: OrderStatus,
    /// The provider's transaction id once paid.
    pub provider_transaction_id: Option<String>,
    /// Where callbacks go.
    pub callback_url: String,
    /// The delivery of the pay or cancel callback; `null` before either, and after a
    /// ZaloPay cancel (ZaloPay sends nothing then).
    pub callback: Option<DeliveryLog>,
}
