//! The authorization endpoint and the user's pages: `GET /authorize`
//! (the pushed request: F2-PAR), `POST /authorize/login`, `POST
//! /authorize/consent` (the code and `iss` in the redirect: F2-ISS;
//! F2-AS-INFO: the page names the client and what it asks for).
//!
//! F2-PAR, single use where the decision is made (FAPI 2.0 Security
//! Profile §5.3.2.2, note 3): `GET /authorize` reads the pushed request
//! without spending it, so a reload of the login page or a second tab
//! shows it again (each visit its own transaction), while an expired or
//! spent `request_uri` is refused there. The consent decision spends it,
//! atomically across the nodes (`fapi::Issuer::new_code` on approval,
//! `fapi::Issuer::decline` on denial): one pushed request gives one
//! decision, so one code at most; after it, the `request_uri` is refused.
//!
//! A transaction (its id in a hidden field) holds the consent prompt from
//! `GET /authorize` in the shared stores ([`crate::Stores::transactions`])
//! for ten minutes, so the forms may be posted to any node of the issuer;
//! its CSRF token is bound to it and compared in constant time, as is the
//! password. Each post takes the transaction atomically: a login puts it
//! back, a consent decision does not, so one transaction gives at most one
//! code (F2-CODE-ONCE). A store that fails is the 503 page, never an
//! acceptance.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use fapi::issuer::JarmResponse;
use fapi::store::{HandleKey, handle_key};
use fapi_core::Site;
use fapi_core::authorize::ConsentPrompt;
use fapi_core::profile::ResponseMode;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::app::{App, form};
use crate::authorization::html;
use crate::authorization::transaction::Transaction;
use crate::error::HttpError;
use crate::resource::consent::{self, ConsentKind, ConsentStatus};

pub use crate::authorization::transaction::TRANSACTION_TTL;

use fapi_core::Error as CoreError;

fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn error_page(app: &App, status: StatusCode, message: &str) -> Response {
    let nonce = app.random_id().unwrap_or_default();
    html::page(status, "Error", &html::error(message), &nonce, &[])
}

/// A refusal at the user's pages: an HTML page, never a redirect (the
/// redirect URI is not known to be the client's until the request is).
fn refused(app: &App, e: &HttpError) -> Response {
    let msg = match e.core() {
        Some(c) => format!("{} ({c})", e.oauth_error()),
        None => e.oauth_error().to_owned(),
    };
    let status = if e.status() == StatusCode::SERVICE_UNAVAILABLE {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut page = error_page(app, status, &msg);
    // The request log and the metrics name the refusal as for JSON.
    let _ = page.extensions_mut().insert(e.refused());
    page
}

fn query(uri: &Uri) -> Result<HashMap<String, String>, HttpError> {
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        // RFC 6749 §3.1
        if out.insert(k.clone().into_owned(), v.into_owned()).is_some() {
            return Err(HttpError::bad_request(&format!(
                "parameter {k} given twice"
            )));
        }
    }
    Ok(out)
}

/// `GET /authorize?client_id=..&request_uri=..`: the login page.
pub(crate) async fn start(State(app): State<Arc<App>>, uri: Uri) -> Response {
    match start_inner(&app, &uri).await {
        Ok(r) => r,
        Err(e) => refused(&app, &e),
    }
}

async fn start_inner(app: &App, uri: &Uri) -> Result<Response, HttpError> {
    let q = query(uri)?;
    let client_id = q
        .get("client_id")
        .ok_or_else(|| HttpError::at(CoreError::UnknownClient, Site::AuthorizationRequest))?;
    // F2-PAR (OFB-PAR, CDR-PAR): the pushed request, read; it is spent at
    // the decision (a reload shows it again).
    let prompt = app
        .issuer
        .authorize(client_id, q.get("request_uri").map(String::as_str))
        .await?;
    let txn = app.random_id()?;
    let csrf = Zeroizing::new(app.random_id()?);
    let now = app.now();
    let expires_at = now + TRANSACTION_TTL;
    let stored = Transaction::new(&prompt, &csrf, expires_at)?;
    // A full store is StoreFull, a failed one StoreFailed (503): no page
    // without its transaction stored.
    app.stores
        .transactions
        .insert(handle_key(txn.as_bytes()), stored, expires_at, now)
        .await
        .map_err(|e| HttpError::at(e, Site::AuthorizationRequest))?;
    let page = html::login(prompt.client_name(), &txn, &csrf, None);
    let nonce = app.random_id()?;
    Ok(html::page(StatusCode::OK, "Sign in", &page, &nonce, &[]))
}

