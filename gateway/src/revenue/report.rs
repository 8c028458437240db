//! A tax key's revenue for a period: every merchant the key owns, summed, with the
//! year to date checked against the thresholds in force.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Date, Text};
use ledger::store::Prepared;
use serde::Serialize;
use utoipa::ToSchema;

use super::period::{Period, PeriodKind};
use super::thresholds::{ThresholdKind, Thresholds};
use crate::error::ApiError;
use crate::merchants::store::shown_tax_code;

/// One merchant's share of a tax key's revenue.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct MerchantRevenue {
    #[schema(example = "mer_3kq9x1")]
    pub id: String,
    pub name: String,
    /// What payers paid the merchant (captured), in dong.
    pub gross: i64,
    /// What the merchant refunded, in dong.
    pub refunds: i64,
    pub net: i64,
    /// Payments received.
    pub count: i64,
    pub refund_count: i64,
}

/// A threshold and whether the year to date reached it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct ThresholdFlag {
    pub kind: ThresholdKind,
    pub amount: i64,
    pub effective_from: NaiveDate,
    /// The legal source, or the configuration that replaced it.
    pub source: String,
    pub reached: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct YearToDate {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub gross: i64,
    pub refunds: i64,
    pub net: i64,
    pub thresholds: Vec<ThresholdFlag>,
}

/// Revenue of one tax key for one period, in dong.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct RevenueReport {
    /// Masked when it is a personal identification number (household business).
    #[schema(example = "001******345")]
    pub tax_code: String,
    /// `personal`, `enterprise` or `dependent_unit`.
    pub tax_code_kind: &'static str,
    #[schema(example = "2026-Q4")]
    pub period: String,
    pub period_kind: PeriodKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[schema(example = "VND")]
    pub currency: &'static str,
    pub gross: i64,
    pub refunds: i64,
    pub net: i64,
    pub count: i64,
    pub refund_count: i64,
    pub merchants: Vec<MerchantRevenue>,
    pub year_to_date: YearToDate,
    /// The year to date passed the tax-free revenue level in force.
    pub flagged: bool,
}

/// A merchant's month as stored.
#[derive(Debug, Clone, QueryableByName)]
pub struct MonthRow {
    #[diesel(sql_type = Text)]
    pub merchant_id: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Date>)]
    pub month: Option<NaiveDate>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub gross: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub refunds: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub receipts: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub refund_count: i64,
}

/// The months of the same merchants as several databases hold them (each home shard
/// keeps what its payers paid), added up: one row per merchant and month, and the row
/// with no month only for a merchant without revenue anywhere.
pub fn merge(parts: Vec<Vec<MonthRow>>) -> Vec<MonthRow> {
    let mut months: std::collections::BTreeMap<(String, Option<NaiveDate>), MonthRow> =
        std::collections::BTreeMap::new();
    for row in parts.into_iter().flatten() {
        match months.get_mut(&(row.merchant_id.clone(), row.month)) {
            Some(sum) => {
                sum.gross = sum.gross.saturating_add(row.gross);
                sum.refunds = sum.refunds.saturating_add(row.refunds);
                sum.receipts = sum.receipts.saturating_add(row.receipts);
                sum.refund_count = sum.refund_count.saturating_add(row.refund_count);
            }
            None => {
                months.insert((row.merchant_id.clone(), row.month), row);
            }
        }
    }
    let earning: std::collections::HashSet<String> = months
        .keys()
        .filter(|(_, month)| month.is_some())
        .map(|(merchant, _)| merchant.clone())
        .collect();
    months
        .into_values()
        .filter(|r| r.month.is_some() || !earning.contains(&r.merchant_id))
        .collect()
}

