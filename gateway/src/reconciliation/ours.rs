//! Our side of a statement: the payments that went through one outside system, as
//! that system should know them (the amount we asked it to move, where each stands).

use std::collections::HashMap;

use adapters::billing::BillerKind;
use adapters::statement::StatementSource;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamptz};
use ledger::store::Prepared;

use super::matching::{OurRecord, RecordStatus};
use crate::error::ApiError;
use crate::payments::model::{PaymentKind, PaymentStatus};
use crate::rules::vietnam_day_bounds;

/// A payment with what tells which system it went through.
#[derive(Debug, Clone, QueryableByName)]
pub struct OutsidePayment {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = BigInt)]
    pub amount: i64,
    #[diesel(sql_type = BigInt)]
    pub fee: i64,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Bool)]
    pub via_bank: bool,
    #[diesel(sql_type = Bool)]
    pub to_bank_account: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub provider: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub biller_code: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

impl OutsidePayment {
    /// The system the payment's money went through, if any.
    pub fn source(&self) -> Option<StatementSource> {
        match PaymentKind::parse(&self.kind)? {
            PaymentKind::Topup if self.via_bank => Some(StatementSource::Napas),
            PaymentKind::Topup => match self.provider.as_deref()? {
                "vnpay" => Some(StatementSource::Vnpay),
                "momo" => Some(StatementSource::Momo),
                "zalopay" => Some(StatementSource::Zalopay),
                _ => None,
            },
            PaymentKind::Withdrawal => Some(StatementSource::Napas),
            PaymentKind::Transfer if self.to_bank_account => Some(StatementSource::Napas),
            PaymentKind::Bill | PaymentKind::Insurance => {
                match adapters::billing::find_biller(self.biller_code.as_deref()?)?.kind {
                    BillerKind::Electricity => Some(StatementSource::Evn),
                    BillerKind::Water => Some(StatementSource::Water),
                    BillerKind::SocialInsurance | BillerKind::HealthInsurance => {
                        Some(StatementSource::Vss)
                    }
                }
            }
            PaymentKind::Transfer | PaymentKind::Merchant => None,
        }
    }

    /// Whether funds stay held on the wallet while the outside system acts.
    pub fn holds(&self) -> bool {
        matches!(
            PaymentKind::parse(&self.kind),
            Some(PaymentKind::Withdrawal | PaymentKind::Bill | PaymentKind::Insurance)
        ) || (self.kind == PaymentKind::Transfer.as_str() && self.to_bank_account)
    }

    /// Where the payment stands as the outside system sees it; `None` for one that
    /// never reached it (waiting for the payer's step-up).
    pub fn record_status(&self) -> Option<RecordStatus> {
        Some(match PaymentStatus::parse(&self.status)? {
            PaymentStatus::Pending => RecordStatus::Pending,
            PaymentStatus::Succeeded
            | PaymentStatus::Refunded
            | PaymentStatus::PartiallyRefunded
            | PaymentStatus::Authorized => RecordStatus::Settled,
            PaymentStatus::Failed | PaymentStatus::Voided => RecordStatus::Failed,
            PaymentStatus::RequiresStepUp => return None,
        })
    }

    /// What we asked the system to move: a bank top-up debits the fee with the amount.
    pub fn outside_amount(&self) -> i64 {
        if self.kind == PaymentKind::Topup.as_str() && self.via_bank {
            self.amount.saturating_add(self.fee)
        } else {
            self.amount
        }
    }

    pub fn record(&self) -> Option<OurRecord> {
        Some(OurRecord {
            payment_id: self.id.clone(),
            amount: self.outside_amount(),
            status: self.record_status()?,
        })
    }
}

/// Our side for `source` on `day`: every payment the statement names (whenever it was
/// made), and the ids of the payments we made through `source` that day.
pub struct OurSide {
    pub records: HashMap<String, OurRecord>,
    pub of_day: Vec<String>,
    pub holds: HashMap<String, bool>,
}

impl OurSide {
    /// Our side as several databases hold it (each home shard its own citizens'
    /// payments), as one: a payment lives on one shard only.
    pub fn merge(parts: Vec<OurSide>) -> OurSide {
        let mut whole = OurSide {
            records: HashMap::new(),
            of_day: Vec::new(),
            holds: HashMap::new(),
        };
        for part in parts {
            whole.records.extend(part.records);
            whole.of_day.extend(part.of_day);
            whole.holds.extend(part.holds);
        }
        whole
    }
}

pub fn load(
    conn: &mut PgConnection,
    source: StatementSource,
    day: NaiveDate,
    references: Vec<String>,
) -> Result<OurSide, ApiError> {
    let (from, to) = vietnam_day_bounds(day);
    let named: Vec<OutsidePayment> = Prepared::new(
        "SELECT p.id, p.kind, p.amount, p.fee, p.status, \
         p.bank_link_id IS NOT NULL AS via_bank, p.payee_bank_bin IS NOT NULL AS to_bank_account, \
         o.provider, b.biller_code, p.created_at \
         FROM payments p LEFT JOIN provider_orders o ON o.payment_id = p.id \
         LEFT JOIN biller_payments b ON b.payment_id = p.id WHERE p.id = ANY($1)",
    )
    .bind::<Array<Text>, _>(references)
    .load(conn)?;
    let of_day: Vec<OutsidePayment> = Prepared::new(
        "SELECT p.id, p.kind, p.amount, p.fee, p.status, \
         p.bank_link_id IS NOT NULL AS via_bank, p.payee_bank_bin IS NOT NULL AS to_bank_account, \
         o.provider, b.biller_code, p.created_at \
         FROM payments p LEFT JOIN provider_orders o ON o.payment_id = p.id \
         LEFT JOIN biller_payments b ON b.payment_id = p.id \
         WHERE p.created_at >= $1 AND p.created_at < $2 \
         AND (p.kind IN ('topup', 'withdrawal', 'bill', 'insurance') OR p.payee_bank_bin IS NOT NULL) \
         ORDER BY p.created_at, p.id",
    )
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(conn)?;
    let mut side = OurSide {
        records: HashMap::new(),
        of_day: Vec::new(),
        holds: HashMap::new(),
    };
    // A reference of a payment that went elsewhere is not ours at this system.
    for p in named.iter().chain(of_day.iter()) {
        if p.source() != Some(source) {
            continue;
        }
        if let Some(record) = p.record() {
            side.holds.insert(p.id.clone(), p.holds());
            side.records.insert(p.id.clone(), record);
        }
    }
    side.of_day = of_day
        .iter()
        .filter(|p| side.records.contains_key(&p.id))
        .map(|p| p.id.clone())
        .collect();
    Ok(side)
}
