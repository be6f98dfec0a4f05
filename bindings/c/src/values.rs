//! The values behind a refusal, for its message: what was expected and
//! what the token carried (`iss`, `aud`, `typ`, `exp` against now, the
//! missing claim's name, the `alg`).
//!
//! The core's errors are one small `Copy` enum with no room for values
//! (`no_std`, no allocation). After the core has refused a token, the C
//! API reads the token's header and claims again, unverified, only to say
//! what they held; nothing read here decides anything. Values are bounded
//! and written with Rust's `{:?}` escapes, so a token cannot put control
//! characters or pages of text into a log line.

use fapi_core::Error;

/// The most characters of one value shown in a message.
const MAX_VALUE: usize = 120;

/// The header and claims of a compact JWS, unverified.
pub(crate) struct Unverified {
    header: serde_json::Value,
    claims: serde_json::Value,
}

fn segment(part: Option<&[u8]>) -> serde_json::Value {
    let Some(part) = part else {
        return serde_json::Value::Null;
    };
    let mut buf = vec![0u8; part.len()];
    fapi_core::b64::decode(part, &mut buf)
        .ok()
        .and_then(|json| serde_json::from_slice(json).ok())
        .unwrap_or(serde_json::Value::Null)
}

impl Unverified {
    /// Reads `compact` (`header.payload.signature`); members that do not
    /// decode read as absent.
    pub(crate) fn read(compact: &[u8]) -> Self {
        let mut parts = compact.split(|b| *b == b'.');
        let header = segment(parts.next());
        let claims = segment(parts.next());
        Self { header, claims }
    }

    /// A header member, shown.
    pub(crate) fn header(&self, name: &str) -> String {
        show(self.header.get(name))
    }

    /// A claim, shown.
    pub(crate) fn claim(&self, name: &str) -> String {
        show(self.claims.get(name))
    }

    fn number(&self, name: &str) -> Option<u64> {
        self.claims.get(name).and_then(serde_json::Value::as_u64)
    }

    fn has(&self, name: &str) -> bool {
        self.claims.get(name).is_some()
    }
}

/// A JSON value as a message shows it: strings quoted and escaped, long
/// values cut, an absent value as `(absent)`.
pub(crate) fn show(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => "(absent)".to_owned(),
        Some(serde_json::Value::String(s)) => quote(s),
        Some(other) => {
            let text = other.to_string();
            if text.chars().count() > MAX_VALUE {
                format!("{}...", text.chars().take(MAX_VALUE).collect::<String>())
            } else {
                text
            }
        }
    }
}

/// A string, quoted with escapes and cut at [`MAX_VALUE`] characters.
pub(crate) fn quote(s: &str) -> String {
    if s.chars().count() > MAX_VALUE {
        format!("{:?}...", s.chars().take(MAX_VALUE).collect::<String>())
    } else {
        format!("{s:?}")
    }
}

/// What a JWT was checked against.
pub(crate) struct Expected<'a> {
    /// The required `typ`, or `None` (absent or `JWT`).
    pub typ: Option<&'a str>,
    /// The required `iss`.
    pub issuer: &'a str,
    /// The required `aud`.
    pub audience: &'a str,
    /// The allowed algorithms.
    pub algs: &'a [fapi_core::Alg],
    /// The time of the check and its leeway.
    pub now: u64,
    /// Clock leeway, seconds.
    pub leeway: u64,
    /// The claims the check requires.
    pub required: &'a [&'a str],
}

/// What the values of `token` say about the core's refusal `e`, as
/// `"expected ..., got ..."`; `None` when the error has no values to show.
pub(crate) fn explain(e: Error, token: &[u8], ex: &Expected<'_>) -> Option<String> {
    let t = Unverified::read(token);
    let text = match e {
        Error::WrongIssuer => format!("expected iss {}, got {}", quote(ex.issuer), t.claim("iss")),
        Error::WrongAudience => format!(
            "expected aud {} (or an array holding it), got {}",
            quote(ex.audience),
            t.claim("aud")
        ),
        Error::ClientMismatch => format!(
            "expected iss and sub {}, got iss {} and sub {}",
            quote(ex.issuer),
            t.claim("iss"),
            t.claim("sub")
        ),
        Error::WrongType => format!(
            "expected typ {}, got {}",
            ex.typ.map_or_else(|| "\"JWT\" or none".to_owned(), quote),
            t.header("typ")
        ),
        Error::Expired => match t.number("exp") {
            Some(exp) => format!(
                "exp {exp} is {} s before now {} (leeway {} s)",
                ex.now.saturating_sub(exp),
                ex.now,
                ex.leeway
            ),
            None => format!("exp {}, now {}", t.claim("exp"), ex.now),
        },
        Error::NotYetValid => format!(
            "nbf {} is after now {} (leeway {} s)",
            t.claim("nbf"),
            ex.now,
            ex.leeway
        ),
        Error::IssuedInFuture => format!(
            "iat {} is after now {} (leeway {} s)",
            t.claim("iat"),
            ex.now,
            ex.leeway
        ),
        Error::MissingClaim => {
            let missing: Vec<&str> = ex.required.iter().copied().filter(|c| !t.has(c)).collect();
            if missing.is_empty() {
                return None;
            }
            format!("missing claim {}", missing.join(", "))
        }
        Error::AlgNotAllowed | Error::UnsupportedAlg => format!(
            "expected alg one of {:?}, got {}",
            ex.algs.iter().map(|a| a.name()).collect::<Vec<_>>(),
            t.header("alg")
        ),
        Error::LifetimeTooLong => format!(
            "iat {}, exp {}: the lifetime is over the limit",
            t.claim("iat"),
            t.claim("exp")
        ),
        _ => return None,
    };
    Some(text)
}

