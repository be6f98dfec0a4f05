//! `POST /par`: pushed authorization requests (RFC 9126; F2-PAR).
//!
//! The client authenticates; an optional DPoP proof binds the code to its
//! key (RFC 9449 §10); the request (or its signed request object:
//! OB-REQOBJ) is checked by `fapi`'s issuer against the profile. Before
//! that, the server checks what only it knows: the redirect URI is one the
//! client registered, the scopes are the client's, and the consent named
//! (`consent_id`, or the profile's claim in the request object) is this
//! client's and awaits authorisation.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fapi::issuer::PushRequest;
use fapi_core::authorize::consent_in_scope;
use fapi_core::{OAuthError, Site};
use serde::Deserialize;

use crate::app::{App, form, single_header};
use crate::authorization::client_auth;
use crate::config::ClientConfig;
use crate::error::HttpError;
use crate::resource::consent::ConsentKind;
use crate::tls::PeerCertificate;

use fapi_core::Error as CoreError;

/// What the server checks of a request before the issuer does.
#[derive(Default, Deserialize)]
struct Requested {
    redirect_uri: Option<String>,
    scope: Option<String>,
    #[serde(default)]
    claims: Option<serde_json::Value>,
}

/// The parameters of a verified request object's payload (the issuer
/// verified the signature first).
fn request_object_params(jwt: &str) -> Result<Requested, HttpError> {
    let bad = || HttpError::at(CoreError::Malformed, Site::RequestObject);
    let payload = jwt.split('.').nth(1).ok_or_else(bad)?;
    let mut buf = vec![0u8; payload.len()];
    let raw = fapi_core::b64::decode(payload.as_bytes(), &mut buf).map_err(|_| bad())?;
    serde_json::from_slice(raw).map_err(|_| bad())
}

fn consent_from_claims(
    profile_claim: Option<&str>,
    claims: Option<&serde_json::Value>,
) -> Option<String> {
    let c = claims?;
    match profile_claim? {
        "openbanking_intent_id" => c["id_token"]["openbanking_intent_id"]["value"]
            .as_str()
            .map(Into::into),
        "cdr_arrangement_id" => c["cdr_arrangement_id"].as_str().map(Into::into),
        _ => None,
    }
}

/// Checks a redirect URI and scopes against the registration (F2-TLS-RESP
/// is the issuer's: `https` only).
fn check_registered(
    reg: &ClientConfig,
    redirect_uri: Option<&str>,
    scope: &str,
) -> Result<(), HttpError> {
    if let Some(r) = redirect_uri
        && !reg.redirect_uris.iter().any(|u| u == r)
    {
        return Err(HttpError::at(CoreError::RedirectMismatch, Site::ParRequest));
    }
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if s.starts_with("consent:") {
            continue;
        }
        if !reg.scopes.iter().any(|r| r == s) {
            return Err(HttpError::oauth(
                StatusCode::BAD_REQUEST,
                OAuthError::InvalidScope,
                &format!("scope {s} is not registered for the client"),
            ));
        }
    }
    Ok(())
}

fn kind_of(scope: &str) -> Option<ConsentKind> {
    let has = |w: &str| scope.split(' ').any(|s| s == w);
    if has("payments") {
        Some(ConsentKind::DomesticPayment)
    } else if has("accounts") {
        Some(ConsentKind::AccountAccess)
    } else {
        None
    }
}

