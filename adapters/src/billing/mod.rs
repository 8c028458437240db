//! Billers and insurance: who can be paid, how a customer code finds its biller, and
//! what a bill or contribution costs. Pure logic (values in, values out); the HTTP
//! clients and simulators that talk to EVN, the water companies and Vietnam Social
//! Security build on it.
//!
//! - [`billers`], [`find_biller_for_customer_code`]: the catalogue and routing by
//!   customer code.
//! - [`evn_corporation`]: EVN power corporation from the customer-code prefix.
//! - [`TariffTable`]: effective-dated tariffs; [`price_electricity`] and [`price_water`]
//!   turn a month's consumption into a [`BillQuote`], splitting the month by days where
//!   the price changed inside it; [`price_electricity_for`] and [`price_water_for`] do
//!   the same for any [`MeterPeriod`] and a [`HouseholdStatus`] (social prices, EVN's
//!   support for poor households).
//! - [`insurance`]: voluntary social and household health insurance quotes.
//!
//! Money is `i64` dong throughout; `rust_decimal` is used for the exact intermediate
//! products, which are rounded half-up to whole dong once per printed line.

mod catalogue;
mod customer_code;
mod effective;
mod electricity;
mod household;
pub mod insurance;
mod money;
mod period;
mod pricing;
mod proration;
mod tariff;
mod tariff_check;
mod tariff_data;
mod water;

#[cfg(test)]
mod properties;

pub use catalogue::{billers, find_biller, find_biller_for_customer_code, Biller, BillerKind};
pub use customer_code::{
    evn_corporation, evn_corporation_with, CustomerCodeError, EvnCodeRules, PowerCorporation,
};
pub use effective::{Dated, Effective};
pub use electricity::{price_electricity, price_electricity_for};
pub use household::HouseholdStatus;
pub use insurance::{
    bhxh_voluntary, bhyt_household, InsuranceError, InsuranceRates, InsuranceScheme, Quote,
    QuoteLine, SupportGroup,
};
pub use period::{BillingPeriod, MeterPeriod, PeriodError};
pub use pricing::{BillQuote, PricingError, TariffLine};
pub use tariff::{Band, BandBasis, Charge, ChargeBasis, Tariff, TariffTable, Unit};
pub use tariff_check::TariffTableError;
pub use tariff_data::{
    EVN_AVERAGE_PRICE_1279, EVN_RESIDENTIAL, EVN_RESIDENTIAL_FIVE_TIER_BANDS, HANOI_WATER_DOMESTIC,
    HCMC_WATER_DOMESTIC,
};
pub use water::{price_water, price_water_for};
