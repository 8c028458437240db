//! Group commit for the whole payment, TigerBeetle's lesson applied above the ledger:
//! concurrent requests queue their commands; one task takes whatever is queued and
//! applies it in one PostgreSQL transaction (idempotency records, payments and their
//! running totals, merchant requests and webhooks, the ledger's transfers) and answers
//! each request with its own result. A payment then costs about one durable insert,
//! however many requests share the commit.
//!
//! Commands are applied in the order they were queued, each against what the earlier
//! ones left, so an outcome never depends on which others shared the batch. Every
//! batch locks the ledger's chain head first, so batches (from any number of gateway
//! processes) are serialized and never deadlock. A batch that fails on a transient
//! conflict is retried; one that fails otherwise is split so one bad command cannot
//! fail the others; a lost connection answers 503 to everyone (the client's retry
//! under the same key finds what did or did not commit).

pub mod command;
mod keys;
mod load;
mod merchant;
mod pay;
mod plan;
mod progress;
mod reconcile;
mod remote_request;
mod render;
mod settle;
mod status;
mod working;
mod write;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, RunQueryDsl};
use ledger::TransferBatch;
use tokio::sync::{mpsc, oneshot};

pub use command::{
    Answer, CallbackOutcome, Caller, Command, Confirmation, Drive, KeyClaim, KeyRef, NewPayment,
    NewRequest, OutsideCall, OutsideResult, PayeeRef, ProviderResult, Reply, StepUp,
};
pub use working::Settings;

use crate::error::ApiError;
use crate::instance::Instance;
use crate::payments::model::PaymentStatus;
use working::Working;

/// The most commands in one transaction.
const MAX_BATCH: usize = 512;
/// Attempts at a batch that meets a serialization failure or deadlock.
const ATTEMPTS: usize = 5;

/// Why a batch's transaction did not commit.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("database: {0}")]
    Database(#[from] DieselError),
    #[error("ledger: {0}")]
    Ledger(#[from] ledger::LedgerError),
    /// A command met a state it cannot be right in; the batch must not commit.
    #[error("{0}")]
    Broken(String),
}

/// What one batch took, for metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct BatchStats {
    pub commands: usize,
    pub latency: Duration,
    pub ok: bool,
    /// Where the time went: locking and loading the working set (ledger included),
    /// applying the commands, writing, and committing.
    pub phases: Phases,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Phases {
    pub load: Duration,
    pub apply: Duration,
    pub write: Duration,
    pub commit: Duration,
}

pub type BatchObserver = Arc<dyn Fn(BatchStats) + Send + Sync>;

struct Job {
    command: Command,
    reply: oneshot::Sender<Result<Reply, ApiError>>,
}

/// The handle requests submit commands through. Cheap to clone.
#[derive(Clone)]
pub struct Committer {
    queue: mpsc::Sender<Job>,
    pub instance: Arc<Instance>,
}

impl Committer {
    /// Starts the commit task with its own connection to `database_url`.
    pub fn spawn(
        database_url: String,
        instance: Arc<Instance>,
        settings: Settings,
        observer: Option<BatchObserver>,
    ) -> Self {
        let (queue, rx) = mpsc::channel(16_384);
        let runner = Runner {
            url: database_url,
            conn: None,
            instance: Arc::clone(&instance),
            settings: Arc::new(settings),
            observer,
            phases: Phases::default(),
        };
        tokio::spawn(runner.run(rx));
        Self { queue, instance }
    }

    /// Applies `command` in the next batch and answers its result once committed.
    pub async fn submit(&self, command: Command) -> Result<Reply, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { command, reply })
            .await
            .map_err(|_| ApiError::Unavailable("database"))?;
        answer
            .await
            .map_err(|_| ApiError::Unavailable("database"))?
    }
}

struct Runner {
    url: String,
    conn: Option<PgConnection>,
    instance: Arc<Instance>,
    settings: Arc<Settings>,
    observer: Option<BatchObserver>,
    phases: Phases,
}

