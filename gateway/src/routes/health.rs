//! Liveness, readiness and metrics.

use std::time::Duration;

use actix_web::{get, web, HttpResponse};
use diesel::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` when every dependency answers, else `unavailable`.
    pub status: &'static str,
    pub postgres: bool,
    pub redis: bool,
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "The process is up", body = Health)))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

async fn postgres_up(state: &AppState) -> bool {
    let pool = state.ledger.pool().clone();
    let probe = web::block(move || -> Result<(), String> {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, probe).await,
        Ok(Ok(Ok(())))
    )
}

async fn redis_up(state: &AppState) -> bool {
    let mut redis = state.redis.clone();
    let cmd = redis::cmd("PING");
    let ping = cmd.query_async::<String>(&mut redis);
    matches!(tokio::time::timeout(PROBE_TIMEOUT, ping).await, Ok(Ok(_)))
}

/// PostgreSQL and Redis are reachable.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "A dependency is down", body = Readiness)))]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let (postgres, redis) = tokio::join!(postgres_up(&state), redis_up(&state));
    let body = Readiness {
        status: if postgres && redis {
            "ready"
        } else {
            "unavailable"
        },
        postgres,
        redis,
    };
    if postgres && redis {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
