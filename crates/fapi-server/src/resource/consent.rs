//! Consents (UK Open Banking v3.1 account-access and domestic-payment
//! consents): created by the client with a client credentials token,
//! authorised by the user on the consent page, read back by the client.
//!
//! A consent lives in [`crate::Stores::consents`] under the key of
//! `consent:<ConsentId>`; its changes are a take then an insert, so of two
//! concurrent changes one wins (a payment consent pays once).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use fapi::store::handle_key;
use fapi_core::Site;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::app::{App, ResourceCall};
use crate::error::HttpError;
use crate::tls::PeerCertificate;

use fapi_core::Error as CoreError;

/// Which kind of consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsentKind {
    /// An account-access consent (AISP), scope `accounts`.
    AccountAccess,
    /// A domestic-payment consent (PISP), scope `payments`.
    DomesticPayment,
}

impl ConsentKind {
    /// The scope that creates and uses it.
    #[must_use]
    pub const fn scope(self) -> &'static str {
        match self {
            Self::AccountAccess => "accounts",
            Self::DomesticPayment => "payments",
        }
    }
}

/// Where a consent is in its life (the OB `Status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsentStatus {
    /// Created, not yet approved by the user.
    AwaitingAuthorisation,
    /// Approved by the user.
    Authorised,
    /// Denied by the user.
    Rejected,
    /// A payment was made under it (payment consents pay once).
    Consumed,
}

impl ConsentStatus {
    /// The OB status string.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingAuthorisation => "AwaitingAuthorisation",
            Self::Authorised => "Authorised",
            Self::Rejected => "Rejected",
            Self::Consumed => "Consumed",
        }
    }
}

/// A consent, as stored.
///
/// ```
/// use fapi_server::consent::{Consent, ConsentKind, ConsentStatus};
/// let c = Consent::new_account_access("aac-1", "fintech-1", vec!["ReadBalances".into()], "2026-01-01T00:00:00Z");
/// assert_eq!(c.status, ConsentStatus::AwaitingAuthorisation);
/// assert_eq!(c.kind, ConsentKind::AccountAccess);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// `ConsentId`.
    pub consent_id: String,
    /// Its kind.
    pub kind: ConsentKind,
    /// The client that created it.
    pub client_id: String,
    /// Its status.
    pub status: ConsentStatus,
    /// The user who authorised (or rejected) it.
    pub subject: Option<String>,
    /// `CreationDateTime`.
    pub created: String,
    /// `StatusUpdateDateTime`.
    pub status_updated: String,
    /// Account access: `Permissions`.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Account access: `ExpirationDateTime`.
    #[serde(default)]
    pub expiration: Option<String>,
    /// Account access: `TransactionFromDateTime`.
    #[serde(default)]
    pub transaction_from: Option<String>,
    /// Account access: `TransactionToDateTime`.
    #[serde(default)]
    pub transaction_to: Option<String>,
    /// Payment: the `Initiation` object, as the client sent it (JSON).
    #[serde(default)]
    pub initiation: Option<String>,
    /// Payment: the `DomesticPaymentId` made under it.
    #[serde(default)]
    pub payment_id: Option<String>,
    /// CDR sharing arrangement: the store keys (SHA-256) of the refresh
    /// tokens of its latest authorisation, revoked when an amendment
    /// succeeds.
    #[serde(default)]
    pub refresh_tokens: Vec<fapi::store::HandleKey>,
    /// CDR sharing arrangement: the grants (`fapi_core::grant::GrantId`,
    /// as written) of its latest authorisation, revoked with their access
    /// and refresh tokens when an amendment succeeds.
    #[serde(default)]
    pub grants: Vec<String>,
}

impl Consent {
    /// A new account-access consent awaiting authorisation.
    #[must_use]
    pub fn new_account_access(
        id: &str,
        client_id: &str,
        permissions: Vec<String>,
        now: &str,
    ) -> Self {
        Self {
            consent_id: id.into(),
            kind: ConsentKind::AccountAccess,
            client_id: client_id.into(),
            status: ConsentStatus::AwaitingAuthorisation,
            subject: None,
            created: now.into(),
            status_updated: now.into(),
            permissions,
            expiration: None,
            transaction_from: None,
            transaction_to: None,
            initiation: None,
            payment_id: None,
            refresh_tokens: Vec::new(),
            grants: Vec::new(),
        }
    }

