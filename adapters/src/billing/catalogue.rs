//! The billers the gateway can pay, and routing a customer code to its biller.
//!
//! Customer-code formats: EVN's come from domain doc §6.3. The doc gives none for water
//! companies, so this catalogue uses a local convention: a two-letter company prefix
//! (`HW` Hanoi Water, `SW` Saigon Water) followed by the utility's 11-digit customer
//! number (SAWACO's "danh bộ" is 11 digits), which keeps every bill-paying code routable
//! by prefix like EVN's. Vietnam Social Security keys both schemes by the personal ID
//! number (12 digits, since 1 Aug 2025) or the legacy 10-digit social insurance code
//! (doc §1.4), so those codes alone cannot tell social from health insurance.

use serde::{Deserialize, Serialize};

use super::customer_code::{CustomerCodeError, PowerCorporation};
use super::tariff_data::{EVN_RESIDENTIAL, HANOI_WATER_DOMESTIC, HCMC_WATER_DOMESTIC};

/// What a biller collects for; serialised as the API's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillerKind {
    /// Electricity, priced per kWh.
    Electricity,
    /// Tap water, priced per m³.
    Water,
    /// Social insurance (BHXH) contributions.
    SocialInsurance,
    /// Health insurance (BHYT) contributions.
    HealthInsurance,
}

impl BillerKind {
    /// The API's snake_case spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            BillerKind::Electricity => "electricity",
            BillerKind::Water => "water",
            BillerKind::SocialInsurance => "social_insurance",
            BillerKind::HealthInsurance => "health_insurance",
        }
    }
}

impl std::fmt::Display for BillerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Structural rule behind a biller's `customer_code_pattern`, checked without a regex
/// engine. A test keeps the two in agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodeFormat {
    /// One of `prefixes` (two ASCII uppercase letters) followed by exactly `digits` digits.
    Prefixed {
        prefixes: &'static [&'static str],
        digits: usize,
    },
    /// Only digits, in one of the listed lengths.
    Digits { lengths: &'static [usize] },
}

impl CodeFormat {
    fn accepts(&self, code: &str) -> bool {
        match *self {
            CodeFormat::Prefixed { prefixes, digits } => prefixes.iter().any(|prefix| {
                code.strip_prefix(prefix).is_some_and(|rest| {
                    rest.len() == digits && rest.bytes().all(|b| b.is_ascii_digit())
                })
            }),
            CodeFormat::Digits { lengths } => {
                lengths.contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
            }
        }
    }

    fn issues_prefix(&self, prefix: &str) -> bool {
        matches!(self, CodeFormat::Prefixed { prefixes, .. } if prefixes.contains(&prefix))
    }
}

/// A biller in the catalogue. Serialises to the API's biller object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Biller {
    /// Stable biller code used in requests (`biller_code`).
    pub code: &'static str,
    /// Display name.
    pub name: &'static str,
    /// What it collects for.
    pub kind: BillerKind,
    /// Regular expression a customer code of this biller matches.
    pub customer_code_pattern: &'static str,
    /// Tariff schedule that prices its bills, for metered utilities.
    #[serde(skip)]
    pub tariff_schedule: Option<&'static str>,
    #[serde(skip)]
    format: CodeFormat,
}

impl Biller {
    /// Whether `customer_code` has this biller's format.
    pub fn accepts(&self, customer_code: &str) -> bool {
        self.format.accepts(customer_code)
    }
}

const EVN_DIGITS: usize = 11;

const fn evn_biller(corporation: PowerCorporation, pattern: &'static str) -> Biller {
    Biller {
        code: corporation.code(),
        name: corporation.name(),
        kind: BillerKind::Electricity,
        customer_code_pattern: pattern,
        tariff_schedule: Some(EVN_RESIDENTIAL),
        format: CodeFormat::Prefixed {
            prefixes: corporation.prefixes(),
            digits: EVN_DIGITS,
        },
    }
}

/// Both social security billers accept the same personal numbers (doc §1.4).
const VSS_FORMAT: CodeFormat = CodeFormat::Digits { lengths: &[12, 10] };
const VSS_PATTERN: &str = "^([0-9]{12}|[0-9]{10})$";

