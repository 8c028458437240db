//! The demo citizen's unpaid bills at the EVN and water simulators: last month's (in
//! Vietnam time), priced by the tariff in force for it.

use adapters::billing::BillingPeriod;
use adapters::providers::vietnam_time::to_vietnam;
use chrono::Utc;
use serde_json::{json, Value};

use super::{created_or_exists, post, DEMO_CITIZENS};

/// The first demo citizen's EVN Hà Nội customer code (`PD` and 11 digits).
pub const DEMO_ELECTRICITY_CODE: &str = "PD01000000001";
/// The first demo citizen's HAWACO customer code (`HW` and 11 digits).
pub const DEMO_WATER_CODE: &str = "HW01000000001";
const DEMO_KWH: u32 = 250;
const DEMO_M3: u32 = 18;
const DEMO_PERSONS: u32 = 4;

/// A bill issued at a simulator for this run.
#[derive(Debug, Clone)]
pub struct DemoBill {
    pub biller_code: &'static str,
    pub customer_code: &'static str,
    pub period: String,
    /// What the simulator priced it at (`None` if it already held the bill).
    pub amount_due: Option<i64>,
}

/// The month before the current one in Vietnam: the latest a utility has billed.
fn last_month() -> String {
    let today = to_vietnam(Utc::now()).date_naive();
    let first = BillingPeriod::containing(today).first_day();
    first
        .pred_opt()
        .map_or(BillingPeriod::containing(today), BillingPeriod::containing)
        .to_string()
}

/// Issues the electricity and the water bill of the first demo citizen.
pub async fn seed(
    client: &reqwest::Client,
    simulators: &str,
) -> Result<(DemoBill, DemoBill), String> {
    let (_, name, ..) = DEMO_CITIZENS[0];
    let period = last_month();
    let electricity = issue(
        client,
        &format!("{simulators}/evn/bills"),
        json!({
            "customer_code": DEMO_ELECTRICITY_CODE, "customer_name": name,
            "period": period, "kwh": DEMO_KWH,
        }),
        ("EVNHANOI", DEMO_ELECTRICITY_CODE, &period),
    )
    .await?;
    let water = issue(
        client,
        &format!("{simulators}/water/bills"),
        json!({
            "biller_code": "HAWACO", "customer_code": DEMO_WATER_CODE,
            "customer_name": name, "period": period, "m3": DEMO_M3, "persons": DEMO_PERSONS,
        }),
        ("HAWACO", DEMO_WATER_CODE, &period),
    )
    .await?;
    Ok((electricity, water))
}

async fn issue(
    client: &reqwest::Client,
    url: &str,
    body: Value,
    (biller_code, customer_code, period): (&'static str, &'static str, &str),
) -> Result<DemoBill, String> {
    let issued = created_or_exists(
        post(client, url, None, &body).await?,
        &format!("the {biller_code} bill"),
    )?;
    Ok(DemoBill {
        biller_code,
        customer_code,
        period: period.to_string(),
        amount_due: issued.and_then(|bill| bill["amount_due"].as_i64()),
    })
}
