//! Why RustCrypto's decoders refused a key document, as a [`KeyError`].

use fapi_core::{Error, KeyError};
use p256::elliptic_curve::DecodeError;
use p256::pkcs8;
use p256::pkcs8::der;

/// A refused PKCS#8 document.
pub(crate) fn pkcs8(e: &pkcs8::Error) -> KeyError {
    let reason = match e {
        pkcs8::Error::Asn1(_) => "PKCS#8: malformed DER",
        pkcs8::Error::KeyMalformed(pkcs8::KeyError::TooShort) => "PKCS#8: key too short",
        pkcs8::Error::KeyMalformed(pkcs8::KeyError::TooLong) => "PKCS#8: key too long",
        pkcs8::Error::KeyMalformed(_) => {
            "PKCS#8: key invalid for its algorithm, or not matching its public key"
        }
        pkcs8::Error::ParametersMalformed => "PKCS#8: algorithm parameters malformed",
        pkcs8::Error::PublicKey(_) => "PKCS#8: another algorithm or curve",
        _ => "PKCS#8: refused",
    };
    KeyError::new(Error::InvalidKey, reason)
}

/// A refused SEC1 (RFC 5915) `ECPrivateKey` document.
pub(crate) fn sec1(e: &DecodeError) -> KeyError {
    let reason = match e {
        // `elliptic-curve` reports the field whose value it refused.
        DecodeError::Sec1(sec1::Error::Asn1(d)) => match d.kind() {
            der::ErrorKind::Value {
                tag: der::Tag::ObjectIdentifier,
            } => "SEC1: another curve",
            der::ErrorKind::Value {
                tag: der::Tag::OctetString,
            } => "SEC1: private key zero, not below the group order or of the wrong length",
            der::ErrorKind::Value {
                tag: der::Tag::BitString,
            } => "SEC1: public key not on the curve or not matching the private key",
            _ => "SEC1: malformed DER",
        },
        DecodeError::Sec1(sec1::Error::Version) => "SEC1: unsupported version",
        _ => "SEC1: refused",
    };
    KeyError::new(Error::InvalidKey, reason)
}
