//! Identity: the 12-digit personal identification number (CCCD / căn cước) and the
//! merchant tax codes built on it.
//!
//! Validation is structural only (domain/vietnam.md §1.1): the number has no checksum.
//! Every type here that holds a personal number prints and serializes it masked.

mod cccd;
mod century;
mod clock;
mod province;
mod tax_code;

#[cfg(test)]
mod proptests;

pub use cccd::{mask_cccd, Cccd, CccdError, CCCD_LEN, INVALID_CCCD};
pub use century::{Century, CenturyGender, Gender};
pub use clock::{vietnam_today, VIETNAM_UTC_OFFSET_SECONDS};
pub use province::{BirthRegistration, Province, ProvinceCode, ABROAD_NAME};
pub use tax_code::{TaxCode, TaxCodeError, INVALID_TAX_CODE};