/// Takes the live transaction the form names (`txn`), atomically: of
/// concurrent posts on any nodes one gets it. Its CSRF token must be the
/// form's (`csrf`); another puts it back unchanged and refuses.
async fn take_transaction(
    app: &App,
    fields: &HashMap<String, String>,
) -> Result<(HandleKey, Transaction), HttpError> {
    let bad = || HttpError::bad_request("unknown or expired transaction");
    let txn = fields.get("txn").ok_or_else(bad)?;
    let csrf = fields.get("csrf").ok_or_else(bad)?;
    let key = handle_key(txn.as_bytes());
    let t = match app.stores.transactions.take(&key, app.now()).await {
        Ok(t) => t,
        Err(CoreError::TokenInactive) => return Err(bad()),
        Err(e) => return Err(HttpError::at(e, Site::AuthorizationRequest)),
    };
    if let Err(refused) = t.check_csrf(csrf) {
        put_back(app, key, t).await?;
        return Err(refused);
    }
    Ok((key, t))
}

/// Stores a taken transaction again, with its own expiry.
async fn put_back(app: &App, key: HandleKey, t: Transaction) -> Result<(), HttpError> {
    let expires_at = t.expires_at();
    match app
        .stores
        .transactions
        .insert(key, t, expires_at, app.now())
        .await
    {
        Ok(()) => Ok(()),
        // It expired meanwhile: gone, as it would be anyway.
        Err(CoreError::Expired) => Err(HttpError::bad_request("unknown or expired transaction")),
        Err(e) => Err(HttpError::at(e, Site::AuthorizationRequest)),
    }
}

async fn consent_details(app: &App, prompt: &ConsentPrompt) -> Result<String, HttpError> {
    let id = prompt.consent_id();
    if id.is_empty() {
        return Ok(html::detail("Consent", "none: no account or payment data"));
    }
    let c = consent::load(app, id).await?;
    // CDR: or an authorised arrangement of this client, amended.
    let a = crate::authorization::arrangement::authorisation(&app.profile, &c, prompt.client_id())?;
    let mut out = html::detail("Consent", &c.consent_id);
    if a == crate::authorization::arrangement::Authorisation::Amendment {
        out.push_str(&html::detail("Amends", "the arrangement you authorised"));
    }
    match c.kind {
        ConsentKind::AccountAccess => {
            out.push_str(&format!(
                "<dt>Permissions</dt><dd>{}</dd>",
                html::list(&c.permissions)
            ));
            for (name, v) in [
                ("Access until", &c.expiration),
                ("Transactions from", &c.transaction_from),
                ("Transactions to", &c.transaction_to),
            ] {
                if let Some(v) = v {
                    out.push_str(&html::detail(name, v));
                }
            }
        }
        ConsentKind::DomesticPayment => {
            let i = c.initiation_json();
            let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
            out.push_str(&html::detail(
                "Amount",
                &s(&i["InstructedAmount"]["Amount"]),
            ));
            out.push_str(&html::detail(
                "Currency",
                &s(&i["InstructedAmount"]["Currency"]),
            ));
            out.push_str(&html::detail("To", &s(&i["CreditorAccount"]["Name"])));
            out.push_str(&html::detail(
                "Creditor account",
                &s(&i["CreditorAccount"]["Identification"]),
            ));
            out.push_str(&html::detail("Reference", &s(&i["EndToEndIdentification"])));
        }
    }
    Ok(out)
}

/// The origin (`scheme://host[:port]`) of a URL, for the CSP.
fn origin(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    Some(u.origin().ascii_serialization()).filter(|o| o != "null")
}

/// `POST /authorize/login`: the consent page, or the login page again
/// (401) with a message.
pub(crate) async fn login(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match login_inner(&app, &headers, &body).await {
        Ok(r) => r,
        Err(e) => refused(&app, &e),
    }
}

