//! Unit tests of the tweaks: how each changes a day's entries, and the checks of a
//! request.

use super::tweaks::{apply, Change, Tweak, TweakError, TweakStore, MAX_TWEAKS};
use super::Profile;
use crate::statement::{LineStatus, StatementEntry, StatementSource};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    // Hours are UTC: 2024-05-{day} 00:00..16:59 UTC is the same Vietnam date.
    Utc.with_ymd_and_hms(2024, 5, day, hour, 0, 0).unwrap()
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 5, day).unwrap()
}

fn entry(reference: &str, amount: i64, when: DateTime<Utc>) -> StatementEntry {
    StatementEntry {
        reference: reference.to_owned(),
        their_id: Some(format!("id-{reference}")),
        amount,
        status: LineStatus::Settled,
        at: when,
        party: Some("debit".to_owned()),
        bank_bin: Some("970436".to_owned()),
        account: Some("****4567".to_owned()),
        bill_ref: None,
        result_code: None,
    }
}

fn profile() -> Profile {
    Profile {
        source: StatementSource::Napas,
        account: "971999".to_owned(),
    }
}

fn tweak(body: &str, now: DateTime<Utc>) -> Tweak {
    Tweak::from_request(body.as_bytes(), StatementSource::Napas, now).expect("valid")
}

fn records() -> Vec<StatementEntry> {
    vec![
        entry("pay_b", 200, at(20, 5)),
        entry("pay_a", 100, at(20, 1)),
        entry("pay_old", 50, at(19, 3)),
    ]
}

fn references(entries: &[StatementEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.reference.as_str()).collect()
}

#[test]
fn without_tweaks_a_day_lists_its_own_records_by_time() {
    let day = apply(records(), &[], &profile(), date(20));
    assert_eq!(references(&day), ["pay_a", "pay_b"]);
    let before = apply(records(), &[], &profile(), date(19));
    assert_eq!(references(&before), ["pay_old"]);
    // 17:00 UTC is the next day in Vietnam.
    let late = apply(
        vec![entry("pay_late", 1, at(20, 17))],
        &[],
        &profile(),
        date(21),
    );
    assert_eq!(references(&late), ["pay_late"]);
}

