//! The one place configuration is read: environment variables, with defaults that
//! work on a fresh development machine, and demo mode filling unset secrets.

use std::fmt;

use rand::RngExt;

/// A secret from configuration: never printed by `Debug`, compared in constant time.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison, so response timing says nothing about the secret.
    pub fn matches(&self, candidate: &str) -> bool {
        use subtle::ConstantTimeEq;
        let (a, b) = (self.0.as_bytes(), candidate.as_bytes());
        a.len() == b.len() && bool::from(a.ct_eq(b))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set (required outside demo mode)")]
    Missing(&'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Credentials of the wallet providers used as funding sources.
#[derive(Debug, Clone)]
pub struct ProviderCredentials {
    pub vnpay_tmn_code: String,
    pub vnpay_hash_secret: Secret,
    pub momo_partner_code: String,
    pub momo_access_key: Secret,
    pub momo_secret_key: Secret,
    pub zalopay_app_id: String,
    pub zalopay_key1: Secret,
    pub zalopay_key2: Secret,
}

/// Flat fees per kind of movement (0 unless configured). Bill, insurance and merchant
/// payments carry none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fees {
    /// A top-up from a bank link (the bank is debited amount + fee).
    pub topup: i64,
    pub withdrawal: i64,
    /// A transfer to another citizen or to a bank account.
    pub transfer: i64,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub demo: bool,
    pub database_url: String,
    /// One Redis URL, or several separated by commas: the seed nodes of a Redis Cluster.
    pub redis_url: String,
    pub addr: String,
    pub admin_token: Secret,
    pub vneid_jwt_key: Secret,
    pub simulator_addr: String,
    pub qr_bank_bin: String,
    pub qr_account: String,
    pub providers: ProviderCredentials,
    pub webhook_allow_private: bool,
    /// Seals merchants' signing and webhook secrets at rest (`MERCHANT_SECRETS_KEY`).
    pub merchant_secrets_key: Secret,
    /// The shortest `expires_in_seconds` a payment request may ask for (60; tests
    /// lower it to watch a hold expire).
    pub merchant_request_min_expiry_seconds: u64,
    /// The first webhook retry's delay; each later one doubles it.
    pub webhook_retry_base_ms: u64,
    pub db_pool_size: u32,
    /// Step-up thresholds and the monthly cap.
    pub rules: crate::rules::MovementRules,
    /// How long a citizen's access token lives.
    pub session_ttl_seconds: u64,
    /// The NAPAS switch (the simulator unless set).
    pub napas_base_url: String,
    /// Where EVN, the water companies and VSS live (`{root}/evn`, `/water`, `/vss`; the
    /// simulators unless set).
    pub billers_base_url: String,
    /// How long an insurance quote may be paid after it is given.
    pub insurance_quote_ttl_seconds: u64,
    /// How long a provider top-up waits for the provider's callback before it fails.
    pub provider_order_ttl_seconds: u64,
    /// Flat fees the payer pays on top of the amount, in dong.
    pub fees: Fees,
    /// How long to wait for any outside system before treating the call as timed out.
    pub outside_timeout_ms: u64,
    /// Where the wallet providers are (their simulators unless set).
    pub vnpay_base_url: String,
    pub momo_base_url: String,
    pub zalopay_base_url: String,
    /// The gateway's own address as the providers call it back and send payers back.
    pub public_url: String,
    /// Requests a citizen may make per second (429 beyond).
    pub rate_limit_citizen: u64,
    /// Requests a merchant may make per second (429 beyond).
    pub rate_limit_merchant: u64,
    /// How long an operator stays signed in to the console.
    pub console_session_ttl_seconds: u64,
    /// The console's stuck list shows payments pending longer than this by default.
    pub console_stuck_minutes: u64,
    /// Yearly revenue levels a tax key is checked against.
    pub revenue_thresholds: crate::revenue::thresholds::Thresholds,
    /// The hour (Vietnam time) the previous day is reconciled with every outside
    /// system; `None` turns the daily run off.
    pub reconciliation_hour: Option<u32>,
    /// Prices insurance quotes as of this day instead of today (Vietnam time), to
    /// preview rates before they take effect on a staging gateway.
    pub pricing_date: Option<chrono::NaiveDate>,
    /// The sharded ledger's shards and catalog, when `SHARD_URLS` is set.
    pub shards: Option<ShardsConfig>,
}

/// The sharded ledger this instance sweeps, checkpoints and reports on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardsConfig {
    /// Shard 0, 1, ... in order (`SHARD_URLS`, separated by commas or spaces).
    pub urls: Vec<String>,
    /// Where checkpoints are kept beside the shards (`CATALOG_URL`).
    pub catalog_url: String,
    /// Citizens live on their home shards (`ROUTE_CITIZENS`): their identities,
    /// sessions, wallets, payments and counters. Off by default while merchant
    /// payments are not routed yet.
    pub route_citizens: bool,
    /// How long a collection period is (`COLLECTION_SWEEP_SECONDS`): each period,
    /// every shard's copy of a biller's collection account is swept to shard 0's.
    pub collection_period_seconds: u64,
}