async fn login_inner(app: &App, headers: &HeaderMap, body: &[u8]) -> Result<Response, HttpError> {
    let fields = form(headers, body)?;
    let (key, t) = take_transaction(app, &fields).await?;
    let outcome = sign_in(app, &fields, &t).await;
    // Back in the store: with the user once signed in, unchanged after a
    // wrong password or a refusal.
    let t = match &outcome {
        Ok((_, Some(user))) => t.signed_in(user, app.now()),
        _ => t,
    };
    put_back(app, key, t).await?;
    outcome.map(|(page, _)| page)
}

/// The consent page and the user who signed in, or the login page again
/// (401) and no user.
async fn sign_in(
    app: &App,
    fields: &HashMap<String, String>,
    t: &Transaction,
) -> Result<(Response, Option<String>), HttpError> {
    let txn = fields.get("txn").map_or("", String::as_str);
    let prompt = t.prompt()?;
    let username = fields.get("username").map_or("", String::as_str);
    let password = Zeroizing::new(fields.get("password").cloned().unwrap_or_default());
    // Every user is compared, so the time does not tell which name exists.
    let mut found: Option<&str> = None;
    for u in &app.users {
        let ok = ct_eq(&u.username, username) & ct_eq(&u.password, &password);
        if ok {
            found = Some(&u.username);
        }
    }
    let nonce = app.random_id()?;
    let Some(user) = found else {
        let page = html::login(
            prompt.client_name(),
            txn,
            t.csrf(),
            Some("The username or password is wrong."),
        );
        let page = html::page(StatusCode::UNAUTHORIZED, "Sign in", &page, &nonce, &[]);
        return Ok((page, None));
    };
    let details = consent_details(app, &prompt).await?;
    let redirect = prompt.params().redirect_uri().to_owned();
    let scopes: Vec<String> = prompt
        .scope()
        .split(' ')
        .filter(|s| !s.is_empty() && !s.starts_with("consent:"))
        .map(Into::into)
        .collect();
    let page = html::consent(
        prompt.client_name(),
        prompt.client_id(),
        user,
        &scopes,
        &details,
        txn,
        t.csrf(),
    );
    // The consent form's answer redirects to the client: CSP form-action
    // must allow its origin.
    let to = origin(&redirect).unwrap_or_default();
    let page = html::page(StatusCode::OK, "Allow access?", &page, &nonce, &[&to]);
    Ok((page, Some(user.to_owned())))
}

/// The JARM lifetime (JARM §2.1: short; FAPI 2.0 Message Signing §5.4:
/// at most ten minutes): the code's lifetime would do, five minutes is
/// what the user's browser needs.
const JARM_LIFETIME: u64 = 300;

/// JARM §2.3.1 (`query.jwt`, the default of `jwt` for the code flow): the
/// redirect to `redirect_uri` carrying only `response`, the authorization
/// response signed by the issuer (`iss`, `aud`, `exp`: F2-ISS inside the
/// JWT) and encrypted when the client registered
/// `authorization_encrypted_response_alg` (JARM §2.2; OFB-ALG, CDR-ALG).
fn jarm_redirect(
    app: &App,
    client_id: &str,
    redirect_uri: &str,
    response: &JarmResponse,
) -> Result<String, HttpError> {
    let jwt = app.issuer.jarm(client_id, response, JARM_LIFETIME)?;
    let mut u = url::Url::parse(redirect_uri)
        .map_err(|_| HttpError::at(CoreError::InvalidParameter, Site::AuthorizationRequest))?;
    let _ = u.query_pairs_mut().append_pair("response", &jwt);
    Ok(u.to_string())
}

/// `POST /authorize/consent`: 303 to the client with the code (approve)
/// or `error=access_denied` (deny), `state` and `iss` either way (F2-ISS).
pub(crate) async fn decide(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match decide_inner(&app, &headers, &body).await {
        Ok(r) => r,
        Err(e) => refused(&app, &e),
    }
}

