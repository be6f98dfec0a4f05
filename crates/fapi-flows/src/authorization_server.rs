//! The bank's authorization server, in memory: token endpoint (client
//! credentials and authorization code), PAR endpoint, authorization
//! endpoint with its consent screen, and its RFC 8414 metadata.

use std::sync::Arc;

use fapi_core::assertion::{self, AssertionConfig};
use fapi_core::authorize::{
    self, Access, AuthorizationParams, AuthorizationRequest, ConsentPrompt, GrantType,
};
use fapi_core::code::{self, CodeRecord};
use fapi_core::dpop::{self, DpopConfig, DpopProof, DpopRequest};
use fapi_core::grant::RevokedGrant;
use fapi_core::jwk::Jwks;
use fapi_core::mtls::{self, CertThumbprint, PresentedCertificate, TlsClientAuthSubject};
use fapi_core::par::{self, AuthorizationEndpointRequest};
use fapi_core::pkce;
pub use fapi_core::profile::SenderConstraint;
use fapi_core::profile::{ClientAuthMethod, Profile};
use fapi_core::request_object::{self, RequestObjectConfig};
use fapi_core::secret::Redacted;
use fapi_core::store::{FixedHandleStore, FixedReplayCache};
use fapi_core::token::{self, AccessTokenParams, Confirmation};
use fapi_core::{Clock, Error, PublicKey, Signer, Site, SystemClock};
use fapi_rustcrypto::RUSTCRYPTO;

use crate::directory::{Certificate, ConsentStatus, Directory, Registration};
use crate::keys::{OsRandom, SoftKey};
use crate::refusal::{At, Refusal};

/// Live PAR requests and codes held at once.
pub const HANDLES: usize = 64;
/// Live `jti`s remembered at once (client assertions, DPoP proofs).
pub const JTIS: usize = 1024;

/// The lifetimes the server uses, inside every profile's ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifetimes {
    /// Access tokens: 300 s (CDR-AT-TTL 120–600, OFB-AT-TTL 300–900).
    pub access_token: u64,
    /// Codes: 60 s (F2-CODE-TTL).
    pub code: u64,
    /// PAR `request_uri`: 60 s (F2-PAR-TTL < 600, OFB-PAR-TTL ≥ 60,
    /// CDR-PAR-TTL 10–90).
    pub par: u64,
}

impl Lifetimes {
    /// The lifetimes of the simulated bank.
    pub const BANK: Self = Self {
        access_token: 300,
        code: 60,
        par: 60,
    };
}

/// The sender constraint the simulated parties use under `profile`: DPoP
/// where the profile allows it, certificate binding elsewhere.
#[must_use]
pub fn sender_constraint(profile: &Profile) -> SenderConstraint {
    if profile.sender.contains(&SenderConstraint::Dpop) {
        SenderConstraint::Dpop
    } else {
        SenderConstraint::Mtls
    }
}

/// What a client sends besides the form: its authentication, its DPoP
/// proof, the certificate of its TLS connection. `Debug` shows whether the
/// assertion and the proof are there, never what they are.
#[derive(Clone, Default)]
pub struct Credentials {
    /// `client_id`.
    pub client_id: String,
    /// `client_assertion` (`private_key_jwt`).
    pub client_assertion: Option<String>,
    /// The `DPoP` header.
    pub dpop: Option<String>,
    /// The client certificate of the TLS connection.
    pub client_cert: Option<Certificate>,
}

impl core::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field(
                "client_assertion",
                &Redacted::option(self.client_assertion.as_ref()),
            )
            .field("dpop", &Redacted::option(self.dpop.as_ref()))
            .field("client_cert", &self.client_cert)
            .finish()
    }
}

/// A pushed authorization request's body. `Debug` shows whether a signed
/// request object is there, never the object.
#[derive(Clone, Default)]
pub struct ParForm {
    /// A signed request object (JAR), where the profile requires one.
    pub request: Option<String>,
    /// `response_type`.
    pub response_type: String,
    /// `redirect_uri`.
    pub redirect_uri: Option<String>,
    /// `scope`.
    pub scope: String,
    /// `state`.
    pub state: Option<String>,
    /// `code_challenge`.
    pub code_challenge: Option<String>,
    /// `code_challenge_method`.
    pub code_challenge_method: Option<String>,
    /// `dpop_jkt`.
    pub dpop_jkt: Option<String>,
    /// The consent id, as a plain parameter.
    pub consent_id: Option<String>,
}