    /// The payment's initiation, parsed.
    #[must_use]
    pub fn initiation_json(&self) -> Value {
        self.initiation
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(Value::Null)
    }

    /// Whether it grants `permission` (account access).
    #[must_use]
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    fn data(&self) -> Value {
        let mut d = json!({
            "ConsentId": self.consent_id,
            "Status": self.status.as_str(),
            "CreationDateTime": self.created,
            "StatusUpdateDateTime": self.status_updated,
        });
        if let Some(o) = d.as_object_mut() {
            match self.kind {
                ConsentKind::AccountAccess => {
                    let _ = o.insert("Permissions".into(), json!(self.permissions));
                    for (k, v) in [
                        ("ExpirationDateTime", &self.expiration),
                        ("TransactionFromDateTime", &self.transaction_from),
                        ("TransactionToDateTime", &self.transaction_to),
                    ] {
                        if let Some(v) = v {
                            let _ = o.insert(k.into(), json!(v));
                        }
                    }
                }
                ConsentKind::DomesticPayment => {
                    let _ = o.insert("Initiation".into(), self.initiation_json());
                }
            }
        }
        d
    }
}

/// How long a consent record is kept (seconds): 90 days.
pub const CONSENT_TTL: u64 = 90 * 24 * 3600;

/// The OB permissions this bank knows.
pub const PERMISSIONS: &[&str] = &[
    "ReadAccountsBasic",
    "ReadAccountsDetail",
    "ReadBalances",
    "ReadTransactionsBasic",
    "ReadTransactionsDetail",
    "ReadTransactionsCredits",
    "ReadTransactionsDebits",
];

pub(crate) fn key(id: &str) -> fapi::store::HandleKey {
    handle_key(format!("consent:{id}").as_bytes())
}

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn store_err(e: CoreError) -> HttpError {
    HttpError::at(e, Site::ResourceRequest)
}

/// The consent `id`: an unknown one is `400 invalid_request`.
pub(crate) async fn load(app: &App, id: &str) -> Result<Consent, HttpError> {
    match app.stores.consents.get(&key(id), app.now()).await {
        Ok(c) => Ok(c),
        Err(CoreError::TokenInactive) => Err(HttpError::bad_request("unknown consent")),
        Err(e) => Err(store_err(e)),
    }
}

/// Changes the consent `id` with `f`: taken from the store, changed, put
/// back (a refusal by `f` puts it back unchanged).
pub(crate) async fn update<T>(
    app: &App,
    id: &str,
    f: impl FnOnce(&mut Consent) -> Result<T, HttpError>,
) -> Result<T, HttpError> {
    let now = app.now();
    let mut c = match app.stores.consents.take(&key(id), now).await {
        Ok(c) => c,
        Err(CoreError::TokenInactive) => return Err(HttpError::bad_request("unknown consent")),
        Err(e) => return Err(store_err(e)),
    };
    let before = c.clone();
    let result = f(&mut c);
    let keep = if result.is_ok() { c } else { before };
    app.stores
        .consents
        .insert(key(id), keep, now + CONSENT_TTL, now)
        .await
        .map_err(store_err)?;
    result
}

pub(crate) fn ob_response(status: StatusCode, data: Value, self_url: &str) -> Response {
    let body = json!({"Data": data, "Links": {"Self": self_url}, "Meta": {}});
    (status, [("cache-control", "no-store")], Json(body)).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccountAccessRequest {
    data: AccountAccessData,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "OB requires the member; the bank reads no risk data"
    )]
    risk: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccountAccessData {
    permissions: Vec<String>,
    expiration_date_time: Option<String>,
    transaction_from_date_time: Option<String>,
    transaction_to_date_time: Option<String>,
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, HttpError> {
    let ct = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") {
        return Err(HttpError::bad_request("the body must be application/json"));
    }
    serde_json::from_slice(body).map_err(|e| HttpError::bad_request(&format!("bad JSON: {e}")))
}

