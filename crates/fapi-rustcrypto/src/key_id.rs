//! Key ids held inline.

use fapi_core::{Error, PublicKey};

use fapi_core::KeyError;

/// The longest key id a software key holds.
pub const MAX_KEY_ID_LEN: usize = 64;

/// A key id (`kid`) of at most [`MAX_KEY_ID_LEN`] bytes, held inline.
/// By default a key's id is its RFC 7638 thumbprint in base64url.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyId {
    bytes: [u8; MAX_KEY_ID_LEN],
    len: usize,
}

impl KeyId {
    /// A key id from text: [`Error::TooLarge`] over [`MAX_KEY_ID_LEN`] bytes,
    /// [`Error::InvalidParameter`] when empty.
    pub fn new(kid: &str) -> Result<Self, KeyError> {
        if kid.is_empty() {
            return Err(KeyError::new(
                Error::InvalidParameter,
                "the key id is empty",
            ));
        }
        let mut bytes = [0u8; MAX_KEY_ID_LEN];
        bytes
            .get_mut(..kid.len())
            .ok_or(KeyError::new(
                Error::TooLarge,
                "the key id is longer than MAX_KEY_ID_LEN bytes",
            ))?
            .copy_from_slice(kid.as_bytes());
        Ok(Self {
            bytes,
            len: kid.len(),
        })
    }

    /// The RFC 7638 thumbprint of `key`, base64url.
    #[must_use]
    pub fn thumbprint(key: &PublicKey) -> Self {
        let t = key.thumbprint().to_b64();
        let s = t.as_str();
        let mut bytes = [0u8; MAX_KEY_ID_LEN];
        // A thumbprint is 43 characters, shorter than MAX_KEY_ID_LEN.
        if let Some(dst) = bytes.get_mut(..s.len()) {
            dst.copy_from_slice(s.as_bytes());
        }
        Self {
            bytes,
            len: s.len(),
        }
    }

    /// The key id.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only whole `&str`s are ever stored.
        self.bytes
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl core::fmt::Debug for KeyId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}
