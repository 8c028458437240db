//! Each format: written then read back, hand-written files read, trailers and headers
//! checked.

use super::*;
use chrono::TimeZone;
use sha2::{Digest, Sha256};

/// An entry of `source` with the fields its format needs.
pub(super) fn entry(
    source: StatementSource,
    reference: &str,
    amount: i64,
    status: LineStatus,
    at: DateTime<Utc>,
) -> StatementEntry {
    let (party, bank_bin, account, bill_ref) = match source {
        StatementSource::Napas => (
            Some("debit".to_owned()),
            Some("970436".to_owned()),
            Some("*********4567".to_owned()),
            None,
        ),
        StatementSource::Evn => (
            Some("EVNHANOI".to_owned()),
            None,
            Some("PD01000012345".to_owned()),
            Some("EVNA1B2C3HD000001".to_owned()),
        ),
        StatementSource::Water => (
            Some("SAWACO".to_owned()),
            None,
            Some("SW123456".to_owned()),
            Some("WTRA1B2C3HD000001".to_owned()),
        ),
        StatementSource::Vss => (
            Some("VSS_BHYT".to_owned()),
            None,
            Some("001*******45".to_owned()),
            None,
        ),
        StatementSource::Vnpay | StatementSource::Momo | StatementSource::Zalopay => {
            (None, None, None, None)
        }
    };
    StatementEntry {
        reference: reference.to_owned(),
        their_id: Some(format!("T{amount}")),
        amount,
        status,
        at,
        party,
        bank_bin,
        account,
        bill_ref,
        result_code: None,
    }
}

pub(super) fn header(date: NaiveDate) -> FileHeader {
    FileHeader {
        business_date: date,
        account: "971999".to_owned(),
        created_at: Utc.with_ymd_and_hms(2024, 5, 21, 1, 0, 0).unwrap(),
    }
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 5, 20).unwrap()
}

/// 2024-05-20 at `h:m:s` Vietnam time.
fn vn(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 20, h, m, s).unwrap() - chrono::Duration::hours(7)
}

fn sample(source: StatementSource) -> Vec<StatementEntry> {
    let mut failed = entry(source, "pay_02", 50_000, LineStatus::Failed, vn(11, 2, 40));
    failed.their_id = None;
    vec![
        entry(source, "pay_01", 150_000, LineStatus::Settled, vn(0, 0, 1)),
        failed,
        entry(source, "pay_03", 1, LineStatus::Settled, vn(23, 59, 59)),
    ]
}

fn text_of(source: StatementSource, entries: &[StatementEntry]) -> String {
    let bytes = write(source, &header(day()), entries).expect("writes");
    String::from_utf8(bytes).expect("utf-8")
}

fn malformed_line(result: Result<Statement, StatementError>) -> u32 {
    match result {
        Err(StatementError::Malformed { line, .. }) => line,
        other => panic!("expected a malformed file, got {other:?}"),
    }
}

#[test]
fn every_format_reads_back_what_it_wrote() {
    for source in StatementSource::ALL {
        let entries = sample(source);
        let bytes = write(source, &header(day()), &entries).expect("writes");
        let statement = parse(source, &bytes).unwrap_or_else(|err| panic!("{source:?}: {err}"));
        assert_eq!(statement.source, source);
        assert_eq!(statement.business_date, day());
        assert_eq!(statement.lines.len(), 3, "{source:?}");
        for (line, entry) in statement.lines.iter().zip(&entries) {
            assert_eq!(line.reference, entry.reference, "{source:?}");
            assert_eq!(line.their_id, entry.their_id, "{source:?}");
            assert_eq!(line.amount, entry.amount, "{source:?}");
            assert_eq!(line.status, entry.status, "{source:?}");
            assert_eq!(line.at, entry.at, "{source:?}");
            assert_eq!(line.party, entry.party, "{source:?}");
        }
        let numbers: Vec<u32> = statement.lines.iter().map(|line| line.line).collect();
        assert!(
            numbers.windows(2).all(|w| w[0] < w[1]),
            "{source:?} {numbers:?}"
        );
    }
}

