//! `/healthz` (the process answers), `/readyz` (the store answers, and one
//! member of the signing group is in when the key is a group) and
//! `/metrics` (the Prometheus text format, [`crate::ops::metrics`]).

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
/// never written) within two seconds and, when the server's key is an HA
/// signing group, at least one member is in; else `503
/// temporarily_unavailable` (`StoreFailed`, or `SigningFailed` when only
/// the group is down) saying why. The 200 body is `ready`, and for a group
/// one more line naming the members that are out (see [`group_line`]).
pub(crate) async fn readyz(State(app): State<Arc<App>>) -> Response {
    let key = handle_key(b"fapi-server readyz probe");
    let read = app.stores.transactions.get(&key, app.now());
    let store = match tokio::time::timeout(READY_TIMEOUT, read).await {
        Ok(Err(CoreError::StoreFailed)) => Some("the store failed"),
        // Found or not found: the store answered.
        Ok(_) => None,
        Err(_) => Some("the store did not answer within 2 s"),
    };
    let group = group_state(&app).await;
    match (store, group) {
        (None, Ok(line)) => text(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            format!("ready\n{line}"),
        ),
        (Some(why), Ok(_)) => HttpError::at(CoreError::StoreFailed, Site::TokenRequest)
            .with_description(format!("not ready: {why}"))
            .into_response(),
        (None, Err(group)) => HttpError::at(CoreError::SigningFailed, Site::TokenRequest)
            .with_description(format!("not ready: {group}"))
            .into_response(),
        (Some(why), Err(group)) => HttpError::at(CoreError::StoreFailed, Site::TokenRequest)
            .with_description(format!("not ready: {why}; {group}"))
            .into_response(),
    }
}

/// The signing group's part of `/readyz`: `Ok` with the line of the 200
/// body (empty when the key is not a group), or `Err` saying that no
/// member is in.
///
/// Members go out and come back in through signatures (a call that fails
/// takes its member out; a later call probes it). When every member is
/// out, no token is issued and a load balancer that follows `/readyz`
/// sends no traffic, so nothing would probe them: `/readyz` then makes one
/// signature itself, over a fixed text that is no JWS, which tries each
/// member and brings back in the first that answers.
async fn group_state(app: &App) -> Result<String, String> {
    let Some(group) = app.metrics.signing_group() else {
        return Ok(String::new());
    };
    if group.members_in() == 0 {
        let key = app.metrics.signing_key().cloned();
        let probe = tokio::task::spawn_blocking(move || {
            key.and_then(|k| {
                k.hsm_group()
                    .map(|g| g.sign_vec(b"fapi-server readyz: signing group probe"))
            })
        });
        // A member that hangs delays the probe by its module's own timeout:
        // /readyz answers after two seconds whatever the probe does.
        let _ = tokio::time::timeout(READY_TIMEOUT, probe).await;
    }
    let health = group.health();
    let out: Vec<String> = health
        .iter()
        .filter(|m| !m.is_in)
        .map(|m| {
            let error = m
                .last_error
                .as_ref()
                .map_or_else(String::new, |e| format!(": {e}"));
            format!(
                "{} (out for {:.1} s{error})",
                m.name,
                m.out_for.as_secs_f64()
            )
        })
        .collect();
    let members_in = health.len().saturating_sub(out.len());
    if members_in == 0 {
        return Err(format!(
            "no signing group member is in (out: {})",
            out.join(", ")
        ));
    }
    Ok(if out.is_empty() {
        format!(
            "signing group: {members_in} of {} members in\n",
            health.len()
        )
    } else {
        format!(
            "signing group: {members_in} of {} members in; out: {}\n",
            health.len(),
            out.join(", ")
        )
    })
}

/// `GET /metrics`: the text exposition format 0.0.4.
pub(crate) async fn metrics(State(app): State<Arc<App>>) -> Response {
    text(
        StatusCode::OK,
        "text/plain; version=0.0.4; charset=utf-8",
        app.metrics.render(),
    )
}
