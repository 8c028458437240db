//! Simulators of the wallet and gateway providers that fund top-ups: VNPay
//! ([`vnpay`], under `/vnpay`), MoMo ([`momo`], `/momo`) and ZaloPay ([`zalopay`],
//! `/zalopay`). Each speaks its provider's wire format (what
//! [`crate::funding`] calls) with the credentials of [`ProviderSimConfig`], and calls
//! the gateway back with the provider's signed callback.
//!
//! Control API, the same under each prefix; `{reference}` is the provider reference
//! (`vnp_TxnRef`, `orderId`, `app_trans_id`):
//! - `GET /orders/{reference}` → 200 `{"reference", "amount", "status":
//!   "pending"|"paid"|"cancelled", "provider_transaction_id", "callback_url",
//!   "callback": null | {"attempts": [{"status", "reply", "acknowledged"}],
//!   "acknowledged", "finished"}}`, or 404 `order_not_found`.
//! - `POST /orders/{reference}/pay` and `.../cancel` → 200 the order (409
//!   `order_not_pending` once paid or cancelled). The cancel's body is optional:
//!   `{"result_code": "4002"}` declines with that provider failure code instead of the
//!   generic user-declined one (VNPay `vnp_ResponseCode` 24, MoMo `resultCode` 1006,
//!   ZaloPay `sub_return_code` -1), and the callback and the status query then carry
//!   it: a two-digit code other than 00 at VNPay, any non-zero `resultCode` at MoMo
//!   (4002: payer not verified by C06), a negative `sub_return_code` at ZaloPay (400
//!   `invalid_result_code` otherwise, 400 `invalid_request` for a body that is not this
//!   JSON). The signed callback is then sent in
//!   the background and retried with exponential backoff (from
//!   [`ProviderSimConfig::callback_backoff`], at most 60 s apart) until acknowledged
//!   the provider's way or out of attempts: VNPay HTTP 200 with `RspCode` `00` or
//!   `02` (5 attempts), MoMo HTTP 204 (5), ZaloPay `return_code` 1 or 2 (4: the first
//!   call and 3 retries). A ZaloPay cancel sends no callback, as ZaloPay does not.
//! - `POST /orders/{reference}/forge` `{"amount"?, "bad_signature"?}` → 200
//!   `{"status", "body", "acknowledged"}`: sends once, without retry, a success
//!   callback for the order reporting `amount` (default the order's), signed with the
//!   wrong key if `bad_signature`, and shows the gateway's reply.
//! - `POST /orders/{reference}/replay` → the same, resending the last pay or cancel
//!   callback as it was (409 `no_callback` if none was sent).
//!
//! - `GET /statements/{YYYY-MM-DD}` and `/statements/tweaks`: the provider's daily
//!   reconciliation file, listing paid orders as settled and cancelled ones as failed
//!   on the Vietnam day they were paid or cancelled ([`super::statements`]).
//!
//! Callback URLs: VNPay's is the merchant-portal setting, here
//! `{gateway_base_url}/v1/callbacks/vnpay/ipn`; MoMo's is the create request's
//! `ipnUrl`; ZaloPay's the create request's `callback_url`, else
//! `{gateway_base_url}/v1/callbacks/zalopay`.

mod control;
mod delivery;
mod momo;
mod page;
mod queries;
mod store;
mod vnpay;
mod zalopay;

pub use delivery::{Attempt, DeliveryLog};
pub use store::{OrderStatus, OrderView, MAX_ORDERS};

use super::SimulatorConfig;
use crate::funding::{MomoCredentials, VnpayCredentials, ZaloPayCredentials};
use actix_web::web;
use std::time::Duration;

/// Where the gateway listens unless told otherwise (api.md's `GATEWAY_ADDR`).
pub const DEFAULT_GATEWAY_BASE_URL: &str = "http://127.0.0.1:8080";

/// Wait before the first callback retry unless configured; doubled each time.
pub const DEFAULT_CALLBACK_BACKOFF: Duration = Duration::from_millis(500);

/// What the provider simulators need: the merchant credentials the gateway is
/// configured with (by default the demo-mode ones), and where the gateway listens.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProviderSimConfig {
    /// The gateway's base URL, for callbacks whose URL is not in the order.
    pub gateway_base_url: String,
    /// The VNPay terminal (demo: `DEMO0001` / `demo-vnpay-hash-secret`).
    pub vnpay: VnpayCredentials,
    /// The MoMo partner (demo: MoMo's public sandbox).
    pub momo: MomoCredentials,
    /// The ZaloPay app (demo: ZaloPay's public sandbox app 2553).
    pub zalopay: ZaloPayCredentials,
    /// Wait before the first callback retry.
    pub callback_backoff: Duration,
}

impl Default for ProviderSimConfig {
    fn default() -> Self {
        ProviderSimConfig {
            gateway_base_url: DEFAULT_GATEWAY_BASE_URL.to_owned(),
            vnpay: VnpayCredentials::demo(),
            momo: MomoCredentials::sandbox(),
            zalopay: ZaloPayCredentials::sandbox(),
            callback_backoff: DEFAULT_CALLBACK_BACKOFF,
        }
    }
}

impl SimulatorConfig {
    /// Where the provider simulators call the gateway back.
    pub fn with_gateway_base_url(mut self, url: impl Into<String>) -> Self {
        self.providers.gateway_base_url = url.into();
        self
    }

    /// The VNPay terminal the simulator accepts and signs IPNs for.
    pub fn with_vnpay(mut self, credentials: VnpayCredentials) -> Self {
        self.providers.vnpay = credentials;
        self
    }

    /// The MoMo partner the simulator accepts and signs IPNs for.
    pub fn with_momo(mut self, credentials: MomoCredentials) -> Self {
        self.providers.momo = credentials;
        self
    }

    /// The ZaloPay app the simulator accepts and signs callbacks for.
    pub fn with_zalopay(mut self, credentials: ZaloPayCredentials) -> Self {
        self.providers.zalopay = credentials;
        self
    }

    /// Wait before the first callback retry (doubled after each); tests use a few ms.
    pub fn with_callback_backoff(mut self, backoff: Duration) -> Self {
        self.providers.callback_backoff = backoff;
        self
    }
}

/// The three provider simulators' state; cloning shares it.
#[derive(Clone, Debug)]
pub(crate) struct ProviderSimulators {
    vnpay: web::Data<vnpay::VnpayState>,
    momo: web::Data<momo::MomoState>,
    zalopay: web::Data<zalopay::ZaloPayState>,
}

impl ProviderSimulators {
    pub(crate) fn new(config: &ProviderSimConfig) -> Self {
        ProviderSimulators {
            vnpay: web::Data::new(vnpay::VnpayState::from_config(config)),
            momo: web::Data::new(momo::MomoState::from_config(config)),
            zalopay: web::Data::new(zalopay::ZaloPayState::from_config(config)),
        }
    }

    /// Mounts `/vnpay`, `/momo` and `/zalopay`.
    pub(crate) fn configure(&self, cfg: &mut web::ServiceConfig) {
        let (vnpay_state, momo_state, zalopay_state) =
            (self.vnpay.clone(), self.momo.clone(), self.zalopay.clone());
        cfg.service(web::scope("/vnpay").configure(|c| vnpay::configure(c, vnpay_state)))
            .service(web::scope("/momo").configure(|c| momo::configure(c, momo_state)))
            .service(web::scope("/zalopay").configure(|c| zalopay::configure(c, zalopay_state)));
    }
}