#[test]
fn an_empty_day_is_a_valid_file() {
    for source in StatementSource::ALL {
        let bytes = write(source, &header(day()), &[]).expect("writes");
        let statement = parse(source, &bytes).unwrap_or_else(|err| panic!("{source:?}: {err}"));
        assert!(statement.lines.is_empty());
        assert_eq!(statement.business_date, day());
    }
}

#[test]
fn a_file_is_read_only_as_its_own_system() {
    for written in StatementSource::ALL {
        let bytes = write(written, &header(day()), &sample(written)).expect("writes");
        for read in StatementSource::ALL.into_iter().filter(|s| *s != written) {
            assert!(
                matches!(parse(read, &bytes), Err(StatementError::Malformed { .. })),
                "{written:?} read as {read:?}"
            );
        }
    }
}

#[test]
fn wrong_system_header_names_line_1() {
    let napas = write(StatementSource::Napas, &header(day()), &[]).expect("writes");
    assert_eq!(malformed_line(parse(StatementSource::Vnpay, &napas)), 1);
    let evn = text_of(StatementSource::Evn, &[]);
    assert_eq!(
        malformed_line(parse(StatementSource::Water, evn.as_bytes())),
        1
    );
    let momo = text_of(StatementSource::Momo, &[]);
    assert_eq!(
        malformed_line(parse(StatementSource::Zalopay, momo.as_bytes())),
        1
    );
}

/// The NAPAS file checksum recomputed, for files edited by the tests.
fn resign_napas(text: &str) -> String {
    let cut = text.find("[CSF]").expect("trailer") + "[CSF]".len();
    let signed = &text[..cut];
    let digest = hex::encode(Sha256::digest(signed.as_bytes()));
    format!("{signed}{}\n", &digest[..32])
}

#[test]
fn napas_trailer_count_and_total_are_checked() {
    let text = text_of(StatementSource::Napas, &sample(StatementSource::Napas));
    let miscounted = resign_napas(&text.replace("[NOT]000000003", "[NOT]000000002"));
    assert_eq!(
        malformed_line(parse(StatementSource::Napas, miscounted.as_bytes())),
        5
    );
    let total = "[TOT]000000000000200001";
    assert!(text.contains(total), "{text}");
    let mistotalled = resign_napas(&text.replace(total, "[TOT]000000000000200000"));
    let err = parse(StatementSource::Napas, mistotalled.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("add up to 200001"), "{err}");
    // Unsigned edits are caught by the checksum.
    let unsigned = text.replace("[NOT]000000003", "[NOT]000000002");
    let err = parse(StatementSource::Napas, unsigned.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("[CSF]"), "{err}");
}

#[test]
fn napas_record_checksum_catches_an_edited_amount() {
    let text = text_of(StatementSource::Napas, &sample(StatementSource::Napas));
    let edited = resign_napas(&text.replacen("[F4]000000150000", "[F4]000000150001", 1));
    assert_eq!(
        malformed_line(parse(StatementSource::Napas, edited.as_bytes())),
        2
    );
}

