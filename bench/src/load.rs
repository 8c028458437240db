//! Closed-loop load: `connections` clients, each with its own keep-alive connection,
//! send one request after another for a while; every answer's status is counted and
//! every 2xx's latency recorded.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// What one run measured.
#[derive(Debug, Clone)]
pub struct RunStats {
    pub connections: usize,
    pub elapsed: Duration,
    pub ok: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub transport_errors: u64,
    pub latency: Histogram<u64>,
}

impl RunStats {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// A latency percentile of successful requests, in milliseconds.
    pub fn ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1_000.0
    }

    pub fn non_2xx(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| !(200..300).contains(*s))
            .map(|(_, n)| n)
            .sum()
    }

    pub fn server_errors(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| **s >= 500)
            .map(|(_, n)| n)
            .sum::<u64>()
            + self.transport_errors
    }
}

/// One client's next request: `None` when it has nothing more to send.
pub type Next = Box<dyn FnMut() -> Option<reqwest::RequestBuilder> + Send>;

/// Latencies from one microsecond to a minute, at three significant digits.
fn histogram() -> Result<Histogram<u64>, String> {
    Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string())
}

/// Runs `make_client(i)` clients for `duration` (or until every client runs out).
pub async fn run<F>(
    connections: usize,
    duration: Duration,
    mut make_client: F,
) -> Result<RunStats, String>
where
    F: FnMut(usize, reqwest::Client) -> Next,
{
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(connections);
    for i in 0..connections {
        // One client, one connection: the load is exactly `connections` wide.
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        let mut next = make_client(i, http);
        let stop = Arc::clone(&stop);
        let mut latency = histogram()?;
        tasks.push(tokio::spawn(async move {
            let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
            let (mut ok, mut transport_errors) = (0u64, 0u64);
            while !stop.load(Ordering::Relaxed) {
                let Some(request) = next() else { break };
                let sent = Instant::now();
                match request.send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let _ = response.bytes().await;
                        *statuses.entry(status).or_default() += 1;
                        if (200..300).contains(&status) {
                            ok += 1;
                            let micros =
                                u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                            let _ = latency.record(micros.max(1));
                        }
                    }
                    Err(_) => transport_errors += 1,
                }
            }
            (latency, statuses, ok, transport_errors)
        }));
    }
    let timer = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            tokio::time::sleep(duration).await;
            stop.store(true, Ordering::Relaxed);
        })
    };
    let mut total = RunStats {
        connections,
        elapsed: Duration::ZERO,
        ok: 0,
        statuses: BTreeMap::new(),
        transport_errors: 0,
        latency: histogram()?,
    };
    for task in tasks {
        if let Ok((latency, statuses, ok, transport_errors)) = task.await {
            let _ = total.latency.add(&latency);
            for (s, n) in statuses {
                *total.statuses.entry(s).or_default() += n;
            }
            total.ok += ok;
            total.transport_errors += transport_errors;
        }
    }
    total.elapsed = started.elapsed();
    timer.abort();
    Ok(total)
}
