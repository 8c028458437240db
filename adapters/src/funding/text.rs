//! `vnp_OrderInfo` text that every URL encoding writes the same way.
//!
//! VNPay signs the form-encoded query (PHP `urlencode`). A merchant library or proxy
//! that encodes differently (RFC 3986 writes space as `%20`, keeps `~`; some keep `*`)
//! produces another signed string, so VNPay refuses the payment. Only ASCII letters,
//! digits and `-_.` come out identical everywhere, so the description is reduced to
//! them: Vietnamese letters lose their marks (VNPay asks for unaccented text anyway)
//! and every other run of characters becomes one `-`.

/// VNPay's limit on `vnp_OrderInfo`.
pub const MAX_ORDER_INFO_LEN: usize = 255;

/// Base letter of each Vietnamese letter with diacritics.
const FOLDS: &[(char, &str)] = &[
    ('a', "àáảãạăằắẳẵặâầấẩẫậ"),
    ('A', "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ"),
    ('e', "èéẻẽẹêềếểễệ"),
    ('E', "ÈÉẺẼẸÊỀẾỂỄỆ"),
    ('i', "ìíỉĩị"),
    ('I', "ÌÍỈĨỊ"),
    ('o', "òóỏõọôồốổỗộơờớởỡợ"),
    ('O', "ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ"),
    ('u', "ùúủũụưừứửữự"),
    ('U', "ÙÚỦŨỤƯỪỨỬỮỰ"),
    ('y', "ỳýỷỹỵ"),
    ('Y', "ỲÝỶỸỴ"),
    ('d', "đ"),
    ('D', "Đ"),
];

fn fold(c: char) -> char {
    FOLDS
        .iter()
        .find(|(_, variants)| variants.contains(c))
        .map_or(c, |(base, _)| *base)
}

fn is_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// `text` reduced to `[A-Za-z0-9._-]`, at most [`MAX_ORDER_INFO_LEN`] characters;
/// `fallback` (already safe) when nothing is left.
pub fn safe_order_info(text: &str, fallback: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().map(fold) {
        if is_safe(c) {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    let result = if trimmed.is_empty() {
        fallback
    } else {
        trimmed
    };
    // Every character is ASCII here, so a byte cut is a character cut.
    result.chars().take(MAX_ORDER_INFO_LEN).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::vnpay::urlencode;

    #[test]
    fn vietnamese_is_unaccented_and_spaces_become_dashes() {
        assert_eq!(
            safe_order_info("Nạp tiền ví điện tử pay_123", "x"),
            "Nap-tien-vi-dien-tu-pay_123"
        );
        assert_eq!(
            safe_order_info("  ĐẶNG Thị Ỷ: 100.000đ!  ", "x"),
            "DANG-Thi-Y-100.000d"
        );
    }

    #[test]
    fn only_characters_every_encoding_keeps() {
        let text = safe_order_info("a~b*c'd(e)f!g h+i%j/k?l&m=n#o\u{1F600}p", "x");
        assert_eq!(text, "a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p");
        assert_eq!(urlencode(&text), text);
    }

    #[test]
    fn empty_results_fall_back_and_long_ones_are_cut() {
        assert_eq!(safe_order_info("", "pay_1"), "pay_1");
        assert_eq!(safe_order_info("!!! ~~~", "pay_1"), "pay_1");
        assert_eq!(safe_order_info(&"ă".repeat(300), "x").len(), 255);
    }
}