#[test]
fn napas_records_have_the_published_layout() {
    let mut credit = entry(
        StatementSource::Napas,
        "pay_01HXYZ",
        2_500_000,
        LineStatus::Settled,
        vn(10, 31, 5),
    );
    credit.party = Some("credit".into());
    credit.bank_bin = Some("970415".into());
    credit.their_id = Some("NAPAS000000000042".into());
    let mut refused = entry(
        StatementSource::Napas,
        "pay_01HXZZ",
        90_000,
        LineStatus::Failed,
        vn(10, 40, 0),
    );
    refused.result_code = Some("0051".into());
    let text = text_of(StatementSource::Napas, &[credit, refused]);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0], "HR[REV]  971999[DATE]20052024");
    let detail = rows[1];
    assert!(detail.starts_with("DR[MTI]0210[F2]      *********4567[F3]910000[SVC]    IF_DEP[TCC]99[F4]000002500000[RTA]000002500000[F49]704[F11]000001[F12]103105[F13]0520[F15]0520[ACQ]  971999[ISS]  971999[BNB]  970415"), "{detail}");
    assert!(
        detail.contains("[F37]000000000042[TRN]0520IBT000000001[RRC]0000[RSV1]"),
        "{detail}"
    );
    assert!(
        detail.contains(&format!("{:>100}[RSV2]", "pay_01HXYZ")),
        "{detail}"
    );
    assert!(rows[2].contains("[F3]000000[SVC]  IF_DEBIT"), "{}", rows[2]);
    assert!(rows[2].contains("[RRC]0051"), "{}", rows[2]);
    assert!(rows[3].starts_with("TR[NOT]000000002[TOT]000000000002590000[CRE]               NAPAS[TIME]080000[DATE]21052024[CSF]"), "{}", rows[3]);
    let read = parse(StatementSource::Napas, text.as_bytes()).expect("parses");
    assert_eq!(read.lines[0].party.as_deref(), Some("credit"));
    assert_eq!(read.lines[1].party.as_deref(), Some("debit"));
    assert_eq!(read.lines[1].status, LineStatus::Failed);
}

#[test]
fn napas_crlf_files_are_read() {
    let text = text_of(StatementSource::Napas, &sample(StatementSource::Napas));
    let crlf = text.replace('\n', "\r\n");
    let statement = parse(StatementSource::Napas, crlf.as_bytes()).expect("parses");
    assert_eq!(statement.lines.len(), 3);
}

