//! Property tests: any day's entries read back as written, and no input makes a parser
//! panic.

use super::tests::{entry, header};
use super::*;
use chrono::{Duration, TimeZone};
use proptest::prelude::*;

fn any_source() -> impl Strategy<Value = StatementSource> {
    proptest::sample::select(StatementSource::ALL.to_vec())
}

/// A reference as the gateway sends them: printable ASCII, no spaces.
fn any_reference() -> impl Strategy<Value = String> {
    "[!-~]{1,64}"
}

fn any_status() -> impl Strategy<Value = LineStatus> {
    prop_oneof![Just(LineStatus::Settled), Just(LineStatus::Failed)]
}

/// Entries of one Vietnam day (2024-05-20), whole seconds, in time order.
fn any_day_entries(
    source: StatementSource,
    max_amount: i64,
) -> impl Strategy<Value = Vec<StatementEntry>> {
    let start = Utc.with_ymd_and_hms(2024, 5, 19, 17, 0, 0).unwrap();
    proptest::collection::vec(
        (
            any_reference(),
            0..=max_amount,
            any_status(),
            0i64..86_400,
            proptest::option::of("[A-Z0-9]{1,20}"),
            any::<bool>(),
        ),
        0..12,
    )
    .prop_map(move |rows| {
        let mut entries: Vec<StatementEntry> = rows
            .into_iter()
            .map(|(reference, amount, status, second, their_id, credit)| {
                let mut e = entry(
                    source,
                    &reference,
                    amount,
                    status,
                    start + Duration::seconds(second),
                );
                e.their_id = their_id;
                if source == StatementSource::Napas && credit {
                    e.party = Some("credit".to_owned());
                }
                e
            })
            .collect();
        entries.sort_by_key(|e| e.at);
        entries
    })
}

fn check_round_trip(
    source: StatementSource,
    entries: &[StatementEntry],
) -> Result<(), TestCaseError> {
    let date = NaiveDate::from_ymd_opt(2024, 5, 20).unwrap();
    let bytes = write(source, &header(date), entries).expect("writes");
    let statement = parse(source, &bytes).map_err(|err| TestCaseError::fail(err.to_string()))?;
    prop_assert_eq!(statement.business_date, date);
    prop_assert_eq!(statement.lines.len(), entries.len());
    for (line, e) in statement.lines.iter().zip(entries) {
        prop_assert_eq!(&line.reference, &e.reference);
        prop_assert_eq!(&line.their_id, &e.their_id);
        prop_assert_eq!(line.amount, e.amount);
        prop_assert_eq!(line.status, e.status);
        prop_assert_eq!(line.at, e.at);
        prop_assert_eq!(&line.party, &e.party);
    }
    Ok(())
}

proptest! {
    #[test]
    fn napas_round_trips(entries in any_day_entries(StatementSource::Napas, 999_999_999_999)) {
        check_round_trip(StatementSource::Napas, &entries)?;
    }

    #[test]
    fn momo_round_trips(entries in any_day_entries(StatementSource::Momo, 1_000_000_000_000_000)) {
        check_round_trip(StatementSource::Momo, &entries)?;
    }

    #[test]
    fn every_format_round_trips(
        (source, entries) in any_source().prop_flat_map(|source| {
            (Just(source), any_day_entries(source, 999_999_999_999))
        })
    ) {
        check_round_trip(source, &entries)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(source in any_source(), bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse(source, &bytes);
    }

    /// Damage to a real file: it is read or refused, never a panic, and a file read
    /// after damage still has consistent totals.
    #[test]
    fn damaged_files_never_panic(
        (source, entries) in any_source().prop_flat_map(|source| {
            (Just(source), any_day_entries(source, 999_999))
        }),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let date = NaiveDate::from_ymd_opt(2024, 5, 20).unwrap();
        let mut bytes = write(source, &header(date), &entries).expect("writes");
        for (at, byte, kind) in edits {
            let i = at.index(bytes.len() + 1);
            match kind {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => {}
            }
        }
        if let Ok(statement) = parse(source, &bytes) {
            prop_assert_eq!(statement.source, source);
        }
    }

    /// Text that looks like each format's records, shuffled: never a panic.
    #[test]
    fn record_like_text_never_panics(
        source in any_source(),
        rows in proptest::collection::vec(
            prop_oneof![
                Just("HR[REV]  971999[DATE]20052024".to_owned()),
                Just("TR[NOT]000000000[TOT]000000000000000000".to_owned()),
                Just("T|0|0".to_owned()),
                Just("total;0;0".to_owned()),
                Just("TOTAL,0,0".to_owned()),
                Just("H|EVN|x|20240520|P".to_owned()),
                "[ -~]{0,80}",
                "DR\\[MTI\\]0210\\[F2\\][ -~]{0,40}",
            ],
            0..8,
        ),
    ) {
        let _ = parse(source, rows.join("\n").as_bytes());
    }
}
