//! The server's configuration: the clients and users files (TOML), and
//! [`ServerConfig`], built from the command line ([`ServerConfig::from_args`])
//! or in code with builder-style setters.

use core::net::SocketAddr;
use std::path::{Path, PathBuf};

use fapi::SigningKey;
use fapi::issuer::ClientRegistration;
use fapi_core::Alg;
use fapi_core::profile::Profile;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::error::ServeError;
use crate::serve::ServeArgs;
use crate::storage::stores::Stores;
use crate::tls::dev_ca::DevCa;

/// A registered client, as written in the clients file.
///
/// ```
/// use fapi_server::config::ClientConfig;
/// let c: ClientConfig = toml::from_str(r#"
///     client_id = "fintech-1"
///     name = "Fintech One Ltd"
///     redirect_uris = ["https://fintech.example/cb"]
///     auth = "tls_client_auth"
///     tls_client_auth_subject_dn = "CN=fintech-1,O=Fintech One"
///     scopes = ["openid", "accounts"]
/// "#).unwrap();
/// assert_eq!(c.client_id, "fintech-1");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// `client_id`.
    pub client_id: String,
    /// The name the consent page shows (F2-AS-INFO).
    pub name: String,
    /// The registered redirect URIs (`https`, F2-TLS-RESP).
    pub redirect_uris: Vec<String>,
    /// `private_key_jwt`, `tls_client_auth` or `self_signed_tls_client_auth`.
    pub auth: String,
    /// The public JWK Set (JSON): assertion and request object keys, and the
    /// certificate (`x5c`) for `self_signed_tls_client_auth`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<String>,
    /// A file holding the public JWK Set, instead of `jwks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_file: Option<PathBuf>,
    /// The subject DN (RFC 4514) of its certificate, for `tls_client_auth`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_auth_subject_dn: Option<String>,
    /// The scopes it may ask for.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// `id_token_signed_response_alg` (OpenID Connect Registration §2):
    /// the server's key algorithm, one of the profile's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_signed_response_alg: Option<String>,
    /// `id_token_encrypted_response_alg`: `RSA-OAEP` or `RSA-OAEP-256`,
    /// within the profile's `jwe_algs` (OFB-ALG, CDR-ALG).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_encrypted_response_alg: Option<String>,
    /// `id_token_encrypted_response_enc` (default `A128CBC-HS256`), within
    /// the profile's `jwe_encs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_encrypted_response_enc: Option<String>,
    /// `authorization_signed_response_alg` (JARM §3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_signed_response_alg: Option<String>,
    /// `authorization_encrypted_response_alg` (JARM §3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_encrypted_response_alg: Option<String>,
    /// `authorization_encrypted_response_enc` (JARM §3, default
    /// `A128CBC-HS256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_encrypted_response_enc: Option<String>,
    /// `introspection_signed_response_alg` (RFC 9701 §6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_signed_response_alg: Option<String>,
    /// `introspection_encrypted_response_alg` (RFC 9701 §6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_encrypted_response_alg: Option<String>,
    /// `introspection_encrypted_response_enc` (RFC 9701 §6, default
    /// `A128CBC-HS256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_encrypted_response_enc: Option<String>,
}

