//! The three providers behind one `dyn FundingProvider`, as the gateway holds them.

mod providers_support;

use adapters::funding::{
    FundingProvider, MomoCredentials, MomoFunding, Provider, VnpayCredentials, VnpayFunding,
    ZaloPayCredentials, ZaloPayFunding,
};
use providers_support::Harness;
use std::time::Duration;

#[tokio::test]
async fn every_provider_creates_an_order_through_the_trait() {
    let h = Harness::start().await;
    let timeout = Duration::from_secs(5);
    let providers: Vec<(Box<dyn FundingProvider>, &str)> = vec![
        (
            Box::new(VnpayFunding::new(
                &h.sim_url("/vnpay"),
                VnpayCredentials::demo(),
            )),
            "/v1/callbacks/vnpay/ipn",
        ),
        (
            Box::new(
                MomoFunding::new(&h.sim_url("/momo"), MomoCredentials::sandbox(), timeout).unwrap(),
            ),
            "/v1/callbacks/momo/ipn",
        ),
        (
            Box::new(
                ZaloPayFunding::new(
                    &h.sim_url("/zalopay"),
                    ZaloPayCredentials::sandbox(),
                    timeout,
                )
                .unwrap(),
            ),
            "/v1/callbacks/zalopay",
        ),
    ];
    let mut seen = Vec::new();
    for (provider, callback_path) in &providers {
        let order = provider
            .create_order(h.topup("pay_t1", 20_000, callback_path))
            .await
            .unwrap();
        assert_eq!(order.provider, provider.provider());
        assert!(order.provider_reference.ends_with("pay_t1"));
        let (status, page) = h.get(&order.redirect_url).await;
        assert_eq!(status, 200, "{}: {page}", order.provider);
        seen.push(order.provider);
    }
    assert_eq!(seen, [Provider::Vnpay, Provider::Momo, Provider::Zalopay]);
}