/// The consent the request names: the client's own, of the scope's kind,
/// awaiting authorisation, or (CDR) an authorised arrangement it amends.
async fn check_consent(
    app: &App,
    client_id: &str,
    consent_id: Option<&str>,
    scope: &str,
) -> Result<(), HttpError> {
    let Some(kind) = kind_of(scope) else {
        // OB-INTENT: under obie the ID token carries the intent the user
        // authorised (`openbanking_intent_id`), so an `openid` request
        // names one; refused here rather than at the token endpoint after
        // the user has consented.
        if app.profile.intent_in_id_token && scope.split(' ').any(|s| s == "openid") {
            return Err(HttpError::bad_request(
                "an openid request names the intent it authorises under obie (openbanking_intent_id, OB-INTENT): ask for accounts or payments with their consent",
            ));
        }
        return Ok(());
    };
    let id = consent_id
        .filter(|c| !c.is_empty())
        .ok_or_else(|| HttpError::bad_request("consent_id is required for this scope"))?;
    let c = crate::resource::consent::load(app, id).await?;
    if c.client_id != client_id || c.kind != kind {
        return Err(HttpError::bad_request("unknown consent"));
    }
    // CDR: a new authorisation naming an existing arrangement amends it.
    let _ = crate::authorization::arrangement::authorisation(&app.profile, &c, client_id)?;
    Ok(())
}

/// `POST /par`.
pub(crate) async fn push(
    State(app): State<Arc<App>>,
    peer: Option<axum::Extension<PeerCertificate>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let fields: HashMap<String, String> = form(&headers, &body)?;
    let endpoint = app.url("/par");
    // RFC 6749 §5.2: no credentials, no client (before the DPoP proof).
    let _ = client_auth::require_credentials(&app, &fields, peer.as_deref())?;
    // RFC 9449 §10: a proof here binds the code to its key.
    let dpop = match single_header(&headers, "dpop")? {
        Some(proof) => Some(
            app.issuer
                .verify_dpop(proof, "POST", &endpoint)
                .await
                .map_err(|e| nonce_err(&app, e))?,
        ),
        None => None,
    };
    let client = client_auth::authenticate(&app, &fields, peer.as_deref(), &endpoint).await?;
    let reg = app.client(client.client_id(), Site::ParRequest)?;
    let body_str = core::str::from_utf8(&body).unwrap_or("");
    let mut request =
        PushRequest::from_form(body_str).map_err(|e| HttpError::at(e, Site::ParRequest))?;
    let (redirect, scope, consent) = match request.request.as_deref() {
        Some(jwt) => {
            let r = request_object_params(jwt)?;
            let scope = r.scope.clone().unwrap_or_default();
            let consent = consent_from_claims(app.profile.consent_claim, r.claims.as_ref())
                .or_else(|| consent_in_scope(&scope).map(Into::into));
            (r.redirect_uri, scope, consent)
        }
        None => {
            // Where the profile has no consent claim, the consent travels
            // in the scope (`consent:<id>`) into the code and the token.
            if app.profile.consent_claim.is_none()
                && let Some(c) = request.consent_id.clone()
                && consent_in_scope(&request.scope).is_none()
            {
                request.scope = format!("{} consent:{c}", request.scope);
            }
            let consent = request
                .consent_id
                .clone()
                .or_else(|| consent_in_scope(&request.scope).map(Into::into));
            (request.redirect_uri.clone(), request.scope.clone(), consent)
        }
    };
    check_registered(reg, redirect.as_deref(), &scope)?;
    if redirect.is_none() {
        return Err(HttpError::at(CoreError::InvalidParameter, Site::ParRequest));
    }
    check_consent(&app, client.client_id(), consent.as_deref(), &scope).await?;
    // F2-PAR, F2-PKCE, F2-FLOWS, OB-REQOBJ: the issuer's checks.
    let pushed = app.issuer.push(&client, dpop.as_ref(), &request).await?;
    let body =
        serde_json::json!({"request_uri": pushed.request_uri, "expires_in": pushed.expires_in});
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response())
}

/// A DPoP refusal; `use_dpop_nonce` comes with a fresh `DPoP-Nonce`.
pub(crate) fn nonce_err(app: &App, e: fapi::Error) -> HttpError {
    let nonce = (e.oauth_error() == OAuthError::UseDpopNonce)
        .then(|| app.issuer.dpop_nonce().ok().flatten())
        .flatten();
    let err = HttpError::from(e);
    match nonce {
        Some(n) => err.with_header(header::HeaderName::from_static("dpop-nonce"), &n),
        None => err,
    }
}
