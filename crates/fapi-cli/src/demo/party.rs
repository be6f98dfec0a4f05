//! A party of the demo: the fintech (`fintech-1`) or the attacker's own
//! registered client (`attacker-1`), each a `fapi::Client` with its keys,
//! its HTTPS client (its TLS certificate under mutual TLS) and its
//! registration at the bank.

use std::sync::{Arc, OnceLock};

use fapi::http_sig::MessageSignature;
use fapi::jwe::{DecryptionKey, KeyAlg};
use fapi::{Client, KeySet, SigningKey};
use fapi_core::profile::{ClientAuthMethod, Profile, SenderConstraint};
use fapi_core::{Alg, Site};
use fapi_server::config::ClientConfig;
use fapi_server::dev_ca::DevCa;
use http::{Request, header};

use crate::failure::Failure;
use crate::https::{Answer, Http};

/// The redirect URI both parties register (F2-TLS-RESP: https).
pub const REDIRECT: &str = "https://fintech.example/cb";

/// The key algorithm a profile's parties use: ES256 where allowed, else
/// PS256 (F2-ALG, OB-ALG, OFB-ALG, CDR-ALG).
pub fn alg_for(profile: &Profile) -> Alg {
    if profile.algs.contains(&Alg::Es256) {
        Alg::Es256
    } else {
        Alg::Ps256
    }
}

/// Whether the profile binds tokens with DPoP (else MTLS, `x5t#S256`).
pub fn uses_dpop(profile: &Profile) -> bool {
    profile.sender.contains(&SenderConstraint::Dpop)
}

/// The client authentication a profile's parties use: `private_key_jwt`
/// where allowed, else `tls_client_auth` (BG-MTLS).
pub fn auth_for(profile: &Profile) -> ClientAuthMethod {
    if profile
        .client_auth
        .contains(&ClientAuthMethod::PrivateKeyJwt)
    {
        ClientAuthMethod::PrivateKeyJwt
    } else {
        ClientAuthMethod::TlsClientAuth
    }
}

/// The algorithms of an ID token encrypted to the party, where the demo
/// registers encryption: the CDR (CDR-ALG: RSA-OAEP-256 with A256GCM,
/// Consumer Data Standards). Open Finance Brasil refuses encrypted ID
/// tokens (OFB Security Profile §5.2.2.1); the other profiles sign only.
pub fn id_token_encryption(profile: &Profile) -> Option<(KeyAlg, &'static str)> {
    (profile.name == Profile::CDR.name).then_some((KeyAlg::RsaOaep256, "A256GCM"))
}

fn key(alg: Alg) -> Result<SigningKey, Failure> {
    SigningKey::generate(alg).map_err(|e| Failure::key("a software key", &e))
}

/// A party before the bank runs: its keys, certificate and registration.
pub struct Prepared {
    client_id: &'static str,
    name: &'static str,
    profile: Profile,
    signing: SigningKey,
    dpop_key: Option<SigningKey>,
    decryption: Option<Arc<DecryptionKey>>,
    identity: String,
    /// Its registration at the bank.
    pub registration: ClientConfig,
}

impl Prepared {
    /// Fresh keys for `profile`, a client certificate for
    /// `CN=<client_id>` from the development CA, the registration.
    pub fn new(
        profile: &Profile,
        client_id: &'static str,
        name: &'static str,
        ca: &DevCa,
    ) -> Result<Self, Failure> {
        let alg = alg_for(profile);
        let auth = auth_for(profile);
        let signing = key(alg)?;
        let dpop_key = if uses_dpop(profile) {
            Some(key(alg)?)
        } else {
            None
        };
        let jwks = KeySet::new(signing.clone())
            .jwks_json()
            .map_err(|e| Failure::refused("the client JWKS", e))?;
        // Where the profile encrypts ID tokens: an RSA `"use":"enc"` key
        // in the registered JWK Set, and the registration naming the
        // algorithms (OpenID Connect Registration §2).
        let encryption = id_token_encryption(profile);
        let (jwks, decryption) = match encryption {
            Some((alg, _)) => {
                let key = DecryptionKey::generate()
                    .map_err(|e| Failure::key("an encryption key", &e))?
                    .with_key_id(&format!("{client_id}-enc-1"))
                    .map_err(|e| Failure::key("an encryption key", &e))?;
                let mut doc: serde_json::Value = serde_json::from_str(&jwks)
                    .map_err(|e| Failure::environment("the client JWKS", e))?;
                let enc: serde_json::Value = serde_json::from_str(&key.public_jwk_json(alg))
                    .map_err(|e| Failure::environment("the client JWKS", e))?;
                if let Some(keys) = doc["keys"].as_array_mut() {
                    keys.push(enc);
                }
                (doc.to_string(), Some(Arc::new(key)))
            }
            None => (jwks, None),
        };
        let dn = format!("CN={client_id},O={name}");
        let (cert, cert_key) = ca
            .client_certificate(&dn)
            .map_err(|e| Failure::environment("a client certificate", e))?;
        Ok(Self {
            client_id,
            name,
            profile: *profile,
            signing,
            dpop_key,
            decryption,
            identity: format!("{cert}\n{cert_key}"),
            registration: ClientConfig {
                client_id: client_id.into(),
                name: name.into(),
                redirect_uris: vec![REDIRECT.into()],
                auth: auth.name().into(),
                jwks: Some(jwks),
                jwks_file: None,
                tls_client_auth_subject_dn: (auth == ClientAuthMethod::TlsClientAuth).then_some(dn),
                scopes: vec!["openid".into(), "accounts".into(), "payments".into()],
                id_token_encrypted_response_alg: encryption.map(|(alg, _)| alg.name().into()),
                id_token_encrypted_response_enc: encryption.map(|(_, enc)| enc.into()),
                ..ClientConfig::default()
            },
        })
    }

