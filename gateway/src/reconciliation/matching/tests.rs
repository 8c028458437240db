use std::collections::HashMap;

use proptest::prelude::*;

use super::*;

fn ours(records: &[(&str, i64, RecordStatus)]) -> (HashMap<String, OurRecord>, Vec<String>) {
    let map = records
        .iter()
        .map(|(id, amount, status)| {
            (
                id.to_string(),
                OurRecord {
                    payment_id: id.to_string(),
                    amount: *amount,
                    status: *status,
                },
            )
        })
        .collect();
    (map, records.iter().map(|r| r.0.to_string()).collect())
}

fn line(n: u32, reference: &str, amount: i64, status: RecordStatus) -> TheirLine {
    TheirLine {
        line: n,
        reference: reference.into(),
        their_id: Some(format!("T{n}")),
        amount,
        status,
    }
}

use RecordStatus::{Failed, Pending, Settled};

/// Worked example: five payments of a day at a biller, and the biller's file with one
/// of each kind of difference.
#[test]
fn each_kind_of_difference_is_found_once() {
    let (map, day) = ours(&[
        ("pay_ok", 100_000, Settled),
        ("pay_amount", 200_000, Settled),
        ("pay_failed", 300_000, Failed),
        ("pay_gone", 400_000, Settled),
        ("pay_dup", 500_000, Settled),
    ]);
    let lines = vec![
        line(1, "pay_ok", 100_000, Settled),
        line(2, "pay_amount", 210_000, Settled),
        line(3, "pay_failed", 300_000, Settled),
        line(4, "pay_dup", 500_000, Settled),
        line(5, "pay_dup", 500_000, Settled),
        line(6, "pay_phantom", 50_000, Settled),
    ];
    let m = reconcile(&lines, &map, &day, |_| true);
    let kinds: Vec<_> = m
        .findings
        .iter()
        .map(|f| (f.kind, f.reference.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (DiscrepancyKind::AmountMismatch, "pay_amount"),
            (DiscrepancyKind::StatusMismatch, "pay_failed"),
            (DiscrepancyKind::MissingAtUs, "pay_phantom"),
            (DiscrepancyKind::Duplicate, "pay_dup"),
            (DiscrepancyKind::MissingAtThem, "pay_gone"),
        ]
    );
    assert_eq!(m.matched, 2);
    assert_eq!(
        m.their_total,
        100_000 + 210_000 + 300_000 + 500_000 * 2 + 50_000
    );
    assert_eq!(m.our_total, 100_000 + 200_000 + 400_000 + 500_000);
    let actions = |r: &str| {
        m.findings
            .iter()
            .find(|f| f.reference == r)
            .unwrap()
            .actions
            .clone()
    };
    assert_eq!(actions("pay_amount"), vec![Action::Credit, Action::Dismiss]);
    assert_eq!(actions("pay_failed"), vec![Action::Credit, Action::Dismiss]);
    assert_eq!(actions("pay_gone"), vec![Action::Reverse, Action::Dismiss]);
    assert_eq!(actions("pay_phantom"), vec![Action::Dismiss]);
    assert_eq!(actions("pay_dup"), vec![Action::Dismiss]);
}

#[test]
fn waiting_payments_resolve_through_their_holds() {
    let (map, day) = ours(&[
        ("pay_bill", 90_000, Pending),
        ("pay_topup", 80_000, Pending),
    ]);
    let holds = |id: &str| id == "pay_bill";
    let settled = reconcile(
        &[
            line(1, "pay_bill", 90_000, Settled),
            line(2, "pay_topup", 80_000, Settled),
        ],
        &map,
        &day,
        holds,
    );
    assert_eq!(
        settled.findings[0].actions,
        vec![Action::PostHold, Action::Dismiss]
    );
    assert_eq!(
        settled.findings[1].actions,
        vec![Action::Credit, Action::Dismiss]
    );
    let failed = reconcile(&[line(1, "pay_bill", 90_000, Failed)], &map, &day, holds);
    assert_eq!(failed.findings[0].kind, DiscrepancyKind::StatusMismatch);
    assert_eq!(
        failed.findings[0].actions,
        vec![Action::VoidHold, Action::Dismiss]
    );
    // The top-up they never saw: nothing is held, the gateway's own query decides.
    let gone = failed
        .findings
        .iter()
        .find(|f| f.reference == "pay_topup")
        .unwrap();
    assert_eq!(gone.kind, DiscrepancyKind::MissingAtThem);
    assert_eq!(gone.actions, vec![Action::Dismiss]);
}

