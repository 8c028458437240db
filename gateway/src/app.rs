//! Building and starting the service: database, Redis, the ledger writer, routes.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, App, HttpResponse, HttpServer};
use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use ledger::PgLedger;
use tracing::Instrument;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::commit::{Committer, Settings};
use crate::config::Config;
use crate::error::{extractor_error, ApiError};
use crate::instance::Instance;
use crate::metrics::Metrics;
use crate::openapi::ApiDoc;
use crate::routes;
use crate::state::AppState;
use crate::system_accounts;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("PostgreSQL at {url}: {cause}")]
    Database { url: String, cause: String },
    #[error("Redis at {url}: {cause}")]
    Redis { url: String, cause: String },
    #[error("{0}")]
    Other(String),
}

/// The URL with any password replaced, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Creates the database named in `url` if it does not exist yet.
fn ensure_database(url: &str) -> Result<(), StartupError> {
    let fail = |cause: String| StartupError::Database {
        url: redact(url),
        cause,
    };
    if PgConnection::establish(url).is_ok() {
        return Ok(());
    }
    let (without_query, query) = url
        .split_once('?')
        .map_or((url, None), |(u, q)| (u, Some(q)));
    let (server, name) = without_query
        .rsplit_once('/')
        .ok_or_else(|| fail("no database name in the URL".into()))?;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(fail(format!("unsupported database name {name:?}")));
    }
    let admin_url = match query {
        Some(q) => format!("{server}/postgres?{q}"),
        None => format!("{server}/postgres"),
    };
    let mut admin = PgConnection::establish(&admin_url).map_err(|e| fail(e.to_string()))?;
    // Another instance may create it at the same moment; only a real failure counts.
    let _ = diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut admin);
    PgConnection::establish(url)
        .map(|_| ())
        .map_err(|e| fail(e.to_string()))
}

/// Creates, migrates and connects the gateway's database at `url`, with the system
/// accounts in its ledger: the single database, or one citizens' home shard.
async fn prepare_database(url: String, pool_size: u32) -> Result<PgLedger, StartupError> {
    tokio::task::spawn_blocking(move || -> Result<PgLedger, StartupError> {
        ensure_database(&url)?;
        let fail = |cause: String| StartupError::Database {
            url: redact(&url),
            cause,
        };
        let ledger = PgLedger::connect(&url, pool_size).map_err(|e| fail(e.to_string()))?;
        ledger.migrate().map_err(|e| fail(e.to_string()))?;
        let results = ledger
            .create_accounts(&system_accounts::ledger_accounts())
            .map_err(|e| fail(e.to_string()))?;
        if let Some(bad) = results.iter().find(|r| {
            !matches!(
                r,
                ledger::CreateAccountResult::Ok | ledger::CreateAccountResult::Exists
            )
        }) {
            return Err(fail(format!("system accounts could not be created: {bad}")));
        }
        Ok(ledger)
    })
    .await
    .map_err(|e| StartupError::Other(e.to_string()))?
}

/// What every writer is told, for the one database or for home shard `home`.
fn writer_settings(config: &Config, home: Option<crate::homes::HomeShard>) -> Settings {
    Settings {
        rules: config.rules,
        fees: config.fees,
        provider_order_ttl_seconds: config.provider_order_ttl_seconds,
        qr_bank_bin: config.qr_bank_bin.clone(),
        qr_account: config.qr_account.clone(),
        public_url: config.public_url.clone(),
        home,
    }
}