/// Builds the report from the key's merchants' months (one row with no month for a
/// merchant without revenue in the year), as of `today` in Vietnam.
pub fn assemble(
    tax_code: &str,
    period: &Period,
    rows: &[MonthRow],
    thresholds: &Thresholds,
    today: NaiveDate,
) -> RevenueReport {
    let mut merchants: Vec<MerchantRevenue> = Vec::new();
    let (mut ytd_gross, mut ytd_refunds) = (0i64, 0i64);
    for row in rows {
        let at = match merchants.iter().position(|m| m.id == row.merchant_id) {
            Some(at) => at,
            None => {
                merchants.push(MerchantRevenue {
                    id: row.merchant_id.clone(),
                    name: row.name.clone(),
                    gross: 0,
                    refunds: 0,
                    net: 0,
                    count: 0,
                    refund_count: 0,
                });
                merchants.len() - 1
            }
        };
        let Some(month) = row.month else { continue };
        if month < period.year_start() || month > period.last {
            continue;
        }
        ytd_gross = ytd_gross.saturating_add(row.gross);
        ytd_refunds = ytd_refunds.saturating_add(row.refunds);
        if month >= period.first {
            let m = &mut merchants[at];
            m.gross = m.gross.saturating_add(row.gross);
            m.refunds = m.refunds.saturating_add(row.refunds);
            m.net = m.gross.saturating_sub(m.refunds);
            m.count = m.count.saturating_add(row.receipts);
            m.refund_count = m.refund_count.saturating_add(row.refund_count);
        }
    }
    let sum =
        |f: fn(&MerchantRevenue) -> i64| merchants.iter().map(f).fold(0i64, i64::saturating_add);
    let (gross, refunds, count, refund_count) = (
        sum(|m| m.gross),
        sum(|m| m.refunds),
        sum(|m| m.count),
        sum(|m| m.refund_count),
    );
    // A period still running is reported up to today.
    let ytd_to = period.last_day().min(today.max(period.year_start()));
    let ytd_net = ytd_gross.saturating_sub(ytd_refunds);
    let flags: Vec<ThresholdFlag> = thresholds
        .in_force(period.last_day())
        .into_iter()
        .map(|t| ThresholdFlag {
            kind: t.kind,
            amount: t.amount,
            effective_from: t.from,
            source: t.source.clone(),
            reached: t.reached_by(ytd_net),
        })
        .collect();
    let flagged = flags
        .iter()
        .any(|f| f.kind == ThresholdKind::TaxFreeRevenue && f.reached);
    let (shown, kind) = shown_tax_code(tax_code);
    RevenueReport {
        tax_code: shown,
        tax_code_kind: kind,
        period: period.label.clone(),
        period_kind: period.kind,
        from: period.first,
        to: period.last_day(),
        currency: "VND",
        gross,
        refunds,
        net: gross.saturating_sub(refunds),
        count,
        refund_count,
        merchants,
        year_to_date: YearToDate {
            from: period.year_start(),
            to: ytd_to,
            gross: ytd_gross,
            refunds: ytd_refunds,
            net: ytd_net,
            thresholds: flags,
        },
        flagged,
    }
}

