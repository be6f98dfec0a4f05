//! Secret bytes (private key scalars, seeds, MAC keys): erased when dropped,
//! compared in constant time, never printed.
//!
//! [`Secret`] is generic over where the bytes live, so that the code that
//! erases an owned key ([`SecretBytes`], an array inside the value) is the
//! very code that erases a borrowed one ([`SecretSlot`], a caller's buffer).
//! The borrowed form is what lets a test *read the memory after the drop*
//! without `unsafe`: the buffer outlives the guard, so once the guard is
//! gone the test inspects the same bytes the key occupied.
//!
//! What erasure cannot cover: copies the compiler makes when a value is
//! moved (return by value, a `Vec` reallocating) are not tracked. Backends
//! keep a [`SecretBytes`] in place (inside the key struct, boxed once) and
//! fill it with [`Secret::try_fill`] rather than building an array and
//! moving it in.

use core::fmt;

use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::Error;

/// Secret bytes stored in `S` (an array, or a mutable borrow of one):
/// zeroized on drop, compared with [`ConstantTimeEq`], and redacted by
/// `Debug` and `Display`. Deliberately not `Clone` or `Copy`.
pub struct Secret<S: AsRef<[u8]> + AsMut<[u8]>> {
    bytes: S,
}

/// `N` secret bytes held inline: what a software key keeps its private
/// scalar or seed in.
pub type SecretBytes<const N: usize> = Secret<[u8; N]>;

/// `N` secret bytes in a caller's buffer, erased when the slot is dropped.
pub type SecretSlot<'a, const N: usize> = Secret<&'a mut [u8; N]>;

impl<S: AsRef<[u8]> + AsMut<[u8]>> Secret<S> {
    /// Takes ownership of (or a borrow on) `bytes`. An array passed by value
    /// is copied: the caller's copy is its own to erase; prefer
    /// [`Secret::try_fill`].
    pub fn new(bytes: S) -> Self {
        Self { bytes }
    }

    /// The secret, for the one call that needs it (signing).
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        self.bytes.as_ref()
    }

    /// The secret, writable (to fill it in place).
    pub fn expose_mut(&mut self) -> &mut [u8] {
        self.bytes.as_mut()
    }

    /// The number of secret bytes (not secret).
    #[must_use]
    pub fn len(&self) -> usize {
        self.bytes.as_ref().len()
    }

    /// Whether there are no secret bytes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Compares with `other` in time that depends only on the lengths.
    #[must_use]
    pub fn ct_eq_bytes(&self, other: &[u8]) -> Choice {
        self.bytes.as_ref().ct_eq(other)
    }
}

impl<const N: usize> Secret<[u8; N]> {
    /// `N` zero bytes, to be filled in place.
    #[must_use]
    pub const fn zeroed() -> Self {
        Self { bytes: [0; N] }
    }

    /// Builds the secret in place: `fill` writes the bytes (decodes a JWK
    /// `d`, reads a random source). When `fill` fails, whatever it wrote is
    /// erased and its error returned.
    pub fn try_fill(fill: impl FnOnce(&mut [u8; N]) -> Result<(), Error>) -> Result<Self, Error> {
        let mut secret = Self::zeroed();
        fill(&mut secret.bytes)?;
        Ok(secret)
    }

    /// Copies exactly `N` bytes from `bytes`: [`Error::InvalidKey`] for any
    /// other length.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        Self::try_fill(|out| {
            if bytes.len() != N {
                return Err(Error::InvalidKey);
            }
            out.copy_from_slice(bytes);
            Ok(())
        })
    }

    /// The secret as an array.
    #[must_use]
    pub fn expose_array(&self) -> &[u8; N] {
        &self.bytes
    }
}

impl<S: AsRef<[u8]> + AsMut<[u8]>> Zeroize for Secret<S> {
    fn zeroize(&mut self) {
        self.bytes.as_mut().zeroize();
    }
}

impl<S: AsRef<[u8]> + AsMut<[u8]>> Drop for Secret<S> {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl<S: AsRef<[u8]> + AsMut<[u8]>> ZeroizeOnDrop for Secret<S> {}

impl<S: AsRef<[u8]> + AsMut<[u8]>> ConstantTimeEq for Secret<S> {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.ct_eq_bytes(other.bytes.as_ref())
    }
}

impl<S: AsRef<[u8]> + AsMut<[u8]>> fmt::Debug for Secret<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl<S: AsRef<[u8]> + AsMut<[u8]>> fmt::Display for Secret<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[secret: {} bytes]", self.len())
    }
}

/// What a `Debug` implementation prints in place of a token, a code, a
/// verifier or a key: `[redacted]`, whatever the value and the format.
///
/// ```
/// use fapi_core::secret::Redacted;
///
/// struct TokenResponse<'a> {
///     access_token: &'a str,
///     expires_in: u64,
/// }
///
/// impl core::fmt::Debug for TokenResponse<'_> {
///     fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
///         f.debug_struct("TokenResponse")
///             .field("access_token", &Redacted)
///             .field("expires_in", &self.expires_in)
///             .finish()
///     }
/// }
///
/// let r = TokenResponse { access_token: "eyJhbGciOi...", expires_in: 300 };
/// assert_eq!(
///     format!("{r:?}"),
///     "TokenResponse { access_token: [redacted], expires_in: 300 }"
/// );
/// # let _ = r.access_token;
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Redacted;

