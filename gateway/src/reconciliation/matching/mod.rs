//! Matching one outside system's statement for a day against our payments, and what
//! an operator may do about each difference. Pure: lines and records in, findings out.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a movement stands, on either side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    Settled,
    Failed,
    /// Ours only: still waiting for the outside system.
    Pending,
}

impl RecordStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Settled => "settled",
            Self::Failed => "failed",
            Self::Pending => "pending",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Settled, Self::Failed, Self::Pending]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// A line of their statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TheirLine {
    pub line: u32,
    pub reference: String,
    pub their_id: Option<String>,
    pub amount: i64,
    /// `Settled` or `Failed`.
    pub status: RecordStatus,
}

/// One of our payments as that system should know it: the amount we asked it to move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OurRecord {
    pub payment_id: String,
    pub amount: i64,
    pub status: RecordStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiscrepancyKind {
    /// They settled a movement we have no payment for.
    MissingAtUs,
    /// We settled (or still hold) a movement their statement lacks.
    MissingAtThem,
    /// Both settled it, for different amounts.
    AmountMismatch,
    /// They settled and we failed or still wait, or the other way round.
    StatusMismatch,
    /// Their statement lists the same reference more than once.
    Duplicate,
}

impl DiscrepancyKind {
    pub const ALL: [Self; 5] = [
        Self::MissingAtUs,
        Self::MissingAtThem,
        Self::AmountMismatch,
        Self::StatusMismatch,
        Self::Duplicate,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MissingAtUs => "missing_at_us",
            Self::MissingAtThem => "missing_at_them",
            Self::AmountMismatch => "amount_mismatch",
            Self::StatusMismatch => "status_mismatch",
            Self::Duplicate => "duplicate",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What an operator may do about a difference. Every action but `dismiss` goes through
/// the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Book the movement they made and we lack (or the part of it we lack), in the
    /// payment's direction: a top-up credits the wallet.
    Credit,
    /// Undo the movement (or the part of it) we booked and they did not make.
    Reverse,
    /// Post the payment's held funds: they settled it while we still wait.
    PostHold,
    /// Release the payment's held funds: they failed it, or never saw it.
    VoidHold,
    /// Nothing to move on our side (their error, raised with them); recorded with its
    /// reason like any other resolution.
    Dismiss,
}

impl Action {
    pub const ALL: [Self; 5] = [
        Self::Credit,
        Self::Reverse,
        Self::PostHold,
        Self::VoidHold,
        Self::Dismiss,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Credit => "credit",
            Self::Reverse => "reverse",
            Self::PostHold => "post_hold",
            Self::VoidHold => "void_hold",
            Self::Dismiss => "dismiss",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A difference found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: DiscrepancyKind,
    pub reference: String,
    pub payment_id: Option<String>,
    pub their_line: Option<u32>,
    pub their_id: Option<String>,
    pub their_amount: Option<i64>,
    pub their_status: Option<RecordStatus>,
    pub our_amount: Option<i64>,
    pub our_status: Option<RecordStatus>,
    pub actions: Vec<Action>,
}

/// The outcome of matching one statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Matched {
    /// Their lines that agree with a payment of ours.
    pub matched: u32,
    pub findings: Vec<Finding>,
    /// What their settled lines add up to, and what our settled records of the day do.
    pub their_total: i64,
    pub our_total: i64,
}

/// What may settle a difference, given where each side stands. A payment still
/// waiting for the outside system resolves through its hold (`post_hold`/`void_hold`)
/// when `holds` says it has one, or by `credit` for a top-up, which holds nothing.
pub fn actions_for(
    kind: DiscrepancyKind,
    ours: Option<RecordStatus>,
    theirs: Option<RecordStatus>,
    their_amount: Option<i64>,
    our_amount: Option<i64>,
    holds: bool,
) -> Vec<Action> {
    use Action::*;
    use RecordStatus::*;
    let fix = match (kind, ours, theirs) {
        (DiscrepancyKind::MissingAtThem, Some(Settled), _) => vec![Reverse],
        (DiscrepancyKind::MissingAtThem, Some(Pending), _) if holds => vec![VoidHold],
        (DiscrepancyKind::AmountMismatch, _, _) => match (their_amount, our_amount) {
            (Some(t), Some(o)) if t > o => vec![Credit],
            (Some(t), Some(o)) if t < o => vec![Reverse],
            _ => vec![],
        },
        (DiscrepancyKind::StatusMismatch, Some(Failed), Some(Settled)) => vec![Credit],
        (DiscrepancyKind::StatusMismatch, Some(Pending), Some(Settled)) if holds => {
            vec![PostHold]
        }
        (DiscrepancyKind::StatusMismatch, Some(Pending), Some(Settled)) => vec![Credit],
        (DiscrepancyKind::StatusMismatch, Some(Settled), Some(Failed)) => vec![Reverse],
        (DiscrepancyKind::StatusMismatch, Some(Pending), Some(Failed)) if holds => {
            vec![VoidHold]
        }
        _ => vec![],
    };
    fix.into_iter().chain([Dismiss]).collect()
}

/// Matches `lines` against `ours` (our records of every reference the statement
/// names, and of every payment of the day) where `of_day` lists the payments we made
/// that day through this system. `holds(payment_id)` says whether a payment holds
/// funds while it waits.
pub fn reconcile(
    lines: &[TheirLine],
    ours: &HashMap<String, OurRecord>,
    of_day: &[String],
    holds: impl Fn(&str) -> bool,
) -> Matched {
    let mut out = Matched::default();
    // Each reference once, in the order first listed, with the line that stands for
    // it: the first settled one, else the first failed one. A failed attempt before a
    // settled retry is how a bank lists a retry, not a difference; only money settled
    // twice is a duplicate.
    let mut order: Vec<&str> = Vec::new();
    let mut standing: HashMap<&str, &TheirLine> = HashMap::new();
    let mut duplicates: Vec<&TheirLine> = Vec::new();
    for line in lines {
        if line.status == RecordStatus::Settled {
            out.their_total = out.their_total.saturating_add(line.amount);
        }
        match standing.get(line.reference.as_str()) {
            None => {
                order.push(&line.reference);
                standing.insert(&line.reference, line);
            }
            Some(first) if first.status == RecordStatus::Settled => {
                if line.status == RecordStatus::Settled {
                    duplicates.push(line);
                }
            }
            Some(_) => {
                if line.status == RecordStatus::Settled {
                    standing.insert(&line.reference, line);
                }
            }
        }
    }
    let finding = |line: &TheirLine, kind: DiscrepancyKind| {
        let record = ours.get(&line.reference);
        let our_status = record.map(|r| r.status);
        let our_amount = record.map(|r| r.amount);
        let has_holds = record.is_some_and(|r| holds(&r.payment_id));
        Finding {
            kind,
            reference: line.reference.clone(),
            payment_id: record.map(|r| r.payment_id.clone()),
            their_line: Some(line.line),
            their_id: line.their_id.clone(),
            their_amount: Some(line.amount),
            their_status: Some(line.status),
            our_amount,
            our_status,
            actions: actions_for(
                kind,
                our_status,
                Some(line.status),
                Some(line.amount),
                our_amount,
                has_holds,
            ),
        }
    };
    for reference in &order {
        let Some(line) = standing.get(reference).copied() else {
            continue;
        };
        let kind = match (ours.get(*reference), line.status) {
            // A failure of something we never knew moved nothing: no difference, and
            // nothing of ours to match either.
            (None, RecordStatus::Failed) => continue,
            (None, _) => Some(DiscrepancyKind::MissingAtUs),
            (Some(r), RecordStatus::Settled) => match r.status {
                RecordStatus::Settled if r.amount == line.amount => None,
                RecordStatus::Settled => Some(DiscrepancyKind::AmountMismatch),
                RecordStatus::Failed | RecordStatus::Pending => {
                    Some(DiscrepancyKind::StatusMismatch)
                }
            },
            (Some(r), _) => match r.status {
                RecordStatus::Failed => None,
                RecordStatus::Settled | RecordStatus::Pending => {
                    Some(DiscrepancyKind::StatusMismatch)
                }
            },
        };
        match kind {
            Some(kind) => out.findings.push(finding(line, kind)),
            None => out.matched += 1,
        }
    }
    for line in duplicates {
        out.findings.push(finding(line, DiscrepancyKind::Duplicate));
    }
    let seen: HashSet<&str> = order.iter().copied().collect();
    for id in of_day {
        let Some(r) = ours.get(id) else { continue };
        if r.status == RecordStatus::Settled {
            out.our_total = out.our_total.saturating_add(r.amount);
        }
        if seen.contains(id.as_str()) || r.status == RecordStatus::Failed {
            continue;
        }
        out.findings.push(Finding {
            kind: DiscrepancyKind::MissingAtThem,
            reference: id.clone(),
            payment_id: Some(r.payment_id.clone()),
            their_line: None,
            their_id: None,
            their_amount: None,
            their_status: None,
            our_amount: Some(r.amount),
            our_status: Some(r.status),
            actions: actions_for(
                DiscrepancyKind::MissingAtThem,
                Some(r.status),
                None,
                None,
                Some(r.amount),
                holds(&r.payment_id),
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests;