impl ClientConfig {
    /// The client as the issuer registers it: its authentication, JWK Set
    /// and the nine response fields (OpenID Connect Registration §2, JARM
    /// §3, RFC 9701 §6), with which [`fapi::Issuer::id_token`],
    /// [`fapi::Issuer::jarm`] and [`fapi::Issuer::signed_introspection`]
    /// sign and, where registered, encrypt. Its redirect URIs are `https`
    /// (F2-TLS-RESP). Not yet checked against a profile: see
    /// [`ClientConfig::check_responses`].
    pub fn registration(&self) -> Result<ClientRegistration, ServeError> {
        let id = &self.client_id;
        let jwks = self.jwks_json()?;
        for r in &self.redirect_uris {
            // F2-TLS-RESP: redirect URIs are https.
            fapi_core::authorize::check_redirect_uri(&Profile::FAPI2, r)
                .map_err(|e| ServeError::Config(format!("client {id}: redirect URI {r}: {e}")))?;
        }
        let need = |what: &str| ServeError::Config(format!("client {id}: {what} is required"));
        let mut reg = match self.auth.as_str() {
            "private_key_jwt" => ClientRegistration::private_key_jwt(
                id,
                &self.name,
                &jwks.ok_or_else(|| need("jwks or jwks_file"))?,
            ),
            "tls_client_auth" => {
                let mut r = ClientRegistration::tls_client_auth(
                    id,
                    &self.name,
                    self.tls_client_auth_subject_dn
                        .as_deref()
                        .ok_or_else(|| need("tls_client_auth_subject_dn"))?,
                );
                r.jwks = jwks;
                r
            }
            "self_signed_tls_client_auth" => ClientRegistration::self_signed_tls_client_auth(
                id,
                &self.name,
                &jwks.ok_or_else(|| need("jwks or jwks_file"))?,
            ),
            other => {
                return Err(ServeError::Config(format!(
                    "client {id}: auth {other} is not private_key_jwt, tls_client_auth or self_signed_tls_client_auth"
                )));
            }
        };
        // OpenID Connect Registration §2, JARM §3, RFC 9701 §6: the response
        // algorithms the client registered; the issuer signs with the
        // first three and encrypts with the rest.
        reg.id_token_signed_response_alg
            .clone_from(&self.id_token_signed_response_alg);
        reg.id_token_encrypted_response_alg
            .clone_from(&self.id_token_encrypted_response_alg);
        reg.id_token_encrypted_response_enc
            .clone_from(&self.id_token_encrypted_response_enc);
        reg.authorization_signed_response_alg
            .clone_from(&self.authorization_signed_response_alg);
        reg.authorization_encrypted_response_alg
            .clone_from(&self.authorization_encrypted_response_alg);
        reg.authorization_encrypted_response_enc
            .clone_from(&self.authorization_encrypted_response_enc);
        reg.introspection_signed_response_alg
            .clone_from(&self.introspection_signed_response_alg);
        reg.introspection_encrypted_response_alg
            .clone_from(&self.introspection_encrypted_response_alg);
        reg.introspection_encrypted_response_enc
            .clone_from(&self.introspection_encrypted_response_enc);
        Ok(reg)
    }

    /// The client's registration ([`ClientConfig::registration`]) checked
    /// at start against `profile` and the server's signing algorithm
    /// `signing_alg`; a refusal is one line naming the client, the field,
    /// the value and what is allowed.
    ///
    /// - The `fapi` crate's rules ([`ClientRegistration::check`]): each
    ///   `*_signed_response_alg` one of the profile's (F2-ALG, OB-ALG,
    ///   OFB-ALG, CDR-ALG); each `*_encrypted_response_alg`/`_enc` within
    ///   the profile's JWE lists (OFB-ALG, CDR-ALG; elsewhere what fapi
    ///   implements), an `enc` only with its `alg`, and an RSA
    ///   `"use": "enc"` key in the client's JWK Set to encrypt to.
    /// - This server's: it has one key, so each `*_signed_response_alg`
    ///   is `signing_alg`.
    pub fn check_responses(
        &self,
        profile: &Profile,
        signing_alg: Alg,
    ) -> Result<ClientRegistration, ServeError> {
        let id = &self.client_id;
        let reg = self.registration()?;
        reg.check(profile)
            .map_err(|e| registration_refused(id, profile, &e))?;
        for (field, value) in [
            (
                "id_token_signed_response_alg",
                &self.id_token_signed_response_alg,
            ),
            (
                "authorization_signed_response_alg",
                &self.authorization_signed_response_alg,
            ),
            (
                "introspection_signed_response_alg",
                &self.introspection_signed_response_alg,
            ),
        ] {
            if let Some(v) = value
                && v != signing_alg.name()
            {
                return Err(ServeError::Config(format!(
                    "client {id}: {field} {v}: this server signs with {} (its key)",
                    signing_alg.name()
                )));
            }
        }
        Ok(reg)
    }

