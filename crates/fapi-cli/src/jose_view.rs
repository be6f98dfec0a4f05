//! A compact JOSE object decoded without any check (`fapi inspect`), and
//! the values a refusal involves (expected against got), read from the
//! same unverified decoding once the core has refused.

use fapi_core::Error;
use serde_json::Value;

/// What a compact serialization is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// A JWS (three parts): header, payload, signature.
    Jws,
    /// A JWE (five parts): only its header is readable.
    Jwe,
}

impl Form {
    /// Its name, lower case.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Jws => "jws",
            Self::Jwe => "jwe",
        }
    }
}

/// A compact JWS or JWE, decoded and NOT verified.
#[derive(Clone, Debug)]
pub struct Unverified {
    /// JWS or JWE.
    pub form: Form,
    /// The protected header.
    pub header: Value,
    /// A JWS's payload: JSON, or `None` when it is not JSON (then
    /// [`Unverified::payload_text`] holds it when it is UTF-8).
    pub payload: Option<Value>,
    /// A JWS payload that is not JSON, as text.
    pub payload_text: Option<String>,
}

fn b64_json(part: &str, what: &str) -> Result<Value, String> {
    let mut buf = vec![0u8; part.len()];
    let bytes = fapi_core::b64::decode_vartime(part.as_bytes(), &mut buf)
        .map_err(|_| format!("the {what} is not base64url"))?;
    serde_json::from_slice(bytes).map_err(|e| format!("the {what} is not JSON: {e}"))
}

/// Decodes `token` (a compact JWS or JWE) without checking anything: for
/// display, and for naming the values of a refusal.
pub fn decode(token: &str) -> Result<Unverified, String> {
    let parts: Vec<&str> = token.split('.').collect();
    let form = match parts.len() {
        3 => Form::Jws,
        5 => Form::Jwe,
        n => {
            return Err(format!(
                "not a compact JWS (3 parts) or JWE (5 parts): {n} part{} joined by '.'",
                if n == 1 { "" } else { "s" }
            ));
        }
    };
    let header = b64_json(parts[0], "header")?;
    if !header.is_object() {
        return Err("the header is not a JSON object".to_owned());
    }
    let (mut payload, mut payload_text) = (None, None);
    if form == Form::Jws {
        let mut buf = vec![0u8; parts[1].len()];
        let bytes = fapi_core::b64::decode_vartime(parts[1].as_bytes(), &mut buf)
            .map_err(|_| "the payload is not base64url".to_owned())?;
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => payload = Some(v),
            Err(_) => payload_text = core::str::from_utf8(bytes).ok().map(str::to_owned),
        }
    }
    Ok(Unverified {
        form,
        header,
        payload,
        payload_text,
    })
}

/// What a verifier expected, for naming the values of a refusal.
#[derive(Clone, Copy, Debug, Default)]
pub struct Expected<'a> {
    /// The issuer asked for.
    pub iss: Option<&'a str>,
    /// The audience asked for.
    pub aud: Option<&'a str>,
    /// The `typ` asked for.
    pub typ: Option<&'a str>,
    /// The `kid`s of the JWK Set.
    pub kids: &'a [String],
    /// The verifier's now.
    pub now: u64,
}

fn shown(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "none".to_owned(),
        Some(Value::String(s)) => format!("{s:?}"),
        Some(other) => other.to_string(),
    }
}

/// The values behind `error` for `token`: expected against got (`exp`
/// against now, `aud`, `iss`, `typ`, the `kid` asked for against the
/// `kid`s known, the missing claim's name), or `None` when the error has
/// no value to show.
pub fn values(error: Error, token: &str, expected: &Expected<'_>) -> Option<String> {
    let t = decode(token).ok()?;
    let claims = t.payload.unwrap_or(Value::Null);
    let claim = |n: &str| claims.get(n).filter(|v| !v.is_null());
    let now = expected.now;
    Some(match error {
        Error::Expired => format!(
            "exp {} is before now {now} (leeway {} s)",
            shown(claim("exp")),
            fapi_core::jwt::DEFAULT_LEEWAY
        ),
        Error::NotYetValid => format!("nbf {} is after now {now}", shown(claim("nbf"))),
        Error::IssuedInFuture => format!("iat {} is after now {now}", shown(claim("iat"))),
        Error::LifetimeTooLong => format!(
            "exp {} - iat {} is more than {} s",
            shown(claim("exp")),
            shown(claim("iat").or_else(|| claim("nbf"))),
            fapi_core::jwt::MAX_LIFETIME
        ),
        Error::WrongAudience => format!(
            "aud expected {:?}, got {}",
            expected.aud?,
            shown(claim("aud"))
        ),
        Error::WrongIssuer => format!(
            "iss expected {:?}, got {}",
            expected.iss?,
            shown(claim("iss"))
        ),
        Error::WrongType => format!(
            "typ expected {}, got {}",
            expected
                .typ
                .map_or_else(|| "\"JWT\" or none".to_owned(), |t| format!("{t:?}")),
            shown(t.header.get("typ"))
        ),
        Error::KeyNotFound => format!(
            "kid {} is not among the JWK Set's kids [{}]",
            shown(t.header.get("kid")),
            expected.kids.join(", ")
        ),
        Error::MissingClaim => {
            let mut required = vec!["exp"];
            if expected.iss.is_some() {
                required.extend(["iss", "aud"]);
            }
            let missing: Vec<&str> = required
                .into_iter()
                .filter(|n| claim(n).is_none())
                .collect();
            if missing.is_empty() {
                return None;
            }
            format!("no {} claim", missing.join(", no "))
        }
        _ => return None,
    })
}

/// The `kid`s of a JWK Set document, in order (`(none)` for a key without
/// one).
pub fn kids(jwks: &str) -> Vec<String> {
    serde_json::from_str::<Value>(jwks)
        .ok()
        .and_then(|v| v.get("keys").and_then(Value::as_array).cloned())
        .unwrap_or_default()
        .iter()
        .map(|k| {
            k.get("kid")
                .and_then(Value::as_str)
                .map_or_else(|| "(none)".to_owned(), |s| format!("{s:?}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // header {"alg":"ES256","kid":"k1"}, payload {"exp":100,"aud":"a"}
    const TOKEN: &str = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJleHAiOjEwMCwiYXVkIjoiYSJ9.c2ln";

    #[test]
    fn refusals_show_expected_against_got() {
        let kids = vec!["\"k2\"".to_owned()];
        let e = Expected {
            iss: Some("https://as"),
            aud: Some("b"),
            typ: None,
            kids: &kids,
            now: 200,
        };
        assert_eq!(
            values(Error::Expired, TOKEN, &e).unwrap(),
            "exp 100 is before now 200 (leeway 10 s)"
        );
        assert_eq!(
            values(Error::WrongAudience, TOKEN, &e).unwrap(),
            "aud expected \"b\", got \"a\""
        );
        assert_eq!(
            values(Error::KeyNotFound, TOKEN, &e).unwrap(),
            "kid \"k1\" is not among the JWK Set's kids [\"k2\"]"
        );
        assert_eq!(
            values(Error::MissingClaim, TOKEN, &e).unwrap(),
            "no iss claim"
        );
        assert!(values(Error::BadSignature, TOKEN, &e).is_none());
        assert!(decode("a.b").is_err());
        assert_eq!(decode(TOKEN).unwrap().form, Form::Jws);
    }
}