fn shards_config(env: &dyn Environment) -> Result<Option<ShardsConfig>, ConfigError> {
    let Some(list) = env.var("SHARD_URLS") else {
        return Ok(None);
    };
    let urls: Vec<String> = list
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|u| !u.is_empty())
        .map(str::to_string)
        .collect();
    if urls.is_empty() || urls.len() > usize::from(ledger::shards::map::VSHARDS) {
        return Err(ConfigError::Invalid {
            name: "SHARD_URLS",
            reason: "between 1 and 4096 database URLs".into(),
        });
    }
    let catalog_url = env.var("CATALOG_URL").ok_or(ConfigError::Invalid {
        name: "CATALOG_URL",
        reason: "required when SHARD_URLS is set".into(),
    })?;
    let route_citizens = match env.var("ROUTE_CITIZENS").as_deref() {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(other) => {
            return Err(ConfigError::Invalid {
                name: "ROUTE_CITIZENS",
                reason: format!("expected true or false, got {other:?}"),
            })
        }
    };
    let collection_period_seconds = match env.var("COLLECTION_SWEEP_SECONDS") {
        None => 3_600,
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|&s| (1..=86_400).contains(&s))
            .ok_or(ConfigError::Invalid {
                name: "COLLECTION_SWEEP_SECONDS",
                reason: "seconds, 1 to 86400".into(),
            })?,
    };
    Ok(Some(ShardsConfig {
        urls,
        catalog_url,
        route_citizens,
        collection_period_seconds,
    }))
}

/// Where variables come from: the process environment, or a map in tests.
pub trait Environment {
    fn var(&self, name: &str) -> Option<String>;
}

pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl<S: std::hash::BuildHasher> Environment for std::collections::HashMap<String, String, S> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned().filter(|v| !v.is_empty())
    }
}

fn random_token(prefix: &str) -> String {
    let bytes: [u8; 24] = rand::rng().random();
    format!("{prefix}{}", hex::encode(bytes))
}

impl Config {
    pub fn from_process_env(demo: bool) -> Result<Self, ConfigError> {
        Self::from_env(&ProcessEnvironment, demo)
    }

