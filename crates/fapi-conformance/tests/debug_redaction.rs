//! The signing keys of both software backends print no key material: each
//! is built from a known private key (RFC 7515 A.3 for P-256, RFC 8037 A.1
//! for Ed25519) or generated (RSA-2048), and its `Debug` output, in every
//! format, shows neither the private bytes (hex, decimal, base64url) nor
//! any long run of hex or base64url, or list of numbers, that could be
//! key material.
//! The core's own types are checked in `fapi-core/tests/debug_redaction.rs`.

use core::fmt::Debug;

use fapi_core::{Signer, b64};

/// RFC 7515 Appendix A.3: the P-256 private key `d`.
const RFC7515_A3_D: &str = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
/// RFC 8037 Appendix A.1: the Ed25519 private key `d`.
const RFC8037_A1_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";

fn decode(text: &str) -> [u8; 32] {
    b64::decode_array::<32>(text.as_bytes()).unwrap()
}

fn printed(value: &dyn Debug) -> Vec<String> {
    vec![
        format!("{value:?}"),
        format!("{value:#?}"),
        format!("{value:x?}"),
        format!("{value:X?}"),
        format!("{:?}", Some(value)),
    ]
}

/// The longest run of characters of `class` in `text`.
fn longest_run(text: &str, class: impl Fn(char) -> bool) -> usize {
    text.split(|c: char| !class(c))
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// How many times a number follows a number and `", "` in `text` (a
/// printed byte array has one per byte).
fn numbers_in_a_list(text: &str) -> usize {
    let b = text.as_bytes();
    b.windows(4)
        .filter(|w| {
            w[0].is_ascii_alphanumeric() && w[1] == b',' && w[2] == b' ' && w[3].is_ascii_digit()
        })
        .count()
}

/// No output of `key` shows `secret` (any 8-character piece of its hex or
/// base64url form, or its first bytes in decimal), nor a run of 16 or more
/// hex digits or 24 or more base64url characters (type names are shorter),
/// nor a list of byte values. The key id, which is public, is set aside.
fn assert_no_key_material<K: Debug + Signer>(what: &str, key: &K, secret: Option<&[u8]>) {
    for text in printed(key) {
        // The key id (by default the RFC 7638 thumbprint of the public key)
        // is public and may show: the runs are looked for in the rest.
        let text = text.replace(key.key_id(), "<kid>");
        assert!(
            longest_run(&text, |c| c.is_ascii_hexdigit()) < 16,
            "{what}: hex run in {text}"
        );
        assert!(
            longest_run(&text, |c| c.is_ascii_alphanumeric() || c == '-' || c == '_') < 24,
            "{what}: base64url run in {text}"
        );
        assert!(
            numbers_in_a_list(&text) < 8,
            "{what}: a byte list in {text}"
        );
        if let Some(secret) = secret {
            let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
            let mut b64 = vec![0u8; b64::encoded_len(secret.len())];
            let b64 = b64::encode(secret, &mut b64).unwrap().to_owned();
            for form in [hex.clone(), hex.to_uppercase(), b64] {
                for start in 0..=form.len() - 8 {
                    let piece = &form[start..start + 8];
                    assert!(!text.contains(piece), "{what} shows {piece}: {text}");
                }
            }
            let decimal = format!("{:?}", &secret[..4]).replace(['[', ']'], "");
            assert!(!text.contains(&decimal), "{what} shows {decimal}: {text}");
        }
    }
}

#[test]
fn rustcrypto_signing_keys_print_no_key_material() {
    let p256 = decode(RFC7515_A3_D);
    let es = fapi_rustcrypto::Es256SigningKey::from_bytes(&p256).unwrap();
    assert_no_key_material("rustcrypto Es256SigningKey", &es, Some(&p256));
    let ed25519 = decode(RFC8037_A1_D);
    let ed = fapi_rustcrypto::Ed25519SigningKey::from_bytes(&ed25519).unwrap();
    assert_no_key_material("rustcrypto Ed25519SigningKey", &ed, Some(&ed25519));
    let ps =
        fapi_rustcrypto::Ps256SigningKey::generate(2048, fapi_awslc::SystemRandom::new()).unwrap();
    assert_no_key_material("rustcrypto Ps256SigningKey", &ps, None);
}

#[test]
fn awslc_key_pairs_print_no_key_material() {
    let p256 = decode(RFC7515_A3_D);
    let es = fapi_awslc::Es256SigningKey::from_bytes(&p256).unwrap();
    assert_no_key_material("aws-lc Es256SigningKey", &es, Some(&p256));
    let ed25519 = decode(RFC8037_A1_D);
    let ed = fapi_awslc::Ed25519SigningKey::from_bytes(&ed25519).unwrap();
    assert_no_key_material("aws-lc Ed25519SigningKey", &ed, Some(&ed25519));
    let ps = fapi_awslc::Ps256SigningKey::generate(2048).unwrap();
    assert_no_key_material("aws-lc Ps256SigningKey", &ps, None);
}
