//! The server's RFC 8414 metadata: fetched from the issuer, its `issuer`
//! checked (RFC 8414 §3.3), and every endpoint the probe uses read from
//! it. The origins of the issuer and of those endpoints are the only ones
//! the probe sends anything to.

use serde_json::Value;

use crate::failure::Failure;
use crate::https::Http;

/// The metadata document and the endpoints read from it.
#[derive(Clone, Debug)]
pub struct Metadata {
    /// The issuer, as the metadata names it (equal to ISSUER_URL).
    pub issuer: String,
    /// The document as fetched.
    pub raw: String,
    /// The document, parsed.
    pub doc: Value,
    /// Where it was fetched.
    pub url: String,
}

impl Metadata {
    /// Fetches `ISSUER/.well-known/oauth-authorization-server`, else
    /// `ISSUER/.well-known/openid-configuration`, and checks that its
    /// `issuer` is `issuer` exactly. A server that answers neither, or
    /// names another issuer, is a usage error (exit 2).
    pub async fn fetch(http: &Http, issuer: &str) -> Result<Self, Failure> {
        let base = issuer.trim_end_matches('/');
        if url::Url::parse(issuer).is_err() {
            return Err(Failure::usage(
                "ISSUER_URL",
                format!("{issuer:?} is not an absolute URL"),
            ));
        }
        let mut tried = Vec::new();
        for path in [
            "/.well-known/oauth-authorization-server",
            "/.well-known/openid-configuration",
        ] {
            let url = format!("{base}{path}");
            let req = http::Request::get(url.as_str())
                .body(String::new())
                .map_err(|e| Failure::usage(&url, e.to_string()))?;
            let answer = match http.send(req).await {
                Ok(a) => a,
                Err(f) => {
                    tried.push(f.line().unwrap_or_default().replace("error: ", ""));
                    continue;
                }
            };
            if answer.status != 200 {
                tried.push(format!("{url}: HTTP {}", answer.status));
                continue;
            }
            let doc: Value = serde_json::from_str(&answer.body)
                .map_err(|e| Failure::usage(&url, format!("the metadata is not JSON: {e}")))?;
            let named = doc.get("issuer").and_then(Value::as_str).unwrap_or("");
            if named != issuer {
                return Err(Failure::usage(
                    &url,
                    format!(
                        "issuer mismatch (RFC 8414 §3.3): expected {issuer:?}, the metadata names {named:?}"
                    ),
                ));
            }
            return Ok(Self {
                issuer: issuer.to_owned(),
                raw: answer.body,
                doc,
                url,
            });
        }
        Err(Failure::usage(
            issuer,
            format!("no metadata: {}", tried.join("; ")),
        ))
    }

    /// A string member.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.doc.get(name).and_then(Value::as_str)
    }

    /// A required endpoint: its URL, or a usage error naming the member.
    pub fn endpoint(&self, name: &str) -> Result<String, Failure> {
        self.str(name)
            .map(str::to_owned)
            .ok_or_else(|| Failure::usage(&self.url, format!("no {name} in the metadata")))
    }

    /// An endpoint for a client using mutual TLS: its
    /// `mtls_endpoint_aliases` entry (RFC 8705 §5) when there is one.
    pub fn mtls_endpoint(&self, name: &str) -> Result<String, Failure> {
        match self
            .doc
            .get("mtls_endpoint_aliases")
            .and_then(|a| a.get(name))
            .and_then(Value::as_str)
        {
            Some(u) => Ok(u.to_owned()),
            None => self.endpoint(name),
        }
    }

    /// The origins (`scheme://host:port`) of the issuer and of every
    /// endpoint the metadata names: the only ones the probe talks to.
    pub fn origins(&self) -> Vec<String> {
        let mut urls: Vec<&str> = vec![self.issuer.as_str()];
        if let Some(o) = self.doc.as_object() {
            for (k, v) in o {
                if (k.ends_with("_endpoint") || k == "jwks_uri")
                    && let Some(u) = v.as_str()
                {
                    urls.push(u);
                }
            }
        }
        if let Some(aliases) = self
            .doc
            .get("mtls_endpoint_aliases")
            .and_then(Value::as_object)
        {
            urls.extend(aliases.values().filter_map(Value::as_str));
        }
        let mut out: Vec<String> = urls.into_iter().filter_map(origin).collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The origin of `url` (`https://host:port`), the port made explicit.
pub fn origin(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?;
    let port = u.port_or_known_default()?;
    Some(format!("{}://{host}:{port}", u.scheme()))
}