static BILLERS: [Biller; 9] = [
    evn_biller(PowerCorporation::EvnHanoi, "^PD[0-9]{11}$"),
    evn_biller(PowerCorporation::EvnHcmc, "^PE[0-9]{11}$"),
    evn_biller(PowerCorporation::EvnNpc, "^P[AHMN][0-9]{11}$"),
    evn_biller(PowerCorporation::EvnSpc, "^P[BK][0-9]{11}$"),
    evn_biller(PowerCorporation::EvnCpc, "^P[CPQ][0-9]{11}$"),
    Biller {
        code: "HAWACO",
        name: "Hanoi Water Limited Company (HAWACO)",
        kind: BillerKind::Water,
        customer_code_pattern: "^HW[0-9]{11}$",
        tariff_schedule: Some(HANOI_WATER_DOMESTIC),
        format: CodeFormat::Prefixed {
            prefixes: &["HW"],
            digits: 11,
        },
    },
    Biller {
        code: "SAWACO",
        name: "Saigon Water Corporation (SAWACO)",
        kind: BillerKind::Water,
        customer_code_pattern: "^SW[0-9]{11}$",
        tariff_schedule: Some(HCMC_WATER_DOMESTIC),
        format: CodeFormat::Prefixed {
            prefixes: &["SW"],
            digits: 11,
        },
    },
    Biller {
        code: "VSS_BHXH",
        name: "Vietnam Social Security (BHXH) - voluntary social insurance",
        kind: BillerKind::SocialInsurance,
        customer_code_pattern: VSS_PATTERN,
        tariff_schedule: None,
        format: VSS_FORMAT,
    },
    Biller {
        code: "VSS_BHYT",
        name: "Vietnam Social Security (BHXH) - household health insurance",
        kind: BillerKind::HealthInsurance,
        customer_code_pattern: VSS_PATTERN,
        tariff_schedule: None,
        format: VSS_FORMAT,
    },
];

/// Every biller, in display order.
pub fn billers() -> &'static [Biller] {
    &BILLERS
}

/// The biller with this biller code.
pub fn find_biller(code: &str) -> Option<&'static Biller> {
    BILLERS.iter().find(|biller| biller.code == code)
}

