//! A client's side of HTTPS (`fapi demo`, `fapi probe`): reqwest on
//! rustls trusting the CA given (a development CA) or else the system's
//! roots, with the client certificate under mutual TLS, redirects not
//! followed (the caller reads each `Location` itself).

use reqwest::header::HeaderMap;

use crate::failure::Failure;
use crate::fetch::error_chain;

/// One HTTPS client: a party's TLS identity.
#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
}

/// An HTTP answer, read whole.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: String,
}

impl Answer {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The OAuth error of a refusal: the JSON body's `error` (RFC 6749
    /// §5.2), the `error` of `WWW-Authenticate` (RFC 6750 §3, RFC 9449
    /// §7.1), or the `error` of a redirect's `Location` (RFC 6749 §4.1.2.1).
    pub fn oauth_error(&self) -> Option<String> {
        if let Some(e) = self.json().get("error").and_then(|e| e.as_str()) {
            return Some(e.to_owned());
        }
        if let Some(w) = self.header("www-authenticate")
            && let Some(rest) = w.split("error=\"").nth(1)
        {
            return rest.split('"').next().map(str::to_owned);
        }
        let location = self.header("location")?;
        let url = reqwest::Url::parse(location).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "error")
            .map(|(_, v)| v.into_owned())
    }

    /// What came back, for a report: the status and the OAuth error.
    pub fn summary(&self) -> String {
        match self.oauth_error() {
            Some(e) => format!("{e} ({})", self.status),
            None => format!("HTTP {}", self.status),
        }
    }
}

impl Http {
    /// A client trusting `ca_pem` only, presenting `identity_pem` (a
    /// certificate and its key) when the server asks for one.
    pub fn new(ca_pem: &str, identity_pem: Option<&str>) -> Result<Self, Failure> {
        Self::with_roots(Some(ca_pem), identity_pem)
    }

    /// A client trusting the certificates of `ca_pem` (a PEM bundle) only,
    /// or the system's roots when `None`, presenting `identity_pem` when
    /// the server asks for a client certificate.
    pub fn with_roots(ca_pem: Option<&str>, identity_pem: Option<&str>) -> Result<Self, Failure> {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(core::time::Duration::from_secs(20));
        if let Some(pem) = ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| Failure::usage("the CA certificate", error_chain(&e)))?;
            if certs.is_empty() {
                return Err(Failure::usage(
                    "the CA certificate",
                    "no certificate in the PEM",
                ));
            }
            b = b.tls_certs_only(certs);
        }
        if let Some(pem) = identity_pem {
            let id = reqwest::Identity::from_pem(pem.as_bytes())
                .map_err(|e| Failure::environment("the client certificate", error_chain(&e)))?;
            b = b.identity(id);
        }
        let client = b
            .build()
            .map_err(|e| Failure::environment("the HTTPS client", error_chain(&e)))?;
        Ok(Self { client })
    }

    /// Sends `request` and reads the answer.
    pub async fn send(&self, request: http::Request<String>) -> Result<Answer, Failure> {
        let what = format!("{} {}", request.method(), request.uri());
        let request = reqwest::Request::try_from(request)
            .map_err(|e| Failure::environment(&what, error_chain(&e)))?;
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|e| Failure::environment(&what, error_chain(&e)))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .text()
            .await
            .map_err(|e| Failure::environment(&what, error_chain(&e)))?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

/// The value of the hidden form field `name` in an HTML page.
///
/// Hand-written: the demo reads two hidden fields (`txn`, `csrf`) of the
/// bank's own forms, whose values are base64url; an HTML parser
/// (html5ever) would be the largest dependency of the crate for that. A
/// value with an entity in it is refused rather than misread.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let value = tag.split("value=\"").nth(1)?.split('"').next()?;
    if value.contains('&') {
        return None;
    }
    Some(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_fields_are_read_in_either_attribute_order() {
        let html = r#"<form><input type="hidden" name="txn" value="abc-_1"><input value="x9" name="csrf" type="hidden"/><input name="bad" value="a&amp;b"></form>"#;
        assert_eq!(hidden_field(html, "txn").as_deref(), Some("abc-_1"));
        assert_eq!(hidden_field(html, "csrf").as_deref(), Some("x9"));
        assert_eq!(hidden_field(html, "bad"), None);
        assert_eq!(hidden_field(html, "none"), None);
    }
}
