//! The NAPAS reconciliation file ("file đối soát", the `TC` file of successful and
//! listed transactions), `.dat`.
//!
//! NAPAS does not publish its specification; it is given to member banks and
//! intermediaries under contract. This layout follows the files as member-side code
//! that is public reads and writes them:
//! - <https://github.com/talk114/himlam/blob/master/gw/src/main/java/gateway/core/channel/napas/service/schedule/NapasScheduleService.java>
//!   (a payment intermediary's daily "đối soát NAPAS": the `HR`/`DR`/`TR` records, the
//!   field tags and widths, the `MMDDYY_ACQ_<member>_<code>_1_TC_<service>.dat` name,
//!   and the per-record `[CSR]` and per-file `[CSF]` checksums);
//! - <https://github.com/tranngocanh1987/ibft_job/blob/master/src/main/java/com/infoplus/ibft/service/NapasFileHandler.java>
//!   (a bank's IBFT job reading the same records).
//!
//! ```text
//! HR[REV]  971999[DATE]20052024
//! DR[MTI]0210[F2]      *********4567[F3]000000[SVC]  IF_DEBIT[TCC]99[F4]000000150000...[CSR]<32 hex>
//! TR[NOT]000000001[TOT]000000000000150000[CRE]               NAPAS[TIME]103105[DATE]21052024[CSF]<32 hex>
//! ```
//!
//! Each tag is followed by a value of fixed width, numbers zero-padded and text
//! right-aligned with spaces, as the code above writes them. Where this file differs,
//! and why:
//! - The trailer carries `[TOT]`, the sum of `[F4]` over the records, so the total can be
//!   checked as well as the count (`[NOT]`).
//! - The checksums are the first 32 hex digits of an unkeyed SHA-256 (`[CSR]` over the
//!   record up to and including `[CSR]`; `[CSF]` over the whole file up to and
//!   including `[CSF]`, lines joined by `\n`), where NAPAS uses a keyed MD5 whose key
//!   each member agrees with NAPAS: they catch damage, not forgery.
//! - Public samples show only interbank deposits (`[F3]910000`, `[SVC]IF_DEP`): credits
//!   of the citizen's account are written so; debits of it (a top-up pulled from the
//!   citizen's account) are `[F3]000000`, `[SVC]IF_DEBIT`.
//! - `[RRC]` is `0000` for a settled transfer and the refusal's response code for a
//!   failed one (`0051` insufficient funds, `0062` account closed).
//! - The gateway's reference is in `[RSV1]` and NAPAS's transaction id (the one its
//!   answer to the transfer carried) in `[RSV2]`; the citizen's account number is
//!   masked.
//! - Amounts are dong: VND has no minor unit.

mod read;
mod write;

pub(super) use read::parse;
pub(super) use write::write;

use super::FileHeader;
use sha2::{Digest, Sha256};

/// The gateway's member code at NAPAS, as NAPAS names it in `[REV]`, `[ACQ]`.
pub const MEMBER_CODE: &str = "971999";
/// The gateway's short name in NAPAS file names.
pub const MEMBER_NAME: &str = "CCCDPAY";
/// Who NAPAS says created the file (`[CRE]`).
pub(super) const CREATOR: &str = "NAPAS";

/// `[F3]` and `[SVC]` of a credit of the citizen's account (an interbank deposit).
pub(super) const CREDIT_CODES: (&str, &str) = ("910000", "IF_DEP");
/// `[F3]` and `[SVC]` of a debit of it.
pub(super) const DEBIT_CODES: (&str, &str) = ("000000", "IF_DEBIT");
/// `[RRC]` of a settled transfer.
pub(super) const SETTLED_RRC: &str = "0000";
/// `[RRC]` of a failed transfer whose entry names no code.
pub(super) const DEFAULT_FAILED_RRC: &str = "0005";
/// The gateway's own account at NAPAS, `[F102]`/`[F103]` for its side of a transfer.
pub(super) const SETTLEMENT_ACCOUNT: &str = "CCCDPAY-SETTLEMENT";

/// A field: its tag and the width of its value.
pub(super) type Field = (&'static str, usize);

pub(super) const HEADER: [Field; 2] = [("[REV]", 8), ("[DATE]", 8)];
pub(super) const DETAIL: [Field; 24] = [
    ("[MTI]", 4),
    ("[F2]", 19),
    ("[F3]", 6),
    ("[SVC]", 10),
    ("[TCC]", 2),
    ("[F4]", 12),
    ("[RTA]", 12),
    ("[F49]", 3),
    ("[F11]", 6),
    ("[F12]", 6),
    ("[F13]", 4),
    ("[F15]", 4),
    ("[ACQ]", 8),
    ("[ISS]", 8),
    ("[BNB]", 8),
    ("[F102]", 28),
    ("[F103]", 28),
    ("[F37]", 12),
    ("[TRN]", 16),
    ("[RRC]", 4),
    ("[RSV1]", 100),
    ("[RSV2]", 100),
    ("[RSV3]", 100),
    ("[CSR]", 32),
];
pub(super) const TRAILER: [Field; 6] = [
    ("[NOT]", 9),
    ("[TOT]", 18),
    ("[CRE]", 20),
    ("[TIME]", 6),
    ("[DATE]", 8),
    ("[CSF]", 32),
];

/// `MMDDYY_ACQ_CCCDPAY_971999_1_TC_IBFT.dat`.
pub(super) fn file_name(header: &FileHeader) -> String {
    format!(
        "{}_ACQ_{MEMBER_NAME}_{}_1_TC_IBFT.dat",
        header.business_date.format("%m%d%y"),
        header.account
    )
}

/// The checksum of everything hashed so far.
pub(super) fn checksum(hasher: Sha256) -> String {
    let digest = hex::encode(hasher.finalize());
    digest.get(..32).unwrap_or_default().to_owned()
}

pub(super) fn checksum_of(bytes: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(bytes);
    checksum(hasher)
}

/// The tag of the record checksum, last of [`DETAIL`].
pub(super) const CSR_TAG: &str = "[CSR]";