/// NAPAS lists a transfer refused for want of funds and its successful retry under one
/// reference: failed, then settled. That is one settled transfer, not a duplicate.
#[test]
fn a_failed_attempt_before_a_settled_retry_is_no_difference() {
    let (map, day) = ours(&[("pay_retried", 70_000, Settled)]);
    let m = reconcile(
        &[
            line(1, "pay_retried", 70_000, Failed),
            line(2, "pay_retried", 70_000, Settled),
        ],
        &map,
        &day,
        |_| true,
    );
    assert!(m.findings.is_empty(), "{:?}", m.findings);
    assert_eq!(m.matched, 1);
    // Settled twice is.
    let m = reconcile(
        &[
            line(1, "pay_retried", 70_000, Settled),
            line(2, "pay_retried", 70_000, Failed),
            line(3, "pay_retried", 70_000, Settled),
        ],
        &map,
        &day,
        |_| true,
    );
    assert_eq!(m.findings.len(), 1);
    assert_eq!(
        (m.findings[0].kind, m.findings[0].their_line),
        (DiscrepancyKind::Duplicate, Some(3))
    );
}

#[test]
fn failures_on_both_sides_or_only_theirs_agree() {
    let (map, day) = ours(&[("pay_a", 1_000, Failed)]);
    let m = reconcile(
        &[
            line(1, "pay_a", 1_000, Failed),
            line(2, "pay_unknown", 5, Failed),
        ],
        &map,
        &day,
        |_| false,
    );
    assert!(m.findings.is_empty());
    assert_eq!(m.matched, 1);
    // Our failure they never saw is no difference either.
    assert!(reconcile(&[], &map, &day, |_| false).findings.is_empty());
}

fn status() -> impl Strategy<Value = RecordStatus> {
    prop_oneof![Just(Settled), Just(Failed), Just(Pending)]
}

proptest! {
    /// A statement that lists every settled payment as settled (and any failed ones
    /// as failed) agrees; one change to it is found as exactly one difference of the
    /// kind the change makes.
    #[test]
    fn one_change_one_difference(
        records in prop::collection::vec((1i64..10_000_000, status()), 1..30),
        pick in any::<prop::sample::Index>(),
        change in 0u8..5,
    ) {
        let records: Vec<(String, i64, RecordStatus)> = records
            .into_iter()
            .enumerate()
            .map(|(i, (a, s))| (format!("pay_{i}"), a, if s == Pending { Settled } else { s }))
            .collect();
        let borrowed: Vec<(&str, i64, RecordStatus)> =
            records.iter().map(|(id, a, s)| (id.as_str(), *a, *s)).collect();
        let (map, day) = ours(&borrowed);
        let mut lines: Vec<TheirLine> = records
            .iter()
            .enumerate()
            .map(|(i, (id, a, s))| line(i as u32 + 1, id, *a, *s))
            .collect();
        let agreed = reconcile(&lines, &map, &day, |_| false);
        prop_assert!(agreed.findings.is_empty());
        prop_assert_eq!(agreed.matched as usize, lines.len());
        let at = pick.index(lines.len());
        let target_settled = lines[at].status == Settled;
        let expected = match change {
            0 if target_settled => { lines.remove(at); DiscrepancyKind::MissingAtThem }
            1 if target_settled => { lines[at].amount += 1; DiscrepancyKind::AmountMismatch }
            2 => {
                lines[at].status = if target_settled { Failed } else { Settled };
                DiscrepancyKind::StatusMismatch
            }
            3 if target_settled => {
                let copy = lines[at].clone();
                lines.push(copy);
                DiscrepancyKind::Duplicate
            }
            _ => {
                lines.push(line(999, "pay_phantom", 10, Settled));
                DiscrepancyKind::MissingAtUs
            }
        };
        let found = reconcile(&lines, &map, &day, |_| false);
        prop_assert_eq!(found.findings.len(), 1, "{:?}", found.findings);
        prop_assert_eq!(found.findings[0].kind, expected);
        prop_assert!(found.findings[0].actions.contains(&Action::Dismiss));
    }
}
