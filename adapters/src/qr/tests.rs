use super::crc::crc16_hex;
use super::*;
use proptest::prelude::*;

/// domain/vietnam.md §5 vector 1, exactly as published (NAPAS spec v1.5.2, static to account).
const NAPAS_ACCOUNT_AS_PUBLISHED: &str = "00020101021138570010A00000072701270006970403011200110123456780208QRIBFTTA53037045802VN6304F4E5";
/// Vector 1 with the sub-field length typo fixed (`0112` → `0113`); the CRC is
/// recomputed, and public generators (for example the PHP and Go VietQR libraries)
/// produce this exact string for BIN 970403 / account 0011012345678.
const NAPAS_ACCOUNT_CORRECTED: &str = "00020101021138570010A00000072701270006970403011300110123456780208QRIBFTTA53037045802VN63049E6F";
/// domain/vietnam.md §5 vector 2 (NAPAS spec, static to card).
const NAPAS_CARD: &str = "00020101021138600010A00000072701300006970403011697040311012345670208QRIBFTTC53037045802VN63044F52";
/// Not in the domain doc: the dynamic sample widely reproduced from NAPAS material,
/// with an amount and tag 62 (bill number and purpose). CRC recomputed independently.
const NAPAS_DYNAMIC: &str = "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA530370454061800005802VN62340107NPS68690819thanh toan don hang63042E2E";

/// Appends `6304` and the right CRC to a body.
fn seal(body: &str) -> String {
    let covered = format!("{body}{CRC_HEADER}");
    let crc = crc16_hex(covered.as_bytes());
    covered + &crc
}

/// The payload without its 4 CRC digits and without `6304`.
fn body(payload: &str) -> &str {
    &payload[..payload.len() - 8]
}

#[test]
fn doc_vectors_carry_correct_crcs() {
    for v in [
        NAPAS_ACCOUNT_AS_PUBLISHED,
        NAPAS_ACCOUNT_CORRECTED,
        NAPAS_CARD,
        NAPAS_DYNAMIC,
    ] {
        let (covered, crc) = v.split_at(v.len() - 4);
        assert_eq!(crc16_hex(covered.as_bytes()), crc, "{v}");
    }
}

#[test]
fn doc_vector_1_as_published_has_a_length_typo_and_is_refused() {
    // Sub 38.01.01 announces 12 characters but the account 0011012345678 has 13, so
    // the beneficiary template ends with a stray "8". Reading it as account
    // 001101234567 (or guessing 0011012345678) could pay the wrong account; the
    // decoder refuses it as malformed, which is not a CRC failure.
    assert_eq!(
        decode(NAPAS_ACCOUNT_AS_PUBLISHED),
        Err(QrError::MalformedTlv {
            field: "38.01".to_owned(),
            source: TlvError::BadHeader { position: 26 },
        })
    );
}

#[test]
fn doc_vector_1_corrected_decodes_and_round_trips() {
    let qr = decode(NAPAS_ACCOUNT_CORRECTED).unwrap();
    assert_eq!(
        qr,
        VietQr::new(
            Initiation::Static,
            Beneficiary {
                acquirer_bin: "970403".to_owned(),
                account: "0011012345678".to_owned(),
                service: NapasService::ToAccount,
            },
        )
    );
    assert_eq!(encode(&qr).unwrap(), NAPAS_ACCOUNT_CORRECTED);
}

#[test]
fn doc_vector_2_static_to_card_decodes_and_round_trips() {
    let qr = decode(NAPAS_CARD).unwrap();
    assert_eq!(qr.initiation, Initiation::Static);
    assert_eq!(qr.beneficiary.acquirer_bin, "970403");
    assert_eq!(qr.beneficiary.account, "9704031101234567");
    assert_eq!(qr.beneficiary.service, NapasService::ToCard);
    assert_eq!(qr.amount, None);
    assert!(qr.additional.is_empty());
    assert!(qr.other.is_empty());
    assert_eq!(encode(&qr).unwrap(), NAPAS_CARD);
}

