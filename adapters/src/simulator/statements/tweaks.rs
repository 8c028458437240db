//! The tweaks that make a statement disagree with the system's records, and how they
//! change the entries of a day. Pure apart from the store's lock, so tested without
//! HTTP.

use super::Profile;
use crate::bank::wire::is_valid_reference;
use crate::billing::{find_biller, BillerKind};
use crate::providers::vietnam_time::to_vietnam;
use crate::statement::{business_date_of, LineStatus, StatementEntry, StatementSource};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Tweaks one simulator keeps, so a runaway test cannot grow the process without limit.
pub const MAX_TWEAKS: usize = 1_000;

/// The largest amount a tweak may report, in dong (the wire formats' bound).
const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// The BIN an added NAPAS line names: Vietcombank's, the most common one.
const PHANTOM_BIN: &str = "970436";

/// How a tweak changes the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Change {
    Omit,
    Duplicate,
    Amount,
    Status,
    Add,
}

impl Change {
    fn parse(text: &str) -> Option<Change> {
        match text {
            "omit" => Some(Change::Omit),
            "duplicate" => Some(Change::Duplicate),
            "amount" => Some(Change::Amount),
            "status" => Some(Change::Status),
            "add" => Some(Change::Add),
            _ => None,
        }
    }
}

/// One tweak as the control API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Tweak {
    pub reference: String,
    pub change: Change,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<LineStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// When it was made: the time of an added line without a real record.
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
}

fn rfc3339<S: serde::Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// Body of `POST .../statements/tweaks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TweakRequest {
    reference: String,
    change: String,
    #[serde(default)]
    amount: Option<i64>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    party: Option<String>,
}

/// Why a tweak was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TweakError {
    #[error("the body is not the expected JSON: {0}")]
    InvalidRequest(String),
    #[error("change must be omit, duplicate, amount, status or add")]
    UnknownChange,
    #[error("reference must be 1 to 64 printable ASCII characters")]
    InvalidReference,
    #[error("amount must be given for this change, 0 to 10^15 dong")]
    InvalidAmount,
    #[error("status must be given for this change, settled or failed")]
    InvalidStatus,
    #[error("party must be debit or credit at NAPAS, a biller code of this system at a biller, and is not used otherwise")]
    InvalidParty,
    #[error("too many tweaks; clear them with DELETE")]
    Full,
}

impl TweakError {
    pub(crate) fn code(&self) -> &'static str {
        match self {
            TweakError::InvalidRequest(_) => "invalid_request",
            TweakError::UnknownChange => "unknown_change",
            TweakError::InvalidReference => "invalid_reference",
            TweakError::InvalidAmount => "invalid_amount",
            TweakError::InvalidStatus => "invalid_status",
            TweakError::InvalidParty => "invalid_party",
            TweakError::Full => "too_many_tweaks",
        }
    }
}

fn parse_status(text: &str) -> Result<LineStatus, TweakError> {
    match text {
        "settled" => Ok(LineStatus::Settled),
        "failed" => Ok(LineStatus::Failed),
        _ => Err(TweakError::InvalidStatus),
    }
}

/// Whether `party` can name the side of an added line at `source`.
fn accepts_party(source: StatementSource, party: &str) -> bool {
    let kind_ok = |kind: BillerKind| match source {
        StatementSource::Evn => kind == BillerKind::Electricity,
        StatementSource::Water => kind == BillerKind::Water,
        StatementSource::Vss => {
            matches!(
                kind,
                BillerKind::SocialInsurance | BillerKind::HealthInsurance
            )
        }
        _ => false,
    };
    match source {
        StatementSource::Napas => party == "debit" || party == "credit",
        StatementSource::Vnpay | StatementSource::Momo | StatementSource::Zalopay => false,
        StatementSource::Evn | StatementSource::Water | StatementSource::Vss => {
            find_biller(party).is_some_and(|biller| kind_ok(biller.kind))
        }
    }
}

/// The side of an added line when the tweak names none.
fn default_party(source: StatementSource) -> Option<&'static str> {
    match source {
        StatementSource::Napas => Some("debit"),
        StatementSource::Evn => Some("EVNHANOI"),
        StatementSource::Water => Some("HAWACO"),
        StatementSource::Vss => Some("VSS_BHXH"),
        StatementSource::Vnpay | StatementSource::Momo | StatementSource::Zalopay => None,
    }
}

/// A transaction id in the system's style for the `sequence`-th added line. The ranges
/// are far above the simulators' own sequences, so a phantom never shares an id.
fn phantom_id(source: StatementSource, sequence: usize, at: DateTime<Utc>) -> String {
    let n = u64::try_from(sequence).unwrap_or(u64::MAX) % 1_000_000;
    match source {
        StatementSource::Napas => format!("NAPAS9{n:011}"),
        StatementSource::Vnpay => (19_000_000 + n).to_string(),
        StatementSource::Momo => (4_900_000_000 + n).to_string(),
        StatementSource::Zalopay => format!("{}9{n:08}", to_vietnam(at).format("%y%m%d")),
        StatementSource::Evn => format!("EVNPHANTOMTX{n:06}"),
        StatementSource::Water => format!("WTRPHANTOMTX{n:06}"),
        StatementSource::Vss => format!("VSS{}9{n:07}", to_vietnam(at).format("%Y%m%d")),
    }
}

