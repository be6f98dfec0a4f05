//! The JWTs the probe makes: client assertions (RFC 7523), request
//! objects (RFC 9101) and DPoP proofs (RFC 9449), correct or with one
//! thing wrong, signed with the client's key, another key, HS256 or no
//! signature at all.

use aws_lc_rs::rand::SecureRandom as _;
use fapi::SigningKey;
use fapi_core::Signer as _;
use fapi_core::jws::HeaderParams;
use serde_json::{Value, json};

/// Seconds since 1970.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Bytes as a base64url segment (no padding).
pub fn b64(bytes: &[u8]) -> String {
    let mut out = vec![0u8; fapi_core::b64::encoded_len(bytes.len())];
    let n = fapi_core::b64::encode_vartime(bytes, &mut out).unwrap_or(0);
    out.truncate(n);
    String::from_utf8(out).unwrap_or_default()
}

/// 128 random bits, base64url: a `jti`, `state` or PKCE verifier part.
pub fn random() -> String {
    let mut raw = [0u8; 32];
    let _ = aws_lc_rs::rand::SystemRandom::new().fill(&mut raw);
    b64(&raw)
}

/// The payload of a compact JWS, as JSON (unverified: the probe reads
/// what the server gave it).
pub fn payload(jws: &str) -> Option<Value> {
    let seg = jws.split('.').nth(1)?;
    let mut buf = vec![0u8; seg.len()];
    let n = fapi_core::b64::decode(seg.as_bytes(), &mut buf).ok()?.len();
    buf.truncate(n);
    serde_json::from_slice(&buf).ok()
}

/// How a JWT is signed.
#[derive(Clone, Copy, Debug)]
pub enum Sig<'a> {
    /// With this key (its `kid`; the public JWK in the header when
    /// `embed_jwk`, as DPoP wants).
    Key(&'a SigningKey),
    /// `"alg":"none"`, no signature (RFC 7518 §3.6).
    None,
    /// HS256 with this secret (the algorithm-confusion attack).
    Hs256(&'a [u8]),
}

/// `claims` as a compact JWS with `typ`.
pub fn sign(sig: Sig<'_>, typ: &str, embed_jwk: bool, claims: &Value) -> Result<String, String> {
    let payload = claims.to_string();
    match sig {
        Sig::Key(key) => {
            let pk = key.public_key().map_err(|e| e.to_string())?;
            let header = HeaderParams {
                typ: Some(typ),
                kid: (!embed_jwk).then(|| key.key_id()),
                jwk: embed_jwk.then_some(&pk),
            };
            let mut out = vec![0u8; 16 * 1024];
            let n = fapi_core::jws::sign(key, &header, payload.as_bytes(), &mut out)
                .map_err(|e| e.to_string())?;
            out.truncate(n);
            String::from_utf8(out).map_err(|e| e.to_string())
        }
        Sig::None => {
            let header = json!({"alg": "none", "typ": typ});
            Ok(format!(
                "{}.{}.",
                b64(header.to_string().as_bytes()),
                b64(payload.as_bytes())
            ))
        }
        Sig::Hs256(secret) => {
            let header = json!({"alg": "HS256", "typ": typ});
            let input = format!(
                "{}.{}",
                b64(header.to_string().as_bytes()),
                b64(payload.as_bytes())
            );
            let k = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
            let tag = aws_lc_rs::hmac::sign(&k, input.as_bytes());
            Ok(format!("{input}.{}", b64(tag.as_ref())))
        }
    }
}

/// A `private_key_jwt` assertion's claims (RFC 7523 §3) for `client_id`
/// at `aud`: 60 s, a fresh `jti`.
pub fn assertion_claims(client_id: &str, aud: &str) -> Value {
    let now = now();
    json!({
        "iss": client_id, "sub": client_id, "aud": aud,
        "jti": random(), "iat": now, "exp": now + 60,
    })
}

/// A DPoP proof's claims (RFC 9449 §4.2).
pub fn dpop_claims(htm: &str, htu: &str, nonce: Option<&str>, access_token: Option<&str>) -> Value {
    let mut c = json!({"htm": htm, "htu": htu, "iat": now(), "jti": random()});
    if let Some(n) = nonce {
        c["nonce"] = n.into();
    }
    if let Some(t) = access_token {
        c["ath"] = String::from_utf8_lossy(&fapi_core::dpop::ath(t))
            .into_owned()
            .into();
    }
    c
}

/// A DPoP proof of `key` (its JWK in the header) with `claims`.
pub fn dpop_proof(key: &SigningKey, claims: &Value) -> Result<String, String> {
    sign(Sig::Key(key), "dpop+jwt", true, claims)
}

/// The RFC 7638 thumbprint of `key`'s public key, base64url.
pub fn jkt(key: &SigningKey) -> Result<String, String> {
    Ok(key
        .public_key()
        .map_err(|e| e.to_string())?
        .thumbprint()
        .to_b64()
        .as_str()
        .to_owned())
}