    /// The JWK Set, from `jwks` or read from `jwks_file`.
    pub fn jwks_json(&self) -> Result<Option<String>, ServeError> {
        match (&self.jwks, &self.jwks_file) {
            (Some(j), None) => Ok(Some(j.clone())),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map(Some)
                .map_err(|e| ServeError::io(path, &e)),
            (None, None) => Ok(None),
            (Some(_), Some(_)) => Err(ServeError::Config(format!(
                "client {}: both jwks and jwks_file",
                self.client_id
            ))),
        }
    }
}

/// The start-up line of a registration the `fapi` crate refused: the
/// client and the profile, then the field with what is allowed and the
/// value it has (from the error's expected and got).
fn registration_refused(client_id: &str, profile: &Profile, e: &fapi::Error) -> ServeError {
    ServeError::Config(match e {
        fapi::Error::Mismatch { expected, got, .. } => format!(
            "client {client_id}: under {}, expected {expected}, got {got}",
            profile.name
        ),
        other => format!("client {client_id}: under {}: {other}", profile.name),
    })
}

/// A user of the test bank, as written in the users file. `Debug` leaves
/// out the password, which is zeroized on drop.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// The login name (and the `sub` of its tokens).
    pub username: String,
    /// The password.
    pub password: String,
    /// The display name.
    #[serde(default)]
    pub name: String,
}

impl UserConfig {
    /// A user.
    ///
    /// ```
    /// let u = fapi_server::config::UserConfig::new("alice", "alice-password", "Alice Example");
    /// assert!(!format!("{u:?}").contains("alice-password"));
    /// ```
    #[must_use]
    pub fn new(username: &str, password: &str, name: &str) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
            name: name.into(),
        }
    }

    /// The default test users: `alice` / `alice-password`, `bob` /
    /// `bob-password`.
    #[must_use]
    pub fn defaults() -> Vec<Self> {
        vec![
            Self::new("alice", "alice-password", "Alice Example"),
            Self::new("bob", "bob-password", "Bob Example"),
        ]
    }
}

impl Drop for UserConfig {
    fn drop(&mut self) {
        self.password.zeroize();
    }
}

impl core::fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UserConfig")
            .field("username", &self.username)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientsFile {
    #[serde(default)]
    client: Vec<ClientConfig>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    #[serde(default)]
    user: Vec<UserConfig>,
}

/// Reads a clients file (`[[client]]` tables). Relative `jwks_file` paths
/// are taken from the file's folder.
pub fn load_clients(path: &Path) -> Result<Vec<ClientConfig>, ServeError> {
    let text = std::fs::read_to_string(path).map_err(|e| ServeError::io(path, &e))?;
    let file: ClientsFile = toml::from_str(&text)
        .map_err(|e| ServeError::Config(format!("{}: {e}", path.display())))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    Ok(file
        .client
        .into_iter()
        .map(|mut c| {
            if let Some(f) = c.jwks_file.as_mut()
                && f.is_relative()
            {
                *f = dir.join(&*f);
            }
            c
        })
        .collect())
}

/// Reads a users file (`[[user]]` tables).
pub fn load_users(path: &Path) -> Result<Vec<UserConfig>, ServeError> {
    let text = std::fs::read_to_string(path).map_err(|e| ServeError::io(path, &e))?;
    let file: UsersFile = toml::from_str(&text)
        .map_err(|e| ServeError::Config(format!("{}: {e}", path.display())))?;
    Ok(file.user)
}

/// Where the server's TLS certificate comes from.
#[derive(Clone, Debug)]
pub enum TlsSource {
    /// A certificate chain and its key, PEM files.
    Files {
        /// The certificate chain.
        cert: PathBuf,
        /// The private key.
        key: PathBuf,
    },
    /// A development CA signs a server certificate for 127.0.0.1,
    /// `::1` and `localhost` at start.
    DevCa(DevCa),
}