    /// Reads every setting. In demo mode unset secrets get demo values (MoMo and
    /// ZaloPay their public sandbox ones, a fresh admin token and VNeID key); set
    /// variables always win. Outside demo mode an unset secret is an error naming it.
    pub fn from_env(env: &dyn Environment, demo: bool) -> Result<Self, ConfigError> {
        let or = |name: &str, default: &str| env.var(name).unwrap_or_else(|| default.to_string());
        let secret =
            |name: &'static str, demo_value: &dyn Fn() -> String| match (env.var(name), demo) {
                (Some(v), _) => Ok(Secret::new(v)),
                (None, true) => Ok(Secret::new(demo_value())),
                (None, false) => Err(ConfigError::Missing(name)),
            };
        let plain = |name: &'static str, demo_value: &str| match (env.var(name), demo) {
            (Some(v), _) => Ok(v),
            (None, true) => Ok(demo_value.to_string()),
            (None, false) => Err(ConfigError::Missing(name)),
        };
        let fixed = |v: &'static str| move || v.to_string();

        let number = |name: &'static str, default: u64| match env.var(name) {
            None => Ok(default),
            Some(v) => v.parse::<u64>().map_err(|_| ConfigError::Invalid {
                name,
                reason: "not a whole number".into(),
            }),
        };
        let amount = |name: &'static str, default: i64| -> Result<i64, ConfigError> {
            i64::try_from(number(name, default.unsigned_abs())?).map_err(|_| ConfigError::Invalid {
                name,
                reason: "too large".into(),
            })
        };
        let db_pool_size =
            u32::try_from(number("DATABASE_POOL_SIZE", 16)?).map_err(|_| ConfigError::Invalid {
                name: "DATABASE_POOL_SIZE",
                reason: "too large".into(),
            })?;
        let defaults = crate::rules::MovementRules::default();
        let optional_amount = |name: &'static str| -> Result<Option<i64>, ConfigError> {
            match env.var(name) {
                None => Ok(None),
                Some(_) => amount(name, 0).map(Some),
            }
        };
        let rules = crate::rules::MovementRules {
            step_up_single: amount("STEP_UP_SINGLE_LIMIT", defaults.step_up_single)?,
            step_up_daily: amount("STEP_UP_DAILY_LIMIT", defaults.step_up_daily)?,
            monthly_cap: optional_amount("MONTHLY_OUTFLOW_CAP")?,
            essential_cap: optional_amount("ESSENTIAL_OUTFLOW_CAP")?,
        };
        let simulator_addr = or("SIMULATOR_ADDR", "127.0.0.1:8081");
        let gateway_addr = or("GATEWAY_ADDR", "127.0.0.1:8080");
        let webhook_allow_private = match env.var("WEBHOOK_ALLOW_PRIVATE").as_deref() {
            None => demo,
            Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "WEBHOOK_ALLOW_PRIVATE",
                    reason: format!("expected true or false, got {other:?}"),
                })
            }
        };

        Ok(Self {
            demo,
            database_url: or("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gateway"),
            redis_url: or("REDIS_URL", "redis://127.0.0.1:6379"),
            addr: gateway_addr.clone(),
            admin_token: secret("GATEWAY_ADMIN_TOKEN", &|| random_token("adm_"))?,
            vneid_jwt_key: secret("VNEID_JWT_KEY", &|| random_token(""))?,
            napas_base_url: or("NAPAS_BASE_URL", &format!("http://{simulator_addr}/napas")),
            billers_base_url: or("BILLERS_BASE_URL", &format!("http://{simulator_addr}")),
            insurance_quote_ttl_seconds: match number("INSURANCE_QUOTE_TTL_SECONDS", 1_800)? {
                ttl @ 1..=86_400 => ttl,
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "INSURANCE_QUOTE_TTL_SECONDS",
                        reason: "must be 1 to 86400 seconds".into(),
                    })
                }
            },
            provider_order_ttl_seconds: number("PROVIDER_ORDER_TTL_SECONDS", 1_800)?,
            fees: Fees {
                topup: amount("FEE_TOPUP", 0)?,
                withdrawal: amount("FEE_WITHDRAWAL", 0)?,
                transfer: amount("FEE_TRANSFER", 0)?,
            },
            simulator_addr: simulator_addr.clone(),
            qr_bank_bin: plain("GATEWAY_QR_BANK_BIN", "970436")?,
            qr_account: plain("GATEWAY_QR_ACCOUNT", "0011001234567")?,
            providers: ProviderCredentials {
                vnpay_tmn_code: plain("VNPAY_TMN_CODE", "DEMO0001")?,
                vnpay_hash_secret: secret("VNPAY_HASH_SECRET", &fixed("demo-vnpay-hash-secret"))?,
                momo_partner_code: plain("MOMO_PARTNER_CODE", "MOMO")?,
                momo_access_key: secret("MOMO_ACCESS_KEY", &fixed("F8BBA842ECF85"))?,
                momo_secret_key: secret(
                    "MOMO_SECRET_KEY",
                    &fixed("K951B6PE1waDMi640xX08PD3vg6EkVlz"),
                )?,
                zalopay_app_id: plain("ZALOPAY_APP_ID", "2553")?,
                zalopay_key1: secret("ZALOPAY_KEY1", &fixed("PcY4iZIKFCIdgZvA6ueMcMHHUbRLYjPL"))?,
                zalopay_key2: secret("ZALOPAY_KEY2", &fixed("kLtgPl8HHhfvMuDHPwKfgfsY4Ydm9eIz"))?,
            },
            webhook_allow_private,
            merchant_secrets_key: secret(
                "MERCHANT_SECRETS_KEY",
                // Fixed, so merchants onboarded in one demo run still work in the next.
                &fixed("demo-merchant-secrets-key"),
            )?,
            merchant_request_min_expiry_seconds: number("MERCHANT_REQUEST_MIN_EXPIRY_SECONDS", 60)?,
            webhook_retry_base_ms: number("WEBHOOK_RETRY_BASE_MS", 1_000)?,
            db_pool_size,
            rules,
            session_ttl_seconds: number("SESSION_TTL_SECONDS", 900)?,
            outside_timeout_ms: number("OUTSIDE_TIMEOUT_MS", 5_000)?,
            vnpay_base_url: or("VNPAY_BASE_URL", &format!("http://{simulator_addr}/vnpay")),
            momo_base_url: or("MOMO_BASE_URL", &format!("http://{simulator_addr}/momo")),
            zalopay_base_url: or(
                "ZALOPAY_BASE_URL",
                &format!("http://{simulator_addr}/zalopay"),
            ),
            public_url: or("GATEWAY_PUBLIC_URL", &format!("http://{gateway_addr}")),
            rate_limit_citizen: number("RATE_LIMIT_CITIZEN_PER_SECOND", 200)?.max(1),
            rate_limit_merchant: number("RATE_LIMIT_MERCHANT_PER_SECOND", 1_000)?.max(1),
            console_session_ttl_seconds: number("CONSOLE_SESSION_TTL_SECONDS", 8 * 3_600)?.max(60),
            console_stuck_minutes: number("CONSOLE_STUCK_MINUTES", 15)?,
            revenue_thresholds: crate::revenue::thresholds::Thresholds::new(
                &crate::revenue::thresholds::parse_levels(
                    env.var("REVENUE_THRESHOLDS").as_deref().unwrap_or(""),
                )
                .map_err(|reason| ConfigError::Invalid {
                    name: "REVENUE_THRESHOLDS",
                    reason,
                })?,
            ),
            pricing_date: env
                .var("PRICING_DATE")
                .map(|d| {
                    chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| {
                        ConfigError::Invalid {
                            name: "PRICING_DATE",
                            reason: "a day as YYYY-MM-DD".into(),
                        }
                    })
                })
                .transpose()?,
            reconciliation_hour: match env.var("RECONCILIATION_HOUR").as_deref() {
                None => Some(2),
                Some("off") => None,
                Some(h) => Some(h.parse::<u32>().ok().filter(|h| *h < 24).ok_or_else(|| {
                    ConfigError::Invalid {
                        name: "RECONCILIATION_HOUR",
                        reason: "an hour from 0 to 23, or off".into(),
                    }
                })?),
            },
            shards: shards_config(env)?,
        })
    }
}

