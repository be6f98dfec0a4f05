//! The bank's resource server, in memory: consents, the accounts API,
//! funds confirmation and payment orders. Every call is a verified
//! resource request: the DPoP proof (with `ath`) or the client certificate,
//! then the access token (RFC 9068) and its sender constraint.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fapi_core::crypto::KeyVerifier;
use fapi_core::dpop::{self, DpopConfig, DpopRequest};
use fapi_core::jwk::Jwks;
use fapi_core::request_object;
use fapi_core::secret::Redacted;
use fapi_core::store::FixedReplayCache;
use fapi_core::token::{self, Expectations, Presented};
use fapi_core::{Error, PublicKey, Random, Site, SystemClock};
use fapi_rustcrypto::RUSTCRYPTO;

use fapi_core::authorize::consent_in_scope;

use crate::authorization_server::JTIS;
use crate::directory::{Consent, ConsentKind, ConsentStatus, Directory};
use crate::keys::OsRandom;
use crate::refusal::{At, Refusal};

/// A resource request as it arrives. `Debug` never shows the access token,
/// the DPoP proof or the signature.
#[derive(Clone, Default)]
pub struct ResourceRequest {
    /// The HTTP method.
    pub method: String,
    /// The path under the server's base URL.
    pub path: String,
    /// The access token (`Authorization: DPoP ...` or `Bearer ...`).
    pub access_token: String,
    /// The `DPoP` header.
    pub dpop: Option<String>,
    /// The DER client certificate of the TLS connection.
    pub client_cert: Option<Vec<u8>>,
    /// The body.
    pub body: Vec<u8>,
    /// The client's signature over the body (BG-SIGNED-REQ), a JWS with a
    /// detached or attached payload.
    pub signature: Option<String>,
}

impl core::fmt::Debug for ResourceRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ResourceRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("access_token", &Redacted)
            .field("dpop", &Redacted::option(self.dpop.as_ref()))
            .field("client_cert", &self.client_cert.as_ref().map(Vec::len))
            .field("body_len", &self.body.len())
            .field("signature", &Redacted::option(self.signature.as_ref()))
            .finish()
    }
}

/// What a verified access token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorized {
    /// `client_id`.
    pub client_id: String,
    /// `sub`.
    pub subject: String,
    /// The consent id the token carries (claim or `consent:` scope).
    pub consent_id: Option<String>,
}

/// A submitted payment order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentOrder {
    /// The consent it was made under.
    pub consent_id: String,
    /// The client that submitted it.
    pub client_id: String,
    /// `AcceptedSettlementInProcess`, then `AcceptedSettlementCompleted`.
    pub status: &'static str,
}

/// The bank's resource server.
pub struct ResourceServer {
    profile: fapi_core::profile::Profile,
    issuer: String,
    audience: String,
    as_key: PublicKey,
    directory: Arc<Directory>,
    dpop_jtis: FixedReplayCache<JTIS>,
    payments: Mutex<HashMap<String, PaymentOrder>>,
}

impl core::fmt::Debug for ResourceServer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ResourceServer")
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

fn random_id(prefix: &str) -> Result<String, Error> {
    let mut raw = [0u8; 16];
    OsRandom.fill(&mut raw)?;
    let mut s = String::from(prefix);
    for b in raw {
        s.push_str(&format!("{b:02x}"));
    }
    Ok(s)
}

impl ResourceServer {
    /// A resource server at `audience` (its base URL) trusting tokens of
    /// `issuer` signed by `as_key`.
    #[must_use]
    pub fn new(
        profile: fapi_core::profile::Profile,
        issuer: &str,
        audience: &str,
        as_key: PublicKey,
        directory: Arc<Directory>,
    ) -> Self {
        Self {
            profile,
            issuer: issuer.into(),
            audience: audience.into(),
            as_key,
            directory,
            dpop_jtis: FixedReplayCache::new(),
            payments: Mutex::new(HashMap::new()),
        }
    }

