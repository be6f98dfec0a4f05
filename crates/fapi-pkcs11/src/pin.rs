//! The user PIN: read from the environment or a file, zeroized on drop,
//! never printed.

use core::fmt;
use std::path::Path;

use cryptoki::types::AuthPin;
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// A token PIN. `Debug` and `Display` print `Pin(<redacted>)`; the text is
/// held in a [`secrecy::SecretString`] and zeroized on drop.
#[derive(Clone)]
pub struct Pin(AuthPin);

impl Pin {
    /// A PIN from its text.
    #[must_use]
    pub fn new(pin: &str) -> Self {
        Self(AuthPin::from(pin))
    }

    /// The PIN in the environment variable `name`.
    pub fn from_env(name: &str) -> Result<Self> {
        let value = Zeroizing::new(std::env::var(name).map_err(|_| {
            Error::PinUnavailable(format!("environment variable {name} is not set"))
        })?);
        Self::checked(value.as_str())
    }

    /// The PIN in the file at `path`; one trailing newline is removed.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|e| Error::PinUnavailable(format!("{}: {}", path.display(), e.kind())))?,
        );
        let pin = text.strip_suffix('\n').unwrap_or(&text);
        let pin = pin.strip_suffix('\r').unwrap_or(pin);
        Self::checked(pin)
    }

    fn checked(pin: &str) -> Result<Self> {
        if pin.is_empty() {
            return Err(Error::PinUnavailable("the PIN is empty".into()));
        }
        Ok(Self::new(pin))
    }

    /// The PIN as the PKCS#11 wrapper takes it.
    pub(crate) fn auth(&self) -> &AuthPin {
        &self.0
    }

    /// The PIN's length, the only thing about it that may be shown.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.expose_secret().len()
    }

    /// Whether the PIN is empty (never, for a PIN read by this crate).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_is_never_printed() {
        let pin = Pin::new("s3cr3t-4711");
        let shown = format!("{pin:?} {pin} {pin:#?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(!shown.contains("4711"), "{shown}");
        assert_eq!(pin.len(), 11);
    }

    #[test]
    fn pin_from_file_strips_newline() {
        let dir = std::env::temp_dir().join(format!("fapi-pin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("pin");
        std::fs::write(&path, "123456\n").unwrap();
        let pin = Pin::from_file(&path).unwrap();
        assert_eq!(pin.auth().expose_secret(), "123456");
        std::fs::write(&path, "\n").unwrap();
        assert!(matches!(
            Pin::from_file(&path),
            Err(Error::PinUnavailable(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(
            Pin::from_file(&path),
            Err(Error::PinUnavailable(_))
        ));
    }

    #[test]
    fn pin_from_missing_env() {
        assert!(matches!(
            Pin::from_env("FAPI_PKCS11_NO_SUCH_PIN_VARIABLE"),
            Err(Error::PinUnavailable(_))
        ));
    }
}
