//! `/healthz` (the process answers), `/readyz` (the store answers) and
//! `/metrics` (the Prometheus text format, [`crate::metrics`]).

use core::time::Duration;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fapi::store::handle_key;
use fapi_core::Site;

use fapi_core::Error as CoreError;

use crate::app::App;
use crate::error::HttpError;

/// How long `/readyz` waits for the store.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    let _ = h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let _ = h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `GET /healthz`: 200 while the process answers.
pub(crate) async fn healthz() -> Response {
    text(StatusCode::OK, "text/plain; charset=utf-8", "ok\n".into())
}

/// `GET /readyz`: 200 when the store answers a read (of a key that is
/// never written) within two seconds; else `503 temporarily_unavailable`
/// (`StoreFailed`) saying why.
pub(crate) async fn readyz(State(app): State<Arc<App>>) -> Response {
    let key = handle_key(b"fapi-server readyz probe");
    let read = app.stores.transactions.get(&key, app.now());
    let why = match tokio::time::timeout(READY_TIMEOUT, read).await {
        Ok(Err(CoreError::StoreFailed)) => "the store failed",
        // Found or not found: the store answered.
        Ok(_) => {
            return text(
                StatusCode::OK,
                "text/plain; charset=utf-8",
                "ready\n".into(),
            );
        }
        Err(_) => "the store did not answer within 2 s",
    };
    HttpError::at(CoreError::StoreFailed, Site::TokenRequest)
        .with_description(format!("not ready: {why}"))
        .into_response()
}

/// `GET /metrics`: the text exposition format 0.0.4.
pub(crate) async fn metrics(State(app): State<Arc<App>>) -> Response {
    text(
        StatusCode::OK,
        "text/plain; version=0.0.4; charset=utf-8",
        app.metrics.render(),
    )
}
