//! A client the probe acts as: its file, a `fapi::Client` on the
//! endpoints of the metadata (the mutual-TLS aliases where it has a
//! certificate), its HTTPS clients (with and without its certificate) and
//! the server's latest DPoP nonce.

use std::sync::Mutex;

use fapi::{Client, SigningKey};
use fapi_core::Alg;
use fapi_core::Signer as _;
use fapi_core::profile::{ClientAuthMethod, Profile};
use http::{Request, header};

use super::client_file::ClientFile;
use super::jwt;
use super::metadata::Metadata;
use crate::failure::Failure;
use crate::https::{Answer, Http};

/// A registered client, connected.
pub struct Party {
    /// Its file.
    pub file: ClientFile,
    /// The fapi client (the happy flow).
    pub client: Client,
    /// HTTPS with its client certificate, when it has one.
    pub http: Http,
    /// HTTPS without a client certificate.
    pub bare: Http,
    /// Its DPoP key, when tokens are DPoP-bound.
    pub dpop_key: Option<SigningKey>,
    /// The token endpoint it uses.
    pub token_endpoint: String,
    /// The PAR endpoint it uses.
    pub par_endpoint: String,
    /// The authorization endpoint.
    pub authorization_endpoint: String,
    nonce: Mutex<Option<String>>,
}

impl core::fmt::Debug for Party {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Party")
            .field("client_id", &self.file.client_id)
            .finish_non_exhaustive()
    }
}

/// The OAuth error of a DPoP nonce challenge (RFC 9449 §8, §9).
fn wants_nonce(a: &Answer) -> bool {
    (a.status == 400 || a.status == 401) && a.oauth_error().as_deref() == Some("use_dpop_nonce")
}

/// The algorithm of the probe's DPoP keys: ES256 where the profile and
/// the server allow it, else the profile's first the server lists.
fn dpop_alg(profile: &Profile, meta: &Metadata) -> Alg {
    let listed = |a: Alg| {
        meta.doc
            .get("dpop_signing_alg_values_supported")
            .and_then(|v| v.as_array())
            .is_none_or(|l| l.iter().any(|x| x.as_str() == Some(a.name())))
    };
    profile
        .algs
        .iter()
        .copied()
        .find(|a| *a == Alg::Es256 && listed(*a))
        .or_else(|| profile.algs.iter().copied().find(|a| listed(*a)))
        .unwrap_or(Alg::Es256)
}

impl Party {
    /// Connects the client of `file` to the server of `meta`.
    pub fn connect(
        file: ClientFile,
        profile: &Profile,
        meta: &Metadata,
        ca_pem: Option<&str>,
        dpop: bool,
    ) -> Result<Self, Failure> {
        let mtls = file.identity_pem.is_some();
        let endpoint = |name: &str| {
            if mtls {
                meta.mtls_endpoint(name)
            } else {
                meta.endpoint(name)
            }
        };
        let token_endpoint = endpoint("token_endpoint")?;
        let par_endpoint = endpoint("pushed_authorization_request_endpoint")?;
        let authorization_endpoint = meta.endpoint("authorization_endpoint")?;
        let shown = file.path.display().to_string();
        let dpop_key = if dpop {
            Some(
                SigningKey::generate(dpop_alg(profile, meta))
                    .map_err(|e| Failure::key("a DPoP key", &e))?,
            )
        } else {
            None
        };
        let mut b = Client::builder(*profile, &file.client_id, &meta.issuer)
            .redirect_uri(&file.redirect_uri)
            .signing_key(file.key.clone())
            .tls_client_auth(file.auth != ClientAuthMethod::PrivateKeyJwt)
            .token_endpoint(&token_endpoint)
            .par_endpoint(&par_endpoint)
            .authorization_endpoint(&authorization_endpoint);
        if let Some(k) = &dpop_key {
            b = b.dpop_key(k.clone());
        }
        if let Some(d) = file
            .par_params
            .get("sharing_duration")
            .and_then(|d| d.parse().ok())
        {
            b = b.sharing_duration(d);
        }
        let client = b
            .build()
            .map_err(|e| Failure::usage(&shown, format!("the client: {e}")))?;
        let http = Http::with_roots(ca_pem, file.identity_pem.as_deref().map(|s| s.as_str()))?;
        let bare = Http::with_roots(ca_pem, None)?;
        Ok(Self {
            file,
            client,
            http,
            bare,
            dpop_key,
            token_endpoint,
            par_endpoint,
            authorization_endpoint,
            nonce: Mutex::new(None),
        })
    }

    /// Its client id.
    pub fn id(&self) -> &str {
        &self.file.client_id
    }

