//! Running the server: `/healthz`, `/readyz` and `/metrics`, the metrics
//! behind them, and the request log.

pub(crate) mod health;
pub mod metrics;
pub(crate) mod request_log;
