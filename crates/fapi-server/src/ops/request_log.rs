//! The request log: one `tracing` event per request, on stderr as text or
//! JSON lines ([`init_logs`]), and the counters of [`crate::ops::metrics`].
//!
//! Each line names the method, the path (never the query string, which
//! carries request URIs, codes and states), the status, the client when
//! one was named (`-` otherwise), the latency and, for a refusal, the core
//! error's stable code and name (`error_code`, `reason`) and the OAuth
//! error. Nothing else of the request is read: no header value (so no
//! `Authorization`, `DPoP`, `Cookie`), no body (so no code, token, client
//! assertion, password or request object). The values a request chose
//! (the path, a client id, a description) have their control characters
//! escaped, so no request writes a line of its own.
//!
//! Levels: `info` for an answer and for a refusal (4xx), `error` for a
//! server fault (5xx, a store that fails included), `debug` for
//! `/healthz`, `/readyz` and `/metrics` when they answer 200.

use core::cell::RefCell;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::app::App;
use crate::error::{Refused, ServeError};

/// The format of the log lines: `text` (human-readable) or `json` (one
/// JSON object per line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// `2026-12-06T10:00:00.000000Z  INFO fapi_server::request: answered method=GET ...`
    Text,
    /// `{"timestamp":..,"level":"INFO","message":"answered","method":"GET",..}`
    Json,
}

impl LogFormat {
    /// `text` or `json`.
    ///
    /// ```
    /// use fapi_server::LogFormat;
    /// assert_eq!(LogFormat::parse("json").ok(), Some(LogFormat::Json));
    /// assert!(LogFormat::parse("yaml").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, ServeError> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(ServeError::Config(format!(
                "--log-format {other}: text or json"
            ))),
        }
    }
}

/// The filter: `level` (a `tracing` filter: `info`, `debug`,
/// `fapi_server=debug,warn`) when given, else `RUST_LOG` when set, else
/// `info`.
fn filter(level: Option<&str>) -> Result<EnvFilter, ServeError> {
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let (directive, what) = match (level, from_env.as_deref()) {
        (Some(l), _) => (l, "--log-level"),
        (None, Some(env)) => (env, "RUST_LOG"),
        (None, None) => ("info", "--log-level"),
    };
    EnvFilter::try_new(directive)
        .map_err(|e| ServeError::Config(format!("{what} {directive:?}: {e}")))
}

/// Installs the process's log subscriber: lines in `format` written to
/// `writer` (`std::io::stderr` for `fapi serve`), filtered by `level` (see
/// the README: default `RUST_LOG`, else `info`). A second call keeps the
/// first subscriber and returns `Ok`.
///
/// ```
/// use fapi_server::{LogFormat, init_logs};
/// init_logs(LogFormat::Json, Some("warn"), std::io::stderr).unwrap();
/// assert!(init_logs(LogFormat::Text, Some("info=="), std::io::stderr).is_err());
/// ```
pub fn init_logs<W>(format: LogFormat, level: Option<&str>, writer: W) -> Result<(), ServeError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = filter(level)?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    // Already installed (a second server in one process): keep it.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
    Ok(())
}

tokio::task_local! {
    /// The client the request named, set by the handlers that learn it.
    static CLIENT: RefCell<Option<String>>;
}

/// Records the client id of the request being handled, for its log line.
pub(crate) fn note_client(client_id: &str) {
    let _ = CLIENT.try_with(|c| *c.borrow_mut() = Some(printable(client_id)));
}

/// The most characters of a value the request sent that a line carries.
const MAX_LOGGED: usize = 200;

/// `value` (which the request chose: a client id, a description quoting
/// a parameter's name) as one line can carry it: control characters
/// escaped, so that no value starts a line of its own, and at most
/// [`MAX_LOGGED`] characters.
fn printable(value: &str) -> String {
    let mut out = String::new();
    for (i, c) in value.chars().enumerate() {
        if i == MAX_LOGGED {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The middleware around every route: times the request, logs its line
/// and counts it (and its refusal) in the server's metrics.
pub(crate) async fn log_request(
    State(app): State<Arc<App>>,
    request: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = request.method().as_str().to_owned();
    // The path only: the query string may carry codes and request URIs.
    let path = printable(request.uri().path());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let (client, response) = CLIENT
        .scope(RefCell::new(None), async move {
            let response = next.run(request).await;
            let client = CLIENT.with(|c| c.borrow_mut().take());
            (client, response)
        })
        .await;
    let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
    let status = response.status().as_u16();
    let client_id = client.as_deref().unwrap_or("-");
    app.metrics.request(&method, &route, status);
    let probe = matches!(route.as_str(), "/healthz" | "/readyz" | "/metrics");
    match response.extensions().get::<Refused>() {
        Some(r) => {
            app.metrics.refusal(r.code, r.oauth_error);
            let error_code = r
                .code
                .map_or_else(|| "-".to_owned(), |e| e.code().to_string());
            let reason = r.code.map_or("-", fapi_core::Error::name);
            let detail = r
                .detail
                .as_deref()
                .map_or_else(|| "-".to_owned(), printable);
            let oauth_error = r.oauth_error;
            if status >= 500 {
                tracing::error!(target: "fapi_server::request", %method, %path, status, %client_id,
                    %error_code, %reason, %oauth_error, %detail, latency_ms, "refused");
            } else {
                tracing::info!(target: "fapi_server::request", %method, %path, status, %client_id,
                    %error_code, %reason, %oauth_error, %detail, latency_ms, "refused");
            }
        }
        None if status >= 500 => {
            tracing::error!(target: "fapi_server::request", %method, %path, status, %client_id,
                latency_ms, "failed");
        }
        None if probe => {
            tracing::debug!(target: "fapi_server::request", %method, %path, status, latency_ms,
                "answered");
        }
        None => {
            tracing::info!(target: "fapi_server::request", %method, %path, status, %client_id,
                latency_ms, "answered");
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn a_value_never_starts_a_line_and_is_bounded() {
        assert_eq!(printable("fintech-1"), "fintech-1");
        assert_eq!(printable("a\nINFO forged"), "a\\nINFO forged");
        let long = "x".repeat(500);
        assert_eq!(printable(&long).len(), 203);
    }
}
