//! `Content-Digest` (RFC 9530 §2): `content_digest::verify` of a field
//! against a body, and `content_digest::write`.
//!
//! Input: the field value, a newline, the body (no newline: an empty
//! body).
//!
//! Properties:
//! - differential against the `sfv` crate (`fapi_fuzz::sfv_diff`);
//! - when the field parses, the result is exactly that of an independent
//!   reading of `sfv`'s value with `sha2`: members in order; a `sha-256` or
//!   `sha-512` member that is not a byte sequence is `StructuredField`, one
//!   that is not the body's digest `DigestMismatch`; other algorithms are
//!   ignored; no `sha-256` or `sha-512` member is `UnsupportedDigest`
//!   (RFC 9530 §2);
//! - round trip: the field `write` makes for the body (both algorithms)
//!   verifies, and `sfv` reads it as the one member with the digest.
#![no_main]

use fapi_core::Error;
use fapi_core::content_digest::{self, DigestAlgorithm};
use fapi_fuzz::sfv_diff;
use libfuzzer_sys::fuzz_target;
use sfv::{BareItem, ListEntry};
use sha2::{Digest as _, Sha256, Sha512};

fn digest(alg: &str, body: &[u8]) -> Option<Vec<u8>> {
    match alg {
        "sha-256" => Some(Sha256::digest(body).to_vec()),
        "sha-512" => Some(Sha512::digest(body).to_vec()),
        _ => None,
    }
}

fn expected(dict: &sfv::Dictionary, body: &[u8]) -> Result<(), Error> {
    let mut checked = 0;
    for (key, entry) in dict {
        let Some(want) = digest(key.as_str(), body) else {
            continue;
        };
        let ListEntry::Item(item) = entry else {
            return Err(Error::StructuredField);
        };
        let BareItem::ByteSequence(got) = &item.bare_item else {
            return Err(Error::StructuredField);
        };
        if *got != want {
            return Err(Error::DigestMismatch);
        }
        checked += 1;
    }
    if checked == 0 {
        return Err(Error::UnsupportedDigest);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let (field, body) = match data.iter().position(|b| *b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    if let Ok(field) = core::str::from_utf8(field) {
        let result = content_digest::verify(field, body);
        match sfv_diff::check(field) {
            Some(_) => {
                let theirs = sfv_diff::sfv_dictionary(field).expect("sfv accepted it");
                assert_eq!(result, expected(&theirs, body), "{field:?}");
            }
            None => assert!(result.is_err(), "{field:?} verified without parsing"),
        }
    }
    for alg in [DigestAlgorithm::Sha256, DigestAlgorithm::Sha512] {
        let mut out = [0u8; content_digest::MAX_FIELD_LEN];
        let n = content_digest::write(alg, body, &mut out).expect("fits");
        let written = core::str::from_utf8(&out[..n]).expect("ASCII");
        assert_eq!(content_digest::verify(written, body), Ok(()));
        let theirs = sfv_diff::sfv_dictionary(written).expect("sfv reads it");
        assert_eq!(theirs.len(), 1);
        assert!(matches!(
            theirs.get(alg.name()),
            Some(ListEntry::Item(i)) if matches!(&i.bare_item,
                BareItem::ByteSequence(d) if Some(d) == digest(alg.name(), body).as_ref())
        ));
    }
});