#[test]
fn dynamic_sample_with_amount_and_additional_data_round_trips() {
    let qr = decode(NAPAS_DYNAMIC).unwrap();
    assert_eq!(qr.initiation, Initiation::Dynamic);
    assert_eq!(qr.amount, Some(180_000));
    assert_eq!(
        qr.additional.purpose.as_deref(),
        Some("thanh toan don hang")
    );
    assert_eq!(qr.additional.reference_label, None);
    assert_eq!(
        qr.additional.other,
        BTreeMap::from([(1, "NPS6869".to_owned())])
    );
    assert_eq!(encode(&qr).unwrap(), NAPAS_DYNAMIC);
}

#[test]
fn payment_request_qr_as_the_contract_describes() {
    let mut qr = VietQr::new(
        Initiation::Dynamic,
        Beneficiary {
            acquirer_bin: "970436".to_owned(),
            account: "0071000123456".to_owned(),
            service: NapasService::ToAccount,
        },
    );
    qr.amount = Some(150_000);
    qr.additional.reference_label = Some("req_0123456789abcdefghij".to_owned());
    qr.additional.purpose = Some("Thanh toán đơn hàng 42".to_owned());
    let payload = encode(&qr).unwrap();
    assert!(payload.starts_with("000201010212"));
    assert!(payload.contains("5406150000"));
    assert!(payload.contains("0524req_0123456789abcdefghij"));
    // 22 characters, though more bytes in UTF-8.
    assert!(payload.contains("0822Thanh toán đơn hàng 42"));
    assert_eq!(decode(&payload).unwrap(), qr);
}

#[test]
fn every_single_character_flip_fails_the_crc() {
    let alphabet: Vec<char> = ('0'..='9')
        .chain('A'..='Z')
        .chain(['a', ' ', '.'])
        .collect();
    let n = NAPAS_CARD.len();
    for (i, original) in NAPAS_CARD.char_indices() {
        let in_crc_header = (n - 8..n - 4).contains(&i);
        for &c in alphabet.iter().filter(|&&c| c != original) {
            let mut damaged = NAPAS_CARD.to_owned();
            damaged.replace_range(i..=i, &c.to_string());
            let result = decode(&damaged);
            if in_crc_header {
                assert_eq!(result, Err(QrError::MissingCrc), "{damaged}");
            } else {
                assert!(
                    matches!(result, Err(QrError::CrcMismatch { .. })),
                    "{damaged}: {result:?}"
                );
            }
        }
    }
}

#[test]
fn crc_must_be_uppercase() {
    let lower = NAPAS_CARD.replace("4F52", "4f52");
    assert_eq!(
        decode(&lower),
        Err(QrError::CrcMismatch {
            found: "4f52".to_owned(),
            computed: "4F52".to_owned()
        })
    );
}

#[test]
fn other_schemes_are_not_napas() {
    let foreign_guid = seal(&body(NAPAS_CARD).replace("A000000727", "A000000775"));
    assert_eq!(
        decode(&foreign_guid),
        Err(QrError::NotNapas {
            guid: "A000000775".to_owned()
        })
    );
    // VNPAY-QR puts its account template in tag 26 and has no tag 38.
    let vnpay = seal("00020101021126140010A00000077553037045802VN");
    assert_eq!(
        decode(&vnpay),
        Err(QrError::NotNapas {
            guid: "A000000775".to_owned()
        })
    );
}

#[test]
fn mandatory_fields_are_required() {
    let no_currency = seal(&body(NAPAS_CARD).replace("5303704", ""));
    assert_eq!(
        decode(&no_currency),
        Err(QrError::MissingField("53".to_owned()))
    );
    let no_country = seal(&body(NAPAS_CARD).replace("5802VN", ""));
    assert_eq!(
        decode(&no_country),
        Err(QrError::MissingField("58".to_owned()))
    );
    let no_initiation = seal(&body(NAPAS_CARD).replace("010211", ""));
    assert_eq!(
        decode(&no_initiation),
        Err(QrError::MissingField("01".to_owned()))
    );
    let no_account = seal("00020101021153037045802VN");
    assert_eq!(
        decode(&no_account),
        Err(QrError::MissingField("38".to_owned()))
    );
    let no_service = seal(
        &body(NAPAS_CARD)
            .replace("38600010", "38480010")
            .replace("0208QRIBFTTC", ""),
    );
    assert_eq!(
        decode(&no_service),
        Err(QrError::MissingField("38.02".to_owned()))
    );
}

