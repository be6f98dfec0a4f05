//! base64url without padding (RFC 7515 §2), strict.
//!
//! Decoding refuses padding, whitespace, characters outside the URL-safe
//! alphabet and non-canonical trailing bits (so every byte string has exactly
//! one encoding). The work is done by `base64ct`, which is constant-time.

use base64ct::{Base64UrlUnpadded, Encoding};

use crate::error::Error;

/// Decodes `src` into `dst`, returning the decoded bytes.
///
/// A `dst` shorter than [`decoded_len`] of the input is
/// [`Error::BufferTooSmall`]: the caller's buffer, not the input, is at
/// fault. Where `dst` is a limit on the input (a 32-byte coordinate, the
/// largest RSA modulus), the caller turns that into its own error.
///
/// ```
/// use fapi_core::{b64, Error};
/// let mut out = [0u8; 3];
/// assert_eq!(b64::decode(b"AQAB", &mut out)?, &[1, 0, 1]);
/// assert_eq!(b64::decode(b"AQABAQ", &mut out), Err(Error::BufferTooSmall));
/// assert_eq!(b64::decode(b"AQ==", &mut out), Err(Error::Base64));
/// # Ok::<(), Error>(())
/// ```
pub fn decode<'a>(src: &[u8], dst: &'a mut [u8]) -> Result<&'a [u8], Error> {
    if decoded_len(src.len()).ok_or(Error::Base64)? > dst.len() {
        return Err(Error::BufferTooSmall);
    }
    Base64UrlUnpadded::decode(src, dst)
        .map(|d| d as &[u8])
        .map_err(|_| Error::Base64)
}

/// Decodes `src` into `dst`, returning the decoded bytes, still mutable
/// ([`Error::BufferTooSmall`] as for [`decode`]).
pub fn decode_mut<'a>(src: &[u8], dst: &'a mut [u8]) -> Result<&'a mut [u8], Error> {
    if decoded_len(src.len()).ok_or(Error::Base64)? > dst.len() {
        return Err(Error::BufferTooSmall);
    }
    let len = Base64UrlUnpadded::decode(src, &mut *dst)
        .map_err(|_| Error::Base64)?
        .len();
    dst.get_mut(..len).ok_or(Error::Base64)
}

/// Decodes `src` into exactly `N` bytes: any other length is
/// [`Error::InvalidKey`] (the value has a fixed size).
pub fn decode_array<const N: usize>(src: &[u8]) -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    let len = decode(src, &mut out)
        .map_err(|e| match e {
            Error::BufferTooSmall => Error::InvalidKey,
            e => e,
        })?
        .len();
    if len != N {
        return Err(Error::InvalidKey);
    }
    Ok(out)
}

/// Encodes `src` into `dst`, returning the encoded text;
/// [`Error::BufferTooSmall`] when `dst` is shorter than [`encoded_len`].
pub fn encode<'a>(src: &[u8], dst: &'a mut [u8]) -> Result<&'a str, Error> {
    Base64UrlUnpadded::encode(src, dst).map_err(|_| Error::BufferTooSmall)
}

/// The base64url alphabet (RFC 4648 §5).
#[cfg(not(feature = "compact"))]
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The character for the low six bits of `v`.
#[cfg(not(feature = "compact"))]
fn symbol(v: u8) -> u8 {
    ALPHABET.get(usize::from(v & 0x3f)).copied().unwrap_or(b'A')
}

/// Every 12-bit value as its two base64url characters: one lookup per
/// half of a 3-byte group. 8 KiB of read-only data, left out under the
/// `compact` feature.
#[cfg(not(feature = "compact"))]
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "const evaluation: i < 4096, i >> 6 < 64 and i & 63 < 64, checked at compile time"
)]
const PAIRS: [[u8; 2]; 4096] = {
    let mut table = [[0u8; 2]; 4096];
    let mut i = 0;
    while i < 4096 {
        table[i] = [ALPHABET[i >> 6], ALPHABET[i & 63]];
        i += 1;
    }
    table
};

/// The two characters for the low 12 bits of `v`.
#[cfg(not(feature = "compact"))]
fn pair(v: u32) -> [u8; 2] {
    // v & 0xfff < 4096 = PAIRS.len(): the fallback is never taken.
    usize::try_from(v & 0xfff)
        .ok()
        .and_then(|i| PAIRS.get(i))
        .copied()
        .unwrap_or([b'A', b'A'])
}