    /// Its signing key and its DPoP key, if any.
    pub fn keys(&self) -> (SigningKey, Option<SigningKey>) {
        (self.signing.clone(), self.dpop_key.clone())
    }

    /// The party as `fapi probe` acts it (the client file's content): its
    /// key, client authentication and TLS identity, `openid accounts`
    /// with a consent taken from `consents` for each authorization.
    pub fn probe_client(&self, consents: crate::probe::ConsentQueue) -> crate::probe::ClientFile {
        let auth = auth_for(&self.profile);
        let mtls = self.dpop_key.is_none() || auth != ClientAuthMethod::PrivateKeyJwt;
        crate::probe::ClientFile {
            path: std::path::PathBuf::from(format!("{}.toml", self.client_id)),
            client_id: self.client_id.to_owned(),
            key: self.signing.clone(),
            auth,
            redirect_uri: REDIRECT.to_owned(),
            scope: "openid accounts".to_owned(),
            identity_pem: mtls.then(|| zeroize::Zeroizing::new(self.identity.clone())),
            par_params: std::collections::BTreeMap::new(),
            consent_command: None,
            consents: Some(consents),
        }
    }

    /// The party, talking to the bank at `issuer` whose CA is `ca_pem`.
    pub fn connect(self, issuer: &str, ca_pem: &str) -> Result<Party, Failure> {
        let dpop = self.dpop_key.is_some();
        let auth = auth_for(&self.profile);
        let mut b = Client::builder(self.profile, self.client_id, issuer)
            .redirect_uri(REDIRECT)
            .signing_key(self.signing.clone())
            .tls_client_auth(auth != ClientAuthMethod::PrivateKeyJwt);
        if let Some(k) = &self.dpop_key {
            b = b.dpop_key(k.clone());
        }
        // CDR: a 90-day sharing duration, so that refresh tokens are issued.
        if self.profile.refresh_within_sharing_duration {
            b = b.sharing_duration(90 * 24 * 3600);
        }
        let client = b.build().map_err(|e| Failure::fapi("the client", &e))?;
        // Mutual TLS where tokens are certificate-bound or the client
        // authenticates by certificate; under DPoP no certificate at all.
        let mtls = !dpop || auth != ClientAuthMethod::PrivateKeyJwt;
        let http = Http::new(ca_pem, mtls.then_some(self.identity.as_str()))?;
        Ok(Party {
            client_id: self.client_id,
            name: self.name,
            client,
            signing_key: self.signing,
            http,
            dpop,
            jwt_auth: auth == ClientAuthMethod::PrivateKeyJwt,
            issuer: issuer.to_owned(),
            ca_pem: ca_pem.to_owned(),
            profile: self.profile,
            decryption: self.decryption,
            dpop_key: self.dpop_key,
            bank_jwks: OnceLock::new(),
        })
    }
}

/// A party talking to the bank.
pub struct Party {
    /// The client id.
    pub client_id: &'static str,
    /// The name the bank shows on its consent page (F2-AS-INFO).
    pub name: &'static str,
    /// The fapi client.
    pub client: Client,
    /// The key of its assertions and request objects.
    pub signing_key: SigningKey,
    /// Its HTTPS client.
    pub http: Http,
    /// Whether tokens are DPoP-bound (else certificate-bound).
    pub dpop: bool,
    /// Whether it authenticates with `private_key_jwt` (else by its TLS
    /// certificate).
    pub jwt_auth: bool,
    /// The issuer.
    pub issuer: String,
    /// The bank's development CA.
    pub ca_pem: String,
    /// The profile.
    pub profile: Profile,
    /// The key its ID tokens are encrypted to, where it registered
    /// encryption ([`id_token_encryption`]).
    pub decryption: Option<Arc<DecryptionKey>>,
    /// Its DPoP key, if any.
    pub dpop_key: Option<SigningKey>,
    bank_jwks: OnceLock<String>,
}

