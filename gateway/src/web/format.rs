//! How amounts and times read on a page.

use chrono::{DateTime, Utc};

/// `amount` with `separator` between every three digits: 1500000 → "1.500.000".
pub fn grouped(amount: i64, separator: char) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if amount < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// Dong as a Vietnamese reader writes them: "150.000 ₫".
pub fn dong_vi(amount: i64) -> String {
    format!("{} ₫", grouped(amount, '.'))
}

/// Dong as an English reader writes them: "150,000 ₫".
pub fn dong_en(amount: i64) -> String {
    format!("{} ₫", grouped(amount, ','))
}

/// A moment in Vietnam time, to the second: "2026-12-08 02:14:49".
pub fn vietnam_time(at: DateTime<Utc>) -> String {
    adapters::providers::vietnam_time::to_vietnam(at)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(0, '.'), "0");
        assert_eq!(grouped(999, '.'), "999");
        assert_eq!(grouped(1_000, '.'), "1.000");
        assert_eq!(grouped(150_000, '.'), "150.000");
        assert_eq!(grouped(12_345_678, ','), "12,345,678");
        assert_eq!(grouped(-1_500, ','), "-1,500");
        assert_eq!(dong_vi(150_000), "150.000 ₫");
        assert_eq!(dong_en(150_000), "150,000 ₫");
    }
}
