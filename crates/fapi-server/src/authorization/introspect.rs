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
use crate::authorization::client_auth;
use crate::error::HttpError;
use crate::tls::PeerCertificate;

fn token_param(fields: &std::collections::HashMap<String, String>) -> Result<&str, HttpError> {
    fields
        .get("token")
        .map(String::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| HttpError::bad_request("token is required"))
}

/// RFC 9701 §4, §5: the media type of a signed introspection response.
const JWT_CONTENT_TYPE: &str = "application/token-introspection+jwt";

/// RFC 9701 §4: the resource server asks for a signed response with
/// `Accept: application/token-introspection+jwt` (among others, with any
/// parameters); otherwise the RFC 7662 JSON.
fn wants_jwt(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|m| {
            m.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(JWT_CONTENT_TYPE))
        })
}

/// `POST /introspect`: RFC 7662 JSON, or the RFC 9701 signed response
/// when the caller accepts it.
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
    let (body, content_type) = if wants_jwt(&headers) {
        // RFC 9701 §5: the response as a JWT signed by the issuer for the
        // calling resource server (`aud` its client id), encrypted when it
        // registered `introspection_encrypted_response_alg` (§6).
        let value: serde_json::Value = serde_json::from_str(&json)
            .map_err(|_| HttpError::at(fapi_core::Error::Json, Site::Introspection))?;
        let jwt = app
            .issuer
            .signed_introspection(client.client_id(), &value)?;
        (jwt, JWT_CONTENT_TYPE)
    } else {
        (json, "application/json")
    };
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    let _ = h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
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
