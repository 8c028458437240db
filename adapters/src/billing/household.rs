//! A household's poverty status, as the utility's customer record holds it, and what
//! it changes on a bill.
//!
//! - Water: poor and near-poor households pay the social prices where the company
//!   publishes them (the tariff's `social_bands`, see `tariff_data`).
//! - Electricity: EVN's tariff has no social price. A poor household receives the
//!   price of 30 kWh a month at the tier-1 price instead, paid to it directly (in
//!   cash, by quarter), so the bill shows the support as an information line and the
//!   amount due does not change.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::effective::{self, ymd, Dated};
use super::money::format_dong;
use super::pricing::{line_amount, PricingError, TariffLine};
use super::tariff::Tariff;

/// A household's status in the poverty register; serialised as `none`, `poor` or
/// `near_poor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HouseholdStatus {
    /// Not in the register: ordinary prices.
    #[default]
    None,
    /// Poor household (hộ nghèo).
    Poor,
    /// Near-poor household (hộ cận nghèo).
    NearPoor,
}

impl HouseholdStatus {
    /// The API's snake_case spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            HouseholdStatus::None => "none",
            HouseholdStatus::Poor => "poor",
            HouseholdStatus::NearPoor => "near_poor",
        }
    }

    /// Whether this is the ordinary status (kept off the wire, so bills of ordinary
    /// households read as they always did).
    pub fn is_none(&self) -> bool {
        *self == HouseholdStatus::None
    }

    /// Whether the household pays a water company's social prices: poor and near-poor
    /// households both do in Hanoi and HCMC.
    pub const fn pays_social_prices(self) -> bool {
        matches!(self, HouseholdStatus::Poor | HouseholdStatus::NearPoor)
    }

    /// Whether EVN's electricity support is paid to the household: poor households
    /// only (Decision 28/2014/QĐ-TTg also covers social-policy households using at most
    /// 50 kWh a month, a status not modelled here; near-poor households get none).
    pub const fn receives_electricity_support(self) -> bool {
        matches!(self, HouseholdStatus::Poor)
    }
}

/// kWh per month of EVN's support for poor households, priced at the tier-1 price in
/// force. Decision 28/2014/QĐ-TTg (in force 1 Jun 2014; doc §6.1 and §11 item 8):
/// "tương đương tiền điện sử dụng 30 kWh tính theo mức giá bán lẻ điện sinh hoạt bậc 1
/// hiện hành", paid to the household directly, by quarter; vtv.vn "Hỗ trợ 42.000
/// đồng/tháng tiền điện cho các hộ nghèo" (30 × 1,388, the 2014 tier-1 price before VAT,
/// rounded). The amount is therefore shown before VAT. [unverified: the decision's
/// text was not read; the 2014 report is about its draft]
const EVN_POOR_SUPPORT_KWH: &[Dated<u32>] = &[Dated {
    valid_from: ymd(2014, 6, 1),
    valid_to: None,
    value: 30,
}];

/// The information line of EVN's support for a poor household, priced at the tier-1
/// price of `tariff` (the one in force on the reading day `date`); `None` when the
/// household gets no support. Its amount is not part of the bill's total.
pub(crate) fn electricity_support_line(
    tariff: &Tariff,
    household: HouseholdStatus,
    date: NaiveDate,
) -> Result<Option<TariffLine>, PricingError> {
    if !household.receives_electricity_support() {
        return Ok(None);
    }
    let Some(kwh) = effective::in_force_on(EVN_POOR_SUPPORT_KWH, date).map(|d| d.value) else {
        return Ok(None);
    };
    let Some(tier_one) = tariff.bands.first().map(|band| band.unit_price) else {
        return Ok(None);
    };
    let quantity = rust_decimal::Decimal::from(kwh);
    let amount = line_amount(quantity, tier_one)?;
    Ok(Some(TariffLine {
        label: format!(
            "EVN support for poor households: {kwh} kWh at the tier-1 price, {} dong, \
             paid to the household separately and not deducted from this bill",
            format_dong(amount)
        ),
        quantity,
        unit_price: tier_one,
        amount,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::tariff::TariffTable;
    use crate::billing::tariff_data::EVN_RESIDENTIAL;
    use rust_decimal_macros::dec;

    #[test]
    fn statuses_speak_snake_case() {
        for (status, wire) in [
            (HouseholdStatus::None, "none"),
            (HouseholdStatus::Poor, "poor"),
            (HouseholdStatus::NearPoor, "near_poor"),
        ] {
            assert_eq!(status.as_str(), wire);
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(wire)
            );
            let back: HouseholdStatus = serde_json::from_value(serde_json::json!(wire)).unwrap();
            assert_eq!(back, status);
        }
        assert!(serde_json::from_value::<HouseholdStatus>(serde_json::json!("rich")).is_err());
        assert_eq!(HouseholdStatus::default(), HouseholdStatus::None);
    }

    #[test]
    fn support_is_30_kwh_at_the_tier_one_price_for_poor_households_only() {
        let day = ymd(2025, 6, 30);
        let tariff = TariffTable::vietnam()
            .in_force_on(EVN_RESIDENTIAL, day)
            .unwrap();
        // Decision 1279: 30 × 1,984 = 59,520.
        let line = electricity_support_line(tariff, HouseholdStatus::Poor, day)
            .unwrap()
            .unwrap();
        assert_eq!(
            (line.quantity, line.unit_price, line.amount),
            (dec!(30), dec!(1984), 59_520)
        );
        for other in [HouseholdStatus::None, HouseholdStatus::NearPoor] {
            assert_eq!(electricity_support_line(tariff, other, day).unwrap(), None);
        }
    }
}
