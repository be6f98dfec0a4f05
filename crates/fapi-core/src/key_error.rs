//! [`KeyError`]: a key that could not be made, and why.

use core::fmt;

use crate::Error;

/// A refused key (or a key that could not be made): the [`Error`] it maps
/// to, with its stable code and OAuth error, and the reason the backend or
/// its decoding library gave.
///
/// [`Error`] is a small `Copy` enum without text; the key constructors of
/// every software backend (`generate`, `from_bytes`, `from_pkcs8_der`,
/// `from_sec1_der`, `from_pkcs1_der`, `with_key_id`) return this type
/// instead, so the library's reason reaches logs and operators. It converts
/// into [`Error`], so `?` works in functions returning
/// `Result<_, fapi_core::Error>`. A reason never contains key material.
///
/// ```
/// use fapi_core::{Error, KeyError};
///
/// let e = KeyError::new(Error::InvalidKey, "InvalidEncoding");
/// assert_eq!((e.error(), e.reason()), (Error::InvalidKey, "InvalidEncoding"));
/// assert_eq!(e.to_string(), "fapi error 205 (invalid_key): InvalidEncoding");
/// let core: Error = e.into();
/// assert_eq!(core, Error::InvalidKey);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyError {
    error: Error,
    reason: &'static str,
}

impl KeyError {
    /// `error`, for `reason`.
    #[must_use]
    pub const fn new(error: Error, reason: &'static str) -> Self {
        Self { error, reason }
    }

    /// The core error: its code and the OAuth error it maps to.
    #[must_use]
    pub const fn error(self) -> Error {
        self.error
    }

    /// Why the key was refused, in the words of whoever refused it.
    #[must_use]
    pub const fn reason(self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.reason)
    }
}

impl core::error::Error for KeyError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<KeyError> for Error {
    fn from(e: KeyError) -> Self {
        e.error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_code_and_the_reason() {
        let e = KeyError::new(Error::WeakKey, "TooSmall");
        assert_eq!(Error::from(e).code(), 203);
        assert_eq!(e.reason(), "TooSmall");
        assert_eq!(std::format!("{e}"), "fapi error 203 (weak_key): TooSmall");
    }
}