    /// The base URL (and `aud` of its tokens).
    #[must_use]
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The absolute URL of `path`.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.audience, path)
    }

    /// Verifies a resource request needing `scope`: the DPoP proof first
    /// (`htm`, `htu`, `ath`, `jti` once; F2-SENDER), then the token with the
    /// proof, verified for this token and this request, or the client
    /// certificate (F2-SENDER, OB-SENDER, CDR-HOK), then the scope.
    pub fn verify(&self, req: &ResourceRequest, scope: &str) -> Result<Authorized, Refusal> {
        let uri = self.url(&req.path);
        let request = DpopRequest {
            method: &req.method,
            uri: &uri,
            nonce_binding: None,
        };
        let proof = match req.dpop.as_deref() {
            Some(p) => Some(
                dpop::verify_resource_proof(
                    p.as_bytes(),
                    &request,
                    &req.access_token,
                    &DpopConfig::new(&self.profile),
                    &RUSTCRYPTO,
                    &SystemClock,
                    &self.dpop_jtis,
                )
                .at(Site::DpopProof)?,
            ),
            None => None,
        };
        let site = Site::ResourceRequest;
        let key = KeyVerifier::new(&RUSTCRYPTO, self.as_key.clone());
        let expect = Expectations::new(&self.issuer, &self.audience);
        let presented = match proof.as_ref() {
            Some(p) => Presented::dpop(p, &request),
            None => Presented::default(),
        };
        let presented = match req.client_cert.as_deref() {
            Some(der) => presented.with_certificate(der),
            None => presented,
        };
        let mut buf = vec![0u8; token::MAX_TOKEN_LEN];
        let claims = token::verify(
            req.access_token.as_bytes(),
            &self.profile,
            &expect,
            &key,
            &SystemClock,
            &presented,
            &mut buf,
        )
        .at(site)?;
        if !claims.has_scope(scope) {
            return Err(Error::InsufficientScope).at(site);
        }
        // BG-SIGNED-REQ: the TPP signs its request messages.
        if self.profile.signed_messages_required && req.method != "GET" {
            let sig = req
                .signature
                .as_deref()
                .ok_or(Error::BadSignature)
                .at(site)?;
            let reg = self.directory.client(claims.client_id).at(site)?;
            let jwks = Jwks::from_json(reg.jwks.as_bytes()).at(site)?;
            let mut scratch = vec![0u8; 4 * (req.body.len() + sig.len()) + 4096];
            request_object::verify_signed_request(
                sig.as_bytes(),
                &req.body,
                &self.profile,
                &jwks,
                &RUSTCRYPTO,
                &mut scratch,
            )
            .at(site)?;
        }
        let consent_id = claims
            .consent_id
            .or_else(|| claims.scope.and_then(consent_in_scope))
            .map(Into::into);
        Ok(Authorized {
            client_id: claims.client_id.into(),
            subject: claims.subject.into(),
            consent_id,
        })
    }

    /// `POST /account-access-consents` or `POST /domestic-payment-consents`
    /// with a client credentials token: the new consent's id.
    pub fn create_consent(
        &self,
        req: &ResourceRequest,
        kind: ConsentKind,
        amount: u64,
    ) -> Result<String, Refusal> {
        let scope = match kind {
            ConsentKind::AccountAccess => "accounts",
            ConsentKind::PaymentOrder => "payments",
        };
        let who = self.verify(req, scope)?;
        let site = Site::ResourceRequest;
        // A consent is created by the client for itself (client credentials).
        if who.subject != who.client_id {
            return Err(Error::WrongSubject).at(site);
        }
        let prefix = match kind {
            ConsentKind::AccountAccess => "aac-",
            ConsentKind::PaymentOrder => "pdc-",
        };
        let id = random_id(prefix).at(site)?;
        self.directory
            .insert_consent(
                id.clone(),
                Consent {
                    kind,
                    client_id: who.client_id,
                    status: ConsentStatus::AwaitingAuthorisation,
                    subject: None,
                    amount,
                    debtor_account: None,
                },
            )
            .at(site)?;
        Ok(id)
    }

    /// The consent behind a user token, authorised by that user for that
    /// client and of `kind`.
    ///
    /// CDR-CODE-FLOW, BG-CODE-FLOW (and every profile): account and payment
    /// resources are a user's, reached only under a consent that user
    /// approved. A token without a consent (a client credentials token:
    /// no user, no consent) is [`Error::InsufficientScope`], whatever its
    /// scope; so is a consent of another kind or client; a consent another
    /// user (or no user) approved is [`Error::WrongSubject`].
    fn user_consent(&self, who: &Authorized, kind: ConsentKind) -> Result<Consent, Refusal> {
        let site = Site::ResourceRequest;
        // CDR-CODE-FLOW, BG-CODE-FLOW: no consent, no user data.
        let id = who
            .consent_id
            .as_deref()
            .ok_or(Error::InsufficientScope)
            .at(site)?;
        let c = self.directory.consent(id).at(site)?;
        if c.kind != kind || c.client_id != who.client_id {
            return Err(Error::InsufficientScope).at(site);
        }
        if c.subject.as_deref() != Some(who.subject.as_str()) {
            return Err(Error::WrongSubject).at(site);
        }
        Ok(c)
    }

    /// `GET /accounts`: the user's accounts, under an authorised
    /// account-access consent (CDR-CODE-FLOW, BG-CODE-FLOW: never with a
    /// token that carries none).
    pub fn accounts(&self, req: &ResourceRequest) -> Result<String, Refusal> {
        let who = self.verify(req, "accounts")?;
        // CDR-CODE-FLOW, BG-CODE-FLOW: the consent is required, not skipped
        // when the token has none.
        let c = self.user_consent(&who, ConsentKind::AccountAccess)?;
        if c.status != ConsentStatus::Authorised {
            return Err(Error::TokenInactive).at(Site::ResourceRequest);
        }
        Ok(format!(
            r#"{{"Data":{{"Account":[{{"AccountId":"22289","Owner":"{}"}}]}}}}"#,
            who.subject
        ))
    }

    /// `POST /funds-confirmations`: whether the debtor account covers the
    /// consented amount.
    pub fn funds_confirmation(&self, req: &ResourceRequest) -> Result<bool, Refusal> {
        let who = self.verify(req, "payments")?;
        let c = self.user_consent(&who, ConsentKind::PaymentOrder)?;
        Ok(c.status == ConsentStatus::Authorised && c.debtor_account.is_some() && c.amount <= 5000)
    }

    /// `POST /domestic-payments`: submits the payment order of the
    /// consent, once. Returns its id.
    pub fn submit_payment(&self, req: &ResourceRequest) -> Result<String, Refusal> {
        let who = self.verify(req, "payments")?;
        let c = self.user_consent(&who, ConsentKind::PaymentOrder)?;
        let site = Site::ResourceRequest;
        let consent_id = who.consent_id.clone().unwrap_or_default();
        // A payment consent pays once.
        self.directory
            .update_consent(&consent_id, |c| {
                if c.status != ConsentStatus::Authorised {
                    return Err(Error::TokenInactive);
                }
                c.status = ConsentStatus::Consumed;
                Ok(())
            })
            .at(site)?;
        let id = random_id("pay-").at(site)?;
        let order = PaymentOrder {
            consent_id,
            client_id: c.client_id,
            status: "AcceptedSettlementInProcess",
        };
        let mut map = self
            .payments
            .lock()
            .map_err(|_| Error::StoreFailed)
            .at(site)?;
        let _ = map.insert(id.clone(), order);
        Ok(id)
    }

    /// `GET /domestic-payments/{id}`: the payment's status, for its client,
    /// under the payment consent the order was made under (CDR-CODE-FLOW,
    /// BG-CODE-FLOW: not with a token that carries no user consent).
    pub fn payment_status(&self, req: &ResourceRequest, id: &str) -> Result<&'static str, Refusal> {
        let who = self.verify(req, "payments")?;
        // CDR-CODE-FLOW, BG-CODE-FLOW
        let _ = self.user_consent(&who, ConsentKind::PaymentOrder)?;
        let site = Site::ResourceRequest;
        let mut map = self
            .payments
            .lock()
            .map_err(|_| Error::StoreFailed)
            .at(site)?;
        let order = map.get_mut(id).ok_or(Error::InvalidParameter).at(site)?;
        if order.client_id != who.client_id {
            return Err(Error::ClientMismatch).at(site);
        }
        // The order of another consent (another user's payment).
        if who.consent_id.as_deref() != Some(order.consent_id.as_str()) {
            return Err(Error::InsufficientScope).at(site);
        }
        let status = order.status;
        order.status = "AcceptedSettlementCompleted";
        Ok(status)
    }
}
