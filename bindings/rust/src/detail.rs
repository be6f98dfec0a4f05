//! What a refusal was about: the values expected and the values received.
//!
//! The core (`no_std`, no allocation, also built for firmware) answers with
//! a bare [`fapi_core::Error`] code. Once it has refused an input, this
//! crate reads the refused JWS again (its header and claims, decoded
//! without trusting them) and says what was expected and what came: the
//! `htu`/`htm`/`aud`/`iss`/`typ` values, the missing claim's name, the
//! `kid` asked for against the `kid`s known, `exp` against now. Nothing is
//! decoded on the accepting path, and the core's decision is never
//! revisited: a [`Detail`] only explains it.
//!
//! Values come from the request, so they are clipped
//! ([`MAX_VALUE_LEN`] characters) and anything but printable ASCII other
//! than `"` and `\` becomes `?`: a detail is safe inside a quoted
//! `WWW-Authenticate` parameter and on one log line.

use core::fmt;

use fapi_core::Error as CoreError;
use serde_json::{Map, Value};

/// The longest value a [`Detail`] repeats, in characters.
pub const MAX_VALUE_LEN: usize = 160;

/// What was expected and what came, for a refusal whose values are known.
///
/// ```
/// use fapi::Detail;
///
/// let d = Detail::Mismatch {
///     field: "htu",
///     expected: "https://api.bank.example/accounts".into(),
///     got: "http://localhost:8080/accounts".into(),
/// };
/// assert_eq!(
///     d.to_string(),
///     "htu: expected https://api.bank.example/accounts, got http://localhost:8080/accounts"
/// );
/// assert_eq!(Detail::MissingClaim { name: "exp" }.to_string(), "missing claim exp");
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detail {
    /// A member with a value other than the one expected: `htu`, `htm`,
    /// `aud`, `iss`, `typ`.
    Mismatch {
        /// The member's name.
        field: &'static str,
        /// The value expected (for `htu`, the request's URI as normalised
        /// for the comparison).
        expected: String,
        /// The value received (`(none)` when absent).
        got: String,
    },
    /// A required claim that is absent.
    MissingClaim {
        /// The claim's name.
        name: &'static str,
    },
    /// No single key of the issuer answers the token's `kid` and `alg`.
    UnknownKid {
        /// The token header's `kid` (`None`: it names none).
        kid: Option<String>,
        /// The token header's `alg`.
        alg: String,
        /// The keys known, as `kid (alg)`.
        known: Vec<String>,
    },
    /// `exp` is not after now.
    Expired {
        /// The token's `exp`.
        exp: u64,
        /// The verifier's clock.
        now: u64,
    },
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mismatch {
                field,
                expected,
                got,
            } => write!(f, "{field}: expected {expected}, got {got}"),
            Self::MissingClaim { name } => write!(f, "missing claim {name}"),
            Self::UnknownKid { kid, alg, known } => {
                match kid {
                    Some(kid) => write!(f, "kid {kid} ({alg}) is not one of the issuer's keys")?,
                    None => write!(f, "no kid, and not exactly one {alg} key")?,
                }
                if known.is_empty() {
                    f.write_str(": none known")
                } else {
                    write!(f, ": known {}", known.join(", "))
                }
            }
            Self::Expired { exp, now } => write!(
                f,
                "exp {exp} is {} s before now {now}",
                now.saturating_sub(*exp)
            ),
        }
    }
}

/// `s` made safe to repeat: at most [`MAX_VALUE_LEN`] characters, and
/// `?` for anything but printable ASCII other than `"` and `\`.
pub(crate) fn clip(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(MAX_VALUE_LEN)
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if s.chars().count() > MAX_VALUE_LEN {
        out.push_str("...");
    }
    out
}

/// The decoded JSON object of part `index` of the compact JWS `jws`.
fn part(jws: &str, index: usize) -> Option<Map<String, Value>> {
    let b64 = jws.split('.').nth(index)?;
    let mut buf = vec![0u8; fapi_core::b64::decoded_len(b64.len())?];
    let json = fapi_core::b64::decode(b64.as_bytes(), &mut buf).ok()?;
    match serde_json::from_slice(json).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// A member as text: a string as it is, an array of strings joined with
/// `, `, anything else as JSON; `(none)` when absent.
fn text(m: &Map<String, Value>, name: &str) -> String {
    match m.get(name) {
        None => "(none)".into(),
        Some(Value::String(s)) => clip(s),
        Some(Value::Array(a)) => clip(
            &a.iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Some(v) => clip(&v.to_string()),
    }
}

/// What a verifier expected of a JWT: the header's `typ`, the claims it
/// requires (in the order the core checks them) and the values it compares.
pub(crate) struct Expected<'a> {
    /// The header's `typ`.
    pub typ: &'static str,
    /// The claims required, in the core's order.
    pub required: &'static [&'static str],
    /// `iss`, where compared.
    pub issuer: Option<&'a str>,
    /// `aud`, where compared.
    pub audience: Option<&'a str>,
    /// `htm` and `htu` (as the core normalised it), for a DPoP proof.
    pub request: Option<(&'a str, &'a str)>,
    /// The verifier's clock.
    pub now: u64,
}