fn check_date(v: Option<&String>, name: &str) -> Result<(), HttpError> {
    if let Some(v) = v {
        let _ = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
            .map_err(|_| HttpError::bad_request(&format!("{name} is not an RFC 3339 date")))?;
    }
    Ok(())
}

async fn create_for_client(
    app: &App,
    call: &ResourceCall,
    headers: &HeaderMap,
    peer: Option<&PeerCertificate>,
    kind: ConsentKind,
) -> Result<String, HttpError> {
    let claims = app.guard(call, headers, peer, kind.scope()).await?;
    // A consent is created by the client for itself (client credentials).
    if claims.subject != claims.client_id {
        return Err(HttpError::at(
            CoreError::WrongSubject,
            Site::ResourceRequest,
        ));
    }
    Ok(claims.client_id)
}

const AAC: &str = "/open-banking/v3.1/aisp/account-access-consents";

/// `POST /open-banking/v3.1/aisp/account-access-consents`.
pub(crate) async fn create_account_access(
    State(app): State<Arc<App>>,
    axum::Extension(call): axum::Extension<ResourceCall>,
    peer: Option<axum::Extension<PeerCertificate>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let client_id = create_for_client(
        &app,
        &call,
        &headers,
        peer.as_deref(),
        ConsentKind::AccountAccess,
    )
    .await?;
    let req: AccountAccessRequest = parse_json(&headers, &body)?;
    let d = req.data;
    if d.permissions.is_empty() {
        return Err(HttpError::bad_request("Permissions is empty"));
    }
    if let Some(p) = d
        .permissions
        .iter()
        .find(|p| !PERMISSIONS.contains(&p.as_str()))
    {
        return Err(HttpError::bad_request(&format!("unknown permission {p}")));
    }
    check_date(d.expiration_date_time.as_ref(), "ExpirationDateTime")?;
    check_date(
        d.transaction_from_date_time.as_ref(),
        "TransactionFromDateTime",
    )?;
    check_date(d.transaction_to_date_time.as_ref(), "TransactionToDateTime")?;
    let id = format!("aac-{}", app.random_id()?);
    let now = now_rfc3339();
    let mut c = Consent::new_account_access(&id, &client_id, d.permissions, &now);
    c.expiration = d.expiration_date_time;
    c.transaction_from = d.transaction_from_date_time;
    c.transaction_to = d.transaction_to_date_time;
    let t = app.now();
    app.stores
        .consents
        .insert(key(&id), c.clone(), t + CONSENT_TTL, t)
        .await
        .map_err(store_err)?;
    Ok(ob_response(
        StatusCode::CREATED,
        c.data(),
        &app.url(&format!("{AAC}/{id}")),
    ))
}

/// `GET .../account-access-consents/{ConsentId}` and
/// `GET .../domestic-payment-consents/{ConsentId}`: the client's own
/// consent (client credentials token).
pub(crate) async fn get_consent(
    app: &App,
    call: &ResourceCall,
    headers: &HeaderMap,
    peer: Option<&PeerCertificate>,
    path: &str,
    kind: ConsentKind,
    id: &str,
) -> Result<Response, HttpError> {
    let claims = app.guard(call, headers, peer, kind.scope()).await?;
    let c = load(app, id).await?;
    if c.client_id != claims.client_id || c.kind != kind {
        return Err(HttpError::bad_request("unknown consent"));
    }
    Ok(ob_response(StatusCode::OK, c.data(), &app.url(path)))
}

/// `GET .../account-access-consents/{ConsentId}`.
pub(crate) async fn get_account_access(
    State(app): State<Arc<App>>,
    axum::Extension(call): axum::Extension<ResourceCall>,
    peer: Option<axum::Extension<PeerCertificate>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let path = format!("{AAC}/{id}");
    get_consent(
        &app,
        &call,
        &headers,
        peer.as_deref(),
        &path,
        ConsentKind::AccountAccess,
        &id,
    )
    .await
}
