//! [`RedisEndpoint`]: where the primary is, and how to reach it: one Redis
//! (`redis://`, `rediss://`, `redis+unix://`) or the primary that Redis
//! Sentinel names (`redis+sentinel://`, `rediss+sentinel://`), with the CA
//! that signs the servers' certificates for TLS.

use core::fmt;
use std::path::Path;

use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo, TlsCertificates};

use crate::connection::ConnectError;

/// The scheme of a Sentinel URL without TLS.
pub const SENTINEL_SCHEME: &str = "redis+sentinel";
/// The scheme of a Sentinel URL with TLS to the sentinels and to the
/// primary.
pub const SENTINEL_TLS_SCHEME: &str = "rediss+sentinel";

/// The primary behind Redis Sentinel: the sentinels' addresses, the
/// service (master) name and what the primary is reached with.
#[derive(Clone)]
pub(crate) struct SentinelTarget {
    pub(crate) sentinels: Vec<ConnectionAddr>,
    pub(crate) service: String,
    pub(crate) db: i64,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) tls: bool,
}

#[derive(Clone)]
pub(crate) enum Target {
    Direct(ConnectionInfo),
    Sentinel(SentinelTarget),
}

/// Where a Redis store connects: parsed from a URL, with an optional CA
/// file for TLS.
///
/// - `redis://[user[:password]@]host[:port][/db]`, `redis+unix:///path`:
///   one Redis.
/// - `rediss://...`: one Redis over TLS; the server certificate is checked
///   against the CA given with [`RedisEndpoint::ca_file`] (else the
///   system's roots), and its name against the host of the URL.
/// - `redis+sentinel://[user[:password]@]host:port[,host:port...]/service[/db]`:
///   the primary of `service` as the sentinels name it; the user and
///   password are the primary's (the sentinels are asked without). On a
///   connection error, a timeout or a `READONLY` reply the sentinels are
///   asked again (see [`crate::RedisConnection`]).
/// - `rediss+sentinel://...`: the same, with TLS to the sentinels and to
///   the primary, both checked against the CA.
///
/// Its `Debug` leaves the password out.
///
/// ```
/// use fapi_store_redis::RedisEndpoint;
///
/// let e = RedisEndpoint::parse("redis+sentinel://:pw@127.0.0.1:26379,127.0.0.1:26380/bank/2").unwrap();
/// assert!(e.is_sentinel() && !e.is_tls());
/// assert_eq!(e.to_string(), "redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/bank/2");
/// assert!(RedisEndpoint::parse("redis+sentinel://127.0.0.1:26379/").is_err()); // no service
/// assert!(RedisEndpoint::parse("redis+sentinel://127.0.0.1/bank").is_err()); // no port
/// assert!(RedisEndpoint::parse("rediss://redis.example:6380/0").unwrap().is_tls());
/// assert!(RedisEndpoint::parse("postgres://x").is_err());
/// ```
#[derive(Clone)]
pub struct RedisEndpoint {
    pub(crate) target: Target,
    pub(crate) ca_pem: Option<Vec<u8>>,
    display: String,
}

impl fmt::Debug for RedisEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisEndpoint")
            .field("url", &self.display)
            .field("ca", &self.ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for RedisEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

fn bad_url(what: &'static str, found: String) -> ConnectError {
    ConnectError::Malformed(format!("{what}; found {found}"))
}

/// `scheme://host...` without the user information (a password).
fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find('/').unwrap_or(rest.len());
            let (auth, path) = rest.split_at(end);
            let host = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_owned(),
    }
}

