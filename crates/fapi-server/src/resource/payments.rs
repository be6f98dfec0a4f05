//! The payment initiation API (UK Open Banking v3.1 PISP): domestic
//! payment consents (client credentials, `x-idempotency-key`), funds
//! confirmation and the payment itself (a user token under the
//! `Authorised` consent, which pays once).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use fapi::store::handle_key;
use fapi_core::{OAuthError, Site};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::{App, ResourceCall, single_header};
use crate::error::HttpError;
use crate::resource::consent::{
    self, CONSENT_TTL, Consent, ConsentKind, ConsentStatus, now_rfc3339, ob_response, parse_json,
};
use crate::tls::PeerCertificate;

use fapi_core::Error as CoreError;

const PDC: &str = "/open-banking/v3.1/pisp/domestic-payment-consents";
const PAYMENTS: &str = "/open-banking/v3.1/pisp/domestic-payments";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConsentRequest {
    data: ConsentData,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConsentData {
    initiation: Initiation,
}

#[derive(Deserialize, serde::Serialize, Clone, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
struct Initiation {
    instruction_identification: String,
    end_to_end_identification: String,
    instructed_amount: Amount,
    creditor_account: CreditorAccount,
}

#[derive(Deserialize, serde::Serialize, Clone, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
struct Amount {
    amount: String,
    currency: String,
}

#[derive(Deserialize, serde::Serialize, Clone, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
struct CreditorAccount {
    scheme_name: String,
    identification: String,
    name: String,
}

/// The amount in minor units, from an OB amount string (`"10.00"`).
fn minor_units(amount: &str) -> Result<u64, HttpError> {
    let bad = || HttpError::bad_request("InstructedAmount.Amount is not a positive amount");
    let (whole, frac) = amount.split_once('.').unwrap_or((amount, "00"));
    if whole.is_empty()
        || whole.len() > 13
        || frac.len() > 5
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let frac2: String = frac.chars().chain("00".chars()).take(2).collect();
    let v = whole
        .parse::<u64>()
        .ok()
        .and_then(|w| w.checked_mul(100))
        .and_then(|w| frac2.parse::<u64>().ok().and_then(|f| w.checked_add(f)))
        .ok_or_else(bad)?;
    if v == 0 { Err(bad()) } else { Ok(v) }
}

fn check_initiation(i: &Initiation) -> Result<(), HttpError> {
    let _ = minor_units(&i.instructed_amount.amount)?;
    let c = &i.instructed_amount.currency;
    if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(HttpError::bad_request(
            "InstructedAmount.Currency is not ISO 4217",
        ));
    }
    for (name, v) in [
        ("InstructionIdentification", &i.instruction_identification),
        ("EndToEndIdentification", &i.end_to_end_identification),
        (
            "CreditorAccount.Identification",
            &i.creditor_account.identification,
        ),
        ("CreditorAccount.Name", &i.creditor_account.name),
        (
            "CreditorAccount.SchemeName",
            &i.creditor_account.scheme_name,
        ),
    ] {
        if v.trim().is_empty() || v.len() > 256 {
            return Err(HttpError::bad_request(&format!(
                "{name} is empty or too long"
            )));
        }
    }
    Ok(())
}

fn store_err(e: CoreError) -> HttpError {
    HttpError::at(e, Site::ResourceRequest)
}

