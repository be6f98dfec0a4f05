//! The fintech client (TPP): client assertions, DPoP proofs, PKCE, signed
//! request objects and messages, the authorization response check.

use fapi_core::authorize::{self, UserAction};
use fapi_core::dpop::{self, ProofParams};
use fapi_core::json::Writer;
use fapi_core::jws::{self, HeaderParams};
use fapi_core::pkce;
use fapi_core::profile::{ClientAuthMethod, Profile, SenderConstraint};
use fapi_core::{Clock, Error, Random, Signer, SystemClock, b64};

use crate::authorization_server::{Credentials, ParForm, sender_constraint};
use crate::directory::{Certificate, Registration};
use crate::keys::{OsRandom, SoftKey};

/// A client and its keys.
#[derive(Clone, Debug)]
pub struct Client {
    /// The profile it runs under.
    pub profile: Profile,
    /// `client_id`.
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// Its registered `https` redirect URI.
    pub redirect_uri: String,
    /// The authorization server it talks to.
    pub issuer: String,
    /// How it authenticates.
    pub auth_method: ClientAuthMethod,
    /// Signs assertions, request objects and messages.
    pub key: SoftKey,
    /// Signs DPoP proofs (where DPoP is the sender constraint).
    pub dpop_key: Option<SoftKey>,
    /// Its TLS client certificate.
    pub cert: Certificate,
}

fn random_b64(bytes: usize) -> Result<String, Error> {
    let mut raw = vec![0u8; bytes];
    OsRandom.fill(&mut raw)?;
    let mut out = vec![0u8; b64::encoded_len(bytes)];
    let s = b64::encode(&raw, &mut out)?;
    Ok(s.into())
}

fn sign_json(key: &SoftKey, typ: Option<&str>, payload: &[u8]) -> Result<String, Error> {
    let header = HeaderParams {
        typ,
        kid: Some(key.key_id()),
        jwk: None,
    };
    let mut out = vec![0u8; 16 * 1024];
    let n = jws::sign(key, &header, payload, &mut out)?;
    out.truncate(n);
    String::from_utf8(out).map_err(|_| Error::Json)
}

impl Client {
    /// The registration the AS and RS hold for this client.
    pub fn registration(&self) -> Result<Registration, Error> {
        Ok(Registration {
            client_id: self.client_id.clone(),
            name: self.name.clone(),
            auth_method: self.auth_method,
            jwks: self.key.jwks_json()?,
            tls_subject_dn: Some(self.cert.subject_dn.clone()),
        })
    }