#[test]
fn each_change() {
    let now = at(20, 9);
    let omit = tweak(r#"{"reference":"pay_a","change":"omit"}"#, now);
    assert_eq!(
        references(&apply(records(), &[omit], &profile(), date(20))),
        ["pay_b"]
    );

    let duplicate = tweak(r#"{"reference":"pay_b","change":"duplicate"}"#, now);
    let day = apply(records(), &[duplicate], &profile(), date(20));
    assert_eq!(references(&day), ["pay_a", "pay_b", "pay_b"]);
    assert_eq!(day[1], day[2]);

    let amount = tweak(
        r#"{"reference":"pay_a","change":"amount","amount":99}"#,
        now,
    );
    let day = apply(records(), &[amount], &profile(), date(20));
    assert_eq!((day[0].amount, day[1].amount), (99, 200));

    let status = tweak(
        r#"{"reference":"pay_b","change":"status","status":"failed"}"#,
        now,
    );
    let day = apply(records(), &[status], &profile(), date(20));
    assert_eq!(
        (day[0].status, day[1].status),
        (LineStatus::Settled, LineStatus::Failed)
    );
}

#[test]
fn an_added_line_is_dated_today_or_on_the_real_record() {
    let now = at(20, 9);
    let phantom = tweak(
        r#"{"reference":"pay_ghost","change":"add","amount":5000}"#,
        now,
    );
    let day = apply(records(), &[phantom], &profile(), date(20));
    assert_eq!(references(&day), ["pay_a", "pay_b", "pay_ghost"]);
    let ghost = &day[2];
    assert_eq!(
        (ghost.amount, ghost.status, ghost.at),
        (5_000, LineStatus::Settled, now)
    );
    assert_eq!(ghost.party.as_deref(), Some("debit"));
    assert!(ghost
        .their_id
        .as_deref()
        .is_some_and(|id| id.starts_with("NAPAS9")));
    // An added line for a real record of another day goes on that day's file.
    let extra = tweak(
        r#"{"reference":"pay_old","change":"add","amount":7,"status":"failed","party":"credit"}"#,
        now,
    );
    let day = apply(
        records(),
        std::slice::from_ref(&extra),
        &profile(),
        date(19),
    );
    assert_eq!(references(&day), ["pay_old", "pay_old"]);
    assert_eq!((day[1].amount, day[1].status), (7, LineStatus::Failed));
    assert_eq!(day[1].party.as_deref(), Some("credit"));
    assert!(apply(records(), &[extra], &profile(), date(20))
        .iter()
        .all(|e| e.reference != "pay_old"));
}

#[test]
fn tweaks_apply_in_order() {
    let now = at(20, 9);
    let tweaks = [
        tweak(r#"{"reference":"pay_a","change":"duplicate"}"#, now),
        tweak(r#"{"reference":"pay_a","change":"amount","amount":1}"#, now),
    ];
    let day = apply(records(), &tweaks, &profile(), date(20));
    assert_eq!(references(&day), ["pay_a", "pay_a", "pay_b"]);
    assert!(day[..2].iter().all(|e| e.amount == 1));
}

#[test]
fn requests_are_checked() {
    let now = at(20, 9);
    let refused = |body: &str, source: StatementSource| {
        Tweak::from_request(body.as_bytes(), source, now).unwrap_err()
    };
    let napas = StatementSource::Napas;
    assert_eq!(
        refused(r#"{"reference":"p","change":"swap"}"#, napas),
        TweakError::UnknownChange
    );
    assert_eq!(
        refused(r#"{"reference":"","change":"omit"}"#, napas),
        TweakError::InvalidReference
    );
    assert_eq!(
        refused(r#"{"reference":"p","change":"amount"}"#, napas),
        TweakError::InvalidAmount
    );
    assert_eq!(
        refused(r#"{"reference":"p","change":"amount","amount":-1}"#, napas),
        TweakError::InvalidAmount
    );
    assert_eq!(
        refused(r#"{"reference":"p","change":"status"}"#, napas),
        TweakError::InvalidStatus
    );
    assert_eq!(
        refused(
            r#"{"reference":"p","change":"status","status":"lost"}"#,
            napas
        ),
        TweakError::InvalidStatus
    );
    assert_eq!(
        refused(
            r#"{"reference":"p","change":"add","amount":1,"party":"sideways"}"#,
            napas
        ),
        TweakError::InvalidParty
    );
    assert_eq!(
        refused(
            r#"{"reference":"p","change":"add","amount":1,"party":"EVNHANOI"}"#,
            StatementSource::Water
        ),
        TweakError::InvalidParty
    );
    assert_eq!(
        refused(
            r#"{"reference":"p","change":"add","amount":1,"party":"x"}"#,
            StatementSource::Momo
        ),
        TweakError::InvalidParty
    );
    assert!(matches!(
        refused("not json", napas),
        TweakError::InvalidRequest(_)
    ));
    assert!(matches!(
        refused(r#"{"reference":"p","change":"omit","extra":1}"#, napas),
        TweakError::InvalidRequest(_)
    ));
    let water = Tweak::from_request(
        br#"{"reference":"p","change":"add","amount":1,"party":"SAWACO"}"#,
        StatementSource::Water,
        now,
    )
    .expect("a water company");
    assert_eq!(
        (water.change, water.party.as_deref()),
        (Change::Add, Some("SAWACO"))
    );
}

#[test]
fn the_store_is_bounded_and_clears() {
    let store = TweakStore::default();
    let one = tweak(r#"{"reference":"p","change":"omit"}"#, at(20, 1));
    for _ in 0..MAX_TWEAKS {
        store.add(one.clone()).expect("room");
    }
    assert_eq!(store.add(one.clone()), Err(TweakError::Full));
    store.clear();
    assert_eq!(store.add(one).map(|list| list.len()), Ok(1));
}