/// Encodes `src` into the start of `dst` with table lookups, returning the
/// encoded length. **Not constant-time**: for data that is public anyway,
/// such as the parts of a JWS being signed (the header, the payload and the
/// signature all go out on the wire). Secrets go through [`encode`].
///
/// Under the `compact` feature this is [`encode`] (constant-time, no
/// table): the same output in 8 KiB less flash.
#[cfg(feature = "compact")]
pub fn encode_vartime(src: &[u8], dst: &mut [u8]) -> Result<usize, Error> {
    let len = encoded_len(src.len());
    encode(src, dst.get_mut(..len).ok_or(Error::BufferTooSmall)?).map(str::len)
}

/// Encodes `src` into the start of `dst` with table lookups, returning the
/// encoded length. **Not constant-time**: for data that is public anyway,
/// such as the parts of a JWS being signed (the header, the payload and the
/// signature all go out on the wire). Secrets go through [`encode`].
#[cfg(not(feature = "compact"))]
pub fn encode_vartime(src: &[u8], dst: &mut [u8]) -> Result<usize, Error> {
    let len = encoded_len(src.len());
    let dst = dst.get_mut(..len).ok_or(Error::BufferTooSmall)?;
    // Six bytes (eight characters) at a time, then what is left three at a
    // time: independent lookups keep the pipeline busy.
    let mut wide_in = src.chunks_exact(6);
    let mut wide_out = dst.chunks_exact_mut(8);
    for (i, o) in (&mut wide_in).zip(&mut wide_out) {
        if let ([a, b, c, d, e, f], [o0, o1, o2, o3, o4, o5, o6, o7]) = (i, o) {
            let n = (u32::from(*a) << 16) | (u32::from(*b) << 8) | u32::from(*c);
            let m = (u32::from(*d) << 16) | (u32::from(*e) << 8) | u32::from(*f);
            [*o0, *o1] = pair(n >> 12);
            [*o2, *o3] = pair(n);
            [*o4, *o5] = pair(m >> 12);
            [*o6, *o7] = pair(m);
        }
    }
    let mut input = wide_in.remainder().chunks_exact(3);
    let mut output = wide_out.into_remainder().chunks_exact_mut(4);
    for (i, o) in (&mut input).zip(&mut output) {
        if let ([a, b, c], [w, x, y, z]) = (i, o) {
            let n = (u32::from(*a) << 16) | (u32::from(*b) << 8) | u32::from(*c);
            [*w, *x] = pair(n >> 12);
            [*y, *z] = pair(n);
        }
    }
    match (input.remainder(), output.into_remainder()) {
        ([a], [w, x]) => {
            *w = symbol(a >> 2);
            *x = symbol(a << 4);
        }
        ([a, b], [w, x, y]) => {
            *w = symbol(a >> 2);
            *x = symbol((a << 4) | (b >> 4));
            *y = symbol(b << 2);
        }
        _ => {}
    }
    Ok(len)
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
    fn vartime_encoding_matches_constant_time_encoding() {
        let mut data = [0u8; 100];
        for (i, b) in data.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(151).wrapping_add(7);
        }
        for n in 0..data.len() {
            let mut a = [0u8; 140];
            let mut b = [0u8; 140];
            let ct = encode(&data[..n], &mut a).unwrap();
            let len = encode_vartime(&data[..n], &mut b).unwrap();
            assert_eq!(&b[..len], ct.as_bytes(), "{n}");
        }
        let mut small = [0u8; 3];
        assert_eq!(
            encode_vartime(b"abcd", &mut small),
            Err(Error::BufferTooSmall)
        );
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

    /// A destination too small for the input is the caller's buffer:
    /// `BufferTooSmall` (a server error), never `TooLarge` (the client's).
    #[test]
    fn small_destination_is_buffer_too_small() {
        let mut out = [0u8; 2];
        assert_eq!(decode(b"AQAB", &mut out), Err(Error::BufferTooSmall));
        assert_eq!(decode_mut(b"AQAB", &mut out), Err(Error::BufferTooSmall));
        assert_eq!(encode(b"abc", &mut out), Err(Error::BufferTooSmall));
        // A fixed-size value of another size is invalid, not a buffer issue.
        assert_eq!(decode_array::<2>(b"AQAB"), Err(Error::InvalidKey));
        assert_eq!(decode_array::<4>(b"AQAB"), Err(Error::InvalidKey));
    }
}