#[test]
fn napas_dates_are_vietnam_dates_across_the_year_end() {
    // 23:30 UTC on 31 December is 06:30 on 1 January in Vietnam.
    let at = Utc.with_ymd_and_hms(2024, 12, 31, 23, 30, 0).unwrap();
    let date = business_date_of(at);
    assert_eq!(date, NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
    let e = entry(
        StatementSource::Napas,
        "pay_ny",
        10,
        LineStatus::Settled,
        at,
    );
    let bytes = write(StatementSource::Napas, &header(date), &[e]).expect("writes");
    let statement = parse(StatementSource::Napas, &bytes).expect("parses");
    assert_eq!(statement.lines[0].at, at);
}

#[test]
fn hand_written_vnpay_file() {
    let file = "\u{feff}BÁO CÁO ĐỐI SOÁT GIAO DỊCH VNPAY\r\n\
        Mã website (vnp_TmnCode),DEMO0001\r\n\
        Ngày giao dịch,20/05/2024\r\n\
        STT,Mã GD VNPAY,Mã GD merchant (vnp_TxnRef),Ngân hàng,Loại giao dịch,Số tiền (VND),Mã phản hồi,Trạng thái,Thời gian thanh toán\r\n\
        1,14000001,pay_01HXYZ,NCB,Thanh toán,150000,00,Thành công,20/05/2024 10:31:05\r\n\
        2,,pay_01HXZZ,NCB,Thanh toán,50000,24,Không thành công,20/05/2024 11:02:40\r\n\
        Tổng cộng,2,,,,200000,,,\r\n";
    let statement = parse(StatementSource::Vnpay, file.as_bytes()).expect("parses");
    assert_eq!(statement.business_date, day());
    let [paid, cancelled] = statement.lines.as_slice() else {
        panic!("two lines")
    };
    assert_eq!(
        (
            paid.line,
            paid.reference.as_str(),
            paid.their_id.as_deref(),
            paid.amount
        ),
        (5, "pay_01HXYZ", Some("14000001"), 150_000)
    );
    assert_eq!(paid.at, vn(10, 31, 5));
    assert_eq!(
        (cancelled.status, cancelled.their_id.as_deref()),
        (LineStatus::Failed, None)
    );
    let wrong_total = file.replace("Tổng cộng,2,,,,200000", "Tổng cộng,2,,,,200001");
    assert_eq!(
        malformed_line(parse(StatementSource::Vnpay, wrong_total.as_bytes())),
        7
    );
    let wrong_count = file.replace("Tổng cộng,2,", "Tổng cộng,3,");
    assert_eq!(
        malformed_line(parse(StatementSource::Vnpay, wrong_count.as_bytes())),
        7
    );
    let contradictory = file.replace("00,Thành công", "24,Thành công");
    assert_eq!(
        malformed_line(parse(StatementSource::Vnpay, contradictory.as_bytes())),
        5
    );
    let no_trailer = file.replace("Tổng cộng,2,,,,200000,,,\r\n", "");
    assert_eq!(
        malformed_line(parse(StatementSource::Vnpay, no_trailer.as_bytes())),
        7
    );
}

#[test]
fn hand_written_momo_file() {
    let file = "partnerCode,MOMO,reportDate,2024-05-20\n\
        orderId,transId,amount,resultCode,message,payType,responseTime\n\
        pay_01HXYZ,4000000001,150000,0,Successful.,qr,1716175865000\n\
        pay_01HXZZ,,50000,4002,\"Rejected, not verified by C06.\",qr,1716177000000\n\
        TOTAL,2,200000\n";
    let statement = parse(StatementSource::Momo, file.as_bytes()).expect("parses");
    let lines = &statement.lines;
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].at.timestamp_millis(), 1_716_175_865_000);
    assert_eq!(lines[1].status, LineStatus::Failed);
    assert_eq!(lines[1].line, 4);
    let miscounted = file.replace("TOTAL,2,", "TOTAL,1,");
    assert_eq!(
        malformed_line(parse(StatementSource::Momo, miscounted.as_bytes())),
        5
    );
    let trailing = format!("{file}pay_x,1,1,0,ok,qr,1\n");
    assert_eq!(
        malformed_line(parse(StatementSource::Momo, trailing.as_bytes())),
        6
    );
}

#[test]
fn hand_written_zalopay_file() {
    let file = "app_id;2553;reconcile_date;20240520\n\
        app_trans_id;zp_trans_id;amount;user_fee_amount;discount_amount;status;sub_return_code;server_time\n\
        240520_pay_01HXYZ;240520000000001;150000;0;0;1;1;2024-05-20 10:31:05\n\
        total;1;150000\n";
    let statement = parse(StatementSource::Zalopay, file.as_bytes()).expect("parses");
    assert_eq!(statement.lines[0].reference, "240520_pay_01HXYZ");
    assert_eq!(statement.lines[0].at, vn(10, 31, 5));
    let mistotalled = file.replace("total;1;150000", "total;1;150001");
    assert_eq!(
        malformed_line(parse(StatementSource::Zalopay, mistotalled.as_bytes())),
        4
    );
}

#[test]
fn hand_written_biller_files() {
    let file = "H|NUOC|BẢNG KÊ GẠCH NỢ TIỀN NƯỚC|20240520|CCCDPAY\n\
        D|1|HAWACO|HN123456|WTRX1HD000001|WTRX1TX000002|pay_01HXYZ|93500|00|20240520103105\n\
        D|2|SAWACO|SW123456|WTRX1HD000003|WTRX1TX000004|pay_01HXZZ|120000|00|20240520103200\n\
        T|2|213500\n";
    let statement = parse(StatementSource::Water, file.as_bytes()).expect("parses");
    let parties: Vec<_> = statement.lines.iter().map(|l| l.party.clone()).collect();
    assert_eq!(
        parties,
        [Some("HAWACO".to_owned()), Some("SAWACO".to_owned())]
    );
    // An electricity biller on the water system's list is not the water system's.
    let wrong_biller = file.replace("|SAWACO|", "|EVNHANOI|");
    assert_eq!(
        malformed_line(parse(StatementSource::Water, wrong_biller.as_bytes())),
        3
    );
    assert_eq!(
        malformed_line(parse(StatementSource::Evn, file.as_bytes())),
        1
    );
    let miscounted = file.replace("T|2|", "T|3|");
    assert_eq!(
        malformed_line(parse(StatementSource::Water, miscounted.as_bytes())),
        4
    );
}