/// The months of the period's year up to its end, for every merchant of `tax_code`
/// (a merchant with none appears once, with no month). `None` when no merchant has
/// that tax code.
pub fn load(
    conn: &mut PgConnection,
    tax_code: &str,
    period: &Period,
) -> Result<Option<Vec<MonthRow>>, ApiError> {
    let rows: Vec<MonthRow> = Prepared::new(
        "SELECT m.id AS merchant_id, m.name, r.month, \
         COALESCE(r.gross, 0) AS gross, COALESCE(r.refunds, 0) AS refunds, \
         COALESCE(r.receipts, 0)::bigint AS receipts, \
         COALESCE(r.refund_count, 0)::bigint AS refund_count \
         FROM merchants m LEFT JOIN merchant_revenue r \
         ON r.merchant_id = m.id AND r.month >= $1 AND r.month <= $2 \
         WHERE m.tax_code = $3 ORDER BY m.id, r.month",
    )
    .bind::<Date, _>(period.year_start())
    .bind::<Date, _>(period.last)
    .bind::<Text, _>(tax_code.to_string())
    .load(conn)?;
    Ok((!rows.is_empty()).then_some(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn shards_months_add_up_per_merchant_and_month() {
        let (jan, feb) = (Some(d(2026, 1, 1)), Some(d(2026, 2, 1)));
        let merged = merge(vec![
            vec![row("a", jan, 100, 10, 2), row("b", None, 0, 0, 0)],
            vec![
                row("a", jan, 50, 0, 1),
                row("a", feb, 7, 0, 1),
                row("b", None, 0, 0, 0),
            ],
            vec![row("a", None, 0, 0, 0), row("c", feb, 5, 5, 1)],
        ]);
        let seen: Vec<_> = merged
            .iter()
            .map(|r| {
                (
                    r.merchant_id.as_str(),
                    r.month,
                    r.gross,
                    r.refunds,
                    r.receipts,
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                ("a", jan, 150, 10, 3),
                ("a", feb, 7, 0, 1),
                ("b", None, 0, 0, 0),
                ("c", feb, 5, 5, 1),
            ]
        );
    }

    fn row(id: &str, month: Option<NaiveDate>, gross: i64, refunds: i64, n: i64) -> MonthRow {
        MonthRow {
            merchant_id: id.into(),
            name: format!("Shop {id}"),
            month,
            gross,
            refunds,
            receipts: n,
            refund_count: i64::from(refunds > 0),
        }
    }

    /// Worked example: one household (CCCD 001099012345) owns two shops. In Q4 2026
    /// shop A took 120,000,000 (3 payments) and refunded 2,000,000; shop B took
    /// 80,000,000; earlier in 2026 they took 350,000,000 between them. The quarter
    /// nets 198,000,000; the year to date 548,000,000 passes the 500,000,000 level.
    #[test]
    fn a_household_with_two_shops() {
        let rows = vec![
            row("mer_a", Some(d(2026, 3, 1)), 200_000_000, 0, 40),
            row("mer_a", Some(d(2026, 10, 1)), 70_000_000, 2_000_000, 2),
            row("mer_a", Some(d(2026, 12, 1)), 50_000_000, 0, 1),
            row("mer_b", Some(d(2026, 6, 1)), 150_000_000, 0, 30),
            row("mer_b", Some(d(2026, 11, 1)), 80_000_000, 0, 9),
            row("mer_c", None, 0, 0, 0),
        ];
        let q4 = Period::parse("2026-Q4").unwrap();
        let r = assemble(
            "001099012345",
            &q4,
            &rows,
            &Thresholds::default(),
            d(2026, 12, 7),
        );
        assert_eq!(r.tax_code, "001******345");
        assert_eq!(r.tax_code_kind, "personal");
        assert_eq!(
            (r.gross, r.refunds, r.net, r.count, r.refund_count),
            (200_000_000, 2_000_000, 198_000_000, 12, 1)
        );
        assert_eq!(r.merchants.len(), 3);
        assert_eq!(r.merchants[0].net, 118_000_000);
        assert_eq!(r.merchants[2].gross, 0);
        assert_eq!(r.year_to_date.net, 548_000_000);
        assert_eq!(r.year_to_date.to, d(2026, 12, 7));
        assert!(r.flagged);
        // November alone: only shop B, and the year to date stops at November.
        let nov = Period::parse("2026-11").unwrap();
        let r = assemble(
            "001099012345",
            &nov,
            &rows,
            &Thresholds::default(),
            d(2026, 12, 7),
        );
        assert_eq!((r.gross, r.net, r.count), (80_000_000, 80_000_000, 9));
        assert_eq!(r.year_to_date.net, 498_000_000);
        assert_eq!(r.year_to_date.to, d(2026, 11, 30));
        assert!(!r.flagged);
    }

    #[test]
    fn an_enterprise_code_is_shown_as_is() {
        let y = Period::parse("2026").unwrap();
        let r = assemble(
            "0312345678",
            &y,
            &[row("mer_a", None, 0, 0, 0)],
            &Thresholds::default(),
            d(2026, 12, 7),
        );
        assert_eq!(
            (r.tax_code.as_str(), r.tax_code_kind),
            ("0312345678", "enterprise")
        );
        assert_eq!(r.net, 0);
    }
}
