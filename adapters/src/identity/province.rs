//! Birth-registration codes: the first three digits (`PPP`) of a personal
//! identification number.
//!
//! The code says where the birth was *registered*, not where the person lives, and the
//! number never changes. The 2025 merger of 63 provinces into 34 therefore leaves this
//! table frozen: it must never be used to derive a current province.

use serde::{Serialize, Serializer};
use std::fmt;

/// Where a birth was registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BirthRegistration {
    /// In one of the 63 pre-2025 provinces or centrally run cities.
    Domestic,
    /// Abroad: the code is a country code (101–295), not a province.
    Abroad,
}

/// A three-digit birth-registration code, shown and serialized zero-padded (`"001"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProvinceCode(u16);

impl ProvinceCode {
    /// The code as a number, e.g. 1 for `001`.
    pub const fn value(self) -> u16 {
        self.0
    }
}

impl fmt::Display for ProvinceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

impl fmt::Debug for ProvinceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProvinceCode({:03})", self.0)
    }
}

impl Serialize for ProvinceCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The birth-registration province (or, for births abroad, the country code) of a
/// personal identification number.
///
/// Serializes as the API's `birth_registration_province`: `{"code": "001", "name": "Hà Nội"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Province {
    code: ProvinceCode,
    name: &'static str,
    #[serde(skip)]
    registration: BirthRegistration,
}

/// The name given to every foreign-birth code.
///
/// The country behind each code (101–295, Circular 07/2016/TT-BCA) is unverified in the
/// domain notes and the only public table has visible errors, so no country is named.
pub const ABROAD_NAME: &str = "Nước ngoài";

/// First and last foreign-birth (country) codes.
const ABROAD_CODES: std::ops::RangeInclusive<u16> = 101..=295;

/// The 63 birth-registration codes, sorted by code (domain/vietnam.md §1.1).
const DOMESTIC: [(u16, &str); 63] = [
    (1, "Hà Nội"),
    (2, "Hà Giang"),
    (4, "Cao Bằng"),
    (6, "Bắc Kạn"),
    (8, "Tuyên Quang"),
    (10, "Lào Cai"),
    (11, "Điện Biên"),
    (12, "Lai Châu"),
    (14, "Sơn La"),
    (15, "Yên Bái"),
    (17, "Hòa Bình"),
    (19, "Thái Nguyên"),
    (20, "Lạng Sơn"),
    (22, "Quảng Ninh"),
    (24, "Bắc Giang"),
    (25, "Phú Thọ"),
    (26, "Vĩnh Phúc"),
    (27, "Bắc Ninh"),
    (30, "Hải Dương"),
    (31, "Hải Phòng"),
    (33, "Hưng Yên"),
    (34, "Thái Bình"),
    (35, "Hà Nam"),
    (36, "Nam Định"),
    (37, "Ninh Bình"),
    (38, "Thanh Hóa"),
    (40, "Nghệ An"),
    (42, "Hà Tĩnh"),
    (44, "Quảng Bình"),
    (45, "Quảng Trị"),
    (46, "Thừa Thiên Huế"),
    (48, "Đà Nẵng"),
    (49, "Quảng Nam"),
    (51, "Quảng Ngãi"),
    (52, "Bình Định"),
    (54, "Phú Yên"),
    (56, "Khánh Hòa"),
    (58, "Ninh Thuận"),
    (60, "Bình Thuận"),
    (62, "Kon Tum"),
    (64, "Gia Lai"),
    (66, "Đắk Lắk"),
    (67, "Đắk Nông"),
    (68, "Lâm Đồng"),
    (70, "Bình Phước"),
    (72, "Tây Ninh"),
    (74, "Bình Dương"),
    (75, "Đồng Nai"),
    (77, "Bà Rịa–Vũng Tàu"),
    (79, "TP. Hồ Chí Minh"),
    (80, "Long An"),
    (82, "Tiền Giang"),
    (83, "Bến Tre"),
    (84, "Trà Vinh"),
    (86, "Vĩnh Long"),
    (87, "Đồng Tháp"),
    (89, "An Giang"),
    (91, "Kiên Giang"),
    (92, "Cần Thơ"),
    (93, "Hậu Giang"),
    (94, "Sóc Trăng"),
    (95, "Bạc Liêu"),
    (96, "Cà Mau"),
];

impl Province {
    /// Looks up a three-digit code such as `"001"`. Anything other than exactly three
    /// ASCII digits naming a known code gives `None`.
    pub fn from_code(code: &str) -> Option<Province> {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        code.parse::<u16>().ok().and_then(Province::from_value)
    }

