//! The account information API (UK Open Banking v3.1 AISP): accounts,
//! balances, transactions. A user token under an `Authorised`
//! account-access consent with the permission is needed for each.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use fapi_core::{OAuthError, Site};
use serde_json::json;

use crate::app::{App, ResourceCall};
use crate::error::HttpError;
use crate::resource::bank;
use crate::resource::consent::{Consent, ConsentKind, ConsentStatus, ob_response};
use crate::tls::PeerCertificate;

async fn consent_for(
    app: &App,
    call: &ResourceCall,
    headers: &HeaderMap,
    peer: Option<&PeerCertificate>,
    any_of: &[&str],
) -> Result<(Consent, String), HttpError> {
    let claims = app.guard(call, headers, peer, "accounts").await?;
    // CDR-CODE-FLOW, BG-CODE-FLOW: only under the user's authorised consent.
    let c = app
        .user_consent(&claims, ConsentKind::AccountAccess)
        .await?;
    if c.status != ConsentStatus::Authorised {
        return Err(HttpError::oauth(
            StatusCode::FORBIDDEN,
            OAuthError::InsufficientScope,
            "the consent is not authorised",
        ));
    }
    if !any_of.iter().any(|p| c.has_permission(p)) {
        return Err(HttpError::oauth(
            StatusCode::FORBIDDEN,
            OAuthError::InsufficientScope,
            &format!("the consent grants none of {}", any_of.join(", ")),
        ));
    }
    Ok((c, claims.subject))
}

fn account_of(user: &str, id: &str) -> Result<bank::Account, HttpError> {
    bank::account(user, id)
        .ok_or_else(|| HttpError::at(fapi_core::Error::InvalidParameter, Site::ResourceRequest))
}

/// `GET /open-banking/v3.1/aisp/accounts`.
pub(crate) async fn list(
    State(app): State<Arc<App>>,
    axum::Extension(call): axum::Extension<ResourceCall>,
    peer: Option<axum::Extension<PeerCertificate>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, HttpError> {
    let (c, user) = consent_for(
        &app,
        &call,
        &headers,
        peer.as_deref(),
        &["ReadAccountsBasic", "ReadAccountsDetail"],
    )
    .await?;
    let detail = c.has_permission("ReadAccountsDetail");
    let accounts: Vec<_> = bank::accounts(&user)
        .iter()
        .map(|a| bank::account_json(a, detail))
        .collect();
    Ok(ob_response(
        StatusCode::OK,
        json!({"Account": accounts}),
        &app.url(uri.path()),
    ))
}

/// `GET /open-banking/v3.1/aisp/accounts/{AccountId}/balances`.
pub(crate) async fn balances(
    State(app): State<Arc<App>>,
    axum::Extension(call): axum::Extension<ResourceCall>,
    peer: Option<axum::Extension<PeerCertificate>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let (_, user) = consent_for(&app, &call, &headers, peer.as_deref(), &["ReadBalances"]).await?;
    let a = account_of(&user, &id)?;
    Ok(ob_response(
        StatusCode::OK,
        json!({"Balance": bank::balances_json(&a)}),
        &app.url(uri.path()),
    ))
}

/// `GET /open-banking/v3.1/aisp/accounts/{AccountId}/transactions`.
pub(crate) async fn transactions(
    State(app): State<Arc<App>>,
    axum::Extension(call): axum::Extension<ResourceCall>,
    peer: Option<axum::Extension<PeerCertificate>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let (_, user) = consent_for(
        &app,
        &call,
        &headers,
        peer.as_deref(),
        &[
            "ReadTransactionsBasic",
            "ReadTransactionsDetail",
            "ReadTransactionsCredits",
            "ReadTransactionsDebits",
        ],
    )
    .await?;
    let a = account_of(&user, &id)?;
    Ok(ob_response(
        StatusCode::OK,
        json!({"Transaction": bank::transactions_json(&a)}),
        &app.url(uri.path()),
    ))
}
