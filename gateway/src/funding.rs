//! The wallet providers a citizen can top up through, built from configuration.

use std::time::Duration;

use adapters::funding::{
    FundingError, FundingProvider, MomoCredentials, MomoFunding, OrderQueries, Provider,
    QueryTargets, VnpayCredentials, VnpayFunding, ZaloPayCredentials, ZaloPayFunding,
};

use crate::config::Config;

/// The three providers with the credentials their callbacks are checked with.
pub struct FundingProviders {
    /// Asks the three about orders whose callback is late.
    pub queries: OrderQueries,
    pub vnpay: VnpayFunding,
    pub momo: MomoFunding,
    pub zalopay: ZaloPayFunding,
    pub vnpay_credentials: VnpayCredentials,
    pub momo_credentials: MomoCredentials,
    pub zalopay_credentials: ZaloPayCredentials,
}

impl FundingProviders {
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let p = &config.providers;
        let vnpay_credentials = VnpayCredentials::new(
            p.vnpay_tmn_code.clone(),
            p.vnpay_hash_secret.expose().to_string(),
        );
        let momo_credentials = MomoCredentials::new(
            p.momo_partner_code.clone(),
            p.momo_access_key.expose().to_string(),
            p.momo_secret_key.expose().to_string(),
        );
        let app_id = p
            .zalopay_app_id
            .parse::<u64>()
            .map_err(|_| "ZALOPAY_APP_ID must be a number".to_string())?;
        let zalopay_credentials = ZaloPayCredentials::new(
            app_id,
            p.zalopay_key1.expose().to_string(),
            p.zalopay_key2.expose().to_string(),
        );
        let timeout = Duration::from_millis(config.outside_timeout_ms);
        let error = |e: FundingError| e.to_string();
        let queries = OrderQueries::new(
            QueryTargets {
                vnpay_base_url: config.vnpay_base_url.clone(),
                vnpay: vnpay_credentials.clone(),
                momo_base_url: config.momo_base_url.clone(),
                momo: momo_credentials.clone(),
                zalopay_base_url: config.zalopay_base_url.clone(),
                zalopay: zalopay_credentials.clone(),
            },
            timeout,
        )
        .map_err(error)?;
        Ok(Self {
            queries,
            vnpay: VnpayFunding::new(&config.vnpay_base_url, vnpay_credentials.clone()),
            momo: MomoFunding::new(&config.momo_base_url, momo_credentials.clone(), timeout)
                .map_err(error)?,
            zalopay: ZaloPayFunding::new(
                &config.zalopay_base_url,
                zalopay_credentials.clone(),
                timeout,
            )
            .map_err(error)?,
            vnpay_credentials,
            momo_credentials,
            zalopay_credentials,
        })
    }

    pub fn get(&self, provider: Provider) -> &dyn FundingProvider {
        match provider {
            Provider::Vnpay => &self.vnpay,
            Provider::Momo => &self.momo,
            Provider::Zalopay => &self.zalopay,
        }
    }
}

/// `vnpay`, `momo` or `zalopay`.
pub fn parse_provider(name: &str) -> Option<Provider> {
    [Provider::Vnpay, Provider::Momo, Provider::Zalopay]
        .into_iter()
        .find(|p| p.as_str() == name)
}

/// The failure code a declined top-up is recorded under: MoMo's 4002 (the payer's
/// identity not biometrically verified) is its own, so the payer learns what to fix;
/// every other decline is `provider_declined`.
pub fn decline_code(provider: Provider, result_code: &str) -> &'static str {
    match provider {
        Provider::Momo => adapters::funding::momo::failure_code(result_code),
        Provider::Vnpay | Provider::Zalopay => None,
    }
    .unwrap_or("provider_declined")
}
