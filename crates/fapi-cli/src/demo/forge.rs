//! The attacker's workbench for the client-side attacks: read the parts of
//! a real JWS or JWE the bank sent, change them, sign them again with a
//! key of the attacker's own (made fresh for each forgery, never the
//! bank's), and the client's verdict as the report records it.

use fapi::SigningKey;
use fapi_core::Alg;
use fapi_core::jws::HeaderParams;
use serde_json::Value;

use super::report::Refusal;

/// The attacker's authorization server, for the mix-up attacks.
pub const ATTACKER_ISSUER: &str = "https://as.attacker.example";

/// A base64url segment decoded.
pub fn decode(segment: &str) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; segment.len()];
    let n = fapi_core::b64::decode(segment.as_bytes(), &mut buf)
        .map_err(|e| format!("base64url: {e}"))?
        .len();
    buf.truncate(n);
    Ok(buf)
}

/// Bytes as a base64url segment (no padding).
pub fn encode(bytes: &[u8]) -> String {
    let mut out = vec![0u8; fapi_core::b64::encoded_len(bytes.len())];
    let n = fapi_core::b64::encode_vartime(bytes, &mut out).unwrap_or(0);
    out.truncate(n);
    String::from_utf8(out).unwrap_or_default()
}

/// The JSON of segment `i` of a compact JWS or JWE (0: the protected
/// header, 1: a JWS payload).
pub fn json_part(compact: &str, i: usize) -> Result<Value, String> {
    let segment = compact
        .split('.')
        .nth(i)
        .ok_or_else(|| format!("no segment {i}"))?;
    serde_json::from_slice(&decode(segment)?).map_err(|e| format!("segment {i}: {e}"))
}

/// `compact` with segment `i` replaced by `segment`.
pub fn with_part(compact: &str, i: usize, segment: &str) -> String {
    compact
        .split('.')
        .enumerate()
        .map(|(j, s)| if j == i { segment } else { s })
        .collect::<Vec<_>>()
        .join(".")
}

/// `claims` signed as a JWS by a fresh key of the attacker for `alg`,
/// named `kid` in the header when given (else its own thumbprint), with
/// the `typ` given.
pub fn sign_as_attacker(
    alg: Alg,
    kid: Option<&str>,
    typ: Option<&str>,
    claims: &Value,
) -> Result<String, String> {
    let mut key = SigningKey::generate(alg).map_err(|e| e.to_string())?;
    if let Some(kid) = kid {
        key = key.with_key_id(kid).map_err(|e| e.to_string())?;
    }
    let header = HeaderParams {
        typ,
        kid: Some(fapi_core::Signer::key_id(&key)),
        jwk: None,
    };
    let mut out = vec![0u8; 16 * 1024];
    let n = fapi_core::jws::sign(&key, &header, claims.to_string().as_bytes(), &mut out)
        .map_err(|e| e.to_string())?;
    out.truncate(n);
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// The algorithm and `kid` in a JWS header.
pub fn alg_and_kid(jws: &str) -> Result<(Alg, Option<String>), String> {
    let h = json_part(jws, 0)?;
    let alg = Alg::from_name(h["alg"].as_str().unwrap_or("")).map_err(|e| e.to_string())?;
    Ok((alg, h["kid"].as_str().map(str::to_owned)))
}

/// The client's verdict on a forged artifact: `Ok` (what it accepted)
/// when it took it, else its refusal named by the core error (the
/// client's own defence: no HTTP status).
pub fn client_verdict<T>(
    r: Result<T, fapi::Error>,
    accepted: impl FnOnce(T) -> String,
) -> Result<String, Refusal> {
    match r {
        Ok(v) => Ok(accepted(v)),
        Err(e) => Err(Refusal {
            oauth: e.core().name().to_owned(),
            status: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_replaced_and_read_back() {
        let jwt = format!(
            "{}.{}.sig",
            encode(br#"{"alg":"ES256","kid":"as-1"}"#),
            encode(br#"{"iss":"https://as"}"#)
        );
        assert_eq!(json_part(&jwt, 1).unwrap()["iss"], "https://as");
        let other = with_part(&jwt, 1, &encode(br#"{"iss":"x"}"#));
        assert_eq!(json_part(&other, 1).unwrap()["iss"], "x");
        assert!(other.ends_with(".sig"));
        let (alg, kid) = alg_and_kid(&jwt).unwrap();
        assert_eq!((alg, kid.as_deref()), (Alg::Es256, Some("as-1")));
    }

    #[test]
    fn the_attackers_signature_names_the_kid_it_was_given() {
        let jws = sign_as_attacker(
            Alg::Es256,
            Some("bank-key-1"),
            Some("JWT"),
            &serde_json::json!({"iss": ATTACKER_ISSUER}),
        )
        .unwrap();
        let h = json_part(&jws, 0).unwrap();
        assert_eq!(
            (h["kid"].as_str(), h["alg"].as_str(), h["typ"].as_str()),
            (Some("bank-key-1"), Some("ES256"), Some("JWT"))
        );
        assert_eq!(json_part(&jws, 1).unwrap()["iss"], ATTACKER_ISSUER);
    }
}
