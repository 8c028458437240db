//! Property tests across the identity module.

use super::*;
use chrono::{Datelike, NaiveDate};
use proptest::prelude::*;

fn any_province() -> impl Strategy<Value = Province> {
    let known: Vec<Province> = Province::domestic()
        .chain(Province::abroad_codes().filter_map(Province::from_value))
        .collect();
    proptest::sample::select(known)
}

fn any_gender() -> impl Strategy<Value = Gender> {
    prop_oneof![Just(Gender::Male), Just(Gender::Female)]
}

/// A "today" anywhere from 1950 to 2399, so every encodable century is exercised.
fn any_today() -> impl Strategy<Value = NaiveDate> {
    (1950i32..=2399, 1u32..=365).prop_filter_map("valid date", |(year, ordinal)| {
        NaiveDate::from_yo_opt(year, ordinal)
    })
}

fn assemble(province: Province, digit: u8, birth_year: i32, random: u32) -> String {
    format!(
        "{}{}{:02}{:06}",
        province.code(),
        digit,
        birth_year.rem_euclid(100),
        random
    )
}

proptest! {
    #[test]
    fn any_well_formed_past_number_parses(
        province in any_province(),
        gender in any_gender(),
        today in any_today(),
        birth_offset in 0i32..=500,
        random in 0u32..1_000_000,
    ) {
        let birth_year = (today.year() - birth_offset).max(1900);
        let century_gender = CenturyGender::for_birth(birth_year, gender);
        prop_assert!(century_gender.is_some());
        let digit = century_gender.map_or(0, CenturyGender::digit);
        let number = assemble(province, digit, birth_year, random);

        let cccd = Cccd::parse_at(&number, today);
        prop_assert!(cccd.is_ok(), "{number} on {today}: {cccd:?}");
        if let Ok(cccd) = cccd {
            prop_assert_eq!(cccd.province(), province);
            prop_assert_eq!(cccd.gender(), gender);
            prop_assert_eq!(cccd.birth_year(), birth_year);
            prop_assert_eq!(cccd.century().ordinal() as i32, birth_year / 100 + 1);
            prop_assert_eq!(cccd.expose(), number.as_str());
        }
    }

    #[test]
    fn a_birth_year_after_today_is_rejected(
        province in any_province(),
        gender in any_gender(),
        (today, birth_year) in any_today()
            .prop_filter("a later year is still encodable", |d| d.year() < 2399)
            .prop_flat_map(|today| (Just(today), (today.year() + 1)..=2399)),
        random in 0u32..1_000_000,
    ) {
        let century_gender = CenturyGender::for_birth(birth_year, gender);
        prop_assert!(century_gender.is_some());
        let digit = century_gender.map_or(0, CenturyGender::digit);
        let number = assemble(province, digit, birth_year, random);
        prop_assert_eq!(
            Cccd::parse_at(&number, today),
            Err(CccdError::BirthYearInFuture { year: birth_year })
        );
    }

    #[test]
    fn mask_never_shows_digits_4_to_9(number in "[0-9]{12}") {
        let masked = mask_cccd(&number);
        prop_assert_eq!(masked.len(), 12);
        prop_assert_eq!(&masked[..3], &number[..3]);
        prop_assert_eq!(&masked[3..9], "******");
        prop_assert_eq!(&masked[9..], &number[9..]);
        prop_assert_eq!(masked.bytes().filter(u8::is_ascii_digit).count(), 6);
    }

    #[test]
    fn a_parsed_number_only_ever_prints_masked(
        province in any_province(),
        gender in any_gender(),
        birth_year in 1900i32..=2025,
        random in 0u32..1_000_000,
    ) {
        let century_gender = CenturyGender::for_birth(birth_year, gender);
        let digit = century_gender.map_or(0, CenturyGender::digit);
        let number = assemble(province, digit, birth_year, random);
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
        let cccd = Cccd::parse_at(&number, today);
        prop_assert!(cccd.is_ok());
        if let Ok(cccd) = cccd {
            let masked = mask_cccd(&number);
            prop_assert_eq!(cccd.to_string(), masked.clone());
            prop_assert_eq!(format!("{cccd:?}"), format!("Cccd({masked:?})"));
            prop_assert_eq!(serde_json::to_value(&cccd).ok(), Some(serde_json::Value::String(masked.clone())));
            let tax = TaxCode::parse_at(&number, today);
            prop_assert_eq!(tax.as_ref().map(ToString::to_string).ok(), Some(masked.clone()));
            prop_assert_eq!(format!("{tax:?}"), format!("Ok(Personal(Cccd({masked:?})))"));
        }
    }

    #[test]
    fn parsing_never_panics_on_arbitrary_strings(input in any::<String>()) {
        check_total(&input);
    }

    #[test]
    fn parsing_never_panics_on_near_miss_strings(input in "[0-9 \\-x٥０]{0,16}") {
        check_total(&input);
    }
}

/// Runs every entry point and checks the outcome is coherent, whatever the input.
fn check_total(input: &str) {
    let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
    match Cccd::parse_at(input, today) {
        Ok(cccd) => {
            assert_eq!(cccd.expose(), input);
            assert_eq!(input.len(), CCCD_LEN);
            assert!(input.bytes().all(|b| b.is_ascii_digit()));
        }
        Err(err) => assert_eq!(err.code(), "invalid_cccd"),
    }
    match TaxCode::parse_at(input, today) {
        Ok(code) => assert_eq!(code.expose(), input),
        Err(err) => assert_eq!(err.code(), "invalid_tax_code"),
    }
    let masked = mask_cccd(input);
    assert_eq!(masked.chars().count(), CCCD_LEN);
    let _ = Cccd::parse(input);
    let _ = TaxCode::parse(input);
}
