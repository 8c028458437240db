//! The revenue report as a CSV download: one row per merchant and a total row that
//! also carries the year to date and the flag, so a spreadsheet needs nothing else.

use super::report::RevenueReport;

const HEADER: [&str; 13] = [
    "tax_code",
    "period",
    "from",
    "to",
    "merchant_id",
    "merchant_name",
    "gross",
    "refunds",
    "net",
    "count",
    "refund_count",
    "year_to_date_net",
    "flagged",
];

/// The report as UTF-8 CSV (RFC 4180 quoting), amounts in dong.
pub fn render(report: &RevenueReport) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(HEADER)?;
    let (from, to) = (report.from.to_string(), report.to.to_string());
    let common = [report.tax_code.as_str(), report.period.as_str(), &from, &to];
    for m in &report.merchants {
        let numbers = [m.gross, m.refunds, m.net, m.count, m.refund_count].map(|n| n.to_string());
        let mut row: Vec<&str> = common.to_vec();
        row.extend([m.id.as_str(), m.name.as_str()]);
        row.extend(numbers.iter().map(String::as_str));
        row.extend(["", ""]);
        out.write_record(&row)?;
    }
    let totals = [
        report.gross,
        report.refunds,
        report.net,
        report.count,
        report.refund_count,
        report.year_to_date.net,
    ]
    .map(|n| n.to_string());
    let mut row: Vec<&str> = common.to_vec();
    row.extend(["total", ""]);
    row.extend(totals.iter().map(String::as_str));
    row.push(if report.flagged { "true" } else { "false" });
    out.write_record(&row)?;
    out.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revenue::period::Period;
    use crate::revenue::report::{assemble, MonthRow};
    use crate::revenue::thresholds::Thresholds;
    use chrono::NaiveDate;

    #[test]
    fn a_row_per_merchant_and_a_total_with_names_quoted() {
        let nov = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let rows = vec![MonthRow {
            merchant_id: "mer_a".into(),
            name: "Tạp hoá \"Cô Ba\", Q.1".into(),
            month: Some(nov),
            gross: 1_500_000,
            refunds: 500_000,
            receipts: 3,
            refund_count: 1,
        }];
        let report = assemble(
            "001099012345",
            &Period::parse("2026-11").unwrap(),
            &rows,
            &Thresholds::default(),
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
        );
        let text = String::from_utf8(render(&report).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("tax_code,period,from,to,merchant_id"));
        assert_eq!(
            lines[1],
            "001******345,2026-11,2026-11-01,2026-11-30,mer_a,\"Tạp hoá \"\"Cô Ba\"\", Q.1\",1500000,500000,1000000,3,1,,"
        );
        assert_eq!(
            lines[2],
            "001******345,2026-11,2026-11-01,2026-11-30,total,,1500000,500000,1000000,3,1,1000000,false"
        );
        assert!(!text.contains("001099012345"));
    }
}
