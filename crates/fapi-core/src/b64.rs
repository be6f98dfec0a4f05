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

/// Decodes `src` into exactly `N` bytes. Text that is not strict
/// base64url (padding, whitespace, a character outside the alphabet,
/// non-zero trailing bits) is [`Error::Base64`] whatever its length; strict
/// base64url of any other length is [`Error::InvalidKey`] (the value has a
/// fixed size).
///
/// ```
/// use fapi_core::{b64, Error};
/// let x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
/// assert!(b64::decode_array::<32>(x.as_bytes()).is_ok());
/// assert_eq!(b64::decode_array::<32>(format!("{x}=").as_bytes()), Err(Error::Base64));
/// assert_eq!(b64::decode_array::<32>(b"AAAA"), Err(Error::InvalidKey));
/// ```
pub fn decode_array<const N: usize>(src: &[u8]) -> Result<[u8; N], Error> {
    fixed_len::<N>(src)?;
    let mut out = [0u8; N];
    let _ = decode(src, &mut out)?;
    Ok(out)
}

/// [`decode_array`] with the table-lookup decoder: exactly `N` bytes,
/// [`Error::Base64`] for text that is not strict base64url and
/// [`Error::InvalidKey`] for strict base64url of another length. **Not
/// constant-time**: for public values only (the coordinates of a public
/// JWK, which travel in DPoP proofs and JWKS documents); see
/// [`decode_vartime`].
///
/// ```
/// // RFC 8037 A.2: an Ed25519 public key's `x`.
/// let x = fapi_core::b64::decode_array_vartime::<32>(b"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")?;
/// assert_eq!(x[0], 0xd7);
/// # Ok::<(), fapi_core::Error>(())
/// ```
pub fn decode_array_vartime<const N: usize>(src: &[u8]) -> Result<[u8; N], Error> {
    fixed_len::<N>(src)?;
    let mut out = [0u8; N];
    let _ = decode_vartime(src, &mut out)?;
    Ok(out)
}

/// Checks that `src` decodes to exactly `N` bytes. When it does not, the
/// text is judged first: [`Error::Base64`] when it is not strict base64url
/// at all (a padded value is that, not a value of the wrong size), else
/// [`Error::InvalidKey`].
fn fixed_len<const N: usize>(src: &[u8]) -> Result<(), Error> {
    if decoded_len(src.len()) == Some(N) {
        return Ok(());
    }
    // Each group of four characters (and the last, shorter one) decoded on
    // its own, with the constant-time decoder and without stopping at the
    // first bad group: the rules of `decode`, for text of any length.
    let mut strict = true;
    let mut group = [0u8; 3];
    for chunk in src.chunks(4) {
        strict &= Base64UrlUnpadded::decode(chunk, &mut group).is_ok();
    }
    if strict {
        Err(Error::InvalidKey)
    } else {
        Err(Error::Base64)
    }
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

/// Each byte's 6-bit value in the base64url alphabet, or `0xFF` for a byte
/// outside it: 256 bytes (four cache lines), kept under `compact` too.
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    reason = "const evaluation: i < 64 indexes a 64-byte alphabet, its bytes index 256 entries, i fits u8"
)]
const DECODE: [u8; 256] = {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut table = [0xFFu8; 256];
    let mut i = 0;
    while i < 64 {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The 6-bit value of `c`, or `0xFF` (both top bits set) outside the
/// alphabet.
fn value(c: u8) -> u8 {
    // DECODE has an entry for every u8: the fallback is never taken.
    DECODE.get(usize::from(c)).copied().unwrap_or(0xFF)
}

/// Decodes `src` into `dst` with table lookups, returning the decoded
/// bytes, under exactly the rules of [`decode`] (no padding, nothing
/// outside the URL-safe alphabet, no length of the form `4k + 1`, zero
/// trailing bits) and with the same errors. **Not constant-time**: for
/// data that is public anyway, the three parts of a compact JWS being
/// verified (header, payload and signature). Whoever holds a JWS reads
/// them without any key; the token a resource server verifies is also
/// sender-constrained (F2-SENDER), so its bytes alone grant nothing; and
/// `jsonwebtoken` and `josekit` decode them the same way. Secrets (a
/// private JWK's `d`, a code, a PKCE verifier) go through [`decode`].
///
/// Measured reason (`perf` on `token::verify` of a 689-byte token): the
/// constant-time decode of header, payload and signature was the largest
/// cost outside the signature check; this decode takes about a quarter of
/// its time.
///
/// Under the `compact` feature this is [`decode`]: the same output with
/// one decoder in flash.
///
/// ```
/// use fapi_core::{b64, Error};
/// let mut out = [0u8; 3];
/// assert_eq!(b64::decode_vartime(b"AQAB", &mut out)?, &[1, 0, 1]);
/// assert_eq!(b64::decode_vartime(b"AQABAQ", &mut out), Err(Error::BufferTooSmall));
/// assert_eq!(b64::decode_vartime(b"AQ==", &mut out), Err(Error::Base64));
/// assert_eq!(b64::decode_vartime(b"AR", &mut out), Err(Error::Base64));
/// # Ok::<(), Error>(())
/// ```
pub fn decode_vartime<'a>(src: &[u8], dst: &'a mut [u8]) -> Result<&'a [u8], Error> {
    decode_mut_vartime(src, dst).map(|d| &*d)
}

