//! The state every handler shares, and the checks several endpoints make:
//! the form body (one value per parameter), the resource server's guard.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fapi::resource::{VerifiedClaims, VerifiedRequest};
use fapi::{Issuer, ResourceServer};
use fapi_core::authorize::consent_in_scope;
use fapi_core::profile::{Profile, SenderConstraint};
use fapi_core::{OAuthError, Site};

use crate::config::{ClientConfig, UserConfig};
use crate::error::HttpError;
use crate::resource::consent::{Consent, ConsentKind, ConsentStatus};
use crate::storage::stores::Stores;
use crate::tls::PeerCertificate;

use fapi_core::Error as CoreError;

/// The server's shared state.
pub(crate) struct App {
    pub profile: Profile,
    pub issuer: Issuer,
    /// The algorithm of the issuer's signing key (tokens, ID tokens).
    pub signing_alg: fapi_core::Alg,
    pub rs: ResourceServer,
    /// The issuer URL, without a trailing slash.
    pub base: String,
    pub clients: HashMap<String, ClientConfig>,
    pub users: Vec<UserConfig>,
    pub stores: Stores,
    /// Whether tokens are DPoP-bound (else certificate-bound).
    pub dpop: bool,
    pub rng: aws_lc_rs::rand::SystemRandom,
    /// The counters and histogram served at `/metrics`.
    pub metrics: Arc<crate::ops::metrics::Metrics>,
}

impl App {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn now(&self) -> u64 {
        self.rs.now()
    }

    /// A random URL-safe identifier of 128 bits.
    pub fn random_id(&self) -> Result<String, HttpError> {
        use aws_lc_rs::rand::SecureRandom;
        let mut raw = [0u8; 16];
        self.rng
            .fill(&mut raw)
            .map_err(|_| HttpError::at(CoreError::RandomFailed, Site::TokenRequest))?;
        let mut out = [0u8; 22];
        fapi_core::b64::encode(&raw, &mut out)
            .map(str::to_owned)
            .map_err(|e| HttpError::at(e, Site::TokenRequest))
    }

    /// The registered client `client_id`.
    pub fn client(&self, client_id: &str, site: Site) -> Result<&ClientConfig, HttpError> {
        self.clients
            .get(client_id)
            .ok_or_else(|| HttpError::at(CoreError::UnknownClient, site))
    }

    /// The resource server's one-call guard (`fapi::ResourceServer`): the
    /// `Authorization` header and DPoP proof or client certificate
    /// (F2-SENDER, OB-SENDER, CDR-HOK), the token (RFC 9068), `scope`, and
    /// under `berlin` and `fapi2-ms` the request's signature made with a
    /// key of the token's client and its `Content-Digest` over the body
    /// (BG-SIGNED-REQ, FAPI 2.0 HTTP Signatures). The verified request is
    /// kept in `call`, so [`resource_call`] signs the response for it.
    pub async fn guard(
        &self,
        call: &ResourceCall,
        headers: &HeaderMap,
        peer: Option<&PeerCertificate>,
        scope: &str,
    ) -> Result<VerifiedClaims, HttpError> {
        let verified = self
            .rs
            .verify_message(
                &call.method,
                &call.target,
                headers,
                &call.body,
                peer.map(|p| &*p.der),
                Some(scope),
            )
            .await
            .map_err(HttpError::from)?;
        let claims = verified.claims().clone();
        crate::ops::request_log::note_client(&claims.client_id);
        *call
            .verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(verified);
        Ok(claims)
    }

