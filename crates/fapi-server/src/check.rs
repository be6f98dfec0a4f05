//! The checks `fapi serve` makes at start (and `fapi serve --check` makes
//! alone): configuration that could never work stops the server with one
//! line, [`ServeError::Config`], that names the file (or flag), the client
//! and the field, with what was expected against what was found, instead
//! of a server that says "ready" and answers `invalid_client` later.
//!
//! - [`check_clients`]: each client of the clients file: `client_id` once,
//!   `auth` one of the profile's methods, `jwks` a JWK Set (JSON, not a
//!   PEM) whose public keys the core accepts, with a key of the profile's
//!   algorithms where the client authentication or the profile's signed
//!   requests or messages need one, and absolute `https` redirect URIs
//!   without a fragment; then its response registrations
//!   ([`ClientConfig::check_responses`]).
//! - [`check_signing_key`]: the server's key is of an algorithm the profile
//!   allows.
//! - [`check_store`]: a Redis store answers `PING` within
//!   [`STORE_DEADLINE`] (through Sentinel: a sentinel names the primary
//!   and the primary answers), and with `--redis-wait N` has N replicas
//!   that acknowledge; a PostgreSQL store answers and is migrated
//!   ([`crate::storage::store_postgres::check`]).

use core::time::Duration;
use std::path::Path;

use fapi::SigningKey;
use fapi_core::Alg;
use fapi_core::jwk::{Jwks, PublicJwk};
use fapi_core::profile::Profile;
use fapi_store_redis::RedisConnection;

use crate::storage::store_url::RedisArgs;

use crate::config::ClientConfig;
use crate::error::ServeError;

/// How long [`check_store`] waits for Redis to answer at start.
pub const STORE_DEADLINE: Duration = Duration::from_secs(2);

/// The profile's algorithms, as a refusal names them: `PS256 only`, or
/// `ES256, PS256, EdDSA`.
fn allowed_algs(profile: &Profile) -> String {
    match profile.algs {
        [one] => format!("{} only", one.name()),
        many => many.iter().map(|a| a.name()).collect::<Vec<_>>().join(", "),
    }
}

/// At most 40 characters of `text`, for a refusal that quotes a value.
fn excerpt(text: &str) -> String {
    let t = text.trim();
    match t.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", t.get(..i).unwrap_or(t)),
        None => t.to_owned(),
    }
}

/// The refusals of one client of one file.
struct Refuse<'a> {
    file: &'a Path,
    client_id: &'a str,
}

impl Refuse<'_> {
    /// `FILE: client ID: FIELD: expected EXPECTED, found FOUND`.
    fn field(&self, field: &str, expected: &str, found: &str) -> ServeError {
        ServeError::Config(format!(
            "{}: client {}: {field}: expected {expected}, found {found}",
            self.file.display(),
            self.client_id
        ))
    }
}

/// Why a client needs a signing key in its JWK Set, if it does: its
/// authentication method, or the profile's signed request objects or
/// signed resource requests.
fn key_needed_for(profile: &Profile, c: &ClientConfig) -> Option<String> {
    match c.auth.as_str() {
        "private_key_jwt" => Some("private_key_jwt signs client assertions with it".into()),
        "self_signed_tls_client_auth" => {
            Some("self_signed_tls_client_auth registers its certificate in it".into())
        }
        _ if profile.signed_messages_required => Some(format!(
            "profile {} requires signed resource requests",
            profile.name
        )),
        _ if profile.signed_request_required => Some(format!(
            "profile {} requires signed request objects",
            profile.name
        )),
        _ => None,
    }
}

/// The algorithms of the signing keys in `jwks` (keys with `"use":"enc"`
/// are left to the encryption checks), each key parsed by the core.
fn signing_key_algs(r: &Refuse<'_>, field: &str, jwks: &str) -> Result<Vec<Alg>, ServeError> {
    if jwks.trim_start().starts_with("-----BEGIN") {
        return Err(r.field(field, "a JWK Set (JSON)", "a PEM where a JWK Set belongs"));
    }
    let value: serde_json::Value = serde_json::from_str(jwks).map_err(|e| {
        r.field(
            field,
            "a JWK Set (JSON)",
            &format!("{} (not JSON: {e})", excerpt(jwks)),
        )
    })?;
    let mut scratch = vec![0u8; jwks.len()];
    let _ = Jwks::from_json_in(jwks.as_bytes(), &mut scratch).map_err(|e| {
        r.field(
            field,
            "a JWK Set of public keys",
            &format!("{} ({}, fapi error {})", excerpt(jwks), e.name(), e.code()),
        )
    })?;
    let keys = value
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| r.field(field, "a JWK Set (a \"keys\" array)", &excerpt(jwks)))?;
    let mut algs = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        if key.get("use").and_then(serde_json::Value::as_str) == Some("enc") {
            continue;
        }
        let text = key.to_string();
        let mut scratch = vec![0u8; text.len()];
        let jwk = PublicJwk::from_json_in(text.as_bytes(), &mut scratch).map_err(|e| {
            let kid = key
                .get("kid")
                .and_then(serde_json::Value::as_str)
                .map_or_else(String::new, |k| format!(" (kid {k})"));
            r.field(
                &format!("{field} key {i}{kid}"),
                "a public signing key (EC P-256, RSA of 2048 bits or more, Ed25519)",
                &format!("{} (fapi error {})", e.name(), e.code()),
            )
        })?;
        algs.push(jwk.key.alg());
    }
    Ok(algs)
}

