//! `POST /introspect` (RFC 7662) and `POST /revoke` (RFC 7009), for
//! authenticated clients. CDR-INTROSPECT: where the profile says so only
//! refresh tokens are introspectable (the issuer answers access tokens as
//! inactive).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fapi::store::handle_key;
use fapi_core::Site;

use crate::app::{App, form};
use crate::client_auth;
use crate::error::HttpError;
use crate::tls::PeerCertificate;

fn token_param(fields: &std::collections::HashMap<String, String>) -> Result<&str, HttpError> {
    fields
        .get("token")
        .map(String::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| HttpError::bad_request("token is required"))
}

/// `POST /introspect`.
pub(crate) async fn introspect(
    State(app): State<Arc<App>>,
    peer: Option<axum::Extension<PeerCertificate>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let fields = form(&headers, &body)?;
    let client =
        client_auth::authenticate(&app, &fields, peer.as_deref(), &app.url("/introspect")).await?;
    // CDR-INTROSPECT
    let json = app
        .issuer
        .introspect(&client, token_param(&fields)?)
        .await?;
    let mut r = (StatusCode::OK, json).into_response();
    let h = r.headers_mut();
    let _ = h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let _ = h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// `POST /revoke`: a refresh token of this client is revoked; anything
/// else (an access token, an unknown token) is answered 200 as RFC 7009
/// §2.2 says, and changes nothing.
pub(crate) async fn revoke(
    State(app): State<Arc<App>>,
    peer: Option<axum::Extension<PeerCertificate>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let fields = form(&headers, &body)?;
    let client =
        client_auth::authenticate(&app, &fields, peer.as_deref(), &app.url("/revoke")).await?;
    let token = token_param(&fields)?;
    let key = handle_key(token.as_bytes());
    match app.stores.refresh.get(&key, app.now()).await {
        // Only the client's own refresh token (RFC 7009 §2.1).
        Ok(g) if g.client_id() == client.client_id() => app.issuer.revoke(token).await?,
        Ok(_) | Err(fapi_core::Error::TokenInactive) => {}
        Err(e) => return Err(HttpError::at(e, Site::Introspection)),
    }
    Ok((StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response())
}