#[test]
fn wrong_values_are_refused() {
    let usd = seal(&body(NAPAS_CARD).replace("5303704", "5303840"));
    assert!(matches!(decode(&usd), Err(QrError::InvalidValue { field, .. }) if field == "53"));
    let leading_zero = seal(&body(NAPAS_CARD).replace("5802VN", "54060100005802VN"));
    assert!(
        matches!(decode(&leading_zero), Err(QrError::InvalidValue { field, .. }) if field == "54"),
        "{leading_zero}"
    );
    let decimal = seal(&body(NAPAS_CARD).replace("5802VN", "540510.005802VN"));
    assert!(matches!(decode(&decimal), Err(QrError::InvalidValue { field, .. }) if field == "54"));
    let other_service = seal(&body(NAPAS_CARD).replace("QRIBFTTC", "QRPUSHXX"));
    assert!(
        matches!(decode(&other_service), Err(QrError::InvalidValue { field, .. }) if field == "38.02")
    );
    let version = seal(&body(NAPAS_CARD).replacen("000201", "000202", 1));
    assert!(matches!(decode(&version), Err(QrError::InvalidValue { field, .. }) if field == "00"));
}

#[test]
fn structure_errors_are_reported_after_the_crc() {
    let duplicate = seal(&format!("{}5802VN", body(NAPAS_CARD)));
    assert_eq!(
        decode(&duplicate),
        Err(QrError::DuplicateField("58".to_owned()))
    );
    let crc_not_last = seal(&format!("{}63044F52", body(NAPAS_CARD)));
    assert_eq!(
        decode(&crc_not_last),
        Err(QrError::DuplicateField("63".to_owned()))
    );
    let format_not_first = seal(&format!("010211000201{}", &body(NAPAS_CARD)[12..]));
    assert!(matches!(
        decode(&format_not_first),
        Err(QrError::InvalidValue { field, .. }) if field == "00"
    ));
    let truncated = seal(&body(NAPAS_CARD).replace("5802VN", "5809VN"));
    assert!(matches!(
        decode(&truncated),
        Err(QrError::MalformedTlv { field, .. }) if field == "payload"
    ));
    assert_eq!(decode(""), Err(QrError::MissingCrc));
    assert_eq!(decode("6304"), Err(QrError::MissingCrc));
}

#[test]
fn encode_refuses_what_would_be_truncated_or_ambiguous() {
    let mut qr = decode(NAPAS_CARD).unwrap();
    qr.additional.reference_label = Some("x".repeat(26));
    assert_eq!(
        encode(&qr),
        Err(QrError::BadLength {
            field: "62.05".to_owned(),
            length: 26,
            max: 25
        })
    );
    qr.additional.reference_label = Some("x".repeat(25));
    qr.additional.purpose = Some("y".repeat(67));
    // 29 + 71 characters: tag 62 as a whole would exceed 99.
    assert_eq!(
        encode(&qr),
        Err(QrError::BadLength {
            field: "62".to_owned(),
            length: 100,
            max: 99
        })
    );
    qr.additional.purpose = Some("y".repeat(66));
    assert!(encode(&qr).is_ok());

    let mut qr = decode(NAPAS_CARD).unwrap();
    qr.beneficiary.acquirer_bin = "97040".to_owned();
    assert!(qr.validate().is_err());
    let mut qr = decode(NAPAS_CARD).unwrap();
    qr.beneficiary.account = "1".repeat(20);
    assert!(qr.validate().is_err());
    let mut qr = decode(NAPAS_CARD).unwrap();
    qr.amount = Some(0);
    assert!(qr.validate().is_err());
    let mut qr = decode(NAPAS_CARD).unwrap();
    qr.other.insert(54, "1000".to_owned());
    assert!(qr.validate().is_err());
    let mut qr = decode(NAPAS_CARD).unwrap();
    qr.additional.purpose = Some(String::new());
    assert!(qr.validate().is_err());
}