impl core::fmt::Debug for ParForm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ParForm")
            .field("request", &Redacted::option(self.request.as_ref()))
            .field("response_type", &self.response_type)
            .field("redirect_uri", &self.redirect_uri)
            .field("scope", &self.scope)
            .field("state", &self.state)
            .field("code_challenge", &self.code_challenge)
            .field("code_challenge_method", &self.code_challenge_method)
            .field("dpop_jkt", &self.dpop_jkt)
            .field("consent_id", &self.consent_id)
            .finish()
    }
}

/// A token response. `Debug` never shows the access token.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenResponse {
    /// `access_token`.
    pub access_token: String,
    /// `token_type`: `DPoP` or `Bearer` (certificate-bound).
    pub token_type: &'static str,
    /// `expires_in`.
    pub expires_in: u64,
}

impl core::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &Redacted)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// The bank's authorization server.
pub struct AuthorizationServer {
    profile: Profile,
    issuer: String,
    resource: String,
    key: SoftKey,
    directory: Arc<Directory>,
    lifetimes: Lifetimes,
    par_store: FixedHandleStore<AuthorizationParams, HANDLES>,
    codes: FixedHandleStore<CodeRecord, HANDLES>,
    revoked: FixedHandleStore<RevokedGrant, HANDLES>,
    spent_request_uris: FixedReplayCache<HANDLES>,
    assertion_jtis: FixedReplayCache<JTIS>,
    dpop_jtis: FixedReplayCache<JTIS>,
}

