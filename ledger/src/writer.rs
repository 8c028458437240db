//! Group commit: many concurrent callers submit single transfers or small linked
//! chains; one task gathers whatever is queued into one batch per database
//! transaction and answers each caller with its own results. Throughput then rises
//! with concurrency (more callers, bigger batches, the same number of commits), and a
//! hot account costs one row lock per batch instead of one per transfer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::store::{LedgerError, PgLedger, MAX_BATCH};
use crate::types::{Transfer, TransferFlags};
use crate::CreateTransferResult;

/// What one committed batch looked like, for metrics.
#[derive(Debug, Clone, Copy)]
pub struct BatchStats {
    pub transfers: usize,
    pub submissions: usize,
    pub commit_latency: Duration,
    pub ok: bool,
}

/// Receives the stats of every batch the writer commits.
pub type BatchObserver = Arc<dyn Fn(BatchStats) + Send + Sync>;

#[derive(Clone)]
pub struct WriterConfig {
    /// The most transfers in one batch.
    pub max_batch: usize,
    /// How long to wait for more submissions once the queue is empty. Zero commits
    /// whatever is queued at once; batches still grow while a commit is in flight.
    pub max_wait: Duration,
    /// Submissions queued beyond this wait for room (back-pressure).
    pub queue_depth: usize,
    /// When idle this long, release lapsed pending holds.
    pub expiry_interval: Duration,
    pub observer: Option<BatchObserver>,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            max_batch: MAX_BATCH,
            max_wait: Duration::from_micros(200),
            queue_depth: 65_536,
            expiry_interval: Duration::from_secs(1),
            observer: None,
        }
    }
}

type Reply = oneshot::Sender<Result<Vec<CreateTransferResult>, LedgerError>>;

struct Submission {
    transfers: Vec<Transfer>,
    reply: Reply,
}

impl Submission {
    /// A chain left open would swallow the next caller's transfers, so such a
    /// submission is committed in a batch of its own.
    fn ends_with_open_chain(&self) -> bool {
        self.transfers
            .last()
            .is_some_and(|t| t.flags.contains(TransferFlags::LINKED))
    }
}

/// A handle for submitting transfers to the group-commit writer. Cheap to clone.
#[derive(Clone)]
pub struct TransferWriter {
    queue: mpsc::Sender<Submission>,
}

impl TransferWriter {
    /// Starts the writer task on the current tokio runtime.
    pub fn spawn(ledger: PgLedger, config: WriterConfig) -> (Self, JoinHandle<()>) {
        let (queue, rx) = mpsc::channel(config.queue_depth.max(1));
        let handle = tokio::spawn(run(ledger, config, rx));
        (Self { queue }, handle)
    }

    /// Submits transfers (one, or a linked chain) and waits for their results, which
    /// come in the same order. They are durable when this returns `Ok`.
    pub async fn submit(
        &self,
        transfers: Vec<Transfer>,
    ) -> Result<Vec<CreateTransferResult>, LedgerError> {
        if transfers.is_empty() {
            return Ok(Vec::new());
        }
        if transfers.len() > MAX_BATCH {
            return Err(LedgerError::BatchTooLarge {
                got: transfers.len(),
                max: MAX_BATCH,
            });
        }
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Submission { transfers, reply })
            .await
            .map_err(|_| LedgerError::WriterStopped)?;
        answer.await.map_err(|_| LedgerError::WriterStopped)?
    }
}

async fn run(ledger: PgLedger, config: WriterConfig, mut rx: mpsc::Receiver<Submission>) {
    let mut carried: Option<Submission> = None;
    loop {
        let first = match carried.take() {
            Some(s) => s,
            None => match tokio::time::timeout(config.expiry_interval, rx.recv()).await {
                Ok(Some(s)) => s,
                Ok(None) => return,
                Err(_) => {
                    expire(&ledger).await;
                    continue;
                }
            },
        };
        let mut group = vec![first];
        if !group[0].ends_with_open_chain() {
            carried = gather(&mut rx, &mut group, &config).await;
        }
        commit(&ledger, group, &config).await;
    }
}

/// Adds queued submissions to `group` up to the batch limit; returns one that did
/// not fit, to start the next batch.
async fn gather(
    rx: &mut mpsc::Receiver<Submission>,
    group: &mut Vec<Submission>,
    config: &WriterConfig,
) -> Option<Submission> {
    let mut count: usize = group.iter().map(|s| s.transfers.len()).sum();
    let deadline = Instant::now() + config.max_wait;
    loop {
        let next = match rx.try_recv() {
            Ok(s) => s,
            Err(mpsc::error::TryRecvError::Disconnected) => return None,
            Err(mpsc::error::TryRecvError::Empty) => {
                let now = Instant::now();
                if now >= deadline {
                    return None;
                }
                match tokio::time::timeout(deadline - now, rx.recv()).await {
                    Ok(Some(s)) => s,
                    _ => return None,
                }
            }
        };
        if count + next.transfers.len() > config.max_batch || next.ends_with_open_chain() {
            return Some(next);
        }
        count += next.transfers.len();
        group.push(next);
    }
}

async fn commit(ledger: &PgLedger, group: Vec<Submission>, config: &WriterConfig) {
    let mut batch = Vec::with_capacity(group.iter().map(|s| s.transfers.len()).sum());
    let mut replies = Vec::with_capacity(group.len());
    for s in group {
        replies.push((s.transfers.len(), s.reply));
        batch.extend(s.transfers);
    }
    let transfers = batch.len();
    let started = Instant::now();
    let writer = ledger.clone();
    let outcome = tokio::task::spawn_blocking(move || writer.create_transfers(&batch))
        .await
        .unwrap_or(Err(LedgerError::WriterStopped));
    if let Some(observe) = &config.observer {
        observe(BatchStats {
            transfers,
            submissions: replies.len(),
            commit_latency: started.elapsed(),
            ok: outcome.is_ok(),
        });
    }
    match outcome {
        Ok(results) => {
            let mut rest = results.into_iter();
            for (len, reply) in replies {
                // A caller that went away still had its transfers committed.
                let _ = reply.send(Ok(rest.by_ref().take(len).collect()));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, transfers, "ledger batch failed");
            let message = e.to_string();
            for (_, reply) in replies {
                let _ = reply.send(Err(LedgerError::Unavailable(message.clone())));
            }
        }
    }
}

async fn expire(ledger: &PgLedger) {
    let writer = ledger.clone();
    match tokio::task::spawn_blocking(move || writer.expire_pending_transfers()).await {
        Ok(Ok(0)) => {}
        Ok(Ok(n)) => tracing::info!(released = n, "released lapsed pending holds"),
        Ok(Err(e)) => tracing::warn!(error = %e, "releasing lapsed holds failed"),
        Err(e) => tracing::warn!(error = %e, "expiry task failed"),
    }
}
