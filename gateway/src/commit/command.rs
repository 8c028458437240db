//! What requests and background tasks ask the group commit to make durable, and what
//! each is answered.

use actix_web::http::StatusCode;
use adapters::billing::InsuranceScheme;
use adapters::funding::Provider;
use adapters::identity::Cccd;
use adapters::vneid::AuthMethod;
use chrono::{DateTime, Utc};

use crate::payments::model::PaymentRow;

/// An `Idempotency-Key` as a request presents it, with the request's fingerprint (its
/// method, path and body).
#[derive(Debug, Clone)]
pub struct KeyClaim {
    pub scope: String,
    pub key: String,
    pub fingerprint: Vec<u8>,
    /// The body's hash alone, as records made before fingerprints covered the method
    /// and path were compared.
    pub legacy_fingerprint: Vec<u8>,
}

/// The key's record, to be completed with the final answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyRef {
    pub scope: String,
    pub key: String,
}

impl KeyClaim {
    pub fn key_ref(&self) -> KeyRef {
        KeyRef {
            scope: self.scope.clone(),
            key: self.key.clone(),
        }
    }
}

/// The calling citizen, as their session carries them.
#[derive(Debug, Clone)]
pub struct Caller {
    pub identity_id: String,
    pub vneid_level: i16,
    /// The wallet's ledger account.
    pub wallet: u128,
    /// The device the session was opened on, if VNeID reported one.
    pub device_id: Option<String>,
}

/// Whom a transfer to a citizen goes to, as given.
#[derive(Debug, Clone)]
pub enum PayeeRef {
    Cccd(String),
    Phone(String),
    /// A citizen on another home shard, found there before the command was queued.
    Remote {
        identity_id: String,
    },
}

/// A money movement a citizen starts.
#[derive(Debug, Clone)]
pub enum NewPayment {
    ToCitizen {
        payee: PayeeRef,
        amount: i64,
        note: Option<String>,
    },
    ToBankAccount {
        bank_bin: String,
        account_number: String,
        amount: i64,
        note: Option<String>,
    },
    Withdrawal {
        bank_link_id: String,
        amount: i64,
    },
    BankTopup {
        bank_link_id: String,
        amount: i64,
    },
    ProviderTopup {
        provider: Provider,
        amount: i64,
    },
    Bill {
        bill_id: String,
    },
    Insurance {
        quote_id: String,
    },
    /// `qr_amount` is the amount a scanned VietQR carried (`Some(None)`: it carried
    /// none), which must be the request's.
    Merchant {
        request_id: String,
        qr_amount: Option<Option<u64>>,
        /// The request as its own home shard holds it, when that is not the payer's:
        /// the payment is checked against it, then claims it there.
        remote: Option<Box<crate::merchants::requests::RequestRow>>,
    },
}

/// A biometric VNeID assertion presented to confirm a payment (its signature checked
/// and its `jti` spent already).
#[derive(Debug, Clone)]
pub struct StepUp {
    pub cccd: String,
    pub auth: AuthMethod,
    pub nonce: Option<String>,
    pub issued_at: i64,
}

/// A new payment request, validated.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub amount: i64,
    pub order_ref: String,
    pub description: Option<String>,
    pub manual_capture: bool,
    pub expires_in_seconds: i64,
    pub return_url: Option<String>,
}

/// What a provider's callback (or an answer to our query) said of an order.
#[derive(Debug, Clone)]
pub struct ProviderResult {
    pub provider: Provider,
    pub reference: String,
    pub amount: i64,
    pub success: bool,
    pub transaction_id: Option<String>,
    pub result_code: String,
}