impl RedisEndpoint {
    /// Parses a Redis or Sentinel URL (see [`RedisEndpoint`]).
    ///
    /// # Errors
    ///
    /// [`ConnectError::Malformed`] or [`ConnectError::Url`] naming what is
    /// wrong.
    pub fn parse(url: &str) -> Result<Self, ConnectError> {
        let display = without_userinfo(url);
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad_url("expected SCHEME://...", display.clone()))?;
        let target = match scheme {
            SENTINEL_SCHEME | SENTINEL_TLS_SCHEME => {
                Target::Sentinel(parse_sentinel(scheme == SENTINEL_TLS_SCHEME, rest)?)
            }
            "redis" | "rediss" | "redis+unix" | "unix" => {
                Target::Direct(url.into_connection_info().map_err(ConnectError::Url)?)
            }
            _ => {
                return Err(bad_url(
                    "expected redis://, rediss://, redis+unix://, redis+sentinel:// or rediss+sentinel://",
                    display,
                ));
            }
        };
        Ok(Self {
            target,
            ca_pem: None,
            display,
        })
    }

    /// Trusts the CA certificates (PEM) of `pem` alone for the servers'
    /// certificates (TLS endpoints only).
    ///
    /// # Errors
    ///
    /// [`ConnectError::Tls`] when the endpoint has no TLS or `pem` holds no
    /// certificate.
    pub fn ca_pem(mut self, pem: Vec<u8>, source: &str) -> Result<Self, ConnectError> {
        if !self.is_tls() {
            return Err(ConnectError::Tls(format!(
                "a CA ({source}) is given for {}, which has no TLS (use rediss:// or rediss+sentinel://)",
                self.display
            )));
        }
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let mut count = 0usize;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let _ = cert.map_err(|e| {
                ConnectError::Tls(format!("{source}: expected PEM certificates, found {e:?}"))
            })?;
            count += 1;
        }
        if count == 0 {
            return Err(ConnectError::Tls(format!(
                "{source}: expected at least one PEM certificate, found none"
            )));
        }
        self.ca_pem = Some(pem);
        Ok(self)
    }

    /// [`RedisEndpoint::ca_pem`] with the contents of the file at `path`.
    ///
    /// # Errors
    ///
    /// [`ConnectError::Tls`] when the file cannot be read or holds no
    /// certificate, or the endpoint has no TLS.
    pub fn ca_file(self, path: &Path) -> Result<Self, ConnectError> {
        let pem = std::fs::read(path)
            .map_err(|e| ConnectError::Tls(format!("CA file {}: {e}", path.display())))?;
        self.ca_pem(pem, &format!("CA file {}", path.display()))
    }

    /// Whether the primary is found through Redis Sentinel.
    #[must_use]
    pub fn is_sentinel(&self) -> bool {
        matches!(self.target, Target::Sentinel(_))
    }

    /// Whether the connections use TLS.
    #[must_use]
    pub fn is_tls(&self) -> bool {
        match &self.target {
            Target::Direct(info) => matches!(info.addr(), ConnectionAddr::TcpTls { .. }),
            Target::Sentinel(s) => s.tls,
        }
    }

    /// The certificates the redis crate is given: the CA alone when one is
    /// set, else `None` (the system's roots).
    pub(crate) fn certificates(&self) -> Option<TlsCertificates> {
        self.ca_pem.as_ref().map(|pem| TlsCertificates {
            client_tls: None,
            root_cert: Some(pem.clone()),
        })
    }
}

