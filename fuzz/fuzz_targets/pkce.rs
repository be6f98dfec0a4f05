//! PKCE S256 (`pkce::check_verifier_format`, `Challenge::s256`,
//! `pkce::verify`, RFC 7636).
//!
//! Input: `verifier` `\n` `challenge` (without a newline, the whole input
//! is the verifier and the challenge is its own S256), then, after a second
//! `\n`, two bytes choosing a position and a bit to flip.
//!
//! Properties: the format check accepts exactly 43–128 unreserved
//! characters (an independent check); `Challenge::s256` succeeds exactly
//! then and equals base64url(SHA-256(verifier)) computed here; `verify`
//! accepts exactly a well-formed verifier whose independent S256 equals the
//! challenge, refusing a malformed verifier with `PkceVerifierFormat` and
//! any other with `PkceMismatch`; a verifier differing in one byte from an
//! accepted one never matches the same challenge.
#![no_main]

use fapi_core::Error;
use fapi_core::pkce::{self, Challenge};
use fapi_fuzz::sha256_b64;
use libfuzzer_sys::fuzz_target;

fn well_formed(v: &[u8]) -> bool {
    (43..=128).contains(&v.len())
        && v.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-._~".contains(c))
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |c| *c == b'\n');
    let verifier = parts.next().unwrap_or_default();
    let challenge = parts.next();
    let flip = parts.next().unwrap_or_default();
    let Ok(v) = std::str::from_utf8(verifier) else {
        return;
    };
    let ok_format = well_formed(verifier);
    assert_eq!(pkce::check_verifier_format(v).is_ok(), ok_format, "{v:?}");
    let expected = sha256_b64(verifier);
    match Challenge::s256(v) {
        Ok(c) => {
            assert!(ok_format);
            assert_eq!(c.as_str(), expected, "S256 differs");
            assert_eq!(pkce::verify(v, c.as_str()), Ok(()));
        }
        Err(e) => {
            assert!(!ok_format);
            assert_eq!(e, Error::PkceVerifierFormat);
        }
    }
    let challenge = match challenge.map(std::str::from_utf8) {
        Some(Ok(c)) => c.to_owned(),
        Some(Err(_)) => return,
        None => expected.clone(),
    };
    let result = pkce::verify(v, &challenge);
    if !ok_format {
        assert_eq!(result, Err(Error::PkceVerifierFormat));
        return;
    }
    if challenge == expected {
        assert_eq!(result, Ok(()), "matching verifier refused");
    } else {
        assert_eq!(
            result,
            Err(Error::PkceMismatch),
            "mismatching verifier accepted"
        );
        return;
    }
    // Differential: one byte changed never matches.
    let at = usize::from(*flip.first().unwrap_or(&0)) % verifier.len();
    let bit = 1u8 << (flip.get(1).copied().unwrap_or(0) % 7);
    let mut other = verifier.to_vec();
    other[at] ^= bit;
    if let Ok(o) = std::str::from_utf8(&other) {
        let r = pkce::verify(o, &challenge);
        assert!(r.is_err(), "a verifier differing in one byte matched");
        if well_formed(&other) {
            assert_eq!(r, Err(Error::PkceMismatch));
        } else {
            assert_eq!(r, Err(Error::PkceVerifierFormat));
        }
    }
});
