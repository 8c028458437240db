//! A citizen paying a payment request, by its id or by scanning its VietQR: which
//! request a scanned code names, and the conflicts a request that cannot be paid is
//! answered with. The payment itself is one command of the group commit (`commit`).

use adapters::qr::{self, QrError};

use crate::config::Config;
use crate::error::ApiError;

/// The request a scanned VietQR names, and the amount it carries: its CRC must hold
/// and it must pay the gateway's own collection account.
pub fn parse_qr(config: &Config, payload: &str) -> Result<(String, Option<u64>), ApiError> {
    let code = qr::decode(payload.trim()).map_err(|e| match e {
        QrError::CrcMismatch { .. } | QrError::MissingCrc => ApiError::InvalidQr("crc_mismatch"),
        _ => ApiError::InvalidQr("malformed"),
    })?;
    if code.beneficiary.acquirer_bin != config.qr_bank_bin
        || code.beneficiary.account != config.qr_account
    {
        return Err(ApiError::InvalidQr("not_this_gateway"));
    }
    let id = code
        .additional
        .reference_label
        .clone()
        .filter(|r| r.starts_with("req_"))
        .ok_or(ApiError::InvalidQr("no_payment_request_reference"))?;
    Ok((id, code.amount))
}

/// The documented conflict of a request that cannot be paid now.
pub fn conflict(code: &str) -> ApiError {
    match code {
        "payment_request_expired" => ApiError::Conflict {
            code: "payment_request_expired",
            message: "this payment request has expired",
        },
        _ => ApiError::Conflict {
            code: "payment_request_not_open",
            message: "this payment request is already paid or closed",
        },
    }
}
