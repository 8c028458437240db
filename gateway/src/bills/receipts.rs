//! The receipt a bill or insurance payment carries: what was paid to whom, priced how,
//! and the biller's own transaction id once it confirmed. Other payment types' output
//! is left exactly as it was.

use actix_web::http::StatusCode;
use adapters::biller::BillDetails;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::inquiries::{self, biller_name, InquiryRow};
use super::quotes::{self, QuoteRow};
use super::records::{self, RecordRow};
use crate::citizens::identity;

use crate::error::ApiError;
use crate::payments::model::PaymentRow;

/// One priced line of a receipt; the lines add up to the amount.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiptLine {
    pub label: String,
    /// Units billed (kWh, m³) or, for a percentage line, its base; absent on
    /// insurance lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<String>,
    /// Dong per unit, or the rate of a percentage line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<String>,
    pub amount: i64,
}

/// What a bill or insurance payment paid.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Receipt {
    #[schema(example = "EVNHANOI")]
    pub biller_code: String,
    pub biller_name: String,
    /// The bill's customer code, or for insurance the insured person's CCCD, masked.
    #[schema(example = "PD00000000001")]
    pub customer_code: String,
    pub customer_name: String,
    /// The month billed (`YYYY-MM`); absent for insurance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// The biller's reference of the bill; absent for insurance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_ref: Option<String>,
    /// `bhxh_voluntary` or `bhyt_household`; absent for bills.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// Months of contribution paid for; absent for bills.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub months: Option<i32>,
    pub amount: i64,
    /// Tariff blocks, VAT and surcharges of a bill, or the lines of an insurance quote.
    pub lines: Vec<ReceiptLine>,
    /// The biller's receipt number, once it confirmed the payment.
    pub biller_transaction_id: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
}

/// A rate as a percentage for people (`0.08` → `8%`).
fn percent(rate: &str) -> String {
    match rate.parse::<rust_decimal::Decimal>() {
        Ok(r) => format!("{}%", (r * rust_decimal::Decimal::ONE_HUNDRED).normalize()),
        Err(_) => rate.to_string(),
    }
}

fn bill_lines(details: &str) -> Vec<ReceiptLine> {
    let Ok(details) = serde_json::from_str::<BillDetails>(details) else {
        return Vec::new();
    };
    let pricing = details.pricing;
    let priced = |l: adapters::billing::TariffLine| ReceiptLine {
        label: l.label,
        quantity: Some(l.quantity.to_string()),
        unit_price: Some(l.unit_price.to_string()),
        amount: l.amount,
    };
    let mut lines: Vec<ReceiptLine> = pricing.lines.into_iter().map(priced).collect();
    lines.push(ReceiptLine {
        label: format!("VAT {}", percent(&pricing.vat_rate.to_string())),
        quantity: Some(pricing.subtotal.to_string()),
        unit_price: Some(pricing.vat_rate.to_string()),
        amount: pricing.vat,
    });
    lines.extend(pricing.charge_lines.into_iter().map(priced));
    lines
}

/// The receipt of `payment`, if it pays a bill or insurance.
pub fn load(conn: &mut PgConnection, payment: &PaymentRow) -> Result<Option<Receipt>, ApiError> {
    let Some(record) = records::find(conn, &payment.identity_id, &payment.idempotency_key)? else {
        return Ok(None);
    };
    let bill = match &record.bill_id {
        Some(id) => inquiries::find(conn, id)?,
        None => None,
    };
    let quote = match &record.quote_id {
        Some(id) => quotes::find(conn, id)?,
        None => None,
    };
    let insured = identity::find(conn, &payment.identity_id)?;
    Ok(build(
        payment,
        &record,
        bill.as_ref(),
        quote.as_ref(),
        insured
            .as_ref()
            .map(|i| (i.cccd.as_str(), i.full_name.as_str())),
    ))
}

/// The receipt from what a payment's record names: the bill, or the quote and the
/// insured person (their number and name).
pub fn build(
    payment: &PaymentRow,
    record: &RecordRow,
    bill: Option<&InquiryRow>,
    quote: Option<&QuoteRow>,
    insured: Option<(&str, &str)>,
) -> Option<Receipt> {
    let base = |customer_code: String, customer_name: String, lines| Receipt {
        biller_code: record.biller_code.clone(),
        biller_name: biller_name(&record.biller_code),
        customer_code,
        customer_name,
        period: None,
        bill_ref: None,
        scheme: None,
        months: None,
        amount: payment.amount,
        lines,
        biller_transaction_id: record.biller_transaction_id.clone(),
        paid_at: record.confirmed_at,
    };
    if record.bill_id.is_some() {
        let bill = bill?;
        return Some(Receipt {
            period: Some(bill.period.clone()),
            bill_ref: Some(bill.bill_ref.clone()),
            ..base(
                bill.customer_code.clone(),
                bill.customer_name.clone(),
                bill_lines(&bill.details),
            )
        });
    }
    let (quote, (cccd, name)) = (quote?, insured?);
    let lines = quote
        .lines()
        .into_iter()
        .map(|l| ReceiptLine {
            label: l.label,
            quantity: None,
            unit_price: None,
            amount: l.amount,
        })
        .collect();
    Some(Receipt {
        scheme: Some(quote.scheme.clone()),
        months: Some(quote.months),
        ..base(adapters::identity::mask_cccd(cccd), name.to_string(), lines)
    })
}

/// The response to creating or confirming a bill or insurance payment: a bill or quote
/// found already paid is the documented 409 (the failed payment's id in the details);
/// anything else is the payment with its receipt.
pub fn finish((status, body): (StatusCode, Value)) -> Result<(StatusCode, Value), ApiError> {
    let failed_with = |code: &str| body["status"] == "failed" && body["failure_code"] == code;
    if failed_with("bill_already_paid") {
        return Err(ApiError::BillAlreadyPaid {
            payment_id: body["id"].as_str().map(str::to_string),
        });
    }
    if failed_with("quote_already_paid") {
        return Err(quote_already_paid());
    }
    Ok((status, body))
}

pub fn quote_already_paid() -> ApiError {
    ApiError::Conflict {
        code: "quote_already_paid",
        message: "this quote has already been paid; ask for a new one",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use adapters::biller::MeterUnit;
    use adapters::billing::{price_electricity, BillerKind, BillingPeriod, TariffTable};

    #[test]
    fn rates_read_as_percentages() {
        assert_eq!(percent("0.08"), "8%");
        assert_eq!(percent("0.1"), "10%");
        assert_eq!(percent("0.055"), "5.5%");
        assert_eq!(percent("n/a"), "n/a");
    }

    #[test]
    fn a_bills_receipt_lines_add_up_to_its_total() {
        let period = BillingPeriod::new(2025, 6).unwrap();
        let pricing = price_electricity(250, period, TariffTable::vietnam()).unwrap();
        let total = pricing.total;
        let details = BillDetails {
            kind: BillerKind::Electricity,
            unit: MeterUnit::Kwh,
            consumption: 250,
            persons: None,
            pricing,
        };
        let lines = bill_lines(&serde_json::to_string(&details).unwrap());
        assert_eq!(total, 636_768);
        assert_eq!(lines.iter().map(|l| l.amount).sum::<i64>(), total);
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[4].label, "VAT 8%");
        assert_eq!(lines[4].amount, 47_168);
        assert!(bill_lines("not json").is_empty());
    }
}