/// `POST /open-banking/v3.1/pisp/domestic-payment-consents`.
pub(crate) async fn create_consent(
    State(app): State<Arc<App>>,
    axum::Extension(call): axum::Extension<ResourceCall>,
    peer: Option<axum::Extension<PeerCertificate>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let claims = app
        .guard(&call, &headers, peer.as_deref(), "payments")
        .await?;
    if claims.subject != claims.client_id {
        return Err(HttpError::at(
            CoreError::WrongSubject,
            Site::ResourceRequest,
        ));
    }
    let idem = single_header(&headers, "x-idempotency-key")?
        .filter(|k| !k.trim().is_empty() && k.len() <= 40)
        .ok_or_else(|| {
            HttpError::bad_request("x-idempotency-key is required (1 to 40 characters)")
        })?
        .to_owned();
    let req: ConsentRequest = parse_json(&headers, &body)?;
    let init = req.data.initiation;
    check_initiation(&init)?;
    let init_json = serde_json::to_string(&init)
        .map_err(|_| HttpError::at(CoreError::Json, Site::ResourceRequest))?;
    let id = format!("pdc-{}", app.random_id()?);
    let now = now_rfc3339();
    let mut c = Consent::new_account_access(&id, &claims.client_id, Vec::new(), &now);
    c.kind = ConsentKind::DomesticPayment;
    c.initiation = Some(init_json);
    let t = app.now();
    // The idempotency key, per client: the same key again answers with the
    // consent it made (the same initiation) or is refused (another one).
    let idem_key = handle_key(format!("idem:{}:{idem}", claims.client_id).as_bytes());
    match app
        .stores
        .consents
        .insert(idem_key, c.clone(), t + 24 * 3600, t)
        .await
    {
        Ok(()) => {}
        Err(CoreError::Replay) => {
            let first = app
                .stores
                .consents
                .get(&idem_key, t)
                .await
                .map_err(store_err)?;
            if first.initiation != c.initiation {
                return Err(HttpError::bad_request(
                    "x-idempotency-key was used for another payment",
                ));
            }
            let current = consent::load(&app, &first.consent_id).await?;
            return Ok(ob_response(
                StatusCode::CREATED,
                payment_consent_data(&current),
                &app.url(&format!("{PDC}/{}", current.consent_id)),
            ));
        }
        Err(e) => return Err(store_err(e)),
    }
    app.stores
        .consents
        .insert(consent::key(&id), c.clone(), t + CONSENT_TTL, t)
        .await
        .map_err(store_err)?;
    Ok(ob_response(
        StatusCode::CREATED,
        payment_consent_data(&c),
        &app.url(&format!("{PDC}/{id}")),
    ))
}

fn payment_consent_data(c: &Consent) -> Value {
    json!({
        "ConsentId": c.consent_id,
        "Status": c.status.as_str(),
        "CreationDateTime": c.created,
        "StatusUpdateDateTime": c.status_updated,
        "Initiation": c.initiation_json(),
    })
}

/// `GET .../domestic-payment-consents/{ConsentId}`.
pub(crate) async fn get_consent(
    State(app): State<Arc<App>>,
    axum::Extension(call): axum::Extension<ResourceCall>,
    peer: Option<axum::Extension<PeerCertificate>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    consent::get_consent(
        &app,
        &call,
        &headers,
        peer.as_deref(),
        uri.path(),
        ConsentKind::DomesticPayment,
        &id,
    )
    .await
}

