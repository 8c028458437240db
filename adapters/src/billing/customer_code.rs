//! EVN customer codes (mã khách hàng): which power corporation serves a customer,
//! read from the two-letter prefix, and the errors shared by every customer-code lookup.

use serde::{Deserialize, Serialize};

/// One of EVN's five distribution corporations; each collects its own customers' bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PowerCorporation {
    /// Hanoi Power Corporation.
    #[serde(rename = "EVNHANOI")]
    EvnHanoi,
    /// Ho Chi Minh City Power Corporation.
    #[serde(rename = "EVNHCMC")]
    EvnHcmc,
    /// Northern Power Corporation.
    #[serde(rename = "EVNNPC")]
    EvnNpc,
    /// Southern Power Corporation.
    #[serde(rename = "EVNSPC")]
    EvnSpc,
    /// Central Power Corporation.
    #[serde(rename = "EVNCPC")]
    EvnCpc,
}

impl PowerCorporation {
    /// Every corporation, in catalogue order.
    pub const ALL: [PowerCorporation; 5] = [
        PowerCorporation::EvnHanoi,
        PowerCorporation::EvnHcmc,
        PowerCorporation::EvnNpc,
        PowerCorporation::EvnSpc,
        PowerCorporation::EvnCpc,
    ];

    /// The corporation's short code, also its biller code (`EVNHANOI`, ...).
    pub const fn code(self) -> &'static str {
        match self {
            PowerCorporation::EvnHanoi => "EVNHANOI",
            PowerCorporation::EvnHcmc => "EVNHCMC",
            PowerCorporation::EvnNpc => "EVNNPC",
            PowerCorporation::EvnSpc => "EVNSPC",
            PowerCorporation::EvnCpc => "EVNCPC",
        }
    }

    /// English name.
    pub const fn name(self) -> &'static str {
        match self {
            PowerCorporation::EvnHanoi => "Hanoi Power Corporation (EVNHANOI)",
            PowerCorporation::EvnHcmc => "Ho Chi Minh City Power Corporation (EVNHCMC)",
            PowerCorporation::EvnNpc => "Northern Power Corporation (EVNNPC)",
            PowerCorporation::EvnSpc => "Southern Power Corporation (EVNSPC)",
            PowerCorporation::EvnCpc => "Central Power Corporation (EVNCPC)",
        }
    }

    /// Customer-code prefixes the corporation issues (the prefix map of domain doc §6.3).
    pub const fn prefixes(self) -> &'static [&'static str] {
        match self {
            PowerCorporation::EvnHanoi => &["PD"],
            PowerCorporation::EvnHcmc => &["PE"],
            PowerCorporation::EvnNpc => &["PA", "PH", "PM", "PN"],
            PowerCorporation::EvnSpc => &["PB", "PK"],
            PowerCorporation::EvnCpc => &["PC", "PP", "PQ"],
        }
    }

    /// The corporation that issues `prefix`, if any.
    pub fn from_prefix(prefix: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|corporation| corporation.prefixes().contains(&prefix))
    }
}

/// Shape of an EVN customer code: `P`, an uppercase letter, then digits up to `length`
/// characters in all. The length is configuration because the doc only says
/// "typically 13".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvnCodeRules {
    /// Total number of characters, prefix included.
    pub length: usize,
}

impl EvnCodeRules {
    /// Length of the codes seen in practice (`PD29007350490`).
    pub const DEFAULT_LENGTH: usize = 13;

    /// The rule as a regular expression, for API consumers (`^P[A-Z][0-9]{11}$`).
    pub fn pattern(&self) -> String {
        format!("^P[A-Z][0-9]{{{}}}$", self.length.saturating_sub(2))
    }

    /// Whether `code` has the shape, regardless of whether its prefix is known.
    pub fn is_well_formed(&self, code: &str) -> bool {
        let bytes = code.as_bytes();
        self.length > 2
            && bytes.len() == self.length
            && bytes[0] == b'P'
            && bytes[1].is_ascii_uppercase()
            && bytes[2..].iter().all(u8::is_ascii_digit)
    }
}

impl Default for EvnCodeRules {
    fn default() -> Self {
        Self {
            length: Self::DEFAULT_LENGTH,
        }
    }
}

/// Why a customer code could not be routed to a biller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerCodeError {
    /// The code does not have the expected shape (client error: fix the input).
    #[error("customer code {code:?} does not match {expected}")]
    Malformed {
        /// The code as given.
        code: String,
        /// The pattern it should have matched.
        expected: String,
    },
    /// The code is well formed but no biller in the catalogue issues its prefix.
    #[error("no biller issues customer codes with prefix {prefix:?}")]
    UnknownPrefix {
        /// The code as given.
        code: String,
        /// The unrecognised prefix.
        prefix: String,
    },
    /// Several billers accept the code, so the caller must name the biller.
    #[error(
        "customer code {code:?} is accepted by several billers ({billers:?}); name the biller"
    )]
    Ambiguous {
        /// The code as given.
        code: String,
        /// Codes of the billers that accept it.
        billers: Vec<String>,
    },
}