/// Claims an access token must carry (RFC 9068 §2.2), in the order
/// `fapi_core::token::verify` checks them.
pub(crate) const ACCESS_TOKEN_CLAIMS: &[&str] =
    &["iss", "aud", "exp", "iat", "sub", "client_id", "jti"];

/// Claims a DPoP proof must carry (RFC 9449 §4.2), in the order
/// `fapi_core::dpop` checks them.
pub(crate) const DPOP_PROOF_CLAIMS: &[&str] = &["jti", "htm", "htu", "iat"];

/// The detail of the core's `error` for the refused JWT `jws`, where the
/// error is about a value this crate can read back.
pub(crate) fn of_jwt(error: CoreError, jws: &str, e: &Expected<'_>) -> Option<Detail> {
    let mismatch = |field, expected: &str, got| Detail::Mismatch {
        field,
        expected: clip(expected),
        got,
    };
    if error == CoreError::WrongType {
        let header = part(jws, 0)?;
        return Some(mismatch("typ", e.typ, text(&header, "typ")));
    }
    let claims = part(jws, 1)?;
    Some(match error {
        CoreError::WrongIssuer => mismatch("iss", e.issuer?, text(&claims, "iss")),
        CoreError::WrongAudience => mismatch("aud", e.audience?, text(&claims, "aud")),
        CoreError::DpopMethod => mismatch("htm", e.request?.0, text(&claims, "htm")),
        CoreError::DpopUri => mismatch("htu", e.request?.1, text(&claims, "htu")),
        CoreError::MissingClaim => Detail::MissingClaim {
            name: e
                .required
                .iter()
                .find(|name| claims.get(**name).is_none_or(Value::is_null))?,
        },
        CoreError::Expired => Detail::Expired {
            exp: claims.get("exp")?.as_u64()?,
            now: e.now,
        },
        _ => return None,
    })
}

/// The detail of [`CoreError::KeyNotFound`] for `token`: its header's
/// `kid` and `alg` against the keys `known` (`kid (alg)` each).
pub(crate) fn unknown_kid(token: &str, known: Vec<String>) -> Option<Detail> {
    let header = part(token, 0)?;
    Some(Detail::UnknownKid {
        kid: header.get("kid").map(|_| text(&header, "kid")),
        alg: text(&header, "alg"),
        known,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jws(header: &str, claims: &str) -> String {
        let enc = |s: &str| {
            let mut out = vec![0u8; s.len() * 2 + 4];
            fapi_core::b64::encode(s.as_bytes(), &mut out)
                .unwrap()
                .to_owned()
        };
        format!("{}.{}.c2ln", enc(header), enc(claims))
    }

    const E: Expected<'static> = Expected {
        typ: "at+jwt",
        required: ACCESS_TOKEN_CLAIMS,
        issuer: Some("https://as"),
        audience: Some("https://rs"),
        request: None,
        now: 1_000,
    };

    #[test]
    fn each_value_kind_is_read_back() {
        let t = jws(
            r#"{"alg":"ES256","typ":"JWT"}"#,
            r#"{"iss":"https://evil","aud":["a","b"],"exp":900}"#,
        );
        let d = |e| of_jwt(e, &t, &E).map(|d| d.to_string());
        assert_eq!(
            d(CoreError::WrongType).as_deref(),
            Some("typ: expected at+jwt, got JWT")
        );
        assert_eq!(
            d(CoreError::WrongIssuer).as_deref(),
            Some("iss: expected https://as, got https://evil")
        );
        assert_eq!(
            d(CoreError::WrongAudience).as_deref(),
            Some("aud: expected https://rs, got a, b")
        );
        assert_eq!(
            d(CoreError::MissingClaim).as_deref(),
            Some("missing claim iat")
        );
        assert_eq!(
            d(CoreError::Expired).as_deref(),
            Some("exp 900 is 100 s before now 1000")
        );
        assert_eq!(d(CoreError::BadSignature), None);
        assert_eq!(
            unknown_kid(&t, vec!["k1 (ES256)".into()])
                .unwrap()
                .to_string(),
            "no kid, and not exactly one ES256 key: known k1 (ES256)"
        );
    }

    #[test]
    fn values_from_the_request_are_clipped_and_quoted_safely() {
        let long = "x".repeat(500);
        let t = jws(
            r#"{"alg":"ES256","kid":"a\"b\\c\nd"}"#,
            &format!(r#"{{"iss":"{long}"}}"#),
        );
        let d = of_jwt(CoreError::WrongIssuer, &t, &E).unwrap().to_string();
        assert!(d.len() < 200 && d.ends_with("..."), "{d}");
        let k = unknown_kid(&t, vec![]).unwrap().to_string();
        assert_eq!(
            k,
            "kid a?b?c?d (ES256) is not one of the issuer's keys: none known"
        );
        // Not a JWS: no detail, never a panic.
        assert_eq!(of_jwt(CoreError::WrongIssuer, "garbage", &E), None);
        assert_eq!(unknown_kid("!!!.x.y", vec![]), None);
    }
}