/// The OAuth error of a DPoP nonce challenge (RFC 9449 §8, §9).
fn wants_nonce(a: &Answer) -> bool {
    (a.status == 400 || a.status == 401) && a.oauth_error().as_deref() == Some("use_dpop_nonce")
}

impl Party {
    /// The signed ID token inside `id_token`: a JWE (RFC 7516, a nested
    /// JWT: RFC 7519 §5.2) decrypted with the party's key under the
    /// profile's allow-lists (CDR-ALG), or `id_token` itself when signed
    /// only. A JWE the party cannot decrypt is refused with the core's
    /// error.
    pub fn signed_id_token(&self, id_token: &str) -> Result<String, fapi::Error> {
        if id_token.split('.').count() != 5 {
            return Ok(id_token.to_owned());
        }
        let key = self.decryption.as_ref().ok_or(fapi::Error::at(
            fapi_core::Error::Encrypted,
            Site::TokenRequest,
        ))?;
        let policy = fapi::jwe::Policy::from_profile(&self.profile);
        Ok(key.decrypt_nested_jwt(id_token, &policy)?.to_string())
    }

    /// The bank's published keys (`/jwks`): what its ID tokens and JARM
    /// responses are verified with.
    pub async fn issuer_keys(&self) -> Result<fapi::IssuerKeys, String> {
        let req = Request::get(self.url("/jwks"))
            .body(String::new())
            .map_err(|e| e.to_string())?;
        let a = self
            .http
            .send(req)
            .await
            .map_err(|e| e.line().unwrap_or_default())?;
        if a.status != 200 {
            return Err(format!("/jwks answered {}", a.status));
        }
        fapi::IssuerKeys::from_jwks_json(&a.body).map_err(|e| e.to_string())
    }

    /// A URL of the bank.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// Sends the request `build` makes, remembers the server's
    /// `DPoP-Nonce`, and on a `use_dpop_nonce` challenge builds (a fresh
    /// proof with the nonce) and sends once more.
    pub async fn call<T>(
        &self,
        build: impl Fn() -> Result<(Request<String>, T), Failure>,
    ) -> Result<(Answer, T), Failure> {
        let (req, extra) = build()?;
        let answer = self.http.send(req).await?;
        self.client.remember_dpop_nonce(&answer.headers);
        if self.dpop && wants_nonce(&answer) {
            let (req, extra) = build()?;
            let again = self.http.send(req).await?;
            self.client.remember_dpop_nonce(&again.headers);
            return Ok((again, extra));
        }
        Ok((answer, extra))
    }

    /// [`Party::call`] for a request without state to keep.
    pub async fn send(
        &self,
        build: impl Fn() -> Result<Request<String>, Failure>,
    ) -> Result<Answer, Failure> {
        Ok(self.call(|| build().map(|r| (r, ()))).await?.0)
    }

    /// The client credentials token request for `scope` (F2-FLOWS): client
    /// authentication and, under DPoP, a proof for the token endpoint.
    pub fn client_credentials(&self, scope: &str) -> Result<Request<String>, Failure> {
        self.client_credentials_for(scope, &self.issuer)
    }

    /// [`Party::client_credentials`] with a client assertion for the
    /// audience `aud`.
    pub fn client_credentials_for(
        &self,
        scope: &str,
        aud: &str,
    ) -> Result<Request<String>, Failure> {
        let token_endpoint = self.url("/token");
        let mut form = form_urlencoded::Serializer::new(String::new());
        let _ = form
            .append_pair("grant_type", "client_credentials")
            .append_pair("scope", scope)
            .append_pair("client_id", self.client_id);
        if self.jwt_auth {
            let assertion = self
                .client
                .client_assertion(aud)
                .map_err(|e| Failure::fapi("a client assertion", &e))?;
            let _ = form
                .append_pair(
                    "client_assertion_type",
                    fapi_core::assertion::ASSERTION_TYPE,
                )
                .append_pair("client_assertion", &assertion);
        }
        let mut b = Request::post(&token_endpoint)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if self.dpop {
            let proof = self
                .client
                .dpop_proof("POST", &token_endpoint, None)
                .map_err(|e| Failure::fapi("a DPoP proof", &e))?;
            b = b.header("dpop", proof);
        }
        b.body(form.finish())
            .map_err(|e| Failure::environment("a token request", e))
    }