/// `GET .../domestic-payment-consents/{ConsentId}/funds-confirmation`
/// (a user token under that consent).
pub(crate) async fn funds_confirmation(
    State(app): State<Arc<App>>,
    axum::Extension(call): axum::Extension<ResourceCall>,
    peer: Option<axum::Extension<PeerCertificate>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let claims = app
        .guard(&call, &headers, peer.as_deref(), "payments")
        .await?;
    let c = app
        .user_consent(&claims, ConsentKind::DomesticPayment)
        .await?;
    if c.consent_id != id {
        return Err(HttpError::oauth(
            StatusCode::FORBIDDEN,
            OAuthError::InsufficientScope,
            "the token is for another consent",
        ));
    }
    let amount = c
        .initiation
        .as_deref()
        .and_then(|s| serde_json::from_str::<Initiation>(s).ok())
        .map(|i| minor_units(&i.instructed_amount.amount))
        .transpose()?
        .unwrap_or(0);
    let user = c.subject.clone().unwrap_or_default();
    let available = crate::resource::bank::accounts(&user)
        .first()
        .map_or(0, |a| a.balance_minor);
    Ok(ob_response(
        StatusCode::OK,
        json!({
            "FundsAvailableResult": {
                "FundsAvailableDateTime": now_rfc3339(),
                "FundsAvailable": amount <= available,
            }
        }),
        &app.url(uri.path()),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PaymentRequest {
    data: PaymentData,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PaymentData {
    consent_id: String,
    initiation: Initiation,
}

fn payment_key(id: &str) -> fapi::store::HandleKey {
    handle_key(format!("payment:{id}").as_bytes())
}

fn payment_data(c: &Consent) -> Value {
    json!({
        "DomesticPaymentId": c.payment_id,
        "ConsentId": c.consent_id,
        "Status": "AcceptedSettlementCompleted",
        "CreationDateTime": c.status_updated,
        "StatusUpdateDateTime": c.status_updated,
        "Initiation": c.initiation_json(),
    })
}

/// `POST /open-banking/v3.1/pisp/domestic-payments`: the payment of the
/// token's `Authorised` consent, once (the consent becomes `Consumed`).
pub(crate) async fn create_payment(
    State(app): State<Arc<App>>,
    axum::Extension(call): axum::Extension<ResourceCall>,
    peer: Option<axum::Extension<PeerCertificate>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let claims = app
        .guard(&call, &headers, peer.as_deref(), "payments")
        .await?;
    let c = app
        .user_consent(&claims, ConsentKind::DomesticPayment)
        .await?;
    let req: PaymentRequest = parse_json(&headers, &body)?;
    if req.data.consent_id != c.consent_id {
        return Err(HttpError::bad_request(
            "ConsentId is not the token's consent",
        ));
    }
    let init = serde_json::to_string(&req.data.initiation)
        .map_err(|_| HttpError::at(CoreError::Json, Site::ResourceRequest))?;
    if Some(init) != c.initiation {
        return Err(HttpError::bad_request(
            "Initiation differs from the consent's",
        ));
    }
    let payment_id = format!("dp-{}", app.random_id()?);
    let now = now_rfc3339();
    // A payment consent pays once: the status changes under the store's
    // atomic take.
    let paid = consent::update(&app, &c.consent_id, |c| {
        if c.status != ConsentStatus::Authorised {
            return Err(HttpError::oauth(
                StatusCode::FORBIDDEN,
                OAuthError::InsufficientScope,
                "the consent is not Authorised (a payment consent pays once)",
            ));
        }
        c.status = ConsentStatus::Consumed;
        c.status_updated.clone_from(&now);
        c.payment_id = Some(payment_id.clone());
        Ok(c.clone())
    })
    .await?;
    let t = app.now();
    app.stores
        .consents
        .insert(payment_key(&payment_id), paid.clone(), t + CONSENT_TTL, t)
        .await
        .map_err(store_err)?;
    Ok(ob_response(
        StatusCode::CREATED,
        payment_data(&paid),
        &app.url(&format!("{PAYMENTS}/{payment_id}")),
    ))
}

/// `GET /open-banking/v3.1/pisp/domestic-payments/{DomesticPaymentId}`:
/// the payment, for a token of its consent (user token) or its client
/// (client credentials).
pub(crate) async fn get_payment(
    State(app): State<Arc<App>>,
    axum::Extension(call): axum::Extension<ResourceCall>,
    peer: Option<axum::Extension<PeerCertificate>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let claims = app
        .guard(&call, &headers, peer.as_deref(), "payments")
        .await?;
    let p = match app.stores.consents.get(&payment_key(&id), app.now()).await {
        Ok(p) => p,
        Err(CoreError::TokenInactive) => return Err(HttpError::bad_request("unknown payment")),
        Err(e) => return Err(store_err(e)),
    };
    if p.client_id != claims.client_id {
        return Err(HttpError::bad_request("unknown payment"));
    }
    let mine = claims.subject == claims.client_id
        || app
            .user_consent(&claims, ConsentKind::DomesticPayment)
            .await
            .is_ok_and(|c| c.consent_id == p.consent_id);
    if !mine {
        return Err(HttpError::oauth(
            StatusCode::FORBIDDEN,
            OAuthError::InsufficientScope,
            "the token is for another consent",
        ));
    }
    Ok(ob_response(
        StatusCode::OK,
        payment_data(&p),
        &app.url(uri.path()),
    ))
}

#[cfg(test)]
mod tests {
    use super::minor_units;

    #[test]
    fn amounts_parse_to_minor_units() {
        assert_eq!(minor_units("10.00").unwrap(), 1000);
        assert_eq!(minor_units("10.5").unwrap(), 1050);
        assert_eq!(minor_units("7").unwrap(), 700);
        for bad in ["", "-1", "0.00", "1e3", "abc", ".5", "99999999999999999999"] {
            assert!(minor_units(bad).is_err(), "{bad}");
        }
    }
}