/// [`decode_vartime`], returning the decoded bytes still mutable. **Not
/// constant-time**: for public data only.
pub fn decode_mut_vartime<'a>(src: &[u8], dst: &'a mut [u8]) -> Result<&'a mut [u8], Error> {
    if cfg!(feature = "compact") {
        return decode_mut(src, dst);
    }
    let len = decoded_len(src.len()).ok_or(Error::Base64)?;
    let out = dst.get_mut(..len).ok_or(Error::BufferTooSmall)?;
    // Any byte outside the alphabet sets the top bits of `bad`, checked
    // once at the end: no branch per character.
    let mut bad = 0u8;
    let mut input = src.chunks_exact(4);
    let mut output = out.chunks_exact_mut(3);
    for (i, o) in (&mut input).zip(&mut output) {
        if let ([a, b, c, d], [x, y, z]) = (i, o) {
            let (a, b, c, d) = (value(*a), value(*b), value(*c), value(*d));
            bad |= a | b | c | d;
            let n =
                (u32::from(a) << 18) | (u32::from(b) << 12) | (u32::from(c) << 6) | u32::from(d);
            [*x, *y, *z] = three(n);
        }
    }
    // `out` has exactly decoded_len(src.len()) bytes: a remainder of two
    // characters leaves one byte, of three two.
    match (input.remainder(), output.into_remainder()) {
        ([], []) => {}
        ([a, b], [x]) => {
            let (a, b) = (value(*a), value(*b));
            // Canonical: the four bits of `b` past the byte are zero.
            bad |= a | b | if b & 0x0f == 0 { 0 } else { 0xFF };
            *x = (a << 2) | (b >> 4);
        }
        ([a, b, c], [x, y]) => {
            let (a, b, c) = (value(*a), value(*b), value(*c));
            // Canonical: the two bits of `c` past the bytes are zero.
            bad |= a | b | c | if c & 0x03 == 0 { 0 } else { 0xFF };
            *x = (a << 2) | (b >> 4);
            *y = (b << 4) | (c >> 2);
        }
        _ => return Err(Error::Base64),
    }
    if bad & 0xC0 != 0 {
        return Err(Error::Base64);
    }
    Ok(out)
}