impl Config {
    /// Whether the gateway is reached over TLS, so cookies must be `Secure`.
    pub fn served_over_tls(&self) -> bool {
        self.public_url.to_ascii_lowercase().starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn outside_demo_mode_an_unset_secret_is_named() {
        let env: HashMap<String, String> = HashMap::new();
        let err = Config::from_env(&env, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "GATEWAY_ADMIN_TOKEN is not set (required outside demo mode)"
        );
    }

    #[test]
    fn demo_mode_fills_secrets_and_set_variables_win() {
        let env = HashMap::from([("MOMO_ACCESS_KEY".to_string(), "mine".to_string())]);
        let c = Config::from_env(&env, true).unwrap();
        assert_eq!(c.providers.momo_access_key.expose(), "mine");
        assert_eq!(c.providers.vnpay_tmn_code, "DEMO0001");
        assert_eq!(
            c.providers.vnpay_hash_secret.expose(),
            "demo-vnpay-hash-secret"
        );
        assert!(c.admin_token.expose().starts_with("adm_"));
        assert!(c.webhook_allow_private);
        assert_eq!(c.database_url, "postgres://postgres@127.0.0.1:5432/gateway");
    }

    #[test]
    fn a_shard_map_is_several_urls_and_needs_its_catalog() {
        let env = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(Config::from_env(&env(&[]), true).unwrap().shards, None);
        let two = env(&[
            ("SHARD_URLS", "postgres://a/l, postgres://b/l"),
            ("CATALOG_URL", "postgres://a/catalog"),
        ]);
        assert_eq!(
            Config::from_env(&two, true).unwrap().shards,
            Some(ShardsConfig {
                urls: vec!["postgres://a/l".into(), "postgres://b/l".into()],
                catalog_url: "postgres://a/catalog".into(),
                route_citizens: false,
                collection_period_seconds: 3_600,
            })
        );
        let mut routed = two.clone();
        routed.insert("ROUTE_CITIZENS".into(), "1".into());
        assert!(Config::from_env(&routed, true)
            .unwrap()
            .shards
            .is_some_and(|s| s.route_citizens));
        let no_catalog = env(&[("SHARD_URLS", "postgres://a/l")]);
        assert_eq!(
            Config::from_env(&no_catalog, true).unwrap_err().to_string(),
            "CATALOG_URL is invalid: required when SHARD_URLS is set"
        );
    }

    #[test]
    fn secrets_compare_exactly_and_never_print() {
        let s = Secret::new("abc");
        assert!(s.matches("abc"));
        assert!(!s.matches("abd"));
        assert!(!s.matches("ab"));
        assert_eq!(format!("{s:?}"), "Secret(***)");
    }
}
