//! What the fuzz targets share: the real software backend
//! (`fapi-rustcrypto`, with `alloc` so PS256 verifies too), the fixed keys
//! of the RFC examples and a fixed PS256 test key, the fixed parties of the
//! protocol targets (issuer, client, JWKS, clock), and independent
//! implementations (on `serde_json`, `sha2` and plain Rust) of what the
//! properties compare fapi-core's results against.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use fapi_core::crypto::KeyVerifier;
use fapi_core::{Error, PublicJwk, PublicKey, Random, Signer};
pub use fapi_rustcrypto::{
    Ed25519SigningKey, Es256SigningKey, Ps256SigningKey, RUSTCRYPTO, RustCrypto,
};

pub mod http_msg;
pub mod sfv_diff;
pub mod shape;

/// The backend every target verifies with.
pub type Backend = RustCrypto;

/// The fixed clock of the protocol targets: the `iat` of the RFC 9449 §4.1
/// proof, so that proof is fresh.
pub const NOW: u64 = 1_562_262_616;
/// The authorization server's issuer identifier.
pub const ISSUER: &str = "https://server.example.com";
/// The token endpoint (an allowed assertion audience; the DPoP request URI
/// of RFC 9449 §4.1).
pub const TOKEN_ENDPOINT: &str = "https://server.example.com/token";
/// The PAR endpoint (another allowed assertion audience).
pub const PAR_ENDPOINT: &str = "https://server.example.com/par";
/// The resource server (the access token audience).
pub const RESOURCE: &str = "https://rs.example.com";
/// The resource request of the access token target: `GET` on this URI.
pub const RESOURCE_REQUEST: fapi_core::dpop::DpopRequest<'static> = fapi_core::dpop::DpopRequest {
    method: "GET",
    uri: "https://rs.example.com/accounts",
    nonce_binding: None,
};
/// The client (RFC 6749's example client id).
pub const CLIENT_ID: &str = "s6BhdRkqt3";
/// Key ids in the client JWKS.
pub const KID_ES256: &str = "es-1";
/// Ed25519 key id.
pub const KID_EDDSA: &str = "ed-1";
/// PS256 key id.
pub const KID_PS256: &str = "ps-1";

/// The client certificate presented over mutual TLS in the access token
/// target (only its SHA-256 matters to the binding).
pub const CLIENT_CERT: &[u8] = b"0\x82\x01\x0a fuzz client certificate";

/// A 2048-bit RSA key (PKCS#1 DER) made for these fuzz targets only; it
/// protects nothing. It signs the PS256 seeds.
pub const PS256_TEST_KEY: &[u8] = include_bytes!("../keys/ps256-test-key.pk1.der");

/// A deterministic [`Random`] (SHA-256 of a counter): reproducible seeds,
/// never a real source.
#[derive(Debug, Default)]
pub struct CounterRandom(AtomicU64);

impl Random for CounterRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        use sha2::Digest as _;
        for chunk in dest.chunks_mut(32) {
            let n = self.0.fetch_add(1, Ordering::Relaxed);
            let block: [u8; 32] = sha2::Sha256::digest(n.to_be_bytes()).into();
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

/// The RFC 7515 A.3 key as a signer, key id [`KID_ES256`].
#[must_use]
pub fn es256_signer() -> Es256SigningKey {
    let d = fapi_core::b64::decode_array::<32>(rfc7515_a3::D.as_bytes()).expect("RFC 7515 d");
    Es256SigningKey::from_bytes(&d)
        .and_then(|k| k.with_key_id(KID_ES256))
        .expect("RFC 7515 key")
}

/// The RFC 8037 key as a signer, key id [`KID_EDDSA`].
#[must_use]
pub fn ed25519_signer() -> Ed25519SigningKey {
    let d = fapi_core::b64::decode_array::<32>(rfc8037::D.as_bytes()).expect("RFC 8037 d");
    Ed25519SigningKey::from_bytes(&d)
        .and_then(|k| k.with_key_id(KID_EDDSA))
        .expect("RFC 8037 key")
}

/// The PS256 test key as a signer, key id [`KID_PS256`].
#[must_use]
pub fn ps256_signer() -> Ps256SigningKey<CounterRandom> {
    Ps256SigningKey::from_pkcs1_der(PS256_TEST_KEY, CounterRandom::default())
        .and_then(|k| k.with_key_id(KID_PS256))
        .expect("PS256 test key")
}

/// The public half of the PS256 test key.
pub static PS256_PUBLIC: LazyLock<PublicKey> =
    LazyLock::new(|| PS256_SIGNER.public_key().expect("public key"));

/// The client's JWKS: the ES256, EdDSA and PS256 keys above, with their
/// key ids.
pub static CLIENT_JWKS: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let keys = [
        PublicJwk::new(es256_key(), Some(KID_ES256)),
        PublicJwk::new(ed25519_key(), Some(KID_EDDSA)),
        PublicJwk::new(PS256_PUBLIC.clone(), Some(KID_PS256)),
    ];
    let mut out = vec![0u8; 8192];
    let n = fapi_core::jwk::write_jwks(&keys, &mut out).expect("JWKS");
    out.truncate(n);
    out
});