impl core::fmt::Debug for AuthorizationServer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthorizationServer")
            .field("profile", &self.profile.name)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl AuthorizationServer {
    /// A server for `issuer` under `profile`, signing tokens for the
    /// resource server `resource` with `key`.
    pub fn new(
        profile: Profile,
        issuer: &str,
        resource: &str,
        key: SoftKey,
        directory: Arc<Directory>,
    ) -> Result<Self, Error> {
        // OB-ALG, OFB-ALG, CDR-ALG: the server signs with an algorithm of the
        // profile.
        key.alg().check_allowed(profile.algs)?;
        Ok(Self {
            profile,
            issuer: issuer.into(),
            resource: resource.into(),
            key,
            directory,
            lifetimes: Lifetimes::BANK,
            par_store: FixedHandleStore::new(),
            codes: FixedHandleStore::new(),
            revoked: FixedHandleStore::new(),
            spent_request_uris: FixedReplayCache::new(),
            assertion_jtis: FixedReplayCache::new(),
            dpop_jtis: FixedReplayCache::new(),
        })
    }

    /// The issuer identifier.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// The profile.
    #[must_use]
    pub fn profile(&self) -> &Profile {
        &self.profile
    }
    /// The lifetimes in use.
    #[must_use]
    pub fn lifetimes(&self) -> Lifetimes {
        self.lifetimes
    }
    /// The token signing key's public half (the resource server's trust).
    pub fn public_key(&self) -> Result<PublicKey, Error> {
        self.key.public_key()
    }
    /// The token endpoint URL.
    #[must_use]
    pub fn token_endpoint(&self) -> String {
        format!("{}/token", self.issuer)
    }
    /// The PAR endpoint URL.
    #[must_use]
    pub fn par_endpoint(&self) -> String {
        format!("{}/par", self.issuer)
    }
    /// The authorization endpoint URL.
    #[must_use]
    pub fn authorization_endpoint(&self) -> String {
        format!("{}/authorize", self.issuer)
    }

    fn now(&self) -> u64 {
        SystemClock.now()
    }

    /// F2-CLIENT-AUTH, OFB-CLIENT-AUTH, CDR-CLIENT-AUTH, BG-MTLS: the client
    /// authenticates by `private_key_jwt` or `tls_client_auth`, as the
    /// profile allows, at `endpoint`.
    fn authenticate(&self, cred: &Credentials, endpoint: &str) -> Result<&Registration, Refusal> {
        let site = Site::ClientAuthentication;
        let reg = self.directory.client(&cred.client_id).at(site)?;
        let has_keys = !reg.jwks.is_empty() || reg.tls_subject_dn.is_some();
        let method =
            assertion::check_client_auth_method(&self.profile, reg.auth_method.name(), has_keys)
                .at(site)?;
        match method {
            ClientAuthMethod::PrivateKeyJwt => {
                let jwt = cred
                    .client_assertion
                    .as_deref()
                    .ok_or(Error::MissingClaim)
                    .at(site)?;
                let jwks = Jwks::from_json(reg.jwks.as_bytes()).at(site)?;
                // RFC 7523 §3, RFC 9126 §2: the token endpoint and the URL
                // the assertion was sent to, where the profile's audience
                // rule accepts them (FAPI 2.0 final §5.3.2.1: never).
                let token_endpoint = self.token_endpoint();
                let endpoints = [token_endpoint.as_str(), endpoint];
                let config = AssertionConfig::new(&self.profile, &self.issuer)
                    .with_endpoint_audiences(&endpoints);
                let _ = assertion::verify_assertion(
                    jwt.as_bytes(),
                    &reg.client_id,
                    &jwks,
                    &config,
                    &RUSTCRYPTO,
                    &SystemClock,
                    &self.assertion_jtis,
                )
                .at(site)?;
            }
            ClientAuthMethod::TlsClientAuth | ClientAuthMethod::SelfSignedTlsClientAuth => {
                let dn = reg.tls_subject_dn.as_deref().unwrap_or("");
                let presented = presented(cred.client_cert.as_ref());
                let _ = mtls::authenticate_tls_client(
                    &self.profile,
                    &TlsClientAuthSubject::SubjectDn(dn),
                    &presented,
                )
                .at(site)?;
            }
        }
        Ok(reg)
    }

    fn verify_dpop(
        &self,
        cred: &Credentials,
        endpoint: &str,
    ) -> Result<Option<DpopProof>, Refusal> {
        let Some(proof) = cred.dpop.as_deref() else {
            return Ok(None);
        };
        let request = DpopRequest {
            method: "POST",
            uri: endpoint,
            nonce_binding: None,
        };
        dpop::verify_proof(
            proof.as_bytes(),
            &request,
            &DpopConfig::new(&self.profile),
            &RUSTCRYPTO,
            &SystemClock,
            &self.dpop_jtis,
        )
        .map(Some)
        .at(Site::DpopProof)
    }

    /// F2-SENDER, OB-SENDER, CDR-HOK: the binding of the token to issue.
    fn confirmation(
        &self,
        cred: &Credentials,
        proof: Option<&DpopProof>,
    ) -> Result<Confirmation, Refusal> {
        match sender_constraint(&self.profile) {
            SenderConstraint::Dpop => proof
                .map(|p| Confirmation::Jkt(p.jkt))
                .ok_or(Error::DpopMissing)
                .at(Site::TokenRequest),
            SenderConstraint::Mtls => cred
                .client_cert
                .as_ref()
                .map(|c| Confirmation::X5tS256(CertThumbprint::of_der(&c.der)))
                .ok_or(Error::SenderConstraintMissing)
                .at(Site::TokenRequest),
        }
    }

    fn issue_token(
        &self,
        subject: &str,
        client_id: &str,
        scope: &str,
        confirmation: Confirmation,
        consent_id: Option<&str>,
    ) -> Result<TokenResponse, Refusal> {
        let params = AccessTokenParams {
            issuer: &self.issuer,
            subject,
            audience: &self.resource,
            client_id,
            scope: Some(scope),
            issued_at: self.now(),
            lifetime: self.lifetimes.access_token,
            confirmation: Some(confirmation),
            consent_id,
        };
        let mut out = vec![0u8; token::MAX_TOKEN_LEN];
        let n = token::issue(&self.profile, &params, &self.key, &OsRandom, &mut out)
            .at(Site::TokenRequest)?;
        out.truncate(n);
        let access_token = String::from_utf8(out)
            .map_err(|_| Error::Json)
            .at(Site::TokenRequest)?;
        Ok(TokenResponse {
            access_token,
            token_type: match confirmation {
                Confirmation::Jkt(_) => "DPoP",
                Confirmation::X5tS256(_) => "Bearer",
            },
            expires_in: self.lifetimes.access_token,
        })
    }

    /// The token endpoint, `grant_type=client_credentials`: a token for the
    /// client's own business (creating a consent).
    pub fn token_client_credentials(
        &self,
        cred: &Credentials,
        scope: &str,
    ) -> Result<TokenResponse, Refusal> {
        // F2-FLOWS; CDR-CODE-FLOW, BG-CODE-FLOW: client credentials only for
        // the client's own business.
        let grant = GrantType::parse(&self.profile, "client_credentials").at(Site::TokenRequest)?;
        grant
            .check_access(&self.profile, Access::ClientOnly)
            .at(Site::TokenRequest)?;
        let endpoint = self.token_endpoint();
        let reg = self.authenticate(cred, &endpoint)?;
        let proof = self.verify_dpop(cred, &endpoint)?;
        let cnf = self.confirmation(cred, proof.as_ref())?;
        self.issue_token(&reg.client_id, &reg.client_id, scope, cnf, None)
    }

    /// The PAR endpoint (F2-PAR): authenticates the client, verifies its
    /// DPoP proof if it sent one (RFC 9449 §10.1: it binds the code) and
    /// the signed request object (OB-REQOBJ: required where the profile
    /// says so, which `par::push` enforces), checks the request and the
    /// consent it names, and returns the `request_uri`.
    pub fn par(&self, cred: &Credentials, form: &ParForm) -> Result<String, Refusal> {
        let endpoint = self.par_endpoint();
        let reg = self.authenticate(cred, &endpoint)?;
        let proof = self.verify_dpop(cred, &endpoint)?;
        let mut buf = vec![0u8; request_object::MAX_REQUEST_OBJECT_LEN];
        let params = match form.request.as_deref() {
            Some(jwt) => {
                let site = Site::RequestObject;
                let jwks = Jwks::from_json(reg.jwks.as_bytes()).at(site)?;
                let config = RequestObjectConfig::new(&self.profile, &self.issuer);
                let ro = request_object::verify_request_object(
                    jwt.as_bytes(),
                    &reg.client_id,
                    &jwks,
                    &config,
                    &RUSTCRYPTO,
                    &SystemClock,
                    &mut buf,
                )
                .at(site)?;
                // OB-INTENT: the intent id, requested as an essential claim,
                // or the profile's other consent form.
                AuthorizationParams::from_request_object(&self.profile, &ro).at(Site::ParRequest)?
            }
            None => {
                // OB-REQOBJ, FAPI 2.0 Message Signing §5.3: plain parameters
                // are refused first where signed requests are required.
                if self.profile.signed_request_required {
                    return Err(Error::SignedRequestRequired).at(Site::ParRequest);
                }
                let req = AuthorizationRequest {
                    client_id: &reg.client_id,
                    response_type: &form.response_type,
                    redirect_uri: form.redirect_uri.as_deref(),
                    scope: &form.scope,
                    state: form.state.as_deref(),
                    code_challenge: form.code_challenge.as_deref(),
                    code_challenge_method: form.code_challenge_method.as_deref(),
                    dpop_jkt: form.dpop_jkt.as_deref(),
                    consent_id: form.consent_id.as_deref(),
                    nonce: None,
                    response_mode: None,
                };
                AuthorizationParams::from_request(&self.profile, &req).at(Site::ParRequest)?
            }
        };
        let site = Site::ParRequest;
        // OB-REQOBJ: plain parameters go no further where signed requests
        // are required (par::push refuses them too).
        params.check_signed(&self.profile).at(site)?;
        // Unknown consents and consents of another client are refused.
        let consent_id = params.consent_id();
        if consent_id.is_empty() {
            return Err(Error::InvalidParameter).at(site);
        }
        let consent = self.directory.consent(consent_id).at(site)?;
        if consent.client_id != reg.client_id {
            return Err(Error::ClientMismatch).at(site);
        }
        if consent.status != ConsentStatus::AwaitingAuthorisation {
            return Err(Error::InvalidParameter).at(site);
        }
        // OB-REQOBJ; RFC 9449 §10.1; F2-PAR-TTL, OFB-PAR-TTL, CDR-PAR-TTL
        let uri = par::push(
            &self.profile,
            &self.par_store,
            &OsRandom,
            params,
            proof.as_ref().map(|p| &p.jkt),
            self.lifetimes.par,
            self.now(),
        )
        .at(site)?;
        Ok(uri.as_str().into())
    }

    /// The authorization endpoint: the pushed request behind `request_uri`
    /// (F2-PAR: none is refused where PAR is required), as the consent
    /// screen to show the user (F2-AS-INFO: client name, id and scope).
    pub fn authorize(
        &self,
        client_id: &str,
        request_uri: Option<&str>,
    ) -> Result<ConsentPrompt, Refusal> {
        let site = Site::AuthorizationRequest;
        let reg = self.directory.client(client_id).at(site)?;
        let query = AuthorizationRequest {
            client_id,
            ..AuthorizationRequest::default()
        };
        let request = match request_uri {
            Some(uri) => AuthorizationEndpointRequest::RequestUri(uri),
            None => AuthorizationEndpointRequest::Query(&query),
        };
        // F2-PAR; OB-REQOBJ: no plain query where signed requests are required.
        let params = par::resolve(
            &self.profile,
            &self.par_store,
            client_id,
            request,
            self.now(),
        )
        .at(site)?;
        ConsentPrompt::new(&reg.name, params).at(site)
    }

    /// The user `subject` approved what `prompt` showed (choosing
    /// `debtor_account` for a payment): the consent is authorised and a
    /// one-time code is sent to the redirect URI with `iss` (F2-ISS).
    /// Returns the redirect URL.
    pub fn approve(
        &self,
        prompt: ConsentPrompt,
        subject: &str,
        debtor_account: Option<&str>,
    ) -> Result<String, Refusal> {
        let site = Site::AuthorizationRequest;
        let record = prompt.approve(subject).at(site)?;
        let p = record.params();
        self.directory
            .update_consent(p.consent_id(), |c| {
                if c.status != ConsentStatus::AwaitingAuthorisation {
                    return Err(Error::InvalidParameter);
                }
                c.status = ConsentStatus::Authorised;
                c.subject = Some(subject.into());
                c.debtor_account = debtor_account.map(Into::into);
                Ok(())
            })
            .at(site)?;
        // F2-CODE-TTL
        // F2-PAR: one decision (one code) per pushed request.
        let code = code::issue(
            &self.profile,
            &self.codes,
            &self.spent_request_uris,
            &OsRandom,
            &record,
            self.lifetimes.code,
            self.now(),
        )
        .at(site)?;
        let mut out = vec![0u8; 1024];
        // F2-ISS: iss in the authorization response.
        let n = authorize::write_response(
            p.redirect_uri(),
            code.as_str(),
            p.state(),
            &self.issuer,
            &mut out,
        )
        .at(site)?;
        out.truncate(n);
        String::from_utf8(out).map_err(|_| Error::Json).at(site)
    }

    /// The token endpoint, `grant_type=authorization_code`: client
    /// authentication, the DPoP proof, the one-time code (F2-CODE-ONCE),
    /// PKCE (F2-PKCE) and the code's DPoP key, then a sender-constrained
    /// token with the profile's consent claim (OB-INTENT).
    pub fn token_code(
        &self,
        cred: &Credentials,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
    ) -> Result<TokenResponse, Refusal> {
        let site = Site::TokenRequest;
        let grant = GrantType::parse(&self.profile, "authorization_code").at(site)?;
        grant
            .check_access(&self.profile, Access::UserConsented)
            .at(site)?;
        let endpoint = self.token_endpoint();
        let reg = self.authenticate(cred, &endpoint)?;
        let proof = self.verify_dpop(cred, &endpoint)?;
        // F2-CODE-ONCE, CDR-CODE-ONCE, F2-PKCE, and RFC 9449 §10: the code's
        // DPoP key (dpop_jkt or the PAR request's proof) is the proof's.
        // RFC 6749 §4.1.2: a code presented again revokes its grant.
        let presented = code::Presented {
            code,
            client_id: &reg.client_id,
            redirect_uri,
            dpop: proof.as_ref(),
        };
        let retention = code::Retention {
            tombstone: self.lifetimes.code + self.lifetimes.access_token,
            revocation: self.lifetimes.access_token,
        };
        let grant = code::redeem(
            &self.codes,
            &self.revoked,
            &presented,
            retention,
            self.now(),
            |challenge| pkce::verify(code_verifier, challenge),
        )
        .at(site)?;
        let cnf = self.confirmation(cred, proof.as_ref())?;
        let consent = self
            .profile
            .consent_claim
            .map(|_| grant.consent_id())
            .filter(|c| !c.is_empty());
        self.issue_token(grant.subject(), &reg.client_id, grant.scope(), cnf, consent)
    }
}

fn presented(cert: Option<&Certificate>) -> PresentedCertificate<'_> {
    cert.map_or_else(PresentedCertificate::default, |c| PresentedCertificate {
        der: &c.der,
        subject_dn: Some(&c.subject_dn),
        ..PresentedCertificate::default()
    })
}