/// The whole configuration of one server.
///
/// ```
/// use fapi_server::ServerConfig;
/// use fapi_server::config::UserConfig;
/// use fapi_core::profile::Profile;
///
/// let config = ServerConfig::new(Profile::FAPI2)
///     .listen("127.0.0.1:0".parse().unwrap())
///     .user(UserConfig::new("carol", "carol-password", "Carol"));
/// # let _ = config;
/// ```
pub struct ServerConfig {
    pub(crate) profile: Profile,
    pub(crate) listen: SocketAddr,
    pub(crate) issuer: Option<String>,
    pub(crate) tls: Option<TlsSource>,
    pub(crate) clients: Vec<ClientConfig>,
    pub(crate) users: Vec<UserConfig>,
    pub(crate) users_set: bool,
    pub(crate) signing_key: Option<SigningKey>,
    pub(crate) nonce_key: Option<[u8; 32]>,
    pub(crate) stores: Option<Stores>,
    pub(crate) plain_http: bool,
    pub(crate) dev_ca_dir: PathBuf,
}

impl core::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("profile", &self.profile.name)
            .field("listen", &self.listen)
            .field("issuer", &self.issuer)
            .field("clients", &self.clients.len())
            .field("plain_http", &self.plain_http)
            .finish_non_exhaustive()
    }
}

impl Drop for ServerConfig {
    fn drop(&mut self) {
        if let Some(k) = self.nonce_key.as_mut() {
            k.zeroize();
        }
    }
}

impl ServerConfig {
    /// A configuration for `profile`: listening on 127.0.0.1:8443, the
    /// default users, a development CA kept in memory, a fresh signing
    /// key and nonce key, in-memory stores.
    #[must_use]
    pub fn new(profile: Profile) -> Self {
        Self {
            profile,
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            issuer: None,
            tls: None,
            clients: Vec::new(),
            users: UserConfig::defaults(),
            users_set: false,
            signing_key: None,
            nonce_key: None,
            stores: None,
            plain_http: false,
            dev_ca_dir: PathBuf::from("fapi-dev"),
        }
    }

    /// The address to listen on (port 0: any free port).
    #[must_use]
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// The issuer identifier (default `https://{bound address}`).
    #[must_use]
    pub fn issuer(mut self, url: &str) -> Self {
        self.issuer = Some(url.trim_end_matches('/').into());
        self
    }

    /// A client.
    #[must_use]
    pub fn client(mut self, client: ClientConfig) -> Self {
        self.clients.push(client);
        self
    }

    /// A user; the first one replaces the default users.
    #[must_use]
    pub fn user(mut self, user: UserConfig) -> Self {
        if !self.users_set {
            self.users.clear();
            self.users_set = true;
        }
        self.users.push(user);
        self
    }

    /// The key that signs access tokens (default: a fresh key of the
    /// profile's first algorithm among ES256, PS256).
    #[must_use]
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// The stores (default [`Stores::memory`]).
    #[must_use]
    pub fn stores(mut self, stores: Stores) -> Self {
        self.stores = Some(stores);
        self
    }

    /// The development CA that signs the server certificate and client
    /// certificates.
    #[must_use]
    pub fn dev_ca(mut self, ca: DevCa) -> Self {
        self.tls = Some(TlsSource::DevCa(ca));
        self
    }

    /// The server certificate chain and key, PEM files.
    #[must_use]
    pub fn tls_files(mut self, cert: PathBuf, key: PathBuf) -> Self {
        self.tls = Some(TlsSource::Files { cert, key });
        self
    }

    /// The DPoP nonce key (share it between nodes of one server).
    #[must_use]
    pub fn nonce_key(mut self, key: [u8; 32]) -> Self {
        self.nonce_key = Some(key);
        self
    }

    /// Serve plain HTTP (only on a loopback address: [`crate::start`]
    /// refuses otherwise).
    #[must_use]
    pub fn plain_http(mut self, on: bool) -> Self {
        self.plain_http = on;
        self
    }