/// The biller serving `customer_code`, found from the code's prefix.
///
/// A code whose prefix some biller issues but whose shape is wrong is `Malformed`
/// (against that biller's pattern); a prefix-and-digits code whose prefix nobody issues
/// is `UnknownPrefix`; anything else that no biller accepts is `Malformed`. Social
/// security codes are accepted by both insurance billers and so are `Ambiguous`: pass
/// the biller code instead.
pub fn find_biller_for_customer_code(
    customer_code: &str,
) -> Result<&'static Biller, CustomerCodeError> {
    let prefix = customer_code
        .get(..2)
        .filter(|p| p.bytes().all(|b| b.is_ascii_uppercase()));

    if let Some(prefix) = prefix {
        if let Some(biller) = BILLERS.iter().find(|b| b.format.issues_prefix(prefix)) {
            return if biller.accepts(customer_code) {
                Ok(biller)
            } else {
                Err(CustomerCodeError::Malformed {
                    code: customer_code.to_owned(),
                    expected: biller.customer_code_pattern.to_owned(),
                })
            };
        }
        let rest = &customer_code[2..];
        if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CustomerCodeError::UnknownPrefix {
                code: customer_code.to_owned(),
                prefix: prefix.to_owned(),
            });
        }
    }

    let accepting: Vec<&'static Biller> = BILLERS
        .iter()
        .filter(|b| b.accepts(customer_code))
        .collect();
    match accepting.as_slice() {
        [only] => Ok(only),
        [] => Err(CustomerCodeError::Malformed {
            code: customer_code.to_owned(),
            expected: "a customer code of a biller in the catalogue".to_owned(),
        }),
        several => Err(CustomerCodeError::Ambiguous {
            code: customer_code.to_owned(),
            billers: several.iter().map(|b| b.code.to_owned()).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders a format as the regex the catalogue advertises, to catch drift between
    /// the human-facing pattern and the check actually applied.
    fn render(format: &CodeFormat) -> String {
        match *format {
            CodeFormat::Prefixed { prefixes, digits } => {
                let first: Vec<char> = prefixes.iter().filter_map(|p| p.chars().next()).collect();
                let shared_first = first.windows(2).all(|w| w[0] == w[1]);
                let head = match prefixes {
                    [one] => (*one).to_owned(),
                    many if shared_first => {
                        let seconds: String =
                            many.iter().filter_map(|p| p.chars().nth(1)).collect();
                        format!("{}[{seconds}]", first[0])
                    }
                    many => format!("({})", many.join("|")),
                };
                format!("^{head}[0-9]{{{digits}}}$")
            }
            CodeFormat::Digits { lengths } => {
                let alternatives: Vec<String> =
                    lengths.iter().map(|n| format!("[0-9]{{{n}}}")).collect();
                match alternatives.as_slice() {
                    [one] => format!("^{one}$"),
                    many => format!("^({})$", many.join("|")),
                }
            }
        }
    }

    #[test]
    fn advertised_patterns_match_the_checks() {
        for biller in billers() {
            assert_eq!(
                render(&biller.format),
                biller.customer_code_pattern,
                "{}",
                biller.code
            );
        }
    }

    #[test]
    fn catalogue_has_every_required_biller() {
        let codes: Vec<&str> = billers().iter().map(|b| b.code).collect();
        for corporation in PowerCorporation::ALL {
            assert!(codes.contains(&corporation.code()));
        }
        let kinds: Vec<BillerKind> = billers().iter().map(|b| b.kind).collect();
        assert_eq!(kinds.iter().filter(|k| **k == BillerKind::Water).count(), 2);
        assert!(kinds.contains(&BillerKind::SocialInsurance));
        assert!(kinds.contains(&BillerKind::HealthInsurance));
        let mut unique = codes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
    }

    #[test]
    fn routes_by_prefix() {
        let cases = [
            ("PD29007350490", "EVNHANOI"),
            ("PE12345678901", "EVNHCMC"),
            ("PH12345678901", "EVNNPC"),
            ("PB02020040261", "EVNSPC"),
            ("PQ12345678901", "EVNCPC"),
            ("HW12345678901", "HAWACO"),
            ("SW12345678901", "SAWACO"),
        ];
        for (customer_code, biller_code) in cases {
            let biller = find_biller_for_customer_code(customer_code).unwrap();
            assert_eq!(biller.code, biller_code);
            assert!(biller.accepts(customer_code));
        }
    }

    #[test]
    fn agrees_with_evn_corporation_routing() {
        for corporation in PowerCorporation::ALL {
            for prefix in corporation.prefixes() {
                let code = format!("{prefix}00000000000");
                let biller = find_biller_for_customer_code(&code).unwrap();
                assert_eq!(biller.code, corporation.code());
            }
        }
    }

    #[test]
    fn distinguishes_malformed_unknown_and_ambiguous() {
        for malformed in [
            "",
            "PD123",
            "HW1234567890A",
            "hello",
            "pd12345678901",
            "12345",
        ] {
            assert_eq!(
                find_biller_for_customer_code(malformed).unwrap_err().code(),
                "invalid_customer_code",
                "{malformed:?}"
            );
        }
        for unknown in ["PZ12345678901", "XX12345678901"] {
            assert_eq!(
                find_biller_for_customer_code(unknown).unwrap_err().code(),
                "unknown_customer_code_prefix",
                "{unknown:?}"
            );
        }
        let err = find_biller_for_customer_code("001099012345").unwrap_err();
        assert_eq!(err.code(), "ambiguous_customer_code");
        assert!(find_biller("VSS_BHXH").unwrap().accepts("001099012345"));
        assert!(find_biller("VSS_BHYT").unwrap().accepts("0123456789"));
    }

    #[test]
    fn serialises_as_the_api_biller_object() {
        let json = serde_json::to_value(find_biller("EVNNPC").unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "EVNNPC",
                "name": "Northern Power Corporation (EVNNPC)",
                "kind": "electricity",
                "customer_code_pattern": "^P[AHMN][0-9]{11}$"
            })
        );
    }
}