#[test]
fn untyped_tags_are_kept_in_order() {
    let mut qr = decode(NAPAS_CARD).unwrap();
    qr.other.insert(59, "CONG TY EVN".to_owned());
    qr.other.insert(52, "4900".to_owned());
    qr.additional.other.insert(6, "PD00000000000".to_owned());
    let payload = encode(&qr).unwrap();
    assert!(payload.contains("QRIBFTTC520449005303704"), "{payload}");
    assert!(payload.contains("5802VN5911CONG TY EVN62170613PD000000000006304"));
    assert_eq!(decode(&payload).unwrap(), qr);
}

fn tag_outside(reserved: &'static [u8]) -> impl Strategy<Value = u8> {
    (0u8..=99).prop_filter("typed tag", move |t| !reserved.contains(t))
}

fn valid_qr() -> impl Strategy<Value = VietQr> {
    let beneficiary = (
        "[0-9]{6}",
        "[0-9A-Za-z]{1,19}",
        prop_oneof![Just(NapasService::ToAccount), Just(NapasService::ToCard)],
    )
        .prop_map(|(acquirer_bin, account, service)| Beneficiary {
            acquirer_bin,
            account,
            service,
        });
    let additional = (
        proptest::option::of("\\PC{1,25}"),
        proptest::option::of("\\PC{1,40}"),
        proptest::collection::btree_map(tag_outside(&[5, 8]), "\\PC{1,10}", 0..3),
    )
        .prop_map(|(reference_label, purpose, other)| AdditionalData {
            reference_label,
            purpose,
            other,
        });
    (
        prop_oneof![Just(Initiation::Static), Just(Initiation::Dynamic)],
        beneficiary,
        proptest::option::of(1..=MAX_AMOUNT),
        additional,
        proptest::collection::btree_map(tag_outside(&TYPED_TAGS), "\\PC{1,30}", 0..3),
    )
        .prop_map(
            |(initiation, beneficiary, amount, additional, other)| VietQr {
                initiation,
                beneficiary,
                amount,
                additional,
                other,
            },
        )
        .prop_filter("tag 62 fits in 99 characters", |qr| qr.validate().is_ok())
}

proptest! {
    #[test]
    fn decode_inverts_encode(qr in valid_qr()) {
        let payload = encode(&qr).unwrap();
        prop_assert_eq!(decode(&payload), Ok(qr));
    }

    #[test]
    fn an_ascii_flip_before_the_crc_digits_is_caught(qr in valid_qr(), at in any::<prop::sample::Index>(), c in 0x20u8..0x7f) {
        let payload = encode(&qr).unwrap();
        let n = payload.len();
        let i = at.index(n);
        let original = payload.as_bytes()[i];
        prop_assume!(original.is_ascii() && original != c && !(n - 8..n - 4).contains(&i));
        let mut damaged = payload.clone();
        damaged.replace_range(i..=i, &char::from(c).to_string());
        let is_crc_mismatch = matches!(decode(&damaged), Err(QrError::CrcMismatch { .. }));
        prop_assert!(is_crc_mismatch);
    }

    #[test]
    fn decode_never_panics(s in any::<String>()) {
        let _ = decode(&s);
    }

    #[test]
    fn decode_never_panics_past_a_valid_crc(s in "[0-9A-Z]{0,120}|\\PC{0,60}") {
        // Sealing gets arbitrary text past the CRC check into the TLV and profile checks.
        if let Ok(qr) = decode(&seal(&s)) {
            let again = encode(&qr).unwrap();
            prop_assert_eq!(decode(&again), Ok(qr));
        }
    }

    #[test]
    fn decode_never_panics_on_damaged_valid_codes(qr in valid_qr(), at in any::<prop::sample::Index>(), c in any::<char>()) {
        let payload = encode(&qr).unwrap();
        let boundaries: Vec<usize> = payload.char_indices().map(|(i, _)| i).collect();
        let i = boundaries[at.index(boundaries.len())];
        let mut damaged = payload.clone();
        let width = payload[i..].chars().next().map_or(1, char::len_utf8);
        damaged.replace_range(i..i + width, &c.to_string());
        let _ = decode(&damaged);
        if let Some(resealed) = damaged.get(..damaged.len().saturating_sub(8)) {
            let _ = decode(&seal(resealed));
        }
    }
}
