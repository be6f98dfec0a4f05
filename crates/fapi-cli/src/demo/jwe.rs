//! Attacks on an encrypted ID token (a nested JWT: RFC 7519 §5.2, RFC 7516
//! compact JWE), where the client registered encryption (the CDR: CDR-ALG,
//! `id_token_encrypted_response_alg` RSA-OAEP-256 with A256GCM). Each is
//! the bank's real JWE with one thing changed; the client's
//! `fapi::jwe::DecryptionKey`, under the profile's allow-lists, must
//! refuse it:
//!
//! - `alg` rewritten to `RSA1_5` (the Bleichenbacher oracle, RFC 3218):
//!   `unsupported_alg`, before the key is touched (RFC 8725 §3.2);
//! - the key algorithm swapped (RSA-OAEP ⇔ RSA-OAEP-256 in the protected
//!   header): the one `decryption_failed`, with no detail (RFC 7516 §11.5),
//!   or `alg_not_allowed` where the profile allows only the one;
//! - one byte of the authentication tag changed: `decryption_failed`
//!   (RFC 7516 §5.2 step 16).

use fapi::jwe::KeyAlg;
use serde_json::Value;

use super::forge::{client_verdict, decode, encode, json_part, with_part};
use super::party::Party;
use super::report::{Refusal, Report};

/// `jwe` with the protected header's `alg` set to `alg`.
pub fn with_alg(jwe: &str, alg: &str) -> Result<String, String> {
    let mut header = json_part(jwe, 0)?;
    header["alg"] = Value::from(alg);
    Ok(with_part(jwe, 0, &encode(header.to_string().as_bytes())))
}

/// The other RSA-OAEP of the header's `alg`.
pub fn swapped_alg(jwe: &str) -> Result<KeyAlg, String> {
    let header = json_part(jwe, 0)?;
    match header["alg"].as_str() {
        Some("RSA-OAEP") => Ok(KeyAlg::RsaOaep256),
        Some("RSA-OAEP-256") => Ok(KeyAlg::RsaOaep),
        other => Err(format!("alg {other:?}")),
    }
}

/// `jwe` with the first byte of its tag (the fifth segment) flipped.
pub fn with_tag_changed(jwe: &str) -> Result<String, String> {
    let tag = jwe.split('.').nth(4).ok_or("no tag")?;
    let mut raw = decode(tag)?;
    let first = raw.first_mut().ok_or("an empty tag")?;
    *first ^= 0x01;
    Ok(with_part(jwe, 4, &encode(&raw)))
}

/// The attacks on the encrypted ID token `jwe` the bank sent to `p`.
pub fn attacks(r: &mut Report, flow: &str, p: &Party, jwe: &str) {
    let decrypt = |forged: &str| {
        client_verdict(p.signed_id_token(forged), |jws| {
            format!("decrypted to a JWS of {} bytes", jws.len())
        })
    };
    let setup = |e: String| -> Result<String, Refusal> { Ok(format!("setup failed: {e}")) };

    let seen = match with_alg(jwe, "RSA1_5") {
        Ok(forged) => decrypt(&forged),
        Err(e) => setup(e),
    };
    r.attack(
        flow,
        "encrypted-id-token-with-rsa1_5",
        "A1a",
        &["CDR-ALG", "RFC 8725 §3.2", "RFC 3218"],
        "unsupported_alg",
        seen,
    );

    // Refused by the allow-list when the profile has only one of the two;
    // else the key does not unwrap the CEK: the one decryption error.
    let (seen, expected) = match swapped_alg(jwe) {
        Ok(alg) => {
            let allowed = p
                .profile
                .jwe_algs
                .is_none_or(|algs| algs.contains(&alg.name()));
            (
                with_alg(jwe, alg.name()).map_or_else(setup, |f| decrypt(&f)),
                if allowed {
                    "decryption_failed"
                } else {
                    "alg_not_allowed"
                },
            )
        }
        Err(e) => (setup(e), "decryption_failed"),
    };
    r.attack(
        flow,
        "encrypted-id-token-with-its-key-algorithm-swapped",
        "A1a",
        &["CDR-ALG", "RFC 7516 §11.5", "RFC 7518 §4.3"],
        expected,
        seen,
    );

    let seen = match with_tag_changed(jwe) {
        Ok(forged) => decrypt(&forged),
        Err(e) => setup(e),
    };
    r.attack(
        flow,
        "encrypted-id-token-with-its-tag-changed",
        "A1a",
        &["CDR-ALG", "RFC 7516 §5.2", "RFC 7516 §11.5"],
        "decryption_failed",
        seen,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use fapi::jwe::{self, ContentEnc, DecryptionKey, Policy};
    use fapi_core::profile::Profile;

    fn sample() -> (DecryptionKey, String) {
        let key = DecryptionKey::generate().unwrap();
        let jwks = format!(
            r#"{{"keys":[{}]}}"#,
            key.public_jwk_json(KeyAlg::RsaOaep256)
        );
        let c = jwe::encrypt(
            b"a.b.c",
            &jwks,
            KeyAlg::RsaOaep256,
            ContentEnc::A256Gcm,
            Some("JWT"),
        )
        .unwrap();
        (key, c)
    }

    fn refusal(key: &DecryptionKey, c: &str) -> fapi_core::Error {
        key.decrypt_nested_jwt(c, &Policy::from_profile(&Profile::CDR))
            .unwrap_err()
            .core()
    }

    #[test]
    fn each_forgery_is_refused_by_the_key_as_the_demo_expects() {
        let (key, c) = sample();
        assert_eq!(
            &key.decrypt_nested_jwt(&c, &Policy::from_profile(&Profile::CDR))
                .unwrap()[..],
            "a.b.c"
        );
        let rsa15 = with_alg(&c, "RSA1_5").unwrap();
        assert_eq!(refusal(&key, &rsa15), fapi_core::Error::UnsupportedAlg);
        assert_eq!(swapped_alg(&c).unwrap(), KeyAlg::RsaOaep);
        let swapped = with_alg(&c, "RSA-OAEP").unwrap();
        assert_eq!(refusal(&key, &swapped), fapi_core::Error::DecryptionFailed);
        let tag = with_tag_changed(&c).unwrap();
        assert_eq!(refusal(&key, &tag), fapi_core::Error::DecryptionFailed);
    }
}