    /// A resource request to `path` with `token` (a fresh DPoP proof with
    /// `ath`, or the TLS certificate), with a JSON body when given. Where
    /// the profile requires signed messages (BG-SIGNED-REQ under `berlin`,
    /// FAPI 2.0 HTTP Signatures under `fapi2-ms`) it is signed last, its
    /// headers and body set: `Content-Digest` over the body (RFC 9530),
    /// `Signature-Input` and `Signature` (RFC 9421).
    pub fn resource(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Result<Request<String>, Failure> {
        let mut req = self.resource_unsigned(method, path, token, body, headers)?;
        if self.profile.signed_messages_required {
            // BG-SIGNED-REQ, FAPI 2.0 HTTP Signatures: signed as sent.
            self.client
                .sign_resource_request(&mut req)
                .map_err(|e| Failure::fapi("a resource request signature", &e))?;
        }
        Ok(req)
    }

    /// [`Party::resource`] without its message signature, for the attacks
    /// that sign (or do not sign) it themselves.
    pub fn resource_unsigned(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Result<Request<String>, Failure> {
        let req = self
            .client
            .resource_request(method, &self.url(path), token)
            .map_err(|e| Failure::fapi("a resource request", &e))?;
        let (mut parts, _) = req.into_parts();
        // The signature `resource_request` made for the bare request.
        let _ = parts.headers.remove(fapi::http_sig::SIGNATURE_INPUT);
        let _ = parts.headers.remove(fapi::http_sig::SIGNATURE);
        for (k, v) in headers {
            let name = http::HeaderName::from_bytes(k.as_bytes())
                .map_err(|e| Failure::environment("a header", e))?;
            let value =
                http::HeaderValue::from_str(v).map_err(|e| Failure::environment("a header", e))?;
            let _ = parts.headers.insert(name, value);
        }
        let body = match body {
            Some(b) => {
                let _ = parts.headers.insert(
                    header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                b.to_string()
            }
            None => String::new(),
        };
        Ok(Request::from_parts(parts, body))
    }

    /// Sends the request `build` makes as [`Party::call`] does, and keeps
    /// a copy of the request last sent: what the response's signature is
    /// verified against ([`Party::verify_response`]).
    pub async fn exchange(
        &self,
        build: impl Fn() -> Result<Request<String>, Failure>,
    ) -> Result<(Answer, Request<String>), Failure> {
        self.call(|| {
            let req = build()?;
            let copy = copy_request(&req)?;
            Ok((req, copy))
        })
        .await
    }

    /// The bank's JWK Set as published at the `jwks_uri` of its RFC 8414
    /// metadata: the keys its responses are signed with. Fetched once.
    pub async fn bank_jwks(&self) -> Result<String, String> {
        if let Some(j) = self.bank_jwks.get() {
            return Ok(j.clone());
        }
        let get = |url: String| async move {
            let req = Request::get(url.as_str())
                .body(String::new())
                .map_err(|e| e.to_string())?;
            let a = self
                .http
                .send(req)
                .await
                .map_err(|e| e.line().unwrap_or_default())?;
            if a.status == 200 {
                Ok(a)
            } else {
                Err(format!("{url} answered {}", a.summary()))
            }
        };
        let meta = get(self.url("/.well-known/oauth-authorization-server")).await?;
        let jwks_uri = meta.json()["jwks_uri"]
            .as_str()
            .map(str::to_owned)
            .ok_or("no jwks_uri in the bank's metadata")?;
        let jwks = get(jwks_uri).await?.body;
        Ok(self.bank_jwks.get_or_init(|| jwks).clone())
    }

    /// Where the profile requires signed messages (BG-SIGNED-REQ,
    /// FAPI 2.0 HTTP Signatures): the bank's `fapi-2-response` signature
    /// on `answer`, verified against `request` (as sent, its signature
    /// included) with the bank's published keys
    /// (`Client::verify_resource_response`); `None` under other profiles.
    /// A response without a valid signature is the client's refusal, the
    /// core's error.
    pub async fn verify_response(
        &self,
        request: &Request<String>,
        answer: &Answer,
    ) -> Result<Option<MessageSignature>, String> {
        if !self.profile.signed_messages_required {
            return Ok(None);
        }
        let jwks = self.bank_jwks().await?;
        self.client
            .verify_resource_response(
                request,
                answer.status,
                &answer.headers,
                answer.body.as_bytes(),
                &jwks,
            )
            .map(Some)
            .map_err(|e| format!("the bank's response signature refused: {e}"))
    }
}

/// A copy of `req`: method, URI, every header line, body.
pub fn copy_request(req: &Request<String>) -> Result<Request<String>, Failure> {
    let mut b = Request::builder()
        .method(req.method().clone())
        .uri(req.uri().clone());
    for (k, v) in req.headers() {
        b = b.header(k, v);
    }
    b.body(req.body().clone())
        .map_err(|e| Failure::environment("a copy of the request", e))
}