/// One client, as read from `file`, under `profile`; the response
/// registrations are checked against the server's `signing_alg`.
fn check_client(
    profile: &Profile,
    file: &Path,
    c: &ClientConfig,
    signing_alg: Alg,
) -> Result<(), ServeError> {
    let r = Refuse {
        file,
        client_id: &c.client_id,
    };
    // The authentication method: one of the profile's.
    let allowed: Vec<&str> = profile.client_auth.iter().map(|m| m.name()).collect();
    if !allowed.contains(&c.auth.as_str()) {
        return Err(r.field(
            "auth",
            &format!(
                "one of {} (profile {} allows only these)",
                allowed.join(", "),
                profile.name
            ),
            &format!("{:?}", c.auth),
        ));
    }
    if c.auth == "tls_client_auth" && c.tls_client_auth_subject_dn.is_none() {
        return Err(r.field(
            "tls_client_auth_subject_dn",
            "the subject DN of its certificate (tls_client_auth)",
            "none",
        ));
    }
    // The JWK Set: JSON, public keys the core reads, a key where one is
    // needed, of an algorithm the profile allows.
    let field = match &c.jwks_file {
        Some(p) => format!("jwks_file {}", p.display()),
        None => "jwks".to_owned(),
    };
    let jwks = c.jwks_json()?;
    let needed = key_needed_for(profile, c);
    match (jwks, needed) {
        (None, Some(why)) => {
            return Err(r.field(
                "jwks",
                &format!("a JWK Set with a signing key ({why})"),
                "no jwks or jwks_file",
            ));
        }
        (None, None) => {}
        (Some(jwks), needed) => {
            let algs = signing_key_algs(&r, &field, &jwks)?;
            if let Some(why) = needed {
                if algs.is_empty() {
                    return Err(r.field(
                        &field,
                        &format!("at least one public signing key ({why})"),
                        &format!("no signing key in {}", excerpt(&jwks)),
                    ));
                }
                if !algs.iter().any(|a| profile.algs.contains(a)) {
                    let mut found: Vec<&str> = algs.iter().map(|a| a.name()).collect();
                    found.dedup();
                    return Err(r.field(
                        &field,
                        &format!(
                            "a key for {} (profile {} allows {})",
                            profile
                                .algs
                                .iter()
                                .map(|a| a.name())
                                .collect::<Vec<_>>()
                                .join(", "),
                            profile.name,
                            allowed_algs(profile)
                        ),
                        &format!("only {} keys", found.join(", ")),
                    ));
                }
            }
        }
    }
    // Redirect URIs: absolute, https, no fragment (RFC 6749 §3.1.2,
    // F2-TLS-RESP).
    for (i, uri) in c.redirect_uris.iter().enumerate() {
        let field = format!("redirect_uris[{i}]");
        let expected = "an absolute https URI without a fragment";
        let why = match url::Url::parse(uri) {
            Err(url::ParseError::RelativeUrlWithoutBase) => Some("not absolute".to_owned()),
            Err(e) => Some(e.to_string()),
            Ok(u) if u.fragment().is_some() => Some("a fragment".to_owned()),
            Ok(u) if profile.https_redirect_required && u.scheme() != "https" => Some(format!(
                "{} where profile {} requires https",
                u.scheme(),
                profile.name
            )),
            Ok(_) => fapi_core::authorize::check_redirect_uri(profile, uri)
                .err()
                .map(|e| e.name().to_owned()),
        };
        if let Some(why) = why {
            return Err(r.field(&field, expected, &format!("{uri:?} ({why})")));
        }
    }
    // The response registrations (OpenID Connect Registration §2, JARM §3,
    // RFC 9701 §6): their lines name the client and the field.
    let _ = c
        .check_responses(profile, signing_alg)
        .map_err(|e| match e {
            ServeError::Config(line) => ServeError::Config(format!("{}: {line}", file.display())),
            other => other,
        })?;
    Ok(())
}