/// The three bytes of the low 24 bits of `n`.
fn three(n: u32) -> [u8; 3] {
    let [_, x, y, z] = n.to_be_bytes();
    [x, y, z]
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
    use std::vec;
    use std::vec::Vec;

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

    /// A small deterministic generator (xorshift64*) for the comparisons
    /// below: no dependency, the same inputs on every run.
    struct Xorshift(u64);

    impl Xorshift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn byte(&mut self) -> u8 {
            self.next().to_le_bytes()[0]
        }
    }

    /// The table-lookup decoder gives what `base64ct` (the constant-time
    /// [`decode`]) gives for the encoding of random bytes of every length
    /// up to 300.
    #[test]
    fn vartime_decoding_matches_base64ct_on_random_bytes() {
        let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
        // Fewer rounds under Miri, which runs this about 1000 times slower.
        let rounds = if cfg!(miri) { 40 } else { 2000 };
        for round in 0..rounds {
            let n = round % 301;
            let data: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
            let mut enc = vec![0u8; encoded_len(n)];
            let text = Base64UrlUnpadded::encode(&data, &mut enc).unwrap();
            let mut a = vec![0u8; n];
            let mut b = vec![0u8; n];
            assert_eq!(decode(text.as_bytes(), &mut a).unwrap(), &data[..]);
            assert_eq!(
                decode_vartime(text.as_bytes(), &mut b).unwrap(),
                &data[..],
                "{n}"
            );
            let mut c = vec![0u8; n + 5];
            assert_eq!(
                decode_mut_vartime(text.as_bytes(), &mut c).unwrap(),
                &data[..]
            );
        }
    }

    /// On random text, valid or not (any byte, or mostly the alphabet with
    /// `=`, `+`, `/`, whitespace and bytes over 0x7F mixed in; random
    /// lengths, so `4k + 1` and non-canonical last characters come up
    /// often), both decoders give the same bytes or the same error, also
    /// into destinations too small.
    #[test]
    fn vartime_decoding_matches_base64ct_on_random_text() {
        const MOSTLY_VALID: &[u8] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ \n\x00\x80\xff.";
        let mut rng = Xorshift(0x0123_4567_89ab_cdef);
        let (mut ok, mut bad) = (0usize, 0usize);
        // Fewer rounds under Miri, which runs this about 1000 times slower.
        let rounds: usize = if cfg!(miri) { 200 } else { 200_000 };
        for round in 0..rounds {
            let n = usize::from(rng.byte() % 24);
            let text: Vec<u8> = (0..n)
                .map(|_| {
                    if round % 4 == 0 {
                        rng.byte()
                    } else if round % 4 == 1 {
                        MOSTLY_VALID[usize::from(rng.byte()) % MOSTLY_VALID.len()]
                    } else {
                        // The alphabet only: length and trailing bits decide.
                        MOSTLY_VALID[usize::from(rng.byte()) % 64]
                    }
                })
                .collect();
            let room = if round % 7 == 0 { n / 2 } else { n };
            let mut a = vec![0u8; room];
            let mut b = vec![0u8; room];
            let ct = decode(&text, &mut a).map(<[u8]>::to_vec);
            let vt = decode_vartime(&text, &mut b).map(<[u8]>::to_vec);
            assert_eq!(ct, vt, "{text:?} into {room}");
            if ct.is_ok() { ok += 1 } else { bad += 1 }
        }
        // Both outcomes are well represented.
        assert!(ok > rounds / 10 && bad > rounds / 10, "{ok} {bad}");
    }

    /// Every class of bad input is `Error::Base64` from both decoders: a
    /// character outside the alphabet (in each position of a group and in
    /// the tail), padding, a `4k + 1` length, non-canonical trailing bits.
    #[test]
    fn vartime_decoding_refuses_every_bad_input_class() {
        let mut out = [0u8; 64];
        let mut bad: Vec<Vec<u8>> = Vec::new();
        // A bad character at every position of 8 valid ones, and of the
        // 2- and 3-character tails.
        for len in [2usize, 3, 4, 6, 7, 8] {
            for at in 0..len {
                for c in [
                    b'=', b'+', b'/', b' ', b'\n', b'.', 0, 0x7f, 0x80, 0xff, b'@', b'[',
                ] {
                    let mut t = vec![b'A'; len];
                    t[at] = c;
                    bad.push(t);
                }
            }
        }
        // Padding, bad lengths, non-canonical trailing bits.
        for t in [
            &b"AQ=="[..],
            b"AQI=",
            b"AQAB=",
            b"A",
            b"AQABA",
            b"AQABAQABA",
            b"AR",
            b"AB",
            b"AP",
            b"AQB",
            b"AQF",
            b"AQAB_-_-_",
            b"AQABAR",
            b"AQABAQC",
        ] {
            bad.push(t.to_vec());
        }
        for t in &bad {
            assert_eq!(decode(t, &mut out), Err(Error::Base64), "{t:?}");
            assert_eq!(decode_vartime(t, &mut out), Err(Error::Base64), "{t:?}");
            assert_eq!(
                decode_mut_vartime(t, &mut out).map(|d| d.to_vec()),
                Err(Error::Base64),
                "{t:?}"
            );
        }
        // The canonical neighbours of the non-canonical ones decode.
        assert_eq!(decode_vartime(b"AQ", &mut out).unwrap(), &[1]);
        assert_eq!(decode_vartime(b"AQE", &mut out).unwrap(), &[1, 1]);
        assert_eq!(decode_vartime(b"", &mut out).unwrap(), &[] as &[u8]);
        // A destination too small is the caller's buffer, as for `decode`.
        assert_eq!(
            decode_vartime(b"AQAB", &mut out[..2]),
            Err(Error::BufferTooSmall)
        );
        // A bad length is the input's fault, whatever the destination.
        assert_eq!(decode_vartime(b"AQABA", &mut out[..0]), Err(Error::Base64));
    }

    /// The fixed-size decode gives what the constant-time one gives, value
    /// or error, for every length around 32 bytes and bad input.
    #[test]
    fn vartime_array_matches_constant_time_array() {
        let mut rng = Xorshift(0x5151_7777_aaaa_0001);
        for n in 28..37usize {
            let data: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
            let mut enc = vec![0u8; encoded_len(n)];
            let text = Base64UrlUnpadded::encode(&data, &mut enc)
                .unwrap()
                .as_bytes()
                .to_vec();
            assert_eq!(decode_array_vartime::<32>(&text), decode_array::<32>(&text));
            let mut bad = text.clone();
            bad[3] = b'=';
            // Text that is not base64url is Base64 whatever its length;
            // strict text of another length InvalidKey. The same for both.
            let want = if n == 32 {
                Ok(data.clone())
            } else {
                Err(Error::InvalidKey)
            };
            assert_eq!(decode_array::<32>(&text).map(|a| a.to_vec()), want);
            assert_eq!(decode_array_vartime::<32>(&bad), Err(Error::Base64));
            assert_eq!(decode_array::<32>(&bad), Err(Error::Base64));
        }
    }

    /// RFC 4648 §10 test vectors (the alphabets agree on them) and the
    /// RFC 7515 A.1 header, decoded by the table.
    #[test]
    fn vartime_decoding_rfc_vectors() {
        let mut out = [0u8; 64];
        for (text, bytes) in [
            ("", ""),
            ("Zg", "f"),
            ("Zm8", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg", "foob"),
            ("Zm9vYmE", "fooba"),
            ("Zm9vYmFy", "foobar"),
            (
                "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9",
                "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}",
            ),
        ] {
            assert_eq!(
                decode_vartime(text.as_bytes(), &mut out).unwrap(),
                bytes.as_bytes()
            );
        }
        // `-` and `_` are 62 and 63: 0xfb 0xff.
        assert_eq!(decode_vartime(b"-_8", &mut out).unwrap(), &[0xfb, 0xff]);
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