/// The fixed signers, made once per process.
pub static ES256_SIGNER: LazyLock<Es256SigningKey> = LazyLock::new(es256_signer);
/// The RFC 8037 signer.
pub static ED25519_SIGNER: LazyLock<Ed25519SigningKey> = LazyLock::new(ed25519_signer);
/// The PS256 test signer.
pub static PS256_SIGNER: LazyLock<Ps256SigningKey<CounterRandom>> = LazyLock::new(ps256_signer);

/// The DPoP proof a client sends with `access_token` on `request`, signed
/// with the RFC 8037 Ed25519 key and verified for that token and request
/// (at [`NOW`], fresh replay cache): `None` when it does not verify.
#[must_use]
pub fn resource_proof(
    access_token: &str,
    request: &fapi_core::dpop::DpopRequest<'_>,
) -> Option<fapi_core::dpop::ResourceProof> {
    use fapi_core::dpop;
    let params = dpop::ProofParams {
        htm: request.method,
        htu: request.uri,
        iat: NOW,
        jti: "fuzz-resource-proof",
        access_token: Some(access_token),
        nonce: None,
    };
    let mut out = vec![0u8; 4096];
    let n = dpop::sign_proof(&*ED25519_SIGNER, &params, &mut out).ok()?;
    dpop::verify_resource_proof(
        out.get(..n)?,
        request,
        access_token,
        &dpop::DpopConfig::new(&fapi_core::profile::Profile::FAPI2),
        &RUSTCRYPTO,
        &fapi_core::FixedClock(NOW),
        &fapi_core::store::FixedReplayCache::<1>::new(),
    )
    .ok()
}

/// Signs `payload` with the signer chosen by `which` (0 ES256, 1 EdDSA, 2
/// PS256) under the header `header`, returning the compact JWS.
pub fn sign_with(
    which: u8,
    header: &fapi_core::jws::HeaderParams<'_>,
    payload: &[u8],
) -> Result<Vec<u8>, Error> {
    let mut out = vec![0u8; 4 * payload.len() / 3 + 4096];
    let n = match which {
        0 => fapi_core::jws::sign(&*ES256_SIGNER, header, payload, &mut out)?,
        1 => fapi_core::jws::sign(&*ED25519_SIGNER, header, payload, &mut out)?,
        _ => fapi_core::jws::sign(&*PS256_SIGNER, header, payload, &mut out)?,
    };
    out.truncate(n);
    Ok(out)
}

/// The decoded header and payload of a compact JWS, read with `serde_json`
/// (`None` when either is not JSON `serde_json` reads).
#[must_use]
pub fn decode_parts(compact: &[u8]) -> Option<(serde_json::Value, serde_json::Value)> {
    let mut parts = compact.split(|c| *c == b'.');
    let head = b64url_decode(parts.next()?)?;
    let body = b64url_decode(parts.next()?)?;
    Some((
        serde_json::from_slice(&head).ok()?,
        serde_json::from_slice(&body).ok()?,
    ))
}

/// Whether a JSON `aud` (a string or an array of strings) names `wanted`.
#[must_use]
pub fn aud_contains(aud: Option<&serde_json::Value>, wanted: &str) -> bool {
    match aud {
        Some(serde_json::Value::String(s)) => s == wanted,
        Some(serde_json::Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(wanted)),
        _ => false,
    }
}

/// base64url(SHA-256(`bytes`)), computed here and not by fapi-core.
#[must_use]
pub fn sha256_b64(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    b64url(&sha2::Sha256::digest(bytes))
}