#[test]
fn quoted_values_survive() {
    for source in [
        StatementSource::Vnpay,
        StatementSource::Momo,
        StatementSource::Zalopay,
        StatementSource::Evn,
    ] {
        let odd = entry(
            source,
            "pay_a,b|c;\"d\"",
            7,
            LineStatus::Settled,
            vn(9, 0, 0),
        );
        let bytes = write(source, &header(day()), &[odd]).expect("writes");
        let statement = parse(source, &bytes).expect("parses");
        assert_eq!(
            statement.lines[0].reference, "pay_a,b|c;\"d\"",
            "{source:?}"
        );
    }
}

#[test]
fn not_utf8_is_malformed_not_a_panic() {
    let mut bytes = text_of(StatementSource::Evn, &sample(StatementSource::Evn)).into_bytes();
    bytes.insert(60, 0xff);
    assert!(parse(StatementSource::Evn, &bytes).is_err());
    assert!(parse(StatementSource::Napas, &[0xff, 0xfe]).is_err());
}

#[test]
fn writers_refuse_what_does_not_fit() {
    let mut too_big = entry(
        StatementSource::Napas,
        "pay_1",
        1_000_000_000_000,
        LineStatus::Settled,
        vn(1, 0, 0),
    );
    assert!(write(
        StatementSource::Napas,
        &header(day()),
        std::slice::from_ref(&too_big)
    )
    .is_err());
    too_big.amount = 1;
    too_big.party = None;
    assert!(write(StatementSource::Napas, &header(day()), &[too_big]).is_err());
    let negative = entry(
        StatementSource::Momo,
        "pay_1",
        -1,
        LineStatus::Settled,
        vn(1, 0, 0),
    );
    assert!(write(StatementSource::Momo, &header(day()), &[negative]).is_err());
}

#[test]
fn sources_and_errors() {
    for source in StatementSource::ALL {
        assert_eq!(StatementSource::parse(source.as_str()), Some(source));
        let json = serde_json::to_string(&source).unwrap();
        assert_eq!(json, format!("\"{}\"", source.as_str()));
    }
    assert_eq!(StatementSource::parse("NAPAS"), None);
    assert_eq!(
        serde_json::to_string(&LineStatus::Settled).unwrap(),
        "\"settled\""
    );
    let errors = [
        StatementError::Malformed {
            line: 1,
            reason: "x".into(),
        },
        StatementError::Unavailable("x".into()),
        StatementError::Timeout,
        StatementError::NotFound("x".into()),
        StatementError::Rejected("x".into()),
    ];
    let codes: std::collections::HashSet<_> = errors.iter().map(StatementError::code).collect();
    assert_eq!(codes.len(), errors.len());
    assert_eq!(errors[0].code(), "statement_malformed");
    assert!(errors[1].is_retryable() && errors[2].is_retryable());
    assert!(!errors[0].is_retryable() && !errors[3].is_retryable());
}

#[test]
fn file_names_and_types() {
    let h = header(day());
    assert_eq!(
        file_name(StatementSource::Napas, &h),
        "052024_ACQ_CCCDPAY_971999_1_TC_IBFT.dat"
    );
    assert_eq!(
        file_name(StatementSource::Water, &h),
        "NUOC_GACHNO_971999_20240520.txt"
    );
    assert_eq!(
        content_type(StatementSource::Momo),
        "text/csv; charset=utf-8"
    );
}