impl Runner {
    async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        while let Some(first) = rx.recv().await {
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            let (commands, replies): (Vec<Command>, Vec<_>) =
                jobs.into_iter().map(|j| (j.command, j.reply)).unzip();
            let started = Instant::now();
            let handle = tokio::task::spawn_blocking(move || {
                // A panic in a batch is a bug; it must cost that batch, not the
                // service: the others go on being committed.
                self.phases = Phases::default();
                let results = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.execute(&commands)
                }))
                .unwrap_or_else(|_| {
                    tracing::error!(commands = commands.len(), "a batch panicked");
                    self.conn = None;
                    commands
                        .iter()
                        .map(|_| Err(ApiError::Unavailable("database")))
                        .collect()
                });
                (self, results)
            });
            let Ok((runner, results)) = handle.await else {
                tracing::error!("the group commit's thread was lost; no more batches");
                return;
            };
            self = runner;
            if let Some(observe) = &self.observer {
                observe(BatchStats {
                    commands: results.len(),
                    latency: started.elapsed(),
                    ok: results.iter().any(Result::is_ok),
                    phases: self.phases,
                });
            }
            for (reply, result) in replies.into_iter().zip(results) {
                // A request that went away: what it asked for is committed all the same.
                let _ = reply.send(result);
            }
        }
    }

    fn connection(&mut self) -> Result<&mut PgConnection, ApiError> {
        if self.conn.is_none() {
            let unavailable = |e: &dyn std::fmt::Display| {
                tracing::warn!(error = %e, "the commit cannot connect to PostgreSQL");
                ApiError::Unavailable("database")
            };
            let mut conn = PgConnection::establish(&self.url).map_err(|e| unavailable(&e))?;
            conn.batch_execute(ledger::PLANNER_SETTINGS)
                .map_err(|e| unavailable(&e))?;
            self.conn = Some(conn);
        }
        self.conn.as_mut().ok_or(ApiError::Unavailable("database"))
    }

    fn execute(&mut self, commands: &[Command]) -> Vec<Result<Reply, ApiError>> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (instance, settings) = (Arc::clone(&self.instance), Arc::clone(&self.settings));
            let conn = match self.connection() {
                Ok(conn) => conn,
                Err(_) => {
                    return commands
                        .iter()
                        .map(|_| Err(ApiError::Unavailable("database")))
                        .collect()
                }
            };
            let mut phases = Phases::default();
            let outcome = conn.transaction(|conn| {
                let results = run_batch(conn, commands, &instance, &settings, &mut phases)?;
                phases.commit = Instant::now().elapsed();
                Ok::<_, BatchError>((results, Instant::now()))
            });
            let error = match outcome {
                Ok((results, written)) => {
                    phases.commit = written.elapsed();
                    self.phases = phases;
                    return results;
                }
                Err(e) => e,
            };
            match classify(&error, self.conn.as_mut()) {
                Failure::Transient if attempt < ATTEMPTS => {
                    tracing::info!(%error, attempt, "batch conflicted; retrying");
                }
                Failure::Transient | Failure::ConnectionLost => {
                    tracing::warn!(%error, "batch not committed: the database is unavailable");
                    self.conn = None;
                    return commands
                        .iter()
                        .map(|_| Err(ApiError::Unavailable("database")))
                        .collect();
                }
                Failure::Fault if commands.len() > 1 => {
                    // One command's fault must not fail the others: apply each alone.
                    tracing::warn!(%error, commands = commands.len(), "batch failed; splitting it");
                    return commands
                        .iter()
                        .flat_map(|c| self.execute(std::slice::from_ref(c)))
                        .collect();
                }
                Failure::Fault => {
                    return vec![Err(ApiError::Internal(format!("batch failed: {error}")))];
                }
            }
        }
    }
}

enum Failure {
    /// A serialization failure or deadlock: the same batch may well commit now.
    Transient,
    /// The connection is gone; the database may be down or restarting.
    ConnectionLost,
    /// Anything else: a bug, or a command the database refuses.
    Fault,
}

fn classify(error: &BatchError, conn: Option<&mut PgConnection>) -> Failure {
    let diesel_error = match error {
        BatchError::Database(e) => Some(e),
        BatchError::Ledger(ledger::LedgerError::Database(e)) => Some(e),
        _ => None,
    };
    if let Some(DieselError::DatabaseError(kind, info)) = diesel_error {
        match kind {
            DatabaseErrorKind::SerializationFailure => return Failure::Transient,
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                return Failure::ConnectionLost
            }
            _ if info.message().contains("deadlock detected") => return Failure::Transient,
            _ => {}
        }
    }
    // Whatever the error said, a connection that no longer answers is lost.
    match conn.map(|conn| diesel::sql_query("SELECT 1").execute(conn)) {
        Some(Ok(_)) => Failure::Fault,
        _ => Failure::ConnectionLost,
    }
}