impl Tweak {
    /// Reads and checks a `POST` body for a system of `source`.
    pub(crate) fn from_request(
        body: &[u8],
        source: StatementSource,
        now: DateTime<Utc>,
    ) -> Result<Tweak, TweakError> {
        let request: TweakRequest = serde_json::from_slice(body)
            .map_err(|err| TweakError::InvalidRequest(err.to_string()))?;
        let change = Change::parse(&request.change).ok_or(TweakError::UnknownChange)?;
        if !is_valid_reference(&request.reference) {
            return Err(TweakError::InvalidReference);
        }
        let amount = match (change, request.amount) {
            (Change::Amount | Change::Add, Some(amount)) if (0..=MAX_AMOUNT).contains(&amount) => {
                Some(amount)
            }
            (Change::Amount | Change::Add, _) => return Err(TweakError::InvalidAmount),
            (_, Some(_)) => return Err(TweakError::InvalidAmount),
            (_, None) => None,
        };
        let status = match (change, request.status.as_deref()) {
            (Change::Status, Some(text)) => Some(parse_status(text)?),
            (Change::Status, None) => return Err(TweakError::InvalidStatus),
            (Change::Add, Some(text)) => Some(parse_status(text)?),
            (Change::Add, None) => Some(LineStatus::Settled),
            (_, Some(_)) => return Err(TweakError::InvalidStatus),
            (_, None) => None,
        };
        let party = match (change, request.party) {
            (Change::Add, Some(party)) if accepts_party(source, &party) => Some(party),
            (_, Some(_)) => return Err(TweakError::InvalidParty),
            (_, None) => None,
        };
        Ok(Tweak {
            reference: request.reference,
            change,
            amount,
            status,
            party,
            created_at: now,
        })
    }
}

/// The tweaks in force at one simulator.
#[derive(Debug, Default)]
pub(crate) struct TweakStore(Mutex<Vec<Tweak>>);

impl TweakStore {
    // Every change is one push or clear, so a poisoned lock still holds a whole list.
    fn lock(&self) -> MutexGuard<'_, Vec<Tweak>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a tweak; answers every tweak in force.
    pub(crate) fn add(&self, tweak: Tweak) -> Result<Vec<Tweak>, TweakError> {
        let mut tweaks = self.lock();
        if tweaks.len() >= MAX_TWEAKS {
            return Err(TweakError::Full);
        }
        tweaks.push(tweak);
        Ok(tweaks.clone())
    }

    /// Every tweak in force, oldest first.
    pub(crate) fn list(&self) -> Vec<Tweak> {
        self.lock().clone()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

/// The entries the file of `date` lists: the system's records changed by `tweaks` (in
/// order), then those of that business day, by time.
pub(crate) fn apply(
    mut entries: Vec<StatementEntry>,
    tweaks: &[Tweak],
    profile: &Profile,
    date: NaiveDate,
) -> Vec<StatementEntry> {
    entries.sort_by_key(|entry| entry.at);
    // An added line goes on the day of the real record, whatever other tweaks did to it.
    let mut real_times: HashMap<String, DateTime<Utc>> = HashMap::new();
    for entry in &entries {
        real_times
            .entry(entry.reference.clone())
            .or_insert(entry.at);
    }
    for (index, tweak) in tweaks.iter().enumerate() {
        let matches = |entry: &StatementEntry| entry.reference == tweak.reference;
        match tweak.change {
            Change::Omit => entries.retain(|entry| !matches(entry)),
            Change::Duplicate => {
                entries = entries
                    .into_iter()
                    .flat_map(|entry| {
                        let copies = if matches(&entry) { 2 } else { 1 };
                        std::iter::repeat_n(entry, copies)
                    })
                    .collect();
            }
            Change::Amount => {
                for entry in entries.iter_mut().filter(|entry| matches(entry)) {
                    entry.amount = tweak.amount.unwrap_or(entry.amount);
                }
            }
            Change::Status => {
                for entry in entries.iter_mut().filter(|entry| matches(entry)) {
                    entry.status = tweak.status.unwrap_or(entry.status);
                }
            }
            Change::Add => {
                let at = real_times
                    .get(&tweak.reference)
                    .copied()
                    .unwrap_or(tweak.created_at);
                entries.push(phantom(profile.source, index + 1, tweak, at));
            }
        }
    }
    entries.retain(|entry| business_date_of(entry.at) == date);
    entries.sort_by_key(|entry| entry.at);
    entries
}

fn phantom(
    source: StatementSource,
    sequence: usize,
    tweak: &Tweak,
    at: DateTime<Utc>,
) -> StatementEntry {
    let party = tweak
        .party
        .clone()
        .or_else(|| default_party(source).map(str::to_owned));
    StatementEntry {
        reference: tweak.reference.clone(),
        their_id: Some(phantom_id(source, sequence, at)),
        amount: tweak.amount.unwrap_or(0),
        status: tweak.status.unwrap_or(LineStatus::Settled),
        at,
        party,
        bank_bin: (source == StatementSource::Napas).then(|| PHANTOM_BIN.to_owned()),
        account: None,
        bill_ref: None,
        result_code: None,
    }
}