async fn decide_inner(app: &App, headers: &HeaderMap, body: &[u8]) -> Result<Response, HttpError> {
    let fields = form(headers, body)?;
    let (key, t) = take_transaction(app, &fields).await?;
    let decision = fields.get("decision").map(String::as_str);
    let user = match (t.user(), decision) {
        (Some(user), Some("approve" | "deny")) => user.to_owned(),
        (None, _) => {
            put_back(app, key, t).await?;
            return Err(HttpError::bad_request("sign in first"));
        }
        (Some(_), _) => {
            put_back(app, key, t).await?;
            return Err(HttpError::bad_request("decision is approve or deny"));
        }
    };
    // F2-CODE-ONCE: the transaction is taken, so this post alone decides:
    // of concurrent decisions on any nodes one goes on, one code at most.
    // F2-PAR: other transactions of the same pushed request (a reload, a
    // second tab) are refused when the request URI is spent below.
    let prompt = t.prompt()?;
    let consent_id = prompt.consent_id().to_owned();
    let client_id = prompt.client_id().to_owned();
    let now = consent::now_rfc3339();
    let location = if decision == Some("approve") {
        // F2-AS-INFO: the code comes only from the user's approval of
        // what the page showed; F2-ISS: `iss` in the response; F2-PAR: the
        // request URI spent with it, first, so that of two tabs of one
        // pushed request only one goes on. OpenID Connect Core §2: the
        // sign-in time goes with the code to the ID token (`auth_time`).
        let record = match t.auth_time() {
            Some(at) => prompt.approve_at(&user, at),
            None => prompt.approve(&user),
        }
        .map_err(|e| HttpError::at(e, Site::AuthorizationRequest))?;
        let approved = app.issuer.new_code(&record).await?;
        let p = record.params();
        let redirect = if p.response_mode() == ResponseMode::Jwt {
            // JARM §2.3.1: the code and state travel only inside the
            // signed `response`.
            jarm_redirect(app, &client_id, p.redirect_uri(), &approved.jarm())?
        } else {
            approved.redirect
        };
        if !consent_id.is_empty() {
            // A refusal here sends no redirect: the code is never seen and
            // expires (F2-CODE-TTL).
            let subject = user.clone();
            consent::update(app, &consent_id, |c| {
                // CDR: an amendment is approved by the arrangement's user.
                let _ = crate::authorization::arrangement::approve(
                    &app.profile,
                    c,
                    &client_id,
                    &subject,
                )?;
                c.status_updated = now;
                Ok(())
            })
            .await?;
        }
        redirect
    } else {
        // F2-PAR: a denial spends the request URI too (one decision).
        app.issuer.decline(&prompt).await?;
        if !consent_id.is_empty() {
            let subject = user.clone();
            let _ = consent::update(app, &consent_id, |c| {
                if c.status == ConsentStatus::AwaitingAuthorisation && c.client_id == client_id {
                    c.status = ConsentStatus::Rejected;
                    c.subject = Some(subject);
                    c.status_updated = now;
                }
                Ok(())
            })
            .await;
        }
        let record = prompt
            .approve(&user)
            .map_err(|e| HttpError::at(e, Site::AuthorizationRequest))?;
        let p = record.params();
        if p.response_mode() == ResponseMode::Jwt {
            // JARM §2.3.1, §4.2: the error, signed, as the client asked.
            let response = JarmResponse::Error {
                error: "access_denied".into(),
                description: Some("the user denied the request".into()),
                state: Some(p.state().to_owned()).filter(|s| !s.is_empty()),
            };
            jarm_redirect(app, &client_id, p.redirect_uri(), &response)?
        } else {
            let mut u = url::Url::parse(p.redirect_uri()).map_err(|_| {
                HttpError::at(CoreError::InvalidParameter, Site::AuthorizationRequest)
            })?;
            {
                let mut q = u.query_pairs_mut();
                let _ = q.append_pair("error", "access_denied");
                if !p.state().is_empty() {
                    let _ = q.append_pair("state", p.state());
                }
                // F2-ISS
                let _ = q.append_pair("iss", app.issuer.issuer());
            }
            u.to_string()
        }
    };
    let mut r = StatusCode::SEE_OTHER.into_response();
    let h = r.headers_mut();
    let loc = HeaderValue::from_str(&location)
        .map_err(|_| HttpError::at(CoreError::InvalidParameter, Site::AuthorizationRequest))?;
    let _ = h.insert(header::LOCATION, loc);
    let _ = h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}
