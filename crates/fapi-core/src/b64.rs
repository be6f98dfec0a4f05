//! base64url without padding (RFC 7515 §2), strict.
//!
//! Decoding refuses padding, whitespace, characters outside the URL-safe
//! alphabet and non-canonical trailing bits (so every byte string has exactly
//! one encoding). The work is done by `base64ct`, which is constant-time.

use base64ct::{Base64UrlUnpadded, Encoding};

use crate::error::Error;

/// Decodes `src` into `dst`, returning the decoded bytes.
pub fn decode<'a>(src: &[u8], dst: &'a mut [u8]) -> Result<&'a [u8], Error> {
    if decoded_len(src.len()).ok_or(Error::Base64)? > dst.len() {
        return Err(Error::TooLarge);
    }
    Base64UrlUnpadded::decode(src, dst)
        .map(|d| d as &[u8])
        .map_err(|_| Error::Base64)
}

/// Decodes `src` into exactly `N` bytes.
pub fn decode_array<const N: usize>(src: &[u8]) -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    let len = decode(src, &mut out)?.len();
    if len != N {
        return Err(Error::InvalidKey);
    }
    Ok(out)
}

/// Encodes `src` into `dst`, returning the encoded text.
pub fn encode<'a>(src: &[u8], dst: &'a mut [u8]) -> Result<&'a str, Error> {
    Base64UrlUnpadded::encode(src, dst).map_err(|_| Error::BufferTooSmall)
}

/// The length of the unpadded encoding of `n` bytes.
#[must_use]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "n is a slice length (at most isize::MAX), so n / 3 * 4 + 3 cannot overflow"
)]
pub const fn encoded_len(n: usize) -> usize {
    (n / 3) * 4
        + match n % 3 {
            0 => 0,
            1 => 2,
            _ => 3,
        }
}

/// The length decoded from `n` base64url characters, or `None` when no
/// unpadded encoding has that length.
#[must_use]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "n / 4 * 3 + 2 is below n, and r - 1 runs only for r in 2..=3"
)]
pub const fn decoded_len(n: usize) -> Option<usize> {
    match n % 4 {
        1 => None,
        r => Some((n / 4) * 3 + if r == 0 { 0 } else { r - 1 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_lengths() {
        let mut enc = [0u8; 16];
        let mut dec = [0u8; 16];
        for n in 0..10usize {
            let data = [0xA5u8; 10];
            let e = encode(&data[..n], &mut enc).unwrap();
            assert_eq!(e.len(), encoded_len(n));
            assert_eq!(decoded_len(e.len()), Some(n));
            assert_eq!(decode(e.as_bytes(), &mut dec).unwrap(), &data[..n]);
        }
    }

    #[test]
    fn rejects_non_canonical_input() {
        let mut out = [0u8; 16];
        // padding, whitespace, standard alphabet, bad length, trailing bits
        for bad in [
            "AQAB=",
            "AQ==",
            "AQ AB",
            "AQ\nAB",
            "ab+/",
            "a",
            "AQB",
            "AR",
            "_-_-_-_-_",
        ] {
            assert!(decode(bad.as_bytes(), &mut out).is_err(), "{bad}");
        }
        assert_eq!(decode(b"AQAB", &mut out).unwrap(), &[1, 0, 1]);
        assert_eq!(decode(b"AQ", &mut out).unwrap(), &[1]);
    }

    #[test]
    fn refuses_oversized_input() {
        let mut out = [0u8; 2];
        assert_eq!(decode(b"AQAB", &mut out), Err(Error::TooLarge));
    }
}