/// What the values of a DPoP proof say about the core's refusal `e` of it
/// for `method` `uri` at `now` (RFC 9449 §4.3); `None` when the error has
/// no values to show. `ath` is named but never shown (it is a hash of the
/// token).
pub(crate) fn explain_dpop(
    e: Error,
    proof: &[u8],
    method: &str,
    uri: &str,
    now: u64,
    resource: bool,
) -> Option<String> {
    let p = Unverified::read(proof);
    let text = match e {
        Error::DpopUri => format!(
            "expected htu {} (scheme, host and path, without query and fragment), got {}",
            quote(uri),
            p.claim("htu")
        ),
        Error::DpopMethod => format!("expected htm {}, got {}", quote(method), p.claim("htm")),
        Error::WrongType => format!("expected typ \"dpop+jwt\", got {}", p.header("typ")),
        Error::DpopAth => "ath is not the hash of the access token presented".to_owned(),
        Error::Expired | Error::TooOld | Error::IssuedInFuture | Error::NotYetValid => {
            format!("iat {}, now {now}", p.claim("iat"))
        }
        Error::MissingClaim => {
            let required: &[&str] = if resource {
                &["jti", "htm", "htu", "iat", "ath"]
            } else {
                &["jti", "htm", "htu", "iat"]
            };
            let missing: Vec<&str> = required.iter().copied().filter(|c| !p.has(c)).collect();
            if missing.is_empty() {
                return None;
            }
            format!("missing claim {}", missing.join(", "))
        }
        _ => return None,
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        let mut out = vec![0u8; s.len() * 2];
        fapi_core::b64::encode(s.as_bytes(), &mut out)
            .unwrap()
            .to_owned()
    }

    #[test]
    fn values_of_a_refused_token_are_shown() {
        let token = format!(
            "{}.{}.sig",
            b64(r#"{"alg":"ES256","typ":"at+jwt"}"#),
            b64(r#"{"iss":"https://evil","aud":["a","b"],"exp":100}"#)
        );
        let ex = Expected {
            typ: Some("JWT"),
            issuer: "https://as",
            audience: "https://rs",
            algs: &[fapi_core::Alg::Es256],
            now: 200,
            leeway: 10,
            required: &["iss", "aud", "exp", "jti"],
        };
        let say = |e| explain(e, token.as_bytes(), &ex).unwrap();
        assert_eq!(
            say(Error::WrongIssuer),
            r#"expected iss "https://as", got "https://evil""#
        );
        assert!(say(Error::WrongAudience).contains(r#"got ["a","b"]"#));
        assert_eq!(say(Error::WrongType), r#"expected typ "JWT", got "at+jwt""#);
        assert!(say(Error::Expired).contains("exp 100 is 100 s before now 200"));
        assert_eq!(say(Error::MissingClaim), "missing claim jti");
        assert_eq!(explain(Error::BadSignature, token.as_bytes(), &ex), None);
        // garbage reads as absent, never fails
        assert!(
            explain(Error::WrongIssuer, b"...", &ex)
                .unwrap()
                .ends_with("(absent)")
        );
        // long values are cut, control characters escaped
        assert_eq!(quote("a\nb"), "\"a\\nb\"");
        assert!(quote(&"x".repeat(500)).len() < 200);
    }

    /// The issue's case: a local request refused with dpop_uri now says
    /// which htu was expected and which came.
    #[test]
    fn dpop_values_are_shown() {
        let proof = format!(
            "{}.{}.sig",
            b64(r#"{"typ":"dpop+jwt","alg":"ES256"}"#),
            b64(r#"{"htm":"GET","htu":"http://localhost:3000/accounts","iat":5,"jti":"j"}"#)
        );
        let say = |e| {
            explain_dpop(
                e,
                proof.as_bytes(),
                "POST",
                "https://api.example/accounts",
                100,
                true,
            )
        };
        assert_eq!(
            say(Error::DpopUri).unwrap(),
            "expected htu \"https://api.example/accounts\" (scheme, host and path, without \
             query and fragment), got \"http://localhost:3000/accounts\""
        );
        assert_eq!(
            say(Error::DpopMethod).unwrap(),
            r#"expected htm "POST", got "GET""#
        );
        assert_eq!(say(Error::MissingClaim).unwrap(), "missing claim ath");
        assert_eq!(say(Error::TooOld).unwrap(), "iat 5, now 100");
        assert_eq!(say(Error::BadSignature), None);
    }
}
