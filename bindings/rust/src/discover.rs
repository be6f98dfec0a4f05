//! The issuer's keys found from its identifier: RFC 8414 metadata (OpenID
//! Connect Discovery 1.0 as the fallback), its `jwks_uri` fetched and
//! cached, and fetched again, at most once per interval, when a token names
//! a `kid` the cache does not hold (the issuer rotated its key).
//!
//! HTTP is reqwest on rustls with aws-lc-rs (the crypto this crate already
//! uses) and the platform's roots; tests and private CAs pass their own
//! client ([`Discovery::http_client`]). Redirects are not followed, bodies
//! are bounded ([`MAX_DOCUMENT_LEN`]) and each request has a timeout.
//!
//! ```no_run
//! use fapi::{IssuerKeys, Profile, ResourceServer};
//!
//! # async fn f() -> Result<(), fapi::Error> {
//! let keys = IssuerKeys::discover("https://as.bank.example").await?;
//! let rs = ResourceServer::builder(Profile::FAPI2, "https://as.bank.example", "https://api.bank.example", keys)
//!     .build()?;
//! // A token signed with a key the issuer published since: the resource
//! // server fetches the JWKS again (at most once a minute) and retries.
//! # let _ = rs; Ok(()) }
//! ```

use core::time::Duration;
use std::sync::Mutex;
use std::time::Instant;

use fapi_core::Error as CoreError;
use fapi_core::Site;

use crate::detail::{Detail, clip};
use crate::error::Error;
use crate::key_set::IssuerKeys;

/// The largest metadata or JWKS document read (bytes).
pub const MAX_DOCUMENT_LEN: usize = 256 * 1024;

/// The default least interval between two fetches of the JWKS on an
/// unknown `kid`.
pub const DEFAULT_MIN_REFRESH: Duration = Duration::from_secs(60);

/// The default timeout of one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How to discover an issuer's keys: the HTTP client, the least interval
/// between two JWKS fetches.
///
/// ```
/// use std::time::Duration;
/// use fapi::discover::Discovery;
///
/// let d = Discovery::new("https://as.bank.example").min_refresh(Duration::from_secs(300));
/// assert_eq!(d.issuer(), "https://as.bank.example");
/// ```
#[derive(Clone, Debug)]
pub struct Discovery {
    issuer: String,
    http: Option<reqwest::Client>,
    min_refresh: Duration,
}

impl Discovery {
    /// Discovery of the issuer `issuer` (its identifier, `https://`; plain
    /// `http://` only on a loopback host).
    #[must_use]
    pub fn new(issuer: &str) -> Self {
        Self {
            issuer: issuer.to_owned(),
            http: None,
            min_refresh: DEFAULT_MIN_REFRESH,
        }
    }

    /// The issuer identifier.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The HTTP client (default: reqwest on rustls, the platform's roots,
    /// no redirects, a [`DEFAULT_TIMEOUT`]); one trusting a private CA,
    /// say. Redirects it would follow are refused all the same.
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The least interval between two fetches of the JWKS on an unknown
    /// `kid` (default [`DEFAULT_MIN_REFRESH`]): tokens naming made-up
    /// `kid`s cannot make this server hammer the issuer.
    #[must_use]
    pub fn min_refresh(mut self, interval: Duration) -> Self {
        self.min_refresh = interval;
        self
    }

    /// Fetches the metadata, checks its `issuer`, fetches the JWKS.
    pub async fn discover(self) -> Result<IssuerKeys, Error> {
        check_url(&self.issuer, &self.issuer)?;
        let http = match self.http {
            Some(h) => h,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(DEFAULT_TIMEOUT)
                .build()
                .map_err(|e| fetch_error(CoreError::StoreFailed, &self.issuer, &e.to_string()))?,
        };
        let metadata = metadata(&http, &self.issuer).await?;
        let jwks_uri = metadata
            .get("jwks_uri")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| {
                Error::detailed(
                    CoreError::MissingClaim,
                    Site::ResourceRequest,
                    Detail::MissingClaim { name: "jwks_uri" },
                )
            })?
            .to_owned();
        check_url(&jwks_uri, &self.issuer)?;
        let source = JwksSource {
            http,
            jwks_uri,
            min_refresh: self.min_refresh,
            last_fetch: Mutex::new(None),
        };
        let keys = source.fetch().await?;
        Ok(keys.with_source(std::sync::Arc::new(source)))
    }
}

/// Where discovered keys came from, and when they were last fetched.
pub(crate) struct JwksSource {
    http: reqwest::Client,
    jwks_uri: String,
    min_refresh: Duration,
    last_fetch: Mutex<Option<Instant>>,
}

impl core::fmt::Debug for JwksSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("JwksSource")
            .field("jwks_uri", &self.jwks_uri)
            .field("min_refresh", &self.min_refresh)
            .finish_non_exhaustive()
    }
}

impl JwksSource {
    /// The JWKS, fetched now.
    async fn fetch(&self) -> Result<IssuerKeys, Error> {
        *self
            .last_fetch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
        let body = get(&self.http, &self.jwks_uri).await?;
        let text = String::from_utf8(body)
            .map_err(|_| fetch_error(CoreError::Json, &self.jwks_uri, "not UTF-8"))?;
        IssuerKeys::from_jwks_json(&text).map_err(Error::from)
    }

