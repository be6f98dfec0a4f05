//! The crate error: which PKCS#11 call failed and with which `CKR_*` value.
//!
//! At the [`fapi_core::Signer`] boundary every error becomes a
//! [`fapi_core::Error`]: [`Error::SigningFailed`](fapi_core::Error::SigningFailed)
//! unless a more specific core variant says more (a missing key, a weak key,
//! a key of the wrong type for the algorithm).

use core::fmt;

use cryptoki::context::Function;
use cryptoki::error::RvError;

/// Why an HSM operation failed.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub enum Error {
    /// The PKCS#11 module could not be loaded from its path.
    ModuleLoad(String),
    /// No token with this label is present.
    TokenNotFound(String),
    /// The PIN was refused (`CKR_PIN_INCORRECT`, `CKR_PIN_INVALID`, `CKR_PIN_LEN_RANGE`).
    WrongPin,
    /// The PIN is locked after too many wrong attempts (`CKR_PIN_LOCKED`).
    PinLocked,
    /// The PIN could not be read from its environment variable or file.
    PinUnavailable(String),
    /// No key with this label or `CKA_ID` is on the token (or the key found
    /// under that id is no longer the same key).
    KeyNotFound,
    /// The key's type does not sign with the requested algorithm.
    WrongKeyType,
    /// A key weaker than F2-ALG allows (RSA under 2048 bits).
    WeakKey,
    /// A key type or curve outside F2-ALG (P-384, secp256k1, Ed448, ...).
    UnsupportedKeyType,
    /// No session became free within the pool's wait time.
    PoolTimeout,
    /// The session was lost and could not be reopened.
    SessionLost(Box<Error>),
    /// A cached key handle names another object now (the module was
    /// re-initialised); the key is looked up again.
    StaleKeyHandle,
    /// The token returned a signature fapi cannot use (wrong length, bad DER).
    MalformedSignature,
    /// The caller's signature buffer is too short.
    BufferTooSmall,
    /// The token does not do this mechanism or these mechanism parameters
    /// (say, `CKM_RSA_PKCS_OAEP` with SHA-256): named here. Nothing falls
    /// back to another one.
    UnsupportedMechanism(String),
    /// A PKCS#11 call failed.
    Pkcs11 {
        /// The call that failed.
        function: Function,
        /// The `CKR_*` value it returned.
        rv: RvError,
    },
    /// Any other failure of the PKCS#11 wrapper (attribute conversion, ...).
    Other(String),
    /// A signing group was opened with no member.
    GroupEmpty,
    /// A member of a signing group holds another key than the group's
    /// first member: both members and both `kid`s are named.
    GroupKeyMismatch {
        /// The first member, whose key the group signs with.
        expected_member: String,
        /// Its key's `kid` (RFC 7638 thumbprint).
        expected_kid: String,
        /// The member that holds another key.
        member: String,
        /// That key's `kid`.
        kid: String,
    },
    /// Every member of a signing group is out: each member with the last
    /// error it gave.
    GroupUnavailable(Vec<(String, Error)>),
}

impl Error {
    /// The `CKR_*` value, when a PKCS#11 call failed.
    #[must_use]
    pub fn rv(&self) -> Option<RvError> {
        match self {
            Self::Pkcs11 { rv, .. } => Some(*rv),
            Self::SessionLost(inner) => inner.rv(),
            _ => None,
        }
    }

    /// Whether this error means the session (or the whole module) is gone,
    /// so that a fresh session and a new login may succeed.
    #[must_use]
    pub fn is_session_lost(&self) -> bool {
        matches!(
            self.rv(),
            Some(
                RvError::SessionHandleInvalid
                    | RvError::SessionClosed
                    | RvError::DeviceRemoved
                    | RvError::UserNotLoggedIn
                    | RvError::CryptokiNotInitialized
                    | RvError::TokenNotPresent
                    | RvError::TokenNotRecognized
                    | RvError::SessionCount
            )
        )
    }

