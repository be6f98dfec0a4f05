//! `POST /token`: `authorization_code`, `client_credentials`,
//! `refresh_token` (F2-FLOWS), with client authentication and the
//! profile's sender constraint (F2-SENDER): a DPoP proof (with the server's
//! nonce, RFC 9449 §8) or the TLS client certificate (RFC 8705 §3,
//! OB-SENDER, CDR-HOK). A request without the client's credentials is
//! refused first (RFC 6749 §5.2); the DPoP proof is checked before the
//! client's assertion is verified, so a proof refused for its nonce does
//! not spend the assertion.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fapi::IdToken;
use fapi::issuer::{Authentication, Binding, VerifiedDpop};
use fapi::store::handle_key;
use fapi_core::{OAuthError, Site};

use crate::app::{App, form, single_header};
use crate::authorization::client_auth;
use crate::authorization::par::nonce_err;
use crate::error::HttpError;
use crate::tls::PeerCertificate;

use fapi_core::Error as CoreError;

/// The sender constraint of a request: the verified DPoP proof (required
/// under DPoP), or the client certificate.
pub(crate) async fn binding(
    app: &App,
    headers: &HeaderMap,
    peer: Option<&PeerCertificate>,
    endpoint: &str,
) -> Result<(Binding, Option<VerifiedDpop>), HttpError> {
    if app.dpop {
        // F2-SENDER: DPoP-bound tokens; the proof is required.
        let proof = single_header(headers, "dpop")?
            .ok_or_else(|| HttpError::at(CoreError::DpopMissing, Site::DpopProof))?;
        let v = app
            .issuer
            .verify_dpop(proof, "POST", endpoint)
            .await
            .map_err(|e| nonce_err(app, e))?;
        Ok((v.binding(), Some(v)))
    } else {
        // OB-SENDER, CDR-HOK: bound to the certificate of the connection.
        let peer = peer
            .ok_or_else(|| HttpError::at(CoreError::SenderConstraintMissing, Site::TokenRequest))?;
        Ok((Binding::certificate(&peer.der), None))
    }
}

fn param<'a>(
    fields: &'a std::collections::HashMap<String, String>,
    name: &str,
) -> Result<&'a str, HttpError> {
    fields
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| HttpError::bad_request(&format!("{name} is required")))
}

/// OpenID Connect Core §3.1.3.3: the ID token of a token response whose
/// grant has `openid`, signed by the issuer and encrypted when the client
/// registered it ([`fapi::Issuer::id_token`]): `nonce` of the pushed request (§3.1.3.6;
/// none on refresh, §12.2), `auth_time` of the sign-in, `at_hash` of the
/// access token (§3.1.3.8), `openbanking_intent_id` the consent id under
/// obie (OB-INTENT), `acr` under the CDR (the password sign-in is
/// `urn:cds.au:cdr:2`, the first of the allowed values).
fn id_token(
    app: &App,
    client_id: &str,
    a: &Authentication,
    access_token: &str,
) -> Result<String, HttpError> {
    let mut t = IdToken::new(&a.subject, client_id).access_token(access_token);
    if let Some(n) = a.nonce.as_deref().filter(|n| !n.is_empty()) {
        t = t.nonce(n);
    }
    if let Some(at) = a.auth_time {
        t = t.auth_time(at);
    }
    // OB-INTENT: the intent the user authorised.
    if app.profile.intent_in_id_token
        && let Some(c) = a.consent_id.as_deref()
    {
        t = t.intent_id(c);
    }
    // CDR: `acr` required.
    if let Some(acr) = app.profile.id_token_acr_values.and_then(|v| v.first()) {
        t = t.acr(acr);
    }
    Ok(app.issuer.id_token(&t)?)
}

