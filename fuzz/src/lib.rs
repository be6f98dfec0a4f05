//! What the fuzz targets share: a small software verifier (ES256 on `p256`,
//! EdDSA on `ed25519-dalek`), the fixed keys of the RFC examples, and an
//! independent description of a JSON document's shape (read with
//! `serde_json`) to hold `fapi_core::json::check` against.
//!
//! The verifier stands in for a full software backend; it implements the
//! same `fapi_core::crypto` traits, so a backend crate can replace it
//! without touching the targets.

use fapi_core::crypto::{KeyVerifier, PublicKeyVerifier};
use fapi_core::{Alg, Error, PublicKey};

pub mod shape;

/// A software verifier for ES256 and EdDSA. PS256 always fails with
/// [`Error::BadSignature`]: no RSA here, so no PS256 token ever verifies in
/// the fuzzers (the parsing in front of it is still exercised).
#[derive(Clone, Copy, Debug, Default)]
pub struct SoftVerifier;

impl PublicKeyVerifier for SoftVerifier {
    fn verify_with(
        &self,
        key: &PublicKey,
        alg: Alg,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        if key.alg() != alg {
            return Err(Error::KeyAlgMismatch);
        }
        match key {
            PublicKey::P256 { .. } => {
                use p256::ecdsa::signature::Verifier as _;
                let point = key.sec1_point()?;
                let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                    .map_err(|_| Error::InvalidKey)?;
                let sig = p256::ecdsa::Signature::from_slice(signature)
                    .map_err(|_| Error::BadSignature)?;
                vk.verify(message, &sig).map_err(|_| Error::BadSignature)
            }
            PublicKey::Ed25519 { x } => {
                let vk =
                    ed25519_dalek::VerifyingKey::from_bytes(x).map_err(|_| Error::InvalidKey)?;
                let sig = ed25519_dalek::Signature::from_slice(signature)
                    .map_err(|_| Error::BadSignature)?;
                vk.verify_strict(message, &sig)
                    .map_err(|_| Error::BadSignature)
            }
            PublicKey::Rsa(_) => Err(Error::BadSignature),
        }
    }
}

/// RFC 7515 Appendix A.3: the P-256 key (public part and `d`).
pub mod rfc7515_a3 {
    /// `x`.
    pub const X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    /// `y`.
    pub const Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
    /// `d` (used only by the corpus builder to sign more seeds).
    pub const D: &str = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
    /// The ES256 compact JWS of A.3.1.
    pub const JWS: &str = concat!(
        "eyJhbGciOiJFUzI1NiJ9",
        ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ",
        ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q",
    );
}

/// RFC 8037 Appendix A.1 and A.4: the Ed25519 key and the EdDSA JWS.
pub mod rfc8037 {
    /// `x` (A.2).
    pub const X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    /// `d` (A.1; used only by the corpus builder).
    pub const D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    /// The compact JWS of A.4.
    pub const JWS: &str = concat!(
        "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc",
        ".hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
    );
}

/// RFC 9449 §4.1 Figure 2 (the proof also appears in Figure 5).
pub mod rfc9449 {
    /// The DPoP proof.
    pub const PROOF: &str = concat!(
        "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6Ik",
        "VDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCR",
        "nMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JE",
        "QSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIj",
        "oiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwia",
        "WF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg",
        "4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg",
    );
    /// The RFC 7638 thumbprint of the proof's key (§6.1 example `jkt`).
    pub const JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
}

/// RFC 7638 §3.1: the RSA key and its thumbprint.
pub mod rfc7638 {
    /// The JWK, as in the RFC (its `alg` is RS256, which fapi refuses).
    pub const JWK: &str = concat!(
        r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx"#,
        "4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs",
        "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2",
        "QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbI",
        "SD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqb",
        r#"w0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#,
    );
    /// Its thumbprint.
    pub const THUMBPRINT: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
}

fn decode32(s: &str) -> [u8; 32] {
    fapi_core::b64::decode_array::<32>(s.as_bytes()).unwrap_or([0; 32])
}

/// The public key of RFC 7515 A.3.
#[must_use]
pub fn es256_key() -> PublicKey {
    PublicKey::P256 {
        x: decode32(rfc7515_a3::X),
        y: decode32(rfc7515_a3::Y),
    }
}

/// The public key of RFC 8037 A.2.
#[must_use]
pub fn ed25519_key() -> PublicKey {
    PublicKey::Ed25519 {
        x: decode32(rfc8037::X),
    }
}

/// The fixed verifiers the `jws_verify` target tries every input with.
#[must_use]
pub fn fixed_verifiers() -> [KeyVerifier<'static, SoftVerifier>; 2] {
    static BACKEND: SoftVerifier = SoftVerifier;
    [
        KeyVerifier::new(&BACKEND, es256_key()),
        KeyVerifier::new(&BACKEND, ed25519_key()),
    ]
}

/// Base64url without padding (for the properties, independent of
/// `fapi_core::b64`, which is under test).
#[must_use]
pub fn b64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Members that only a private JWK carries.
pub const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Decodes unpadded base64url (lenient about trailing bits: the properties
/// compare re-encodings, so a non-canonical input shows up there).
#[must_use]
pub fn b64url_decode(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for &c in text {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if bits >= 6 {
        return None;
    }
    Some(out)
}

/// The RFC 7638 thumbprint of a JWK given as a `serde_json` value, computed
/// from `serde_json`'s own canonical output (its maps are sorted, and it
/// writes no whitespace): an implementation independent of `fapi_core::jwk`.
#[must_use]
pub fn independent_thumbprint(jwk: &serde_json::Value) -> Option<[u8; 32]> {
    use sha2::Digest as _;
    let required: &[&str] = match jwk.get("kty")?.as_str()? {
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        "RSA" => &["e", "kty", "n"],
        _ => return None,
    };
    let mut canonical = serde_json::Map::new();
    for name in required {
        let _ = canonical.insert((*name).to_owned(), jwk.get(*name)?.clone());
    }
    let text = serde_json::to_vec(&serde_json::Value::Object(canonical)).ok()?;
    Some(sha2::Sha256::digest(&text).into())
}