    /// The JWKS fetched again, unless it was fetched less than the least
    /// interval ago (`Ok(None)` then). Taking the slot and fetching are one
    /// step under the lock's decision: of many requests with unknown
    /// `kid`s at once, one fetches.
    pub(crate) async fn refresh(&self) -> Result<Option<IssuerKeys>, Error> {
        {
            let mut last = self
                .last_fetch
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.is_some_and(|t| t.elapsed() < self.min_refresh) {
                return Ok(None);
            }
            *last = Some(Instant::now());
        }
        self.fetch().await.map(Some)
    }

    /// The JWKS URI.
    pub(crate) fn jwks_uri(&self) -> &str {
        &self.jwks_uri
    }
}

/// The metadata of `issuer`: RFC 8414 §3.1 first (the well-known path
/// inserted between the host and the issuer's path), then OpenID Connect
/// Discovery 1.0 §4 (appended to the issuer) when the first is not found.
/// RFC 8414 §3.3: its `issuer` must be `issuer`, exactly.
async fn metadata(
    http: &reqwest::Client,
    issuer: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    let (origin, path) = split_origin(issuer);
    let path = path.trim_end_matches('/');
    let rfc8414 = format!("{origin}/.well-known/oauth-authorization-server{path}");
    let oidc = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let mut last = None;
    for url in [rfc8414, oidc] {
        match get(http, &url).await {
            Ok(body) => {
                let doc: serde_json::Value = serde_json::from_slice(&body)
                    .map_err(|e| fetch_error(CoreError::Json, &url, &e.to_string()))?;
                let serde_json::Value::Object(doc) = doc else {
                    return Err(fetch_error(CoreError::Json, &url, "not a JSON object"));
                };
                let got = doc.get("issuer").and_then(serde_json::Value::as_str);
                if got != Some(issuer) {
                    return Err(Error::detailed(
                        CoreError::WrongIssuer,
                        Site::ResourceRequest,
                        Detail::Mismatch {
                            field: "issuer",
                            expected: clip(issuer),
                            got: got.map_or_else(|| "(none)".into(), clip),
                        },
                    ));
                }
                return Ok(doc);
            }
            // Not published there: try the next place.
            Err(
                e @ Error::Fetch {
                    status: Some(400..=499),
                    ..
                },
            ) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| fetch_error(CoreError::StoreFailed, issuer, "no metadata")))
}

/// The body of `GET url`, at most [`MAX_DOCUMENT_LEN`] bytes, of a 200.
async fn get(http: &reqwest::Client, url: &str) -> Result<Vec<u8>, Error> {
    let mut response = http
        .get(url)
        .header(http::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| fetch_error(CoreError::StoreFailed, url, &reason(&e)))?;
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        return Err(Error::Fetch {
            error: CoreError::StoreFailed,
            url: clip(url),
            status: Some(status.as_u16()),
            reason: format!("HTTP status {status}"),
        });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| fetch_error(CoreError::StoreFailed, url, &reason(&e)))?
    {
        if body.len().saturating_add(chunk.len()) > MAX_DOCUMENT_LEN {
            return Err(fetch_error(
                CoreError::TooLarge,
                url,
                &format!("over {MAX_DOCUMENT_LEN} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// reqwest's error with its causes (the connection's, the TLS stack's).
fn reason(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut source = core::error::Error::source(e);
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

fn fetch_error(error: CoreError, url: &str, reason: &str) -> Error {
    Error::Fetch {
        error,
        url: clip(url),
        status: None,
        reason: reason.to_owned(),
    }
}

/// `(scheme://authority, /path)` of an absolute URL.
fn split_origin(url: &str) -> (&str, &str) {
    let start = url.find("://").map_or(0, |i| i.saturating_add(3));
    let end = url
        .get(start..)
        .and_then(|rest| rest.find('/'))
        .map_or(url.len(), |i| start.saturating_add(i));
    url.split_at(end)
}

/// RFC 8414 §2 (`issuer`), §3 (TLS): `https://` without query or fragment;
/// `http://` only on a loopback host (development, tests).
fn check_url(url: &str, issuer: &str) -> Result<(), Error> {
    let refuse = |why: &str| {
        Error::detailed(
            CoreError::InvalidParameter,
            Site::ResourceRequest,
            Detail::Mismatch {
                field: if url == issuer { "issuer" } else { "jwks_uri" },
                expected: why.into(),
                got: clip(url),
            },
        )
    };
    let parsed = url::Url::parse(url).map_err(|_| refuse("an absolute URL"))?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(refuse("a URL without query or fragment"));
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&parsed) => Ok(()),
        _ => Err(refuse("an https URL (http only on a loopback host)")),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8414_3_1_well_known_path_goes_between_host_and_path() {
        assert_eq!(
            split_origin("https://as.example/tenant/1"),
            ("https://as.example", "/tenant/1")
        );
        assert_eq!(
            split_origin("https://as.example"),
            ("https://as.example", "")
        );
    }

    #[test]
    fn insecure_or_odd_urls_are_refused_with_what_was_expected() {
        for bad in [
            "http://as.example",
            "ftp://as.example",
            "https://as.example?x=1",
            "https://as.example#f",
            "as.example",
        ] {
            let e = check_url(bad, bad).unwrap_err();
            assert_eq!(e.core(), CoreError::InvalidParameter, "{bad}");
            assert!(e.to_string().contains(&format!("got {bad}")), "{e}");
        }
        for good in [
            "https://as.example/t",
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:2",
        ] {
            assert!(check_url(good, good).is_ok(), "{good}");
        }
    }
}