    /// Looks up a code by its numeric value, e.g. 1 for `001`.
    pub fn from_value(value: u16) -> Option<Province> {
        if let Ok(index) = DOMESTIC.binary_search_by_key(&value, |&(code, _)| code) {
            let (code, name) = DOMESTIC[index];
            return Some(Province {
                code: ProvinceCode(code),
                name,
                registration: BirthRegistration::Domestic,
            });
        }
        if ABROAD_CODES.contains(&value) {
            // Unverified but documented range: accepting it keeps citizens born abroad
            // from being locked out, and nothing downstream relies on the country.
            return Some(Province {
                code: ProvinceCode(value),
                name: ABROAD_NAME,
                registration: BirthRegistration::Abroad,
            });
        }
        None
    }

    /// The 63 domestic provinces and cities, in code order.
    pub fn domestic() -> impl Iterator<Item = Province> {
        DOMESTIC.iter().map(|&(code, name)| Province {
            code: ProvinceCode(code),
            name,
            registration: BirthRegistration::Domestic,
        })
    }

    /// The range of foreign-birth (country) codes accepted.
    pub fn abroad_codes() -> std::ops::RangeInclusive<u16> {
        ABROAD_CODES
    }

    /// The three-digit code.
    pub const fn code(&self) -> ProvinceCode {
        self.code
    }

    /// The Vietnamese name of the province as it was before the 2025 merger, or
    /// [`ABROAD_NAME`] for a birth registered abroad.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Whether the birth was registered in Vietnam or abroad.
    pub const fn registration(&self) -> BirthRegistration {
        self.registration
    }

    /// True when the code is a foreign-birth (country) code.
    pub const fn is_abroad(&self) -> bool {
        matches!(self.registration, BirthRegistration::Abroad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn table_has_63_unique_sorted_codes() {
        assert_eq!(DOMESTIC.len(), 63);
        assert!(
            DOMESTIC.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted, no duplicates"
        );
        let names: HashSet<&str> = DOMESTIC.iter().map(|&(_, name)| name).collect();
        assert_eq!(names.len(), 63);
        assert!(DOMESTIC.iter().all(|&(code, _)| (1..=96).contains(&code)));
    }

    #[test]
    fn doc_examples_resolve() {
        let cases = [
            ("001", "Hà Nội"),
            ("002", "Hà Giang"),
            ("031", "Hải Phòng"),
            ("046", "Thừa Thiên Huế"),
            ("048", "Đà Nẵng"),
            ("074", "Bình Dương"),
            ("077", "Bà Rịa–Vũng Tàu"),
            ("079", "TP. Hồ Chí Minh"),
            ("092", "Cần Thơ"),
            ("096", "Cà Mau"),
        ];
        for (code, name) in cases {
            let province = Province::from_code(code).expect("documented code");
            assert_eq!(province.name(), name);
            assert_eq!(province.code().to_string(), code);
            assert!(!province.is_abroad());
            assert_eq!(province.registration(), BirthRegistration::Domestic);
        }
    }

    #[test]
    fn gaps_in_the_table_are_unknown() {
        // Codes skipped by the table (e.g. 003, 005, 097) belong to no province.
        for code in [
            "000", "003", "005", "007", "009", "013", "097", "099", "100", "296", "999",
        ] {
            assert_eq!(Province::from_code(code), None, "{code}");
        }
    }

    #[test]
    fn foreign_birth_codes_are_marked_abroad() {
        // domain/vietnam.md: 101–295, e.g. 175 USA, 232 Japan, 279 China.
        for code in ["101", "175", "232", "279", "295"] {
            let province = Province::from_code(code).expect("foreign-birth code");
            assert!(province.is_abroad(), "{code}");
            assert_eq!(province.registration(), BirthRegistration::Abroad);
            assert_eq!(province.name(), ABROAD_NAME);
            assert_eq!(province.code().to_string(), code);
        }
        assert_eq!(Province::abroad_codes().count(), 195);
    }

    #[test]
    fn from_code_wants_exactly_three_ascii_digits() {
        for code in ["1", "01", "0001", " 01", "+01", "-01", "０１", "", "abc"] {
            assert_eq!(Province::from_code(code), None, "{code:?}");
        }
    }

    #[test]
    fn domestic_iterates_all_63() {
        assert_eq!(Province::domestic().count(), 63);
        assert!(Province::domestic().all(|p| Province::from_value(p.code().value()) == Some(p)));
    }

    #[test]
    fn serializes_as_api_object() {
        let province = Province::from_code("001").expect("Hà Nội");
        assert_eq!(
            serde_json::to_value(province).ok(),
            Some(serde_json::json!({"code": "001", "name": "Hà Nội"}))
        );
        assert_eq!(format!("{:?}", province.code()), "ProvinceCode(001)");
    }
}