/// Every citizens' home shard, each with its own writer, sharing this instance.
async fn connect_homes(
    config: &Config,
    sharding: &crate::config::ShardsConfig,
    map: Arc<ledger::shards::map::ShardMap>,
    instance: &Arc<Instance>,
    observer: &crate::commit::BatchObserver,
) -> Result<crate::homes::Homes, StartupError> {
    let mut shards = Vec::with_capacity(sharding.urls.len());
    for (index, url) in (0u16..).zip(&sharding.urls) {
        let ledger = prepare_database(url.clone(), config.db_pool_size).await?;
        let home = crate::homes::HomeShard {
            index,
            map: Arc::clone(&map),
        };
        let committer = Committer::spawn(
            url.clone(),
            Arc::clone(instance),
            writer_settings(config, Some(home)),
            Some(Arc::clone(observer)),
        );
        let (legs, _) = ledger::TransferWriter::spawn(ledger.clone(), Default::default());
        shards.push(crate::homes::Home {
            ledger,
            committer,
            legs,
        });
    }
    // Migrated already, by the shard set that read the vshard map from it.
    let (url, size) = (sharding.catalog_url.clone(), config.db_pool_size);
    let catalog = tokio::task::spawn_blocking(move || {
        PgLedger::connect(&url, size).map_err(|e| StartupError::Database {
            url: redact(&url),
            cause: e.to_string(),
        })
    })
    .await
    .map_err(|e| StartupError::Other(e.to_string()))??;
    Ok(crate::homes::Homes {
        map,
        shards,
        catalog,
    })
}

/// Connects everything the service needs and prepares the database.
pub async fn build_state(config: Config) -> Result<AppState, StartupError> {
    let ledger = prepare_database(config.database_url.clone(), config.db_pool_size).await?;

    let redis_fail = |cause: String| StartupError::Redis {
        url: crate::redis_link::seed_nodes(&config.redis_url)
            .into_iter()
            .map(redact)
            .collect::<Vec<_>>()
            .join(","),
        cause,
    };
    let redis = crate::redis_link::RedisLink::connect(&config.redis_url)
        .await
        .map_err(|e| redis_fail(e.to_string()))?;

    let metrics = Metrics::new().map_err(|e| StartupError::Other(e.to_string()))?;
    let observed = metrics.clone();
    let observer: crate::commit::BatchObserver =
        Arc::new(move |stats| observed.observe_batch(stats));
    let instance = Instance::new();
    let committer = Committer::spawn(
        config.database_url.clone(),
        Arc::clone(&instance),
        writer_settings(&config, None),
        Some(Arc::clone(&observer)),
    );
    let timeout = std::time::Duration::from_millis(config.outside_timeout_ms);
    let bank = adapters::bank::HttpBankAdapter::new(config.napas_base_url.clone(), timeout)
        .map_err(|e| StartupError::Other(format!("bank adapter: {e}")))?;
    let billers = adapters::biller::HttpBillerAdapter::new(&config.billers_base_url, timeout)
        .map_err(|e| StartupError::Other(format!("biller adapter: {e}")))?;
    let funding =
        crate::funding::FundingProviders::from_config(&config).map_err(StartupError::Other)?;
    let biller_urls = adapters::biller::BillerUrls::under(&config.billers_base_url);
    let statements = adapters::statement::StatementClient::new(
        adapters::statement::StatementTargets {
            napas: config.napas_base_url.clone(),
            vnpay: config.vnpay_base_url.clone(),
            momo: config.momo_base_url.clone(),
            zalopay: config.zalopay_base_url.clone(),
            evn: biller_urls.evn,
            water: biller_urls.water,
            vss: biller_urls.vss,
        },
        // A day's file is larger than any other answer.
        timeout.saturating_mul(6),
    )
    .map_err(|e| StartupError::Other(format!("statement client: {e}")))?;
    let shards = match config.shards.clone() {
        None => None,
        Some(map) => Some(Arc::new(
            tokio::task::spawn_blocking(move || crate::shard_set::ShardSet::connect(&map))
                .await
                .map_err(|e| StartupError::Other(e.to_string()))?
                .map_err(StartupError::Other)?,
        )),
    };
    let homes = match (&shards, &config.shards) {
        (Some(set), Some(sharding)) if sharding.route_citizens => Some(Arc::new(
            connect_homes(
                &config,
                sharding,
                Arc::new(set.map.clone()),
                &instance,
                &observer,
            )
            .await?,
        )),
        _ => None,
    };
    Ok(AppState {
        config: Arc::new(config),
        shards,
        homes,
        ledger,
        committer,
        redis,
        metrics,
        bank: Arc::new(bank),
        billers: Arc::new(billers),
        funding: Arc::new(funding),
        statements: Arc::new(statements),
    })
}