    /// Whether it authenticates with `private_key_jwt`.
    pub fn jwt_auth(&self) -> bool {
        self.file.auth == ClientAuthMethod::PrivateKeyJwt
    }

    /// The server's latest DPoP nonce.
    pub fn nonce(&self) -> Option<String> {
        self.nonce
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn remember(&self, a: &Answer) {
        self.client.remember_dpop_nonce(&a.headers);
        if let Some(n) = a.header("dpop-nonce") {
            *self
                .nonce
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(n.to_owned());
        }
    }

    /// Sends the request `build` makes (over `http`, or without the
    /// client certificate when `bare`), remembers the server's DPoP nonce,
    /// and on a `use_dpop_nonce` challenge builds and sends once more.
    pub async fn call_with<T>(
        &self,
        bare: bool,
        build: impl Fn() -> Result<(Request<String>, T), String>,
    ) -> Result<(Answer, T), String> {
        let http = if bare { &self.bare } else { &self.http };
        let (req, extra) = build()?;
        let a = http.send(req).await.map_err(|f| why(&f))?;
        self.remember(&a);
        if wants_nonce(&a) {
            let (req, extra) = build()?;
            let again = http.send(req).await.map_err(|f| why(&f))?;
            self.remember(&again);
            return Ok((again, extra));
        }
        Ok((a, extra))
    }

    /// [`Party::call_with`] over its own TLS identity, nothing kept.
    pub async fn send(
        &self,
        build: impl Fn() -> Result<Request<String>, String>,
    ) -> Result<Answer, String> {
        Ok(self.call_with(false, || build().map(|r| (r, ()))).await?.0)
    }

    /// A form POST to `url` with `pairs` and, when given, a `DPoP` header.
    pub fn post(
        url: &str,
        pairs: &[(String, String)],
        dpop: Option<String>,
    ) -> Result<Request<String>, String> {
        let mut f = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            let _ = f.append_pair(k, v);
        }
        let mut b =
            Request::post(url).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(p) = dpop {
            b = b.header("dpop", p);
        }
        b.body(f.finish()).map_err(|e| format!("POST {url}: {e}"))
    }

    /// The client authentication parameters of a request to the server:
    /// `client_id`, and a fresh assertion for `aud` under
    /// `private_key_jwt` (the certificate authenticates otherwise).
    pub fn auth_pairs(&self, aud: &str) -> Result<Vec<(String, String)>, String> {
        let mut v = vec![("client_id".to_owned(), self.id().to_owned())];
        if self.jwt_auth() {
            let a = self.assertion(
                &jwt::assertion_claims(self.id(), aud),
                jwt::Sig::Key(&self.file.key),
            )?;
            v.push((
                "client_assertion_type".into(),
                fapi_core::assertion::ASSERTION_TYPE.into(),
            ));
            v.push(("client_assertion".into(), a));
        }
        Ok(v)
    }

    /// A client assertion with `claims`, signed as `sig` says.
    pub fn assertion(
        &self,
        claims: &serde_json::Value,
        sig: jwt::Sig<'_>,
    ) -> Result<String, String> {
        jwt::sign(sig, "JWT", false, claims)
    }

    /// A DPoP proof of its key for `htm` `htu` with the latest nonce.
    pub fn proof(
        &self,
        htm: &str,
        htu: &str,
        access_token: Option<&str>,
    ) -> Result<Option<String>, String> {
        match &self.dpop_key {
            Some(k) => {
                let claims = jwt::dpop_claims(htm, htu, self.nonce().as_deref(), access_token);
                jwt::dpop_proof(k, &claims).map(Some)
            }
            None => Ok(None),
        }
    }

    /// The consent its next authorization names: a fresh one from its
    /// `consent_command`, else its `par_params.consent_id`.
    pub async fn consent(&self) -> Result<Option<String>, String> {
        if let Some(q) = &self.file.consents {
            return q
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .pop_front()
                .map(Some)
                .ok_or_else(|| "no consent left for another authorization".to_owned());
        }
        match &self.file.consent_command {
            Some(cmd) => super::agent::shell(
                "consent_command",
                cmd.clone(),
                Vec::new(),
                Vec::new(),
                self.file
                    .path
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .map(std::path::Path::to_path_buf),
            )
            .await
            .map(Some),
            None => Ok(self.file.par_params.get("consent_id").cloned()),
        }
    }

    /// The `kid` of its signing key.
    pub fn kid(&self) -> &str {
        self.file.key.key_id()
    }
}

/// A failure's line, without its `error: ` prefix.
pub fn why(f: &Failure) -> String {
    f.line()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_owned()
}
