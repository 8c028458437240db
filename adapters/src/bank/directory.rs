//! The NAPAS bank directory: acquirer BIN (the 6-digit bank identification number used
//! in VietQR and NAPAS 247 transfers) to a short bank name, from domain/vietnam.md §5.

/// Every bank the gateway knows, as (BIN, short name).
pub const BANKS: [(&str, &str); 10] = [
    ("970436", "Vietcombank"),
    ("970415", "VietinBank"),
    ("970418", "BIDV"),
    ("970405", "Agribank"),
    ("970422", "MB"),
    ("970407", "Techcombank"),
    ("970416", "ACB"),
    ("970403", "Sacombank"),
    ("970432", "VPBank"),
    ("970423", "TPBank"),
];

/// The short name of the bank with this BIN, or `None` for a BIN not in the directory.
pub fn bank_name(bin: &str) -> Option<&'static str> {
    BANKS
        .iter()
        .find(|(known, _)| *known == bin)
        .map(|(_, name)| *name)
}

/// Whether `bin` has the shape of a BIN: exactly six ASCII digits.
pub fn is_bin_shaped(bin: &str) -> bool {
    bin.len() == 6 && bin.bytes().all(|b| b.is_ascii_digit())
}

/// Masks a bank account number for display, keeping only its last four characters
/// (`********6789`); numbers of four characters or fewer are masked entirely.
pub fn mask_account_number(number: &str) -> String {
    let count = number.chars().count();
    if count <= 4 {
        return "*".repeat(count.max(4));
    }
    let tail: String = number.chars().skip(count - 4).collect();
    format!("{}{tail}", "*".repeat(count - 4))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn doc_table_names() {
        assert_eq!(bank_name("970436"), Some("Vietcombank"));
        assert_eq!(bank_name("970415"), Some("VietinBank"));
        assert_eq!(bank_name("970418"), Some("BIDV"));
        assert_eq!(bank_name("970405"), Some("Agribank"));
        assert_eq!(bank_name("970422"), Some("MB"));
        assert_eq!(bank_name("970407"), Some("Techcombank"));
        assert_eq!(bank_name("970403"), Some("Sacombank"));
        assert_eq!(bank_name("970000"), None);
        assert_eq!(bank_name(" 970436"), None);
    }

    #[test]
    fn bins_are_unique_and_shaped() {
        let bins: HashSet<&str> = BANKS.iter().map(|(bin, _)| *bin).collect();
        assert_eq!(bins.len(), BANKS.len());
        assert!(BANKS.iter().all(|(bin, _)| is_bin_shaped(bin)));
        assert!(!is_bin_shaped("97043"));
        assert!(!is_bin_shaped("97043x"));
    }

    #[test]
    fn masks_account_numbers() {
        assert_eq!(mask_account_number("0123456789"), "******6789");
        assert_eq!(mask_account_number("12345"), "*2345");
        assert_eq!(mask_account_number("1234"), "****");
        assert_eq!(mask_account_number(""), "****");
    }
}