/// An independent RFC 3986 §6.2.2 normalisation of an absolute `http(s)`
/// URI without query and fragment: scheme and host lower-cased, default
/// port dropped, unreserved percent-encodings decoded and the others
/// upper-cased, dot segments removed, empty path made `/`. `None` for what
/// it does not read (fapi-core may be stricter; the property only holds
/// accepted proofs to it).
#[must_use]
pub fn normalize_uri(uri: &str) -> Option<String> {
    let uri = uri.split(['?', '#']).next()?;
    let (scheme, rest) = uri.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return None,
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return None;
    }
    let mut authority = authority.to_ascii_lowercase();
    if authority.ends_with(default_port) {
        authority.truncate(authority.len() - default_port.len());
    } else if authority.ends_with(':') {
        authority.pop();
    }
    // Percent-encodings: decode unreserved, upper-case the rest.
    let bytes = path.as_bytes();
    let mut decoded = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            let v = u8::from_str_radix(hex, 16).ok()?;
            if v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~') {
                decoded.push(char::from(v));
            } else {
                decoded.push('%');
                decoded.push_str(&hex.to_ascii_uppercase());
            }
            i += 3;
        } else {
            decoded.push(char::from(bytes[i]));
            i += 1;
        }
    }
    // RFC 3986 §5.2.4.
    let mut input = decoded.as_str();
    let mut output = String::new();
    while !input.is_empty() {
        if let Some(r) = input.strip_prefix("../") {
            input = r;
        } else if let Some(r) = input.strip_prefix("./") {
            input = r;
        } else if input.starts_with("/./") {
            input = &input[2..];
        } else if input == "/." {
            input = "/";
        } else if input.starts_with("/../") || input == "/.." {
            input = if input == "/.." { "/" } else { &input[3..] };
            match output.rfind('/') {
                Some(j) => output.truncate(j),
                None => output.clear(),
            }
        } else if input == "." || input == ".." {
            input = "";
        } else {
            let start = usize::from(input.starts_with('/'));
            let end = input[start..].find('/').map_or(input.len(), |j| j + start);
            output.push_str(&input[..end]);
            input = &input[end..];
        }
    }
    if output.is_empty() {
        output.push('/');
    }
    Some(format!("{scheme}://{authority}{output}"))
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
pub fn fixed_verifiers() -> [KeyVerifier<'static, Backend>; 2] {
    [
        KeyVerifier::new(&RUSTCRYPTO, es256_key()),
        KeyVerifier::new(&RUSTCRYPTO, ed25519_key()),
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

/// The recipient's key id of the JWE target.
pub const KID_ENC: &str = "enc-1";

/// A 2048-bit RSA key (PKCS#8 DER) made for the JWE fuzz target only; it
/// protects nothing. The seeds are encrypted to it, and the target decrypts
/// with it.
pub const RSA_OAEP_TEST_KEY: &[u8] = include_bytes!("../keys/rsa-oaep-test-key.pk8.der");

/// The JWE test key as a recipient's private key, key id [`KID_ENC`]
/// (blinding from [`CounterRandom`]).
#[must_use]
pub fn jwe_decryption_key() -> fapi_rustcrypto::RsaOaepDecryptionKey<CounterRandom> {
    fapi_rustcrypto::RsaOaepDecryptionKey::from_pkcs8_der(
        RSA_OAEP_TEST_KEY,
        CounterRandom::default(),
    )
    .and_then(|k| k.with_key_id(KID_ENC))
    .expect("RSA-OAEP test key")
}

/// The JWE test key, made once per process.
pub static JWE_KEY: LazyLock<fapi_rustcrypto::RsaOaepDecryptionKey<CounterRandom>> =
    LazyLock::new(jwe_decryption_key);

/// The public half of the JWE test key, as a sender encrypts to it.
pub static JWE_RECIPIENT: LazyLock<fapi_rustcrypto::RsaOaepEncryptionKey> =
    LazyLock::new(|| JWE_KEY.encryption_key().expect("RSA-OAEP public key"));

/// A compact JWE under an arbitrary protected header (`header_json`, raw,
/// so duplicates, escapes, `zip`, `crit` and unknown names can be
/// encrypted for real): the CEK, sealed with `enc` and wrapped to the JWE
/// test key with `alg`, and the IV come from `random`. This is RFC 7516
/// §5.1 done by hand, so the header is whatever the caller wrote.
pub fn jwe_with_header(
    header_json: &[u8],
    alg: fapi_core::jwe::KeyAlg,
    enc: fapi_core::jwe::ContentEnc,
    plaintext: &[u8],
    random: &dyn Random,
) -> Result<String, Error> {
    use fapi_core::jwe::{self, KeyEncrypter as _};
    let aad = b64url(header_json);
    let mut cek = vec![0u8; enc.cek_len()];
    random.fill(&mut cek)?;
    let mut iv = vec![0u8; enc.iv_len()];
    random.fill(&mut iv)?;
    let mut buf = vec![0u8; enc.ciphertext_len(plaintext.len())];
    buf[..plaintext.len()].copy_from_slice(plaintext);
    let mut tag = [0u8; 32];
    let n = jwe::seal(
        enc,
        &cek,
        &iv,
        aad.as_bytes(),
        &mut buf,
        plaintext.len(),
        &mut tag,
    )?;
    let mut ek = vec![0u8; fapi_core::jwe::MAX_ENCRYPTED_KEY];
    let ek_len = JWE_RECIPIENT.wrap_key(alg, &cek, random, &mut ek)?;
    Ok(format!(
        "{aad}.{}.{}.{}.{}",
        b64url(&ek[..ek_len]),
        b64url(&iv),
        b64url(&buf[..n]),
        b64url(&tag[..enc.tag_len()])
    ))
}