    /// The configuration `fapi serve` flags describe: files read, keys
    /// loaded, the development CA made or loaded in `--dev-ca-dir`.
    pub fn from_args(args: &ServeArgs) -> Result<Self, ServeError> {
        let profile = Profile::from_name(&args.profile)
            .map_err(|_| ServeError::Config(format!("unknown profile {}", args.profile)))?;
        let mut c = Self::new(profile).listen(args.listen);
        c.dev_ca_dir.clone_from(&args.dev_ca_dir);
        if let Some(i) = &args.issuer {
            c = c.issuer(i);
        }
        match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => c = c.tls_files(cert.clone(), key.clone()),
            (None, None) if args.plain_http => {}
            (None, None) => c = c.dev_ca(DevCa::load_or_create(&args.dev_ca_dir)?),
            _ => {
                return Err(ServeError::Config(
                    "--tls-cert and --tls-key go together".into(),
                ));
            }
        }
        if let Some(path) = &args.clients {
            c.clients = load_clients(path)?;
        }
        if let Some(path) = &args.users {
            c.users = load_users(path)?;
            c.users_set = true;
        }
        if let Some(k) = &args.key {
            let value = if k.starts_with("pkcs11:") {
                k.clone()
            } else {
                std::fs::read_to_string(k).map_err(|e| ServeError::io(Path::new(k), &e))?
            };
            c.signing_key =
                Some(SigningKey::from_config(&value).map_err(|e| ServeError::Key(e.into()))?);
        }
        // Configuration that could never work stops the server here, one
        // line naming the file (or flag), the client and the field.
        let signing_alg = match &c.signing_key {
            Some(key) => {
                crate::check::check_signing_key(&profile, args.key.as_deref().unwrap_or(""), key)?;
                fapi_core::crypto::Signer::alg(key)
            }
            None => Self::default_alg(&profile),
        };
        if let Some(path) = &args.clients {
            crate::check::check_clients(&profile, path, &c.clients, signing_alg)?;
        }
        if let Some(path) = &args.nonce_key_file {
            let mut bytes = std::fs::read(path).map_err(|e| ServeError::io(path, &e))?;
            let key: Result<[u8; 32], _> = bytes.as_slice().try_into();
            bytes.zeroize();
            c.nonce_key = Some(key.map_err(|_| {
                ServeError::Config(format!("{}: a nonce key is 32 bytes", path.display()))
            })?);
        }
        let redis_replay = args
            .replay_store
            .as_deref()
            .is_some_and(crate::storage::store_url::is_redis);
        // With a Redis --replay-store beside another --store, the Redis
        // flags are the replay store's.
        let store_redis = if redis_replay && !crate::storage::store_url::is_redis(&args.store) {
            crate::storage::store_url::RedisArgs::default()
        } else {
            args.redis.clone()
        };
        if let Some(stores) = crate::storage::store_url::stores_from_args(
            &args.store,
            c.issuer.as_deref(),
            args.listen,
            &store_redis,
        )? {
            c.stores = Some(stores);
        }
        if let Some(replay) = &args.replay_store {
            let mut stores = c.stores.take().unwrap_or_else(Stores::memory);
            stores.replay = crate::storage::store_postgres::replay_store(
                replay,
                c.issuer.as_deref(),
                args.listen,
                &args.redis,
            )?;
            c.stores = Some(stores);
        }
        c.plain_http = args.plain_http;
        Ok(c)
    }

    /// The algorithm of the key made when none is given: ES256 where the
    /// profile allows it (fast); PS256 otherwise (OB-ALG, OFB-ALG: PS256
    /// only).
    fn default_alg(profile: &Profile) -> Alg {
        if profile.algs.contains(&Alg::Es256) {
            Alg::Es256
        } else {
            Alg::Ps256
        }
    }

    pub(crate) fn default_key(profile: &Profile) -> Result<SigningKey, ServeError> {
        SigningKey::generate(Self::default_alg(profile)).map_err(|e| ServeError::Key(e.into()))
    }

    /// The number of clients.
    #[must_use]
    pub fn client_count(&self) -> usize {
        self.clients.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("fapi-config-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn clients_file_reads_jwks_file_relative_to_itself() {
        let d = temp("clients");
        std::fs::write(d.join("c.jwks"), r#"{"keys":[]}"#).unwrap();
        std::fs::write(
            d.join("clients.toml"),
            r#"
[[client]]
client_id = "fintech-1"
name = "Fintech One Ltd"
redirect_uris = ["https://fintech.example/cb"]
auth = "private_key_jwt"
jwks_file = "c.jwks"
scopes = ["accounts"]
"#,
        )
        .unwrap();
        let clients = load_clients(&d.join("clients.toml")).unwrap();
        assert_eq!(
            clients[0].jwks_json().unwrap().as_deref(),
            Some(r#"{"keys":[]}"#)
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    /// The public half of one RSA encryption key (`"use": "enc"`, no
    /// `alg`, so it serves RSA-OAEP and RSA-OAEP-256), made once.
    fn enc_jwk() -> &'static str {
        static JWK: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        JWK.get_or_init(|| {
            let key = fapi::DecryptionKey::generate().unwrap();
            let mut jwk: serde_json::Value =
                serde_json::from_str(&key.public_jwk_json(fapi::jwe::KeyAlg::RsaOaep)).unwrap();
            let _ = jwk.as_object_mut().unwrap().remove("alg");
            jwk.to_string()
        })
    }

    fn client(extra: &str) -> ClientConfig {
        let mut c: ClientConfig = toml::from_str(&format!(
            r#"
client_id = "fintech-1"
name = "Fintech One Ltd"
redirect_uris = ["https://fintech.example/cb"]
auth = "private_key_jwt"
{extra}
"#
        ))
        .unwrap();
        c.jwks = Some(format!(r#"{{"keys":[{}]}}"#, enc_jwk()));
        c
    }

    fn refusal(c: &ClientConfig, p: &Profile, alg: Alg) -> String {
        match c.check_responses(p, alg) {
            Err(ServeError::Config(line)) => line,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// OFB-ALG: ID-token encryption is RSA-OAEP with A256GCM; anything
    /// else is refused at start with the client, field, value and the
    /// allowed list.
    #[test]
    fn ofb_alg_encryption_registration_outside_the_set_is_refused() {
        let ok = client(
            "id_token_encrypted_response_alg = \"RSA-OAEP\"\nid_token_encrypted_response_enc = \"A256GCM\"",
        );
        let reg = ok.check_responses(&Profile::OFB, Alg::Ps256).unwrap();
        // The registration carries the encryption: the issuer encrypts.
        assert_eq!(
            reg.id_token_encrypted_response_alg.as_deref(),
            Some("RSA-OAEP")
        );
        assert_eq!(
            reg.id_token_encrypted_response_enc.as_deref(),
            Some("A256GCM")
        );
        let c = client(
            "id_token_encrypted_response_alg = \"RSA-OAEP-256\"\nid_token_encrypted_response_enc = \"A256GCM\"",
        );
        assert_eq!(
            refusal(&c, &Profile::OFB, Alg::Ps256),
            "client fintech-1: under ofb, expected id_token_encrypted_response_alg one of RSA-OAEP, got RSA-OAEP-256"
        );
        let c = client(
            "authorization_encrypted_response_alg = \"RSA-OAEP\"\nauthorization_encrypted_response_enc = \"A128GCM\"",
        );
        assert_eq!(
            refusal(&c, &Profile::OFB, Alg::Ps256),
            "client fintech-1: under ofb, expected authorization_encrypted_response_enc one of A256GCM, got A128GCM"
        );
        // No enc: the default A128CBC-HS256, outside the set.
        let c = client("id_token_encrypted_response_alg = \"RSA-OAEP\"");
        assert_eq!(
            refusal(&c, &Profile::OFB, Alg::Ps256),
            "client fintech-1: under ofb, expected id_token_encrypted_response_enc one of A256GCM, got A128CBC-HS256 (the default when none is registered)"
        );
    }

    /// CDR-ALG: RSA-OAEP or RSA-OAEP-256, with AES-128 or AES-256; RSA1_5
    /// is refused; an `enc` needs its `alg`; an encryption key is needed.
    #[test]
    fn cdr_alg_encryption_registration_outside_the_set_is_refused() {
        let ok = client(
            "introspection_encrypted_response_alg = \"RSA-OAEP-256\"\nintrospection_encrypted_response_enc = \"A128CBC-HS256\"",
        );
        assert!(ok.check_responses(&Profile::CDR, Alg::Es256).is_ok());
        let c = client("id_token_encrypted_response_alg = \"RSA1_5\"");
        assert_eq!(
            refusal(&c, &Profile::CDR, Alg::Es256),
            "client fintech-1: under cdr, expected id_token_encrypted_response_alg one of RSA-OAEP, RSA-OAEP-256, got RSA1_5"
        );
        let c = client("id_token_encrypted_response_enc = \"A256GCM\"");
        assert_eq!(
            refusal(&c, &Profile::CDR, Alg::Es256),
            "client fintech-1: under cdr, expected id_token_encrypted_response_alg with id_token_encrypted_response_enc, got only id_token_encrypted_response_enc A256GCM"
        );
        let mut c = client("id_token_encrypted_response_alg = \"RSA-OAEP\"");
        c.jwks = Some(r#"{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b"}]}"#.into());
        assert_eq!(
            refusal(&c, &Profile::CDR, Alg::Es256),
            "client fintech-1: under cdr, expected an RSA \"use\":\"enc\" key for RSA-OAEP in the registered JWKS, got none"
        );
    }

    /// OpenID Connect Registration §2, JARM §3, RFC 9701 §6: a signed
    /// response algorithm outside the profile (OB-ALG: PS256), or other
    /// than the server key's, is refused.
    #[test]
    fn ob_alg_signed_response_algs_are_the_profile_and_the_key() {
        let c = client("id_token_signed_response_alg = \"ES256\"");
        assert_eq!(
            refusal(&c, &Profile::OBIE, Alg::Ps256),
            "client fintech-1: under obie, expected id_token_signed_response_alg one of PS256, got ES256"
        );
        let c = client("authorization_signed_response_alg = \"PS256\"");
        assert_eq!(
            refusal(&c, &Profile::FAPI2, Alg::Es256),
            "client fintech-1: authorization_signed_response_alg PS256: this server signs with ES256 (its key)"
        );
        let c = client("introspection_signed_response_alg = \"RS256\"");
        assert!(
            refusal(&c, &Profile::FAPI2, Alg::Es256)
                .contains("under fapi2, expected introspection_signed_response_alg one of"),
        );
        let c = client("id_token_signed_response_alg = \"PS256\"");
        assert!(c.check_responses(&Profile::OBIE, Alg::Ps256).is_ok());
    }

    #[test]
    fn an_unknown_member_in_the_clients_file_is_refused() {
        let d = temp("unknown");
        std::fs::write(
            d.join("clients.toml"),
            "[[client]]\nclient_id = \"a\"\nname = \"A\"\nredirect_uris = []\nauth = \"private_key_jwt\"\nclient_secret = \"s\"\n",
        )
        .unwrap();
        assert!(matches!(
            load_clients(&d.join("clients.toml")),
            Err(ServeError::Config(_))
        ));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn users_file_replaces_the_default_users() {
        let d = temp("users");
        std::fs::write(
            d.join("users.toml"),
            "[[user]]\nusername = \"carol\"\npassword = \"carol-password\"\nname = \"Carol\"\n",
        )
        .unwrap();
        let users = load_users(&d.join("users.toml")).unwrap();
        assert_eq!(users.len(), 1);
        assert!(!format!("{:?}", users[0]).contains("carol-password"));
        assert_eq!(UserConfig::defaults()[0].username, "alice");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_nonce_key_file_of_the_wrong_length_is_refused() {
        let d = temp("nonce");
        std::fs::write(d.join("nonce"), [0u8; 31]).unwrap();
        let args = ServeArgs {
            profile: "fapi2".into(),
            listen: "127.0.0.1:0".parse().unwrap(),
            issuer: None,
            tls_cert: None,
            tls_key: None,
            dev_ca_dir: d.join("ca"),
            clients: None,
            users: None,
            key: None,
            nonce_key_file: Some(d.join("nonce")),
            store: "memory".into(),
            redis: crate::storage::store_url::RedisArgs::default(),
            replay_store: None,
            plain_http: false,
            json: false,
            check: false,
            log_format: "text".into(),
            log_level: None,
        };
        assert!(matches!(
            ServerConfig::from_args(&args),
            Err(ServeError::Config(_))
        ));
        let _ = std::fs::remove_dir_all(&d);
    }
}