    /// A `private_key_jwt` client assertion for `aud` (RFC 7523): `iss` =
    /// `sub` = client id, a fresh `jti`, 60 s.
    pub fn assertion(&self, aud: &str) -> Result<String, Error> {
        let now = SystemClock.now();
        let jti = random_b64(16)?;
        let mut body = vec![0u8; 2048];
        let mut w = Writer::new(&mut body);
        w.raw(b"{")?;
        for (i, (k, v)) in [("iss", &self.client_id), ("sub", &self.client_id)]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                w.raw(b",")?;
            }
            w.key(k)?;
            w.string(v)?;
        }
        w.raw(b",")?;
        w.key("aud")?;
        w.string(aud)?;
        w.raw(b",")?;
        w.key("jti")?;
        w.string(&jti)?;
        w.raw(b",")?;
        w.key("iat")?;
        w.uint(now)?;
        w.raw(b",")?;
        w.key("exp")?;
        w.uint(now.saturating_add(60))?;
        w.raw(b"}")?;
        let n = w.len();
        sign_json(&self.key, None, body.get(..n).ok_or(Error::BufferTooSmall)?)
    }

    /// A DPoP proof for `method` `htu` (with `ath` of `access_token`).
    pub fn dpop_proof(
        &self,
        method: &str,
        htu: &str,
        access_token: Option<&str>,
    ) -> Result<Option<String>, Error> {
        let Some(key) = &self.dpop_key else {
            return Ok(None);
        };
        let jti = random_b64(16)?;
        let params = ProofParams {
            htm: method,
            htu,
            iat: SystemClock.now(),
            jti: &jti,
            access_token,
            nonce: None,
        };
        let mut out = vec![0u8; 8192];
        let n = dpop::sign_proof(key, &params, &mut out)?;
        out.truncate(n);
        String::from_utf8(out).map(Some).map_err(|_| Error::Json)
    }

    /// What it sends to the AS endpoint `endpoint`: its authentication
    /// (assertion with `aud` = the issuer, as FAPI 2.0 asks clients to
    /// send), a DPoP proof, its certificate.
    pub fn credentials(&self, endpoint: &str, with_dpop: bool) -> Result<Credentials, Error> {
        let client_assertion = match self.auth_method {
            ClientAuthMethod::PrivateKeyJwt => Some(self.assertion(&self.issuer)?),
            _ => None,
        };
        let dpop = if with_dpop {
            self.dpop_proof("POST", endpoint, None)?
        } else {
            None
        };
        Ok(Credentials {
            client_id: self.client_id.clone(),
            client_assertion,
            dpop,
            client_cert: Some(self.cert.clone()),
        })
    }

    /// F2-CLIENT-INFO: on the user's action, builds the pushed authorization
    /// request for `scope` and `consent_id`: PKCE S256, `dpop_jkt` under
    /// DPoP, a signed request object where the profile requires one.
    pub fn start(
        &self,
        action: UserAction,
        scope: &str,
        consent_id: &str,
    ) -> Result<(ParForm, pkce::Pair, String), Error> {
        let pair = pkce::Pair::generate(&OsRandom)?;
        let state = random_b64(16)?;
        let dpop_jkt = match (&self.dpop_key, sender_constraint(&self.profile)) {
            (Some(k), SenderConstraint::Dpop) => {
                Some(k.public_key()?.thumbprint().to_b64().as_str().to_owned())
            }
            _ => None,
        };
        // Where no claim carries the consent (OFB and the others), it
        // travels in the scope as `consent:<id>`.
        let scope = if self.profile.consent_claim.is_none() {
            format!("{scope} consent:{consent_id}")
        } else {
            scope.to_owned()
        };
        let req = authorize::AuthorizationRequest {
            client_id: &self.client_id,
            response_type: "code",
            redirect_uri: Some(&self.redirect_uri),
            scope: &scope,
            state: Some(&state),
            code_challenge: Some(pair.challenge()),
            code_challenge_method: Some("S256"),
            dpop_jkt: dpop_jkt.as_deref(),
            consent_id: Some(consent_id),
            nonce: None,
            // FAPI 2.0 Message Signing §5.4: JARM where the profile requires it.
            response_mode: self.profile.jarm_required.then_some("jwt"),
        };
        // F2-CLIENT-INFO: the request is checked as the server will check it.
        let mut body = vec![0u8; 4096];
        let _ = authorize::start_authorization(action, &self.profile, &req, &mut body)?;
        let mut form = ParForm {
            response_type: "code".into(),
            redirect_uri: Some(self.redirect_uri.clone()),
            scope: scope.clone(),
            state: Some(state.clone()),
            code_challenge: Some(pair.challenge().into()),
            code_challenge_method: Some("S256".into()),
            dpop_jkt: dpop_jkt.clone(),
            consent_id: Some(consent_id.into()),
            request: None,
        };
        if self.profile.signed_request_required {
            form.request = Some(self.request_object(&req)?);
        }
        Ok((form, pair, state))
    }

    /// A signed request object (OB-REQOBJ, CDR-REQ-TTL: `exp`, `nbf`, `aud`;
    /// five minutes) carrying `req`, with the consent as the profile wants
    /// it (OB-INTENT: `openbanking_intent_id` as an essential claim).
    pub fn request_object(
        &self,
        req: &authorize::AuthorizationRequest<'_>,
    ) -> Result<String, Error> {
        let now = SystemClock.now();
        let jti = random_b64(16)?;
        let mut body = vec![0u8; 4096];
        let mut w = Writer::new(&mut body);
        w.raw(b"{")?;
        let strings = [
            ("iss", Some(req.client_id)),
            ("aud", Some(self.issuer.as_str())),
            ("client_id", Some(req.client_id)),
            ("jti", Some(jti.as_str())),
            ("response_type", Some(req.response_type)),
            ("redirect_uri", req.redirect_uri),
            ("scope", Some(req.scope)),
            ("state", req.state),
            ("code_challenge", req.code_challenge),
            ("code_challenge_method", req.code_challenge_method),
            ("dpop_jkt", req.dpop_jkt),
            // FAPI 2.0 Message Signing §5.4: JARM where the profile
            // requires it.
            ("response_mode", self.profile.jarm_required.then_some("jwt")),
        ];
        let mut first = true;
        for (k, v) in strings {
            let Some(v) = v else { continue };
            if !first {
                w.raw(b",")?;
            }
            first = false;
            w.key(k)?;
            w.string(v)?;
        }
        for (k, v) in [("nbf", now), ("iat", now), ("exp", now.saturating_add(300))] {
            w.raw(b",")?;
            w.key(k)?;
            w.uint(v)?;
        }
        let consent = req.consent_id.unwrap_or("");
        match self.profile.consent_claim {
            Some("openbanking_intent_id") => {
                w.raw(br#","claims":{"id_token":{"openbanking_intent_id":{"value":"#)?;
                w.string(consent)?;
                w.raw(br#","essential":true}}}"#)?;
            }
            Some("cdr_arrangement_id") => {
                w.raw(br#","claims":{"cdr_arrangement_id":"#)?;
                w.string(consent)?;
                w.raw(b"}")?;
            }
            _ => {}
        }
        w.raw(b"}")?;
        let n = w.len();
        sign_json(
            &self.key,
            Some("oauth-authz-req+jwt"),
            body.get(..n).ok_or(Error::BufferTooSmall)?,
        )
    }

    /// F2-ISS: checks the authorization response (the redirect's query)
    /// against the issuer and the session's `state`; returns the code.
    pub fn code_from<'r>(&self, redirect: &'r str, state: &str) -> Result<&'r str, Error> {
        let query = redirect.split_once('?').map_or("", |(_, q)| q);
        authorize::check_response(query, &self.issuer, state)
    }

    /// Signs a request body (BG-SIGNED-REQ): a JWS over the body, payload
    /// detached.
    pub fn sign_message(&self, body: &[u8]) -> Result<String, Error> {
        let jws = sign_json(&self.key, Some("JOSE"), body)?;
        let mut parts = jws.split('.');
        let (Some(h), Some(_), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Error::Malformed);
        };
        Ok(format!("{h}..{s}"))
    }
}