/// `POST /token`.
pub(crate) async fn token(
    State(app): State<Arc<App>>,
    peer: Option<axum::Extension<PeerCertificate>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let fields = form(&headers, &body)?;
    let endpoint = app.url("/token");
    let grant = param(&fields, "grant_type")?.to_owned();
    if !matches!(
        grant.as_str(),
        "authorization_code" | "client_credentials" | "refresh_token"
    ) {
        return Err(HttpError::oauth(
            StatusCode::BAD_REQUEST,
            OAuthError::UnsupportedGrantType,
            "grant_type is authorization_code, client_credentials or refresh_token",
        ));
    }
    // RFC 6749 §5.2, RFC 8705 §2: a request without the client's
    // credentials is `invalid_client` before the sender constraint or the
    // grant is looked at.
    let _ = client_auth::require_credentials(&app, &fields, peer.as_deref())?;
    let (binding, dpop) = binding(&app, &headers, peer.as_deref(), &endpoint).await?;
    let client = client_auth::authenticate(&app, &fields, peer.as_deref(), &endpoint).await?;
    // OpenID Connect Core §3.1.3.3, §12.2: who the ID token is about.
    let mut authentication = None;
    let response = match grant.as_str() {
        // F2-CODE-ONCE, F2-PKCE, RFC 9449 §10
        "authorization_code" => {
            let t = app
                .issuer
                .redeem_code(
                    &client,
                    binding,
                    dpop.as_ref(),
                    param(&fields, "code")?,
                    param(&fields, "redirect_uri")?,
                    // RFC 7636 §4.6: a missing verifier is the issuer's
                    // `invalid_grant`, not a malformed request.
                    fields.get("code_verifier").map(String::as_str),
                )
                .await?;
            // CDR: an amended arrangement's older tokens go now.
            crate::authorization::arrangement::redeemed(&app, &t).await?;
            authentication.clone_from(&t.authentication);
            t
        }
        "client_credentials" => {
            let reg = app.client(client.client_id(), Site::TokenRequest)?;
            let requested = fields.get("scope").map_or("", String::as_str);
            let scope: Vec<&str> = requested.split(' ').filter(|s| !s.is_empty()).collect();
            if scope.is_empty() {
                return Err(HttpError::oauth(
                    StatusCode::BAD_REQUEST,
                    OAuthError::InvalidScope,
                    "scope is required",
                ));
            }
            if let Some(s) = scope.iter().find(|s| !reg.scopes.iter().any(|r| r == *s)) {
                return Err(HttpError::oauth(
                    StatusCode::BAD_REQUEST,
                    OAuthError::InvalidScope,
                    &format!("scope {s} is not registered for the client"),
                ));
            }
            // F2-FLOWS; CDR-CODE-FLOW, BG-CODE-FLOW: no user, no consent.
            app.issuer
                .client_credentials(&client, binding, &scope.join(" "))
                .await?
        }
        // F2-RT-NO-ROTATE
        _ => {
            let refresh_token = param(&fields, "refresh_token")?;
            let t = app.issuer.refresh(&client, binding, refresh_token).await?;
            // OpenID Connect Core §12.2: the refreshed grant's user, scope
            // and consent (the issuer has just accepted the token).
            if let Ok(g) = app
                .stores
                .refresh
                .get(&handle_key(refresh_token.as_bytes()), app.now())
                .await
            {
                authentication = Some(Authentication {
                    subject: g.subject().into(),
                    nonce: None,
                    auth_time: None,
                    scope: g.scope().into(),
                    consent_id: Some(g.consent_id().to_owned()).filter(|c| !c.is_empty()),
                });
            }
            t
        }
    };
    let mut response = response;
    if let Some(a) = authentication.filter(|a| a.scope.split(' ').any(|s| s == "openid")) {
        response.id_token = Some(id_token(
            &app,
            client.client_id(),
            &a,
            &response.access_token,
        )?);
    }
    let mut r = (StatusCode::OK, Json(response)).into_response();
    let h = r.headers_mut();
    let _ = h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let _ = h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    if let Some(n) = app.issuer.dpop_nonce().ok().flatten()
        && let Ok(v) = HeaderValue::from_str(&n)
    {
        let _ = h.insert(HeaderName::from_static("dpop-nonce"), v);
    }
    Ok(r)
}
