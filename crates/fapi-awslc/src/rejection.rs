//! Why aws-lc refused a key, as a [`KeyError`].

use fapi_core::{Error, KeyError};

/// A key aws-lc refused, with aws-lc's reason (`KeyRejected::description_`:
/// `InvalidEncoding`, `WrongAlgorithm`, `InconsistentComponents`,
/// `TooSmall`, `TooLarge`, `UnexpectedError`): [`Error::WeakKey`] for a key
/// too small, [`Error::InvalidKey`] for everything else.
pub(crate) fn rejected(e: &aws_lc_rs::error::KeyRejected) -> KeyError {
    let reason = e.description_();
    let error = if reason == "TooSmall" {
        Error::WeakKey
    } else {
        Error::InvalidKey
    };
    KeyError::new(error, reason)
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};

    use super::*;

    /// aws-lc's own reason reaches the error's message.
    #[test]
    fn keeps_aws_lc_reason() {
        let e = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, b"junk").unwrap_err();
        let k = rejected(&e);
        assert_eq!(
            (k.error(), k.reason()),
            (Error::InvalidKey, e.description_())
        );
        assert!(k.to_string().ends_with(e.description_()), "{k}");
    }
}