    /// The consent behind a user token, authorised by that user for that
    /// client, of `kind` (CDR-CODE-FLOW, BG-CODE-FLOW and every profile: a
    /// token without a user-approved consent never reads account or
    /// payment data; a client credentials token carries none).
    pub async fn user_consent(
        &self,
        claims: &VerifiedClaims,
        kind: ConsentKind,
    ) -> Result<Consent, HttpError> {
        let refuse = |e: CoreError| HttpError::at(e, Site::ResourceRequest);
        // CDR-CODE-FLOW, BG-CODE-FLOW: no consent, no user data.
        let id = claims
            .consent_id
            .as_deref()
            .or_else(|| claims.scope.as_deref().and_then(consent_in_scope))
            .ok_or_else(|| refuse(CoreError::InsufficientScope))?;
        let c = crate::resource::consent::load(self, id).await?;
        if c.kind != kind || c.client_id != claims.client_id {
            return Err(refuse(CoreError::InsufficientScope));
        }
        if c.subject.as_deref() != Some(claims.subject.as_str()) {
            return Err(refuse(CoreError::WrongSubject));
        }
        if c.status != ConsentStatus::Authorised && c.status != ConsentStatus::Consumed {
            return Err(HttpError::oauth(
                axum::http::StatusCode::FORBIDDEN,
                OAuthError::InsufficientScope,
                "the consent is not authorised",
            ));
        }
        Ok(c)
    }
}

/// How tokens are bound under `profile`: DPoP where the profile allows it,
/// else the client certificate (F2-SENDER, OB-SENDER, CDR-HOK).
pub(crate) fn binds_with_dpop(profile: &Profile) -> bool {
    profile.sender.contains(&SenderConstraint::Dpop)
}

/// Parses an `application/x-www-form-urlencoded` body: a parameter given
/// twice is refused (RFC 6749 §3.1), as is another content type.
pub(crate) fn form(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, HttpError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(HttpError::bad_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    if core::str::from_utf8(body).is_err() {
        return Err(HttpError::bad_request("the body is not UTF-8"));
    }
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        // RFC 6749 §3.1: parameters must not be included more than once.
        if out.insert(k.clone().into_owned(), v.into_owned()).is_some() {
            return Err(HttpError::bad_request(&format!(
                "parameter {k} given twice"
            )));
        }
    }
    Ok(out)
}

/// One header's value, absent or once (twice is a bad request).
pub(crate) fn single_header<'h>(
    headers: &'h HeaderMap,
    name: &str,
) -> Result<Option<&'h str>, HttpError> {
    let mut all = headers.get_all(name).iter();
    let Some(first) = all.next() else {
        return Ok(None);
    };
    if all.next().is_some() {
        return Err(HttpError::bad_request(&format!(
            "header {name} given twice"
        )));
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| HttpError::bad_request(&format!("header {name} is not ASCII")))
}

/// A resource request as [`resource_call`] read it: its method, target
/// (path and query), whole body, and the slot where [`App::guard`] puts
/// the verified request.
#[derive(Clone)]
pub(crate) struct ResourceCall {
    method: String,
    target: String,
    body: Bytes,
    verified: Arc<Mutex<Option<VerifiedRequest>>>,
}

/// The middleware of every resource route: reads the body (at most
/// [`crate::server::MAX_BODY`]) for [`App::guard`], and where the profile
/// requires signed messages (`berlin`, `fapi2-ms`) signs the response to a
/// request the guard verified (FAPI 2.0 HTTP Signatures: `Content-Digest`,
/// `Signature-Input`, `Signature`, with the server's signing key, the one
/// published at `jwks_uri`).
pub(crate) async fn resource_call(
    State(app): State<Arc<App>>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, crate::server::MAX_BODY).await else {
        return HttpError::at(CoreError::TooLarge, Site::ResourceRequest)
            .with_status(StatusCode::PAYLOAD_TOO_LARGE)
            .into_response();
    };
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let verified = Arc::new(Mutex::new(None));
    let _ = parts.extensions.insert(ResourceCall {
        method: parts.method.as_str().to_owned(),
        target,
        body: body.clone(),
        verified: Arc::clone(&verified),
    });
    let response = next
        .run(Request::from_parts(parts, axum::body::Body::from(body)))
        .await;
    let verified = verified
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    match verified {
        Some(v) if app.profile.signed_messages_required => sign_response(&app, &v, response).await,
        _ => response,
    }
}

async fn sign_response(app: &App, request: &VerifiedRequest, response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return HttpError::at(CoreError::SigningFailed, Site::ResourceRequest).into_response();
    };
    match app
        .rs
        .sign_response(request, parts.status.as_u16(), &mut parts.headers, &body)
    {
        Ok(()) => Response::from_parts(parts, axum::body::Body::from(body)),
        Err(e) => HttpError::from(e).into_response(),
    }
}
