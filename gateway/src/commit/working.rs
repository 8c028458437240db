//! One batch's working set: every row its commands may read, loaded (and locked) at
//! the start, changed in memory as each command is applied in order, and written at
//! the end with a few multi-row statements. What a command reads is what the earlier
//! commands of the batch left, exactly as if they had committed one by one.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::bills::inquiries::InquiryRow;
use crate::bills::quotes::QuoteRow;
use crate::bills::records::RecordRow;
use crate::citizens::bank_links::BankLinkRow;
use crate::instance::Instance;
use crate::merchants::requests::RequestRow;
use crate::merchants::store::MerchantRow;
use crate::merchants::webhooks::NewEvent;
use crate::payments::model::PaymentRow;
use crate::payments::provider_orders::ProviderOrderRow;
use crate::rules::MovementRules;
use crate::usage::UsageRow;

/// Rows of one table: loaded ones, new ones (in the order made), and which loaded ones
/// changed.
#[derive(Debug)]
pub struct Rows<K, V> {
    rows: HashMap<K, V>,
    new: Vec<K>,
    is_new: HashSet<K>,
    changed: HashSet<K>,
}

impl<K: Eq + Hash + Clone, V> Default for Rows<K, V> {
    fn default() -> Self {
        Self {
            rows: HashMap::new(),
            new: Vec::new(),
            is_new: HashSet::new(),
            changed: HashSet::new(),
        }
    }
}

impl<K: Eq + Hash + Clone, V> Rows<K, V> {
    /// A row as stored.
    pub fn loaded(&mut self, key: K, row: V) {
        self.rows.entry(key).or_insert(row);
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.rows.get(key)
    }

    pub fn contains(&self, key: &K) -> bool {
        self.rows.contains_key(key)
    }

    fn touch(&mut self, key: &K) {
        if !self.is_new.contains(key) {
            self.changed.insert(key.clone());
        }
    }

    /// A row to change; it will be written back.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        if self.rows.contains_key(key) {
            self.touch(key);
        }
        self.rows.get_mut(key)
    }

    /// A row to insert.
    pub fn insert(&mut self, key: K, row: V) {
        if self.is_new.insert(key.clone()) {
            self.new.push(key.clone());
        }
        self.rows.insert(key, row);
    }

    /// The row to change, made by `make` (and inserted) if there is none.
    pub fn upsert(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        if self.rows.contains_key(&key) {
            self.touch(&key);
        } else if self.is_new.insert(key.clone()) {
            self.new.push(key.clone());
        }
        self.rows.entry(key).or_insert_with(make)
    }

    pub fn new_rows(&self) -> impl Iterator<Item = &V> {
        self.new.iter().filter_map(|k| self.rows.get(k))
    }

    pub fn changed_rows(&self) -> impl Iterator<Item = &V> {
        self.changed.iter().filter_map(|k| self.rows.get(k))
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.rows.values()
    }
}

/// An idempotency record.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    pub scope: String,
    pub key: String,
    pub fingerprint: Vec<u8>,
    pub fingerprint_version: i16,
    pub resource_id: Option<String>,
    pub response: Option<(i32, String)>,
    pub created_at: DateTime<Utc>,
}

/// A citizen as a batch needs them: as payee, as the insured, as one confirming.
#[derive(Debug, Clone)]
pub struct Party {
    pub cccd: String,
    pub full_name: String,
    pub vneid_level: i16,
    pub wallet: u128,
}

/// The configuration commands apply.
#[derive(Debug, Clone)]
pub struct Settings {
    pub rules: MovementRules,
    pub fees: crate::config::Fees,
    pub provider_order_ttl_seconds: u64,
    /// The gateway's collection account in merchants' VietQR codes.
    pub qr_bank_bin: String,
    pub qr_account: String,
    /// The gateway's address as payers and providers see it.
    pub public_url: String,
    /// The home shard this writer serves, when citizens are routed to shards.
    pub home: Option<crate::homes::HomeShard>,
}

/// What a batch may read and change.
pub struct Working {
    pub now: DateTime<Utc>,
    /// Today in Vietnam, the day limits count in.
    pub today: NaiveDate,
    pub settings: Arc<Settings>,
    pub instance: Arc<Instance>,
    /// Instances alive now (loaded only when a batch must judge a driver).
    pub live: HashSet<Uuid>,
    pub keys: Rows<(String, String), KeyRecord>,
    pub payments: Rows<String, PaymentRow>,
    /// Citizens by id, and the ids of those found by CCCD or phone.
    pub parties: HashMap<String, Party>,
    pub by_cccd: HashMap<String, String>,
    pub by_phone: HashMap<String, Vec<String>>,
    pub links: HashMap<String, BankLinkRow>,
    pub bills: HashMap<String, InquiryRow>,
    pub quotes: HashMap<String, QuoteRow>,
    /// Biller payment records by (identity, idempotency key); `claims` names the
    /// record holding each bill or quote.
    pub records: Rows<(String, String), RecordRow>,
    pub claims: HashMap<String, (String, String)>,
    pub requests: Rows<String, RequestRow>,
    pub merchants: HashMap<String, MerchantRow>,
    pub orders: Rows<String, ProviderOrderRow>,
    pub usage: Rows<String, UsageRow>,
    /// Citizens' devices that moved money before, and those newly confirmed.
    pub devices: HashSet<(String, String)>,
    pub new_devices: Vec<(String, String)>,
    /// Reconciliation differences already resolved, and the resolutions made now.
    pub resolved: HashSet<String>,
    pub resolutions: Vec<crate::reconciliation::store::ResolutionRow>,
    pub refunds: Vec<crate::merchants::refunds::RefundRow>,
    /// What captures and refunds add to merchants' monthly revenue.
    pub revenue: crate::revenue::delta::RevenueBook,
    pub events: Vec<NewEvent>,
    /// Payees on other home shards, as their shard described them when the leg was
    /// placed, by payment: for the answer only, never written here.
    pub remote_payees: HashMap<String, crate::payments::model::PayeeView>,
    /// Payment requests that live on another home shard, as the payer's route read
    /// them there, by id: what a payment is checked against before it claims one.
    /// Never written here; a claimed request's copy is, once its claim stands.
    pub remote_requests: HashMap<String, RequestRow>,
}

impl Working {
    /// For a payee who lives on another home shard: (this shard, theirs).
    pub fn shards_toward(&self, payee_identity_id: &str) -> Option<(u16, u16)> {
        let home = self.settings.home.as_ref()?;
        let theirs = home.shard_of_identity(payee_identity_id);
        (theirs != home.index).then_some((home.index, theirs))
    }

    /// For a payment request that lives on another home shard: (this shard, its).
    pub fn request_crossing(&self, request_id: &str) -> Option<(u16, u16)> {
        let home = self.settings.home.as_ref()?;
        let theirs = home.shard_of_request(request_id);
        (theirs != home.index).then_some((home.index, theirs))
    }

    /// The shards a transfer to a citizen crosses, when its payee is on another one.
    pub fn crossing(&self, p: &PaymentRow) -> Option<(u16, u16)> {
        match (p.kind(), &p.payee_identity_id) {
            (Some(crate::payments::model::PaymentKind::Transfer), Some(payee)) => {
                self.shards_toward(payee)
            }
            _ => None,
        }
    }
}