    /// Whether the member of a signing group that gave this error is at
    /// fault (the device, the session, the login, the key missing on that
    /// token), so that the call is retried on another member and the member
    /// taken out; `false` for a refusal of the request itself (a buffer too
    /// small, a mechanism or key type that does not fit, data the token
    /// refuses), which every member would give too.
    ///
    /// ```
    /// use cryptoki::context::Function;
    /// use cryptoki::error::RvError;
    /// use fapi_pkcs11::Error;
    ///
    /// let device = Error::Pkcs11 { function: Function::Sign, rv: RvError::DeviceError };
    /// let input = Error::Pkcs11 { function: Function::Sign, rv: RvError::DataLenRange };
    /// assert!(device.is_member_fault());
    /// assert!(!input.is_member_fault());
    /// assert!(!Error::BufferTooSmall.is_member_fault());
    /// ```
    #[must_use]
    pub fn is_member_fault(&self) -> bool {
        match self {
            Self::BufferTooSmall
            | Self::WrongKeyType
            | Self::WeakKey
            | Self::UnsupportedKeyType
            | Self::UnsupportedMechanism(_)
            | Self::GroupEmpty
            | Self::GroupKeyMismatch { .. } => false,
            Self::Pkcs11 { rv, .. } => !matches!(
                rv,
                RvError::ArgumentsBad
                    | RvError::DataInvalid
                    | RvError::DataLenRange
                    | RvError::MechanismInvalid
                    | RvError::MechanismParamInvalid
                    | RvError::KeyTypeInconsistent
                    | RvError::KeyFunctionNotPermitted
                    | RvError::BufferTooSmall
            ),
            _ => true,
        }
    }

    /// Whether a cached object handle no longer names an object.
    #[must_use]
    pub fn is_handle_invalid(&self) -> bool {
        matches!(
            self.rv(),
            Some(RvError::KeyHandleInvalid | RvError::ObjectHandleInvalid)
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ModuleLoad(m) => write!(f, "cannot load the PKCS#11 module: {m}"),
            Self::TokenNotFound(l) => write!(f, "no token labelled {l:?}"),
            Self::WrongPin => f.write_str("the token refused the PIN"),
            Self::PinLocked => f.write_str("the token's PIN is locked"),
            Self::PinUnavailable(w) => write!(f, "cannot read the PIN: {w}"),
            Self::KeyNotFound => f.write_str("no such key on the token"),
            Self::WrongKeyType => f.write_str("the key's type does not sign with this algorithm"),
            Self::WeakKey => f.write_str("the key is weaker than F2-ALG allows"),
            Self::UnsupportedKeyType => f.write_str("the key type or curve is outside F2-ALG"),
            Self::PoolTimeout => f.write_str("no PKCS#11 session became free in time"),
            Self::SessionLost(e) => write!(f, "the PKCS#11 session was lost: {e}"),
            Self::StaleKeyHandle => f.write_str("the cached key handle names another object"),
            Self::MalformedSignature => f.write_str("the token returned a malformed signature"),
            Self::BufferTooSmall => f.write_str("the signature buffer is too small"),
            Self::UnsupportedMechanism(m) => write!(f, "the token does not do {m}"),
            Self::Pkcs11 { function, rv } => write!(f, "{function} failed: {rv:?} ({rv})"),
            Self::Other(m) => f.write_str(m),
            Self::GroupEmpty => f.write_str("the signing group has no member"),
            Self::GroupKeyMismatch {
                expected_member,
                expected_kid,
                member,
                kid,
            } => write!(
                f,
                "signing group member {member} holds key {kid}, not the group's key {expected_kid} (of {expected_member})"
            ),
            Self::GroupUnavailable(members) => {
                f.write_str("every member of the signing group is out:")?;
                for (i, (member, e)) in members.iter().enumerate() {
                    let sep = if i == 0 { " " } else { "; " };
                    write!(f, "{sep}{member}: {e}")?;
                }
                Ok(())
            }
        }
    }
}

impl core::error::Error for Error {}

impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::ModuleLoad(a), Self::ModuleLoad(b))
            | (Self::TokenNotFound(a), Self::TokenNotFound(b))
            | (Self::PinUnavailable(a), Self::PinUnavailable(b))
            | (Self::UnsupportedMechanism(a), Self::UnsupportedMechanism(b))
            | (Self::Other(a), Self::Other(b)) => a == b,
            (Self::SessionLost(a), Self::SessionLost(b)) => a == b,
            (Self::GroupUnavailable(a), Self::GroupUnavailable(b)) => a == b,
            (
                Self::GroupKeyMismatch {
                    expected_member: ea,
                    expected_kid: eka,
                    member: ma,
                    kid: ka,
                },
                Self::GroupKeyMismatch {
                    expected_member: eb,
                    expected_kid: ekb,
                    member: mb,
                    kid: kb,
                },
            ) => ea == eb && eka == ekb && ma == mb && ka == kb,
            // `Function` has no `PartialEq`: its name identifies it.
            (
                Self::Pkcs11 {
                    function: fa,
                    rv: ra,
                },
                Self::Pkcs11 {
                    function: fb,
                    rv: rb,
                },
            ) => ra == rb && fa.to_string() == fb.to_string(),
            _ => core::mem::discriminant(self) == core::mem::discriminant(other),
        }
    }
}

impl Eq for Error {}

impl From<cryptoki::error::Error> for Error {
    fn from(e: cryptoki::error::Error) -> Self {
        match e {
            cryptoki::error::Error::Pkcs11(rv, function) => Self::Pkcs11 { function, rv },
            cryptoki::error::Error::LibraryLoading(l) => Self::ModuleLoad(l.to_string()),
            other => Self::Other(other.to_string()),
        }
    }
}

impl From<Error> for fapi_core::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::KeyNotFound => Self::KeyNotFound,
            Error::WrongKeyType => Self::KeyAlgMismatch,
            // The key cannot do the algorithm on this token.
            Error::UnsupportedMechanism(_) => Self::KeyAlgMismatch,
            // F2-ALG: the core's own variants for a refused key.
            Error::WeakKey => Self::WeakKey,
            Error::UnsupportedKeyType => Self::UnsupportedKeyType,
            Error::BufferTooSmall => Self::BufferTooSmall,
            Error::SessionLost(inner) if matches!(*inner, Error::KeyNotFound) => Self::KeyNotFound,
            Error::GroupEmpty => Self::KeyNotFound,
            // The group's members are not one key.
            Error::GroupKeyMismatch { .. } => Self::InvalidKey,
            _ => Self::SigningFailed,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_call_and_rv() {
        let e = Error::from(cryptoki::error::Error::Pkcs11(
            RvError::SessionHandleInvalid,
            Function::Sign,
        ));
        assert_eq!(e.rv(), Some(RvError::SessionHandleInvalid));
        assert!(e.is_session_lost());
        let text = e.to_string();
        assert!(
            text.contains("Sign") && text.contains("SessionHandleInvalid"),
            "{text}"
        );
        assert_eq!(fapi_core::Error::from(e), fapi_core::Error::SigningFailed);
    }

    #[test]
    fn specific_core_variants() {
        assert_eq!(
            fapi_core::Error::from(Error::KeyNotFound),
            fapi_core::Error::KeyNotFound
        );
        assert_eq!(
            fapi_core::Error::from(Error::WeakKey),
            fapi_core::Error::WeakKey
        );
        assert_eq!(
            fapi_core::Error::from(Error::WrongKeyType),
            fapi_core::Error::KeyAlgMismatch
        );
        assert_eq!(
            fapi_core::Error::from(Error::UnsupportedKeyType),
            fapi_core::Error::UnsupportedKeyType
        );
        assert_eq!(
            fapi_core::Error::from(Error::PoolTimeout),
            fapi_core::Error::SigningFailed
        );
        assert_eq!(
            fapi_core::Error::from(Error::WrongPin),
            fapi_core::Error::SigningFailed
        );
    }
}