/// `[user[:password]@]host:port[,host:port...]/service[/db]`.
///
/// Hand-written: neither the `url` crate nor the redis crate parse a list
/// of hosts. Each `host:port` is then parsed by the redis crate (as
/// `redis://host:port`), so hosts, IPv6 brackets and percent-escapes in
/// the user information are read as in any Redis URL.
fn parse_sentinel(tls: bool, rest: &str) -> Result<SentinelTarget, ConnectError> {
    let scheme = if tls {
        SENTINEL_TLS_SCHEME
    } else {
        SENTINEL_SCHEME
    };
    let shown = without_userinfo(&format!("{scheme}://{rest}"));
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hosts) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let service = segments
        .next()
        .ok_or_else(|| {
            bad_url(
                "expected a service name after the sentinels (/service[/db])",
                shown.clone(),
            )
        })?
        .to_owned();
    let db = match segments.next() {
        None => 0,
        Some(d) => d.parse::<i64>().map_err(|_| {
            bad_url(
                "expected a database number after the service",
                shown.clone(),
            )
        })?,
    };
    if segments.next().is_some() {
        return Err(bad_url("expected /service[/db] and nothing more", shown));
    }
    // the user and password: read by the redis crate's URL parser
    let (username, password) = match userinfo {
        None => (None, None),
        Some(u) => {
            let info = format!("redis://{u}@localhost/")
                .into_connection_info()
                .map_err(ConnectError::Url)?;
            let r = info.redis_settings();
            (
                r.username().map(str::to_owned),
                r.password().map(str::to_owned),
            )
        }
    };
    let mut sentinels = Vec::new();
    for host in hosts.split(',') {
        // a port is required: the default one (6379) is the data port
        let has_port = host
            .rsplit_once(':')
            .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if !has_port {
            return Err(bad_url(
                "expected each sentinel as host:port (e.g. 127.0.0.1:26379)",
                format!("{shown}: {host:?}"),
            ));
        }
        let base = if tls { "rediss" } else { "redis" };
        let info = format!("{base}://{host}/")
            .into_connection_info()
            .map_err(ConnectError::Url)?;
        sentinels.push(info.addr().clone());
    }
    Ok(SentinelTarget {
        sentinels,
        service,
        db,
        username,
        password,
        tls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentinel(url: &str) -> SentinelTarget {
        match RedisEndpoint::parse(url).unwrap().target {
            Target::Sentinel(s) => s,
            Target::Direct(_) => panic!("not a sentinel URL: {url}"),
        }
    }

    #[test]
    fn sentinel_urls_name_hosts_service_db_and_credentials() {
        let s = sentinel("redis+sentinel://u:p%40ss@127.0.0.1:26379,[::1]:26380/bank/3");
        assert_eq!(s.sentinels.len(), 2);
        assert_eq!(s.sentinels[0].to_string(), "127.0.0.1:26379");
        assert!(matches!(&s.sentinels[1], ConnectionAddr::Tcp(h, 26380) if h.contains("::1")));
        assert_eq!((s.service.as_str(), s.db), ("bank", 3));
        assert_eq!(s.username.as_deref(), Some("u"));
        assert_eq!(s.password.as_deref(), Some("p@ss"));
        assert!(!s.tls);
        let s = sentinel("rediss+sentinel://h.example:26379/bank");
        assert!(s.tls && s.db == 0 && s.password.is_none());
        assert!(matches!(s.sentinels[0], ConnectionAddr::TcpTls { .. }));
    }

    #[test]
    fn bad_sentinel_urls_are_refused_with_the_reason() {
        for (url, why) in [
            ("redis+sentinel://127.0.0.1:26379", "a service name"),
            (
                "redis+sentinel://127.0.0.1:26379/bank/x",
                "a database number",
            ),
            ("redis+sentinel://127.0.0.1:26379/bank/1/2", "nothing more"),
            ("redis+sentinel://127.0.0.1/bank", "host:port"),
            ("redis+sentinel://127.0.0.1:26379,/bank", "host:port"),
            ("memcached://x", "expected redis://"),
            ("no scheme", "SCHEME://"),
        ] {
            let e = RedisEndpoint::parse(url).unwrap_err().to_string();
            assert!(e.contains(why), "{url}: {e}");
        }
    }

    #[test]
    fn the_password_is_never_shown() {
        let e = RedisEndpoint::parse("redis+sentinel://:secret@127.0.0.1:1/bank/x").unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
        let ok = RedisEndpoint::parse("redis://:secret@127.0.0.1:6379/0").unwrap();
        assert!(!format!("{ok} {ok:?}").contains("secret"));
    }

    #[test]
    fn a_ca_needs_tls_and_a_certificate() {
        let plain = RedisEndpoint::parse("redis://127.0.0.1:6379/0").unwrap();
        assert!(matches!(
            plain.ca_pem(b"x".to_vec(), "t"),
            Err(ConnectError::Tls(_))
        ));
        let tls = RedisEndpoint::parse("rediss://127.0.0.1:6379/0").unwrap();
        let e = tls.ca_pem(b"not pem".to_vec(), "t").unwrap_err();
        assert!(
            e.to_string().contains("at least one PEM certificate"),
            "{e}"
        );
    }
}
