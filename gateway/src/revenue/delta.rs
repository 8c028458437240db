//! What a batch of captures and refunds adds to merchants' monthly revenue.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::rules::month_of;

/// Additions to one merchant's month.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RevenueDelta {
    pub gross: i64,
    pub refunds: i64,
    pub receipts: i32,
    pub refund_count: i32,
}

/// Additions by (merchant, first day of the month in Vietnam time), ordered so every
/// batch touches the rows in the same order.
#[derive(Debug, Default)]
pub struct RevenueBook {
    deltas: BTreeMap<(String, NaiveDate), RevenueDelta>,
}

impl RevenueBook {
    /// Money a merchant received on `day` (a capture, or a payment captured at once).
    pub fn receipt(&mut self, merchant_id: &str, day: NaiveDate, amount: i64) {
        if amount <= 0 {
            return;
        }
        let d = self.entry(merchant_id, day);
        d.gross = d.gross.saturating_add(amount);
        d.receipts = d.receipts.saturating_add(1);
    }

    /// Money a merchant gave back on `day`.
    pub fn refund(&mut self, merchant_id: &str, day: NaiveDate, amount: i64) {
        if amount <= 0 {
            return;
        }
        let d = self.entry(merchant_id, day);
        d.refunds = d.refunds.saturating_add(amount);
        d.refund_count = d.refund_count.saturating_add(1);
    }

    fn entry(&mut self, merchant_id: &str, day: NaiveDate) -> &mut RevenueDelta {
        self.deltas
            .entry((merchant_id.to_string(), month_of(day)))
            .or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.deltas.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&(String, NaiveDate), &RevenueDelta)> {
        self.deltas.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_batch_adds_up_per_merchant_and_month() {
        let mut book = RevenueBook::default();
        book.receipt("mer_a", day(2026, 11, 3), 100_000);
        book.receipt("mer_a", day(2026, 11, 30), 50_000);
        book.refund("mer_a", day(2026, 11, 30), 20_000);
        book.receipt("mer_a", day(2026, 12, 1), 7_000);
        book.receipt("mer_b", day(2026, 11, 3), 0);
        let rows: Vec<_> = book.iter().map(|(k, v)| (k.clone(), *v)).collect();
        assert_eq!(
            rows,
            vec![
                (
                    ("mer_a".to_string(), day(2026, 11, 1)),
                    RevenueDelta {
                        gross: 150_000,
                        refunds: 20_000,
                        receipts: 2,
                        refund_count: 1
                    }
                ),
                (
                    ("mer_a".to_string(), day(2026, 12, 1)),
                    RevenueDelta {
                        gross: 7_000,
                        receipts: 1,
                        ..RevenueDelta::default()
                    }
                ),
            ]
        );
    }
}