/// The clients read from `file`, under `profile`, with the server's key of
/// `signing_alg`: the first problem as one line naming the file, the client
/// and the field.
///
/// ```
/// use fapi_server::check::check_clients;
/// use fapi_server::config::ClientConfig;
/// use fapi_core::{Alg, profile::Profile};
/// let c = ClientConfig {
///     client_id: "fintech-1".into(),
///     auth: "private_key_jwt".into(),
///     jwks: Some(r#"{"keys":[...]}"#.into()),
///     ..ClientConfig::default()
/// };
/// let e = check_clients(&Profile::FAPI2, "clients.toml".as_ref(), &[c], Alg::Es256).unwrap_err();
/// assert!(e.to_string().starts_with("configuration: clients.toml: client fintech-1: jwks: expected a JWK Set (JSON)"));
/// ```
///
/// # Errors
///
/// [`ServeError::Config`] for the first problem; [`ServeError::Io`] when a
/// `jwks_file` cannot be read.
pub fn check_clients(
    profile: &Profile,
    file: &Path,
    clients: &[ClientConfig],
    signing_alg: Alg,
) -> Result<(), ServeError> {
    for (i, c) in clients.iter().enumerate() {
        if let Some(first) = clients
            .get(..i)
            .and_then(|before| before.iter().position(|b| b.client_id == c.client_id))
        {
            return Err(Refuse {
                file,
                client_id: &c.client_id,
            }
            .field(
                "client_id",
                "each client_id once",
                &format!(
                    "it in [[client]] {} and again in [[client]] {}",
                    first + 1,
                    i + 1
                ),
            ));
        }
        check_client(profile, file, c, signing_alg)?;
    }
    Ok(())
}

/// The server's signing key, loaded from `source` (the `--key` value), is
/// of an algorithm `profile` allows: else `--key SOURCE: an ES256 key;
/// profile obie allows PS256 only`.
///
/// # Errors
///
/// [`ServeError::Config`] when the profile does not allow the key's
/// algorithm.
pub fn check_signing_key(
    profile: &Profile,
    source: &str,
    key: &SigningKey,
) -> Result<(), ServeError> {
    let alg = fapi_core::crypto::Signer::alg(key);
    if profile.algs.contains(&alg) {
        Ok(())
    } else {
        Err(ServeError::Config(format!(
            "--key {source}: an {} key; profile {} allows {}",
            alg.name(),
            profile.name,
            allowed_algs(profile)
        )))
    }
}

/// A store URL as it may be printed: the user information and the
/// parameters (either may hold a password) left out.
///
/// ```
/// use fapi_server::check::store_display;
/// assert_eq!(store_display("redis://:secret@127.0.0.1:6379/0"), "redis://127.0.0.1:6379/0");
/// assert_eq!(store_display("postgres://u@db:5432/fapi?password=x"), "postgres://db:5432/fapi");
/// assert_eq!(store_display("memory"), "memory");
/// ```
#[must_use]
pub fn store_display(value: &str) -> String {
    let value = value.split_once('?').map_or(value, |(url, _)| url);
    match value.split_once("://") {
        Some((scheme, rest)) => {
            let (auth, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => value.to_owned(),
    }
}

/// The store `--store value` names answers: nothing to reach for
/// `memory`; a Redis URL is connected to and must answer `PING` within
/// [`STORE_DEADLINE`].
///
/// # Errors
///
/// [`ServeError::Config`]: `--store URL: expected a Redis answering PING
/// within 2000 ms, found ...`.
pub async fn check_store(value: &str) -> Result<(), ServeError> {
    check_store_with(value, &RedisArgs::default()).await
}

/// [`check_store`] with the Redis flags: `--redis-ca` for TLS, and with
/// `--redis-wait N` the primary must have N replicas that acknowledge a
/// `WAIT` within `--redis-wait-timeout` (else every one-time write would
/// fail closed). Through Sentinel (`redis+sentinel://`) a sentinel must
/// name the primary, and the primary answer, within [`STORE_DEADLINE`].
///
/// # Errors
///
/// [`ServeError::Config`], one line: `--store URL: expected ..., found
/// ...`.
pub async fn check_store_with(value: &str, redis: &RedisArgs) -> Result<(), ServeError> {
    if crate::storage::store_postgres::is_postgres(value) {
        return crate::storage::store_postgres::check(value).await;
    }
    if !crate::storage::store_url::is_redis(value) {
        return Ok(());
    }
    let shown = store_display(value);
    let endpoint = redis.endpoint(value)?;
    let what = if endpoint.is_sentinel() {
        "a sentinel naming the primary, and the primary answering PING,"
    } else {
        "a Redis answering PING"
    };
    let conn = RedisConnection::connect_to(&endpoint, redis.options().deadline(STORE_DEADLINE))
        .await
        .map_err(|e| {
            ServeError::Config(format!(
                "--store {shown}: expected {what} within {} ms, found {e}",
                STORE_DEADLINE.as_millis()
            ))
        })?;
    if redis.redis_wait > 0 {
        let acked = conn.acknowledging_replicas().await.map_err(|e| {
            ServeError::Config(format!(
                "--store {shown}: expected an answer to WAIT, found {} (fapi error {})",
                e.name(),
                e.code()
            ))
        })?;
        if acked < u64::from(redis.redis_wait) {
            return Err(ServeError::Config(format!(
                "--redis-wait {}: expected {} replicas of {shown} acknowledging within {} ms, found {acked}",
                redis.redis_wait, redis.redis_wait, redis.redis_wait_timeout
            )));
        }
    }
    Ok(())
}