impl Redacted {
    /// `Some(Redacted)` when `value` is present: shows whether an optional
    /// secret is there, never what it is.
    #[must_use]
    pub fn option<T>(value: Option<T>) -> Option<Self> {
        value.map(|_| Self)
    }
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use std::format;
    use std::string::String;

    use super::*;

    /// The RFC 8037 A.1 Ed25519 private key `d`: a real software key.
    const RFC8037_D: &[u8] = b"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";

    fn rfc8037_d() -> [u8; 32] {
        crate::b64::decode_array::<32>(RFC8037_D).unwrap()
    }

    /// A key decoded into a caller's buffer through a [`SecretSlot`] is
    /// gone from that buffer once the slot is dropped: the memory is read
    /// after the drop, with no `unsafe`, because the buffer outlives the
    /// guard. [`SecretBytes`] runs the same generic `Drop`.
    #[test]
    fn private_key_is_zeroized_on_drop() {
        let mut buf = [0u8; 32];
        {
            let mut slot = SecretSlot::new(&mut buf);
            let n = crate::b64::decode(RFC8037_D, slot.expose_mut())
                .unwrap()
                .len();
            assert_eq!(n, 32);
            assert_eq!(slot.expose(), &rfc8037_d());
        }
        assert_eq!(buf, [0u8; 32], "key bytes survive the drop");
    }

    /// A slot dropped while its key is still being filled (an error path)
    /// erases what was written so far.
    #[test]
    fn partially_filled_slot_is_zeroized_on_drop() {
        fn fill_then_fail(buf: &mut [u8; 32]) -> Result<(), Error> {
            let mut slot = SecretSlot::new(buf);
            slot.expose_mut().get_mut(..16).unwrap().fill(0xA5);
            Err(Error::InvalidKey)
        }
        let mut buf = [0u8; 32];
        let result = fill_then_fail(&mut buf);
        assert_eq!(result, Err(Error::InvalidKey));
        assert_eq!(buf, [0u8; 32]);
    }

    #[test]
    fn owned_secret_zeroizes_and_is_zeroize_on_drop() {
        fn assert_zeroize_on_drop<T: ZeroizeOnDrop>() {}
        assert_zeroize_on_drop::<SecretBytes<32>>();
        assert_zeroize_on_drop::<SecretSlot<'static, 32>>();
        let mut key = SecretBytes::<32>::from_slice(&rfc8037_d()).unwrap();
        assert_eq!(key.expose_array(), &rfc8037_d());
        key.zeroize();
        assert_eq!(key.expose(), &[0u8; 32]);
    }

    #[test]
    fn try_fill_and_from_slice_refuse_wrong_lengths() {
        assert_eq!(
            SecretBytes::<32>::from_slice(&[1; 31]).err(),
            Some(Error::InvalidKey)
        );
        assert_eq!(
            SecretBytes::<32>::from_slice(&[1; 33]).err(),
            Some(Error::InvalidKey)
        );
        let filled = SecretBytes::<4>::try_fill(|b| {
            b.copy_from_slice(&[1, 2, 3, 4]);
            Ok(())
        })
        .unwrap();
        assert_eq!(filled.expose(), &[1, 2, 3, 4]);
        let failed = SecretBytes::<4>::try_fill(|_| Err(Error::RandomFailed));
        assert_eq!(failed.err(), Some(Error::RandomFailed));
    }

    #[test]
    fn constant_time_equality() {
        let a = SecretBytes::<32>::from_slice(&rfc8037_d()).unwrap();
        let b = SecretBytes::<32>::from_slice(&rfc8037_d()).unwrap();
        let mut other = rfc8037_d();
        other[31] ^= 1;
        let c = SecretBytes::<32>::from_slice(&other).unwrap();
        assert!(bool::from(a.ct_eq(&b)));
        assert!(!bool::from(a.ct_eq(&c)));
        assert!(bool::from(a.ct_eq_bytes(&rfc8037_d())));
        assert!(!bool::from(a.ct_eq_bytes(&rfc8037_d()[..31])));
    }

    /// Every way of printing a secret shows its length and nothing of its
    /// bytes: not as decimal, hex, or the base64url it was decoded from.
    #[test]
    fn debug_and_display_never_show_the_secret() {
        let d = rfc8037_d();
        let key = SecretBytes::<32>::from_slice(&d).unwrap();
        let printed = [
            format!("{key:?}"),
            format!("{key:#?}"),
            format!("{key:x?}"),
            format!("{key:X?}"),
            format!("{key}"),
            format!("{key:>80}"),
            format!("{:?}", Some(&key)),
        ];
        let hex_lower: String = d.iter().map(|b| format!("{b:02x}")).collect();
        let hex_upper = hex_lower.to_uppercase();
        let decimal = format!("{:?}", &d[..4]).replace(['[', ']'], "");
        let b64 = core::str::from_utf8(RFC8037_D).unwrap();
        for text in &printed {
            // The length shows (in hex under `x?`), the bytes never do.
            assert!(text.contains("32") || text.contains("20"), "{text}");
            for needle in [&hex_lower[..8], &hex_upper[..8], &decimal, &b64[..8]] {
                assert!(!text.contains(needle), "{text} shows {needle}");
            }
        }
        assert_eq!(format!("{key}"), "[secret: 32 bytes]");
        assert_eq!(format!("{key:?}"), "Secret { len: 32, .. }");
    }
}