/// Everything the group commit does: each is applied in the order received, against
/// what the earlier ones of its batch left, exactly as if applied alone.
#[derive(Debug, Clone)]
pub enum Command {
    /// A citizen starts a payment. A transfer to a citizen and a merchant payment end
    /// here; the others wait for an outside system ([`Reply::Drive`]).
    Pay {
        key: KeyClaim,
        caller: Caller,
        payment: NewPayment,
    },
    /// A citizen confirms a `requires_step_up` payment.
    /// `step_up` is `None` for a retry of a request already recorded under its key
    /// (its assertion was spent by the first attempt).
    Confirm {
        key: KeyClaim,
        caller: Caller,
        payment_id: String,
        step_up: Option<StepUp>,
        /// For a merchant payment whose request lives on another home shard: that
        /// request as read there, which the payment then claims.
        remote_request: Option<Box<crate::merchants::requests::RequestRow>>,
    },
    /// An outside system answered (or did not) for a payment this instance drives.
    Settle {
        payment_id: String,
        key: Option<KeyRef>,
        answer_status: StatusCode,
        result: OutsideResult,
    },
    /// Takes over up to `limit` pending payments nobody drives, quiet since `before`.
    Resume {
        before: DateTime<Utc>,
        limit: i64,
    },
    ProviderCallback(ProviderResult),
    /// A merchant creates a payment request.
    CreateRequest {
        key: KeyClaim,
        merchant_id: String,
        request: NewRequest,
    },
    Capture {
        key: KeyClaim,
        merchant_id: String,
        request_id: String,
        amount: Option<i64>,
    },
    Void {
        key: KeyClaim,
        merchant_id: String,
        request_id: String,
    },
    Refund {
        key: KeyClaim,
        merchant_id: String,
        request_id: String,
        amount: i64,
    },
    /// Closes up to `limit` payment requests past their expiry.
    ExpireRequests {
        before: DateTime<Utc>,
        limit: i64,
    },
    /// An operator resolves a reconciliation difference.
    Resolve {
        key: KeyClaim,
        request: Box<crate::reconciliation::resolve::ResolveRequest>,
    },
}

/// What an outside system did with a payment's step.
#[derive(Debug, Clone)]
pub enum OutsideResult {
    /// Done. A biller's confirmation, or a provider's new order, comes with it.
    Done(Confirmation),
    /// Refused, with the code the payment fails with.
    Refused(&'static str),
    /// No answer, or an answer that says nothing: ask again later.
    Unknown,
    /// What a provider says of a top-up order it was asked about.
    Order(adapters::funding::OrderState),
}

#[derive(Debug, Clone)]
pub enum Confirmation {
    Plain,
    Biller {
        transaction_id: String,
        confirmed_at: DateTime<Utc>,
    },
    ProviderOrder {
        reference: String,
        redirect_url: String,
    },
    /// The payee's leg stands on their shard; this is whom it credits.
    PayeeLeg {
        payee: crate::payments::model::PayeeView,
    },
    /// The payment request on another shard is claimed for this payment; this is the
    /// request as that shard holds it.
    RequestClaimed {
        request: Box<crate::merchants::requests::RequestRow>,
    },
}

/// The outside call a payment waits for.
#[derive(Debug, Clone)]
pub enum OutsideCall {
    BankDebit {
        bank_bin: String,
        account_number: String,
        amount: i64,
    },
    BankCredit {
        bank_bin: String,
        account_number: String,
        amount: i64,
    },
    BillerConfirm {
        biller_code: String,
        bill_ref: String,
        amount: i64,
    },
    Contribution {
        scheme: InsuranceScheme,
        insured: Cccd,
        amount: i64,
        months: u32,
    },
    ProviderOrder {
        provider: Provider,
        amount: i64,
    },
    /// Ask the provider what became of an order whose callback is late.
    ProviderQuery {
        provider: Provider,
        reference: String,
        created_at: DateTime<Utc>,
    },
    /// Place the payee's leg on their home shard, naming the hold on the payer's
    /// (the cross-shard protocol's prepare on b).
    PayeeLeg {
        payer_shard: u16,
        payee_shard: u16,
        payee_identity_id: String,
        hold: u128,
        amount: i64,
    },
    /// Claim the payment request on its home shard for this payment, whose money is
    /// held on the payer's.
    ClaimRequest {
        payer_shard: u16,
        request_shard: u16,
        request_id: String,
        amount: i64,
    },
}

/// A payment this instance now drives: make `call`, then [`Command::Settle`]. While
/// `guard` lives, nobody else takes the payment over.
#[derive(Debug)]
pub struct Drive {
    pub payment: PaymentRow,
    pub key: Option<KeyRef>,
    pub answer_status: StatusCode,
    pub call: OutsideCall,
    pub guard: crate::instance::DriveGuard,
}

/// The final answer to a request: stored under its key, or replayed from there.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub body: String,
    pub replayed: bool,
}

/// What became of a provider's callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackOutcome {
    Recorded,
    AlreadyRecorded,
    UnknownOrder,
    AmountMismatch,
}

#[derive(Debug)]
pub enum Reply {
    Answer(Answer),
    Drive(Box<Drive>),
    Drives(Vec<Drive>),
    Callback(CallbackOutcome),
    Count(usize),
}