/// One batch inside its transaction: lock, load, apply every command in order, write.
fn run_batch(
    conn: &mut PgConnection,
    commands: &[Command],
    instance: &Arc<Instance>,
    settings: &Arc<Settings>,
    phases: &mut Phases,
) -> Result<Vec<Result<Reply, ApiError>>, BatchError> {
    let started = Instant::now();
    let lock = TransferBatch::lock_configured(conn)?;
    let mut w = load::working_set(conn, commands, instance, settings)?;
    let candidates = plan::candidates(&w, commands);
    let mut ledger = TransferBatch::begin(conn, lock, &candidates)?;
    phases.load = started.elapsed();
    let applying = Instant::now();
    let mut results = Vec::with_capacity(commands.len());
    for command in commands {
        let result = apply(&mut w, &mut ledger, command);
        if let Err(ApiError::Internal(cause)) = &result {
            return Err(BatchError::Broken(cause.clone()));
        }
        results.push(result);
    }
    phases.apply = applying.elapsed();
    let writing = Instant::now();
    write::all(conn, &w, ledger)?;
    phases.write = writing.elapsed();
    Ok(results)
}

fn apply(
    w: &mut Working,
    ledger: &mut TransferBatch,
    command: &Command,
) -> Result<Reply, ApiError> {
    match command {
        Command::Pay {
            key,
            caller,
            payment,
        } => pay::pay(w, ledger, key, caller, payment),
        Command::Confirm {
            key,
            caller,
            payment_id,
            step_up,
            ..
        } => pay::confirm(w, ledger, key, caller, payment_id, step_up.as_ref()),
        Command::Settle {
            payment_id,
            key,
            answer_status,
            result,
        } => {
            let settled = settle::settle(w, ledger, payment_id, result, *answer_status);
            match key {
                Some(key) => keys::complete(w, key, settled),
                None => settled,
            }
        }
        Command::Resume { before, .. } => resume(w, ledger, *before),
        Command::ProviderCallback(result) => callback(w, ledger, result),
        Command::CreateRequest {
            key,
            merchant_id,
            request,
        } => merchant::create_request(w, key, merchant_id, request),
        Command::Capture {
            key,
            merchant_id,
            request_id,
            amount,
        } => merchant::capture(w, ledger, key, merchant_id, request_id, *amount),
        Command::Void {
            key,
            merchant_id,
            request_id,
        } => merchant::void(w, ledger, key, merchant_id, request_id),
        Command::Refund {
            key,
            merchant_id,
            request_id,
            amount,
        } => merchant::refund(w, ledger, key, merchant_id, request_id, *amount),
        Command::ExpireRequests { .. } => merchant::expire_due(w, ledger),
        Command::Resolve { key, request } => reconcile::resolve(w, ledger, key, request),
    }
}

/// Takes over every pending payment quiet since `before` that nobody drives.
fn resume(
    w: &mut Working,
    ledger: &mut TransferBatch,
    before: chrono::DateTime<chrono::Utc>,
) -> Result<Reply, ApiError> {
    let mut due: Vec<(chrono::DateTime<chrono::Utc>, String)> = w
        .payments
        .values()
        .filter(|p| p.status() == Some(PaymentStatus::Pending) && p.updated_at < before)
        .filter(|p| !w.instance.held(p.driver, &p.id, &w.live))
        .map(|p| (p.updated_at, p.id.clone()))
        .collect();
    due.sort();
    let mut drives = Vec::new();
    for (_, id) in due {
        match progress::take_over(w, ledger, &id, StatusCode::OK, None) {
            Ok(Reply::Drive(drive)) => drives.push(*drive),
            Err(e @ ApiError::Internal(_)) => return Err(e),
            // Finished from the ledger, failed, or still waiting: nothing to call.
            _ => {}
        }
    }
    Ok(Reply::Drives(drives))
}

/// A provider's verdict on a top-up order, recorded once.
fn callback(
    w: &mut Working,
    ledger: &mut TransferBatch,
    result: &ProviderResult,
) -> Result<Reply, ApiError> {
    let order = w
        .orders
        .values()
        .find(|o| {
            o.provider == result.provider.as_str()
                && o.provider_reference.as_deref() == Some(result.reference.as_str())
        })
        .cloned();
    let Some(order) = order else {
        return Ok(Reply::Callback(CallbackOutcome::UnknownOrder));
    };
    if order.amount != result.amount {
        return Ok(Reply::Callback(CallbackOutcome::AmountMismatch));
    }
    if order.recorded_at.is_some() {
        return Ok(Reply::Callback(CallbackOutcome::AlreadyRecorded));
    }
    let detail = format!("provider result {}", result.result_code);
    let outcome = match result.success {
        true => Ok(()),
        false => Err(crate::funding::decline_code(
            result.provider,
            &result.result_code,
        )),
    };
    settle::provider_verdict(w, ledger, &order.payment_id, outcome, &detail)?;
    let now = w.now;
    if let Some(row) = w.orders.get_mut(&order.payment_id) {
        row.recorded_at = Some(now);
        row.provider_transaction_id = result.transaction_id.clone();
        row.result_code = Some(result.result_code.clone());
    }
    Ok(Reply::Callback(CallbackOutcome::Recorded))
}
