//! The client file of `fapi probe` (TOML): the registered client the
//! probe acts as. Paths are relative to the file's directory.
//!
//! ```toml
//! client_id = "fintech-1"
//! key = "client.jwk.json"          # PKCS#8 PEM, private JWK, or pkcs11: URI
//! auth = "private_key_jwt"         # or tls_client_auth, self_signed_tls_client_auth
//! redirect_uri = "https://client.example/cb"
//! scope = "openid accounts"
//! tls_cert = "client.crt.pem"      # mutual TLS: the chain and its key
//! tls_key = "client.key.pem"
//! # A command run before each authorization, in the file's directory,
//! # whose last line of stdout is a fresh consent (intent) id, for servers
//! # that authorise one consent per authorization (UK Open Banking).
//! consent_command = "./new-consent.sh"
//! [par_params]
//! consent_id = "..."
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fapi::SigningKey;
use fapi_core::profile::ClientAuthMethod;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::failure::Failure;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    client_id: String,
    key: String,
    #[serde(default)]
    auth: Option<String>,
    redirect_uri: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    tls_cert: Option<String>,
    #[serde(default)]
    tls_key: Option<String>,
    #[serde(default)]
    consent_command: Option<String>,
    #[serde(default)]
    par_params: BTreeMap<String, String>,
}

/// A registered client, loaded.
pub struct ClientFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// `client_id`.
    pub client_id: String,
    /// The key of its client assertions and request objects
    /// (`fapi::SigningKey`, the one key loader).
    pub key: SigningKey,
    /// Its client authentication.
    pub auth: ClientAuthMethod,
    /// Its registered redirect URI.
    pub redirect_uri: String,
    /// The scope of the happy flow.
    pub scope: String,
    /// Its TLS client certificate chain and key (PEM), when it has one.
    pub identity_pem: Option<Zeroizing<String>>,
    /// Extra parameters of its pushed authorization requests.
    pub par_params: BTreeMap<String, String>,
    /// A command whose last line of stdout is a fresh consent id, run in
    /// the file's directory before each authorization.
    pub consent_command: Option<String>,
    /// Consent ids made beforehand, one taken per authorization (the
    /// probe run in process by `fapi demo`).
    pub consents: Option<ConsentQueue>,
}

/// Consent ids made beforehand, one taken per authorization.
pub type ConsentQueue = std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<String>>>;

impl core::fmt::Debug for ClientFile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientFile")
            .field("path", &self.path)
            .field("client_id", &self.client_id)
            .field("auth", &self.auth.name())
            .finish_non_exhaustive()
    }
}

fn auth_method(name: &str) -> Option<ClientAuthMethod> {
    [
        ClientAuthMethod::PrivateKeyJwt,
        ClientAuthMethod::TlsClientAuth,
        ClientAuthMethod::SelfSignedTlsClientAuth,
    ]
    .into_iter()
    .find(|m| m.name() == name)
}

impl ClientFile {
    /// Reads and checks the client file at `path`: every problem is a
    /// usage error naming the file and the value.
    pub fn load(path: &Path) -> Result<Self, Failure> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(&shown, format!("cannot read the client file: {e}")))?;
        let raw: Raw = toml::from_str(&text)
            .map_err(|e| Failure::usage(&shown, format!("not a client file: {}", e.message())))?;
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        let resolve = |p: &str| dir.join(p);
        let key = if raw
            .key
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("pkcs11:"))
        {
            SigningKey::from_config(&raw.key)
        } else {
            SigningKey::from_file(resolve(&raw.key))
        }
        .map_err(|e| Failure::usage(&shown, format!("key {}: {e}", raw.key)))?;
        let auth_name = raw.auth.as_deref().unwrap_or("private_key_jwt");
        let auth = auth_method(auth_name).ok_or_else(|| {
            Failure::usage(
                &shown,
                format!(
                    "auth {auth_name:?}: expected private_key_jwt, tls_client_auth or self_signed_tls_client_auth"
                ),
            )
        })?;
        let identity_pem = match (&raw.tls_cert, &raw.tls_key) {
            (Some(c), Some(k)) => {
                let read = |p: &str| {
                    std::fs::read_to_string(resolve(p))
                        .map_err(|e| Failure::usage(&shown, format!("{p}: {e}")))
                };
                let cert = read(c)?;
                let key = Zeroizing::new(read(k)?);
                Some(Zeroizing::new(format!("{cert}\n{}", key.as_str())))
            }
            (None, None) => None,
            _ => {
                return Err(Failure::usage(
                    &shown,
                    "tls_cert and tls_key go together: give both or neither",
                ));
            }
        };
        if auth != ClientAuthMethod::PrivateKeyJwt && identity_pem.is_none() {
            return Err(Failure::usage(
                &shown,
                format!("auth {auth_name} needs tls_cert and tls_key"),
            ));
        }
        if url::Url::parse(&raw.redirect_uri).is_err() {
            return Err(Failure::usage(
                &shown,
                format!("redirect_uri {:?} is not an absolute URL", raw.redirect_uri),
            ));
        }
        Ok(Self {
            path: path.to_owned(),
            client_id: raw.client_id,
            key,
            auth,
            redirect_uri: raw.redirect_uri,
            scope: raw.scope.unwrap_or_else(|| "openid".to_owned()),
            identity_pem,
            par_params: raw.par_params,
            consent_command: raw.consent_command,
            consents: None,
        })
    }
}
