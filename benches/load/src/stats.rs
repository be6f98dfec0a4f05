//! Latency percentiles and throughput of one run.

use core::time::Duration;

/// The result of one load run.
#[derive(Debug)]
pub struct Summary {
    label: String,
    ok: usize,
    failed: Vec<String>,
    req_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    elapsed: Duration,
    signing: Duration,
    concurrency: usize,
}

/// The `q` quantile (0..=1) of sorted `v`, nearest rank.
fn quantile(v: &[Duration], q: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a rank in a vector's bounds"
    )]
    let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

impl Summary {
    /// From the latencies of the successful requests and the failures.
    pub fn new(
        label: &str,
        mut latencies: Vec<Duration>,
        failed: Vec<String>,
        elapsed: Duration,
        signing: Duration,
        concurrency: usize,
    ) -> Self {
        latencies.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        #[allow(clippy::cast_precision_loss, reason = "a request count")]
        let req_per_s = latencies.len() as f64 / elapsed.as_secs_f64();
        Self {
            label: label.to_owned(),
            ok: latencies.len(),
            req_per_s,
            p50_ms: ms(quantile(&latencies, 0.50)),
            p99_ms: ms(quantile(&latencies, 0.99)),
            failed,
            elapsed,
            signing,
            concurrency,
        }
    }

    /// How many requests failed.
    pub fn failures(&self) -> usize {
        self.failed.len()
    }

    /// One JSON line: label, ok, failed, req/s, p50, p99 (ms), the first failure.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "label": self.label,
            "ok": self.ok,
            "failed": self.failed.len(),
            "req_per_s": (self.req_per_s * 10.0).round() / 10.0,
            "p50_ms": (self.p50_ms * 1000.0).round() / 1000.0,
            "p99_ms": (self.p99_ms * 1000.0).round() / 1000.0,
            "seconds": (self.elapsed.as_secs_f64() * 100.0).round() / 100.0,
            "client_signing_seconds": (self.signing.as_secs_f64() * 100.0).round() / 100.0,
            "concurrency": self.concurrency,
            "first_failure": self.failed.first(),
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile(&v, 0.5), Duration::from_millis(50));
        assert_eq!(quantile(&v, 0.99), Duration::from_millis(99));
        assert_eq!(quantile(&[], 0.5), Duration::ZERO);
        assert_eq!(quantile(&v[..1], 0.99), Duration::from_millis(1));
    }
}