impl CustomerCodeError {
    /// Stable snake_case code for API errors.
    pub fn code(&self) -> &'static str {
        match self {
            CustomerCodeError::Malformed { .. } => "invalid_customer_code",
            CustomerCodeError::UnknownPrefix { .. } => "unknown_customer_code_prefix",
            CustomerCodeError::Ambiguous { .. } => "ambiguous_customer_code",
        }
    }
}

/// The power corporation serving an EVN customer code of the default length (13).
pub fn evn_corporation(code: &str) -> Result<PowerCorporation, CustomerCodeError> {
    evn_corporation_with(code, &EvnCodeRules::default())
}

/// The power corporation serving an EVN customer code under explicit length rules.
/// The shape is checked before the prefix so that garbage is reported as malformed,
/// not as an unknown corporation.
pub fn evn_corporation_with(
    code: &str,
    rules: &EvnCodeRules,
) -> Result<PowerCorporation, CustomerCodeError> {
    if !rules.is_well_formed(code) {
        return Err(CustomerCodeError::Malformed {
            code: code.to_owned(),
            expected: rules.pattern(),
        });
    }
    // Well formed implies the first two bytes are ASCII, so slicing is on a char boundary.
    let prefix = &code[..2];
    PowerCorporation::from_prefix(prefix).ok_or_else(|| CustomerCodeError::UnknownPrefix {
        code: code.to_owned(),
        prefix: prefix.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_the_doc_examples() {
        assert_eq!(
            evn_corporation("PD00000000000"),
            Ok(PowerCorporation::EvnHanoi)
        );
        assert_eq!(
            evn_corporation("PD29007350490"),
            Ok(PowerCorporation::EvnHanoi)
        );
        assert_eq!(
            evn_corporation("PB02020040261"),
            Ok(PowerCorporation::EvnSpc)
        );
    }

    #[test]
    fn routes_every_prefix_of_the_map() {
        let expected = [
            ("PD", PowerCorporation::EvnHanoi),
            ("PE", PowerCorporation::EvnHcmc),
            ("PA", PowerCorporation::EvnNpc),
            ("PH", PowerCorporation::EvnNpc),
            ("PM", PowerCorporation::EvnNpc),
            ("PN", PowerCorporation::EvnNpc),
            ("PB", PowerCorporation::EvnSpc),
            ("PK", PowerCorporation::EvnSpc),
            ("PC", PowerCorporation::EvnCpc),
            ("PP", PowerCorporation::EvnCpc),
            ("PQ", PowerCorporation::EvnCpc),
        ];
        for (prefix, corporation) in expected {
            let code = format!("{prefix}12345678901");
            assert_eq!(evn_corporation(&code), Ok(corporation), "{code}");
        }
    }

    #[test]
    fn malformed_and_unknown_prefix_are_distinct() {
        for bad in [
            "",
            "PD",
            "PD1234567890",
            "PD123456789012",
            "pd12345678901",
            "XD12345678901",
            "P112345678901",
            "PD1234567890A",
            " PD12345678901",
            "PĐ1234567890",
        ] {
            let err = evn_corporation(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_customer_code", "{bad:?}");
        }
        let err = evn_corporation("PZ12345678901").unwrap_err();
        assert_eq!(err.code(), "unknown_customer_code_prefix");
        assert!(
            matches!(err, CustomerCodeError::UnknownPrefix { ref prefix, .. } if prefix == "PZ")
        );
    }

    #[test]
    fn length_is_configurable() {
        let rules = EvnCodeRules { length: 14 };
        assert_eq!(rules.pattern(), "^P[A-Z][0-9]{12}$");
        assert_eq!(
            evn_corporation_with("PE123456789012", &rules),
            Ok(PowerCorporation::EvnHcmc)
        );
        assert_eq!(
            evn_corporation_with("PE12345678901", &rules)
                .unwrap_err()
                .code(),
            "invalid_customer_code"
        );
        assert_eq!(EvnCodeRules::default().pattern(), "^P[A-Z][0-9]{11}$");
    }

    #[test]
    fn prefixes_are_unique_across_corporations() {
        let mut all: Vec<&str> = PowerCorporation::ALL
            .iter()
            .flat_map(|c| c.prefixes().iter().copied())
            .collect();
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count);
    }
}
