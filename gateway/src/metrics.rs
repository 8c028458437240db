//! Prometheus metrics: requests by route and status, and the group commit's batches.
//! Every label takes values from a fixed set, so no client can grow them.

use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    batch_transfers: HistogramVec,
    commit_seconds: HistogramVec,
    phase_seconds: prometheus::CounterVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["route", "method", "status"],
        )?;
        let request_seconds = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            ),
            &["route", "method", "status"],
        )?;
        let batch_transfers = HistogramVec::new(
            HistogramOpts::new(
                "commit_batch_commands",
                "Commands (payments, captures, refunds...) per group-commit transaction",
            )
            .buckets(vec![
                1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0,
            ]),
            &["outcome"],
        )?;
        let commit_seconds = HistogramVec::new(
            HistogramOpts::new(
                "commit_batch_duration_seconds",
                "Latency of one group-commit transaction, from start to commit",
            )
            .buckets(vec![
                0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0,
            ]),
            &["outcome"],
        )?;
        let phase_seconds = prometheus::CounterVec::new(
            Opts::new(
                "commit_phase_seconds_total",
                "Time the group commit spent in each phase of its batches",
            ),
            &["phase"],
        )?;
        registry.register(Box::new(phase_seconds.clone()))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(request_seconds.clone()))?;
        registry.register(Box::new(batch_transfers.clone()))?;
        registry.register(Box::new(commit_seconds.clone()))?;
        Ok(Self {
            registry,
            requests,
            request_seconds,
            batch_transfers,
            commit_seconds,
            phase_seconds,
        })
    }

    pub fn observe_request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let status = status.to_string();
        let labels = [route, method_label(method), status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.request_seconds
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }

    pub fn observe_batch(&self, stats: crate::commit::BatchStats) {
        let outcome = if stats.ok { "committed" } else { "failed" };
        self.batch_transfers
            .with_label_values(&[outcome])
            .observe(stats.commands as f64);
        self.commit_seconds
            .with_label_values(&[outcome])
            .observe(stats.latency.as_secs_f64());
        for (phase, took) in [
            ("load", stats.phases.load),
            ("apply", stats.phases.apply),
            ("write", stats.phases.write),
            ("commit", stats.phases.commit),
        ] {
            self.phase_seconds
                .with_label_values(&[phase])
                .inc_by(took.as_secs_f64());
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The method as a label: one of the methods the API serves, or `other`.
fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_methods_share_one_label() {
        let m = Metrics::new().unwrap();
        for method in ["FOO", "BAR", "X-ANYTHING", "GET"] {
            m.observe_request("unmatched", method, 404, Duration::from_millis(1));
        }
        let text = m.render();
        assert!(text.contains("method=\"other\""));
        assert!(!text.contains("FOO") && !text.contains("BAR"));
    }
}
