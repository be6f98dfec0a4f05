//! Compact JWE (RFC 7516) header parsing, allow-lists and decryption with a
//! real key: the fixed RSA-OAEP test key (`fuzz/keys`) on the RustCrypto
//! backend, under every profile's allow-lists (OFB-ALG, CDR-ALG), the full
//! set, a narrow one, and each of those requiring a nested JWT.
//!
//! Input: one selector byte, then the body. Selector bit 0 clear: the body
//! is a compact JWE. Set: the body is a protected header (raw JSON bytes),
//! a newline, and a plaintext, which the target encrypts to the test key
//! itself (RFC 7516 §5.1 by hand, so the header can be anything) with
//! `RSA-OAEP` or `RSA-OAEP-256` (bit 1) and the content encryption of bits
//! 2–3: every header the fuzzer writes reaches a real decryption. Bits 4–7
//! pick the policy `decrypt` runs under; `read_header` runs under all.
//!
//! Properties:
//! - `decrypt` refuses with `read_header`'s error whenever `read_header`
//!   refuses (the header is checked before the key is touched), and after
//!   an accepted header only with `KeyNotFound`, `JweLength`, `Base64` or
//!   the one `DecryptionFailed` (never `BufferTooSmall`: `decrypt_buf_len`
//!   suffices);
//! - an accepted header's `alg` and `enc` are in the policy's lists, are
//!   the JSON's (read by `serde_json`), and it has no `zip` or `crit`; a
//!   nested-JWT policy saw `cty: JWT`;
//! - what decrypts has canonical base64url in every part (no malleability)
//!   and, when the target encrypted it, was encrypted under the header's
//!   own `alg` and `enc` and decrypts to the plaintext encrypted;
//! - a JWE the target encrypted under the header's own `alg` and `enc`
//!   whose header is accepted, with no other `kid`, always decrypts.
#![no_main]

use fapi_core::Error;
use fapi_core::jwe::{self, ContentEnc, KeyAlg, Policy};
use fapi_core::profile::Profile;
use fapi_fuzz::{CounterRandom, JWE_KEY, KID_ENC, b64url, b64url_decode, jwe_with_header};
use libfuzzer_sys::fuzz_target;

const NARROW_ALGS: &[&str] = &["RSA-OAEP-256"];
const NARROW_ENCS: &[&str] = &["A128CBC-HS256"];

fn policies() -> Vec<Policy<'static>> {
    let mut base = vec![Policy::ALL, Policy::new(NARROW_ALGS, NARROW_ENCS)];
    base.extend(Profile::ALL.iter().map(Policy::from_profile));
    let nested: Vec<Policy<'static>> = base.iter().map(|p| p.nested_jwt()).collect();
    base.extend(nested);
    base
}

/// Whether the base64url text is the canonical encoding of what it decodes
/// to (read with the target's own decoder).
fn canonical(part: &[u8]) -> bool {
    b64url_decode(part).is_some_and(|bytes| b64url(&bytes).as_bytes() == part)
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let random = CounterRandom::default();
    let sealed_alg = KeyAlg::ALL[usize::from(sel >> 1 & 1)];
    let sealed_enc = ContentEnc::ALL[usize::from(sel >> 2 & 3)];
    let made;
    let (compact, plaintext): (&[u8], Option<&[u8]>) = if sel & 1 == 0 {
        (body, None)
    } else {
        let at = body.iter().position(|b| *b == b'\n').unwrap_or(body.len());
        let (header, rest) = body.split_at(at);
        let plaintext = rest.get(1..).unwrap_or_default();
        let Ok(jwe) = jwe_with_header(header, sealed_alg, sealed_enc, plaintext, &random) else {
            return;
        };
        made = jwe;
        (made.as_bytes(), Some(plaintext))
    };

    let policies = policies();
    let chosen = usize::from(sel >> 4) % policies.len();
    let key = &*JWE_KEY;
    let mut buf = vec![0u8; jwe::decrypt_buf_len(compact.len())];

    let Ok(parts) = jwe::split(compact) else {
        let err = jwe::split(compact).unwrap_err();
        let got = jwe::decrypt(compact, &policies[chosen], key, &random, &mut buf);
        assert_eq!(got.unwrap_err(), err, "split and decrypt disagree");
        return;
    };
    let mut chosen_header = None;
    for (i, policy) in policies.iter().enumerate() {
        let mut hbuf = vec![0u8; jwe::decrypt_buf_len(compact.len())];
        let read = jwe::read_header(&parts, policy, &mut hbuf).map(|(h, _)| h);
        if i == chosen {
            chosen_header = Some(read.map(|h| (h.alg, h.enc, h.kid.map(str::to_owned))));
        }
        let Ok(h) = read else { continue };
        assert!(policy.algs.contains(&h.alg.name()), "alg outside the list");
        assert!(policy.encs.contains(&h.enc.name()), "enc outside the list");
        if policy.nested_jwt {
            let cty = h.cty.expect("nested JWT without cty");
            let cty = cty.strip_prefix("application/").unwrap_or(cty);
            assert!(cty.eq_ignore_ascii_case("JWT"), "nested JWT with cty {cty}");
        }
        // serde_json reads some JSON fapi-core refuses and the other way
        // round (a lone surrogate escape): compare where both read it.
        let Some(json) = b64url_decode(parts.header)
            .and_then(|h| serde_json::from_slice::<serde_json::Value>(&h).ok())
        else {
            continue;
        };
        assert_eq!(
            json["alg"].as_str(),
            Some(h.alg.name()),
            "alg is not the JSON's"
        );
        assert_eq!(
            json["enc"].as_str(),
            Some(h.enc.name()),
            "enc is not the JSON's"
        );
        assert!(json.get("zip").is_none(), "accepted a zip header");
        assert!(json.get("crit").is_none(), "accepted a crit header");
    }
    let chosen_header = chosen_header.expect("the chosen policy ran");

    let got = jwe::decrypt(compact, &policies[chosen], key, &random, &mut buf);
    match (&chosen_header, got) {
        (Err(e), got) => {
            assert_eq!(got.unwrap_err(), *e, "read_header and decrypt disagree");
            return;
        }
        (Ok(_), Err(e)) => {
            assert!(
                matches!(
                    e,
                    Error::KeyNotFound | Error::JweLength | Error::Base64 | Error::DecryptionFailed
                ),
                "unexpected error after the header: {e:?}"
            );
            if let (Some(_), Ok((alg, enc, kid))) = (plaintext, &chosen_header) {
                let same = *alg == sealed_alg && *enc == sealed_enc;
                let kid_ok = kid.as_deref().is_none_or(|k| k == KID_ENC);
                assert!(
                    !(same && kid_ok),
                    "a JWE encrypted under its own header failed: {e:?}"
                );
            }
            return;
        }
        (Ok(_), Ok(d)) => {
            if let Some(p) = plaintext {
                assert_eq!(&*d.plaintext, p, "decrypted to another plaintext");
                assert_eq!(d.header.alg, sealed_alg, "decrypted under another alg");
                assert_eq!(d.header.enc, sealed_enc, "decrypted under another enc");
            }
            assert!(d.header.kid.is_none_or(|k| k == KID_ENC), "another kid");
        }
    }
    for part in [
        parts.header,
        parts.encrypted_key,
        parts.iv,
        parts.ciphertext,
        parts.tag,
    ] {
        assert!(canonical(part), "a non-canonical part decrypted");
    }
});