/// Request id, one tracing span per request, and request metrics by route.
async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = format!("req_{}", hex::encode(rand::random::<[u8; 8]>()));
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().as_str().to_string();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let span = tracing::info_span!("request", id = %request_id, %method, %route);
    let mut res = next.call(req).instrument(span.clone()).await?;
    let status = res.status().as_u16();
    if let Some(metrics) = metrics {
        metrics.observe_request(&route, &method, status, started.elapsed());
    }
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("request-id"),
            value,
        );
    }
    span.in_scope(|| {
        tracing::info!(
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "served"
        )
    });
    Ok(res)
}

/// Every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::JsonConfig::default().error_handler(|e, _| extractor_error("body", e)))
        .app_data(web::QueryConfig::default().error_handler(|e, _| extractor_error("query", e)))
        .app_data(web::PathConfig::default().error_handler(|e, _| extractor_error("path", e)))
        .service(routes::health::health)
        .service(routes::health::ready)
        .service(routes::health::metrics)
        .service(routes::ledger::get_account)
        .service(routes::ledger::list_entries)
        .service(routes::ledger::trial_balance)
        .service(routes::ledger::verify)
        .service(routes::shards::trial_balance)
        .service(routes::shards::verify)
        .service(routes::shards::clearing)
        .service(routes::sessions::create_session)
        .service(routes::sessions::end_session)
        .service(routes::me::get_me)
        .service(routes::me::create_bank_link)
        .service(routes::me::create_topup)
        .service(routes::me::create_withdrawal)
        .service(routes::me::list_payments)
        .service(routes::payments::create_payment)
        .service(routes::payments::confirm_payment)
        .service(routes::payments::get_payment)
        .service(routes::admin_payments::list_all_payments)
        .service(routes::bills::list_billers)
        .service(routes::bills::inquire_bill)
        .service(routes::insurance::create_quote)
        .service(routes::callbacks::vnpay_ipn)
        .service(routes::callbacks::momo_ipn)
        .service(routes::callbacks::zalopay_callback)
        .service(routes::merchants::create_merchant)
        .service(routes::merchant_requests::create_request)
        .service(routes::merchant_requests::get_request)
        .service(routes::merchant_requests::capture_request)
        .service(routes::merchant_requests::void_request)
        .service(routes::merchant_requests::create_refund)
        .service(routes::reconciliation::create_run)
        .service(routes::reconciliation::list_runs)
        .service(routes::reconciliation::get_run)
        .service(routes::reconciliation::list_discrepancies)
        .service(routes::reconciliation::resolve_discrepancy)
        .service(routes::revenue::merchant_revenue)
        .service(routes::revenue::admin_revenue)
        .configure(crate::web::configure)
        .service(web::redirect("/docs", "/docs/"))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", ApiDoc::openapi()));
}

async fn route_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound)
}

/// A started service.
pub struct RunningGateway {
    pub addr: SocketAddr,
    pub handle: ServerHandle,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Serves the gateway on `listener` (bind port 0 for tests).
pub fn start(state: AppState, listener: TcpListener) -> std::io::Result<RunningGateway> {
    let addr = listener.local_addr()?;
    let data = web::Data::new(state);
    let app_data = data.clone();
    let server = HttpServer::new(move || {
        let data = app_data.clone();
        App::new()
            .app_data(data.clone())
            .wrap(from_fn(observe))
            .configure(configure)
            .default_service(web::to(route_not_found))
    })
    .listen(listener)?
    .disable_signals()
    .shutdown_timeout(5)
    .run();
    let handle = server.handle();
    crate::background::start(data.clone());
    Ok(RunningGateway {
        addr,
        handle,
        server: tokio::spawn(server),
    })
}
