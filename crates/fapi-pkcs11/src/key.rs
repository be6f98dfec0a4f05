//! Keys on the token: finding them, reading their public halves, and the
//! F2-ALG check that every key passes before it signs or is published.

use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use fapi_core::jwk::RsaPublicKey;
use fapi_core::{Alg, PublicKey};
use p256::elliptic_curve::sec1::ToSec1Point as _;

use crate::error::{Error, Result};

/// DER of the P-256 curve OID 1.2.840.10045.3.1.7 (`CKA_EC_PARAMS`).
pub const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// DER of the Ed25519 OID 1.3.101.112 (`CKA_EC_PARAMS`, RFC 8410).
pub const ED25519_PARAMS: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
/// DER PrintableString `edwards25519`, the older way to name the curve.
const ED25519_PARAMS_NAME: &[u8] = b"\x13\x0cedwards25519";

/// How a key is named on the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// By `CKA_LABEL`.
    Label(String),
    /// By `CKA_ID`.
    Id(Vec<u8>),
}

impl KeyRef {
    fn attribute(&self) -> Attribute {
        match self {
            Self::Label(l) => Attribute::Label(l.as_bytes().to_vec()),
            Self::Id(id) => Attribute::Id(id.clone()),
        }
    }
}

/// A signing key on the token that passed the F2-ALG check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// `CKA_ID`, shared by the private and the public object.
    pub id: Vec<u8>,
    /// `CKA_LABEL` of the private key.
    pub label: String,
    /// The public key.
    pub public: PublicKey,
    /// The RFC 7638 thumbprint, base64url: the key's `kid`.
    pub kid: String,
}

impl KeyInfo {
    /// The algorithm the key signs with.
    #[must_use]
    pub fn alg(&self) -> Alg {
        self.public.alg()
    }

    /// The public JWK, with `kid`, `alg` and `use`.
    #[must_use]
    pub fn jwk(&self) -> fapi_core::PublicJwk<'_> {
        fapi_core::PublicJwk::new(self.public.clone(), Some(&self.kid))
    }
}

/// The RFC 7638 `kid` of a public key.
#[must_use]
pub fn kid_of(public: &PublicKey) -> String {
    public.thumbprint().to_b64().as_str().to_owned()
}

/// Finds the one private key named by `key`: [`Error::KeyNotFound`] when
/// there is none (or more than one).
pub fn find_private(session: &Session, key: &KeyRef) -> Result<ObjectHandle> {
    let found =
        session.find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY), key.attribute()])?;
    match found.as_slice() {
        [one] => Ok(*one),
        _ => Err(Error::KeyNotFound),
    }
}

/// Reads the key named by `key` and checks it against F2-ALG.
pub fn describe(session: &Session, key: &KeyRef) -> Result<KeyInfo> {
    let private = find_private(session, key)?;
    describe_private(session, private)
}

/// Reads a private key object and its public half, and checks them against
/// F2-ALG: RSA under 2048 bits is [`Error::WeakKey`]; any curve but P-256
/// and Ed25519, and any other key type, is [`Error::UnsupportedKeyType`].
pub fn describe_private(session: &Session, private: ObjectHandle) -> Result<KeyInfo> {
    let attrs = session.get_attributes(
        private,
        &[
            AttributeType::KeyType,
            AttributeType::Id,
            AttributeType::Label,
        ],
    )?;
    let mut key_type = None;
    let mut id = Vec::new();
    let mut label = String::new();
    for a in attrs {
        match a {
            Attribute::KeyType(t) => key_type = Some(t),
            Attribute::Id(v) => id = v,
            Attribute::Label(v) => label = String::from_utf8_lossy(&v).into_owned(),
            _ => {}
        }
    }
    let key_type = key_type.ok_or(Error::UnsupportedKeyType)?;
    let public = find_public(session, &id, key_type)?;
    let kid = kid_of(&public);
    Ok(KeyInfo {
        id,
        label,
        public,
        kid,
    })
}

/// Reads the public key object with `CKA_ID` `id` and parses it.
fn find_public(session: &Session, id: &[u8], key_type: KeyType) -> Result<PublicKey> {
    let found = session.find_objects(&[
        Attribute::Class(ObjectClass::PUBLIC_KEY),
        Attribute::Id(id.to_vec()),
    ])?;
    let [object] = found.as_slice() else {
        return Err(Error::KeyNotFound);
    };
    if key_type == KeyType::RSA {
        let attrs = session.get_attributes(
            *object,
            &[AttributeType::Modulus, AttributeType::PublicExponent],
        )?;
        let (mut n, mut e) = (Vec::new(), Vec::new());
        for a in attrs {
            match a {
                Attribute::Modulus(v) => n = v,
                Attribute::PublicExponent(v) => e = v,
                _ => {}
            }
        }
        return rsa_public(&n, &e);
    }
    if key_type != KeyType::EC && key_type != KeyType::EC_EDWARDS {
        return Err(Error::UnsupportedKeyType);
    }
    let attrs =
        session.get_attributes(*object, &[AttributeType::EcParams, AttributeType::EcPoint])?;
    let (mut params, mut point) = (Vec::new(), Vec::new());
    for a in attrs {
        match a {
            Attribute::EcParams(v) => params = v,
            Attribute::EcPoint(v) => point = v,
            _ => {}
        }
    }
    ec_public(key_type, &params, &point)
}

/// An RSA public key from its big-endian modulus and exponent (leading
/// zero bytes allowed). F2-ALG: under 2048 bits is [`Error::WeakKey`].
pub fn rsa_public(n: &[u8], e: &[u8]) -> Result<PublicKey> {
    let strip = |v: &[u8]| {
        let start = v.iter().position(|b| *b != 0).unwrap_or(v.len());
        v.get(start..).unwrap_or(&[]).to_vec()
    };
    // F2-ALG: RSA keys are at least 2048 bits (the core refuses smaller).
    RsaPublicKey::new(&strip(n), &strip(e))
        .map(PublicKey::Rsa)
        .map_err(|e| match e {
            fapi_core::Error::WeakKey => Error::WeakKey,
            fapi_core::Error::TooLarge => Error::UnsupportedKeyType,
            _ => Error::Other("the token holds an RSA key that is not valid".into()),
        })
}

/// An EC or EdDSA public key from `CKA_EC_PARAMS` and `CKA_EC_POINT`.
/// F2-ALG: only P-256 and Ed25519; any other curve is
/// [`Error::UnsupportedKeyType`].
///
/// PKCS#11 (3.0 §2.3.3, §2.3.6) makes `CKA_EC_POINT` a DER OCTET STRING
/// holding the SEC1 point (P-256) or the 32-byte key (Ed25519); some
/// tokens return the bare value. Both are read, with `der` for the OCTET
/// STRING and `p256` for the point, which must be on the curve (compressed
/// points are read too). Anything else is [`Error::Other`] naming the
/// reason.
pub fn ec_public(key_type: KeyType, params: &[u8], point: &[u8]) -> Result<PublicKey> {
    if key_type == KeyType::EC {
        if params != P256_PARAMS {
            return Err(Error::UnsupportedKeyType);
        }
        // A bare SEC1 point never reads as a DER OCTET STRING of one (its
        // length would be wrong), so the bare form is tried first.
        let point = match p256::PublicKey::from_sec1_bytes(point) {
            Ok(p) => p,
            Err(_) => {
                let inner = octet_string(point)?;
                p256::PublicKey::from_sec1_bytes(inner).map_err(|_| {
                    Error::Other("CKA_EC_POINT is not a P-256 point on the curve".into())
                })?
            }
        };
        let sec1 = point.to_sec1_point(false);
        return PublicKey::p256_from_sec1(sec1.as_bytes())
            .map_err(|e| Error::Other(format!("CKA_EC_POINT: {e}")));
    }
    if key_type == KeyType::EC_EDWARDS {
        if params != ED25519_PARAMS && params != ED25519_PARAMS_NAME {
            return Err(Error::UnsupportedKeyType);
        }
        let raw = if point.len() == 32 {
            point
        } else {
            octet_string(point)?
        };
        let x: [u8; 32] = raw
            .try_into()
            .map_err(|_| Error::Other("CKA_EC_POINT is not a 32-byte Ed25519 key".into()))?;
        return Ok(PublicKey::Ed25519 { x });
    }
    Err(Error::UnsupportedKeyType)
}

/// The content of the DER OCTET STRING `value` (nothing may follow it).
fn octet_string(value: &[u8]) -> Result<&[u8]> {
    use der::Decode as _;
    <&der::asn1::OctetStringRef>::from_der(value)
        .map(der::asn1::OctetStringRef::as_bytes)
        .map_err(|e| Error::Other(format!("CKA_EC_POINT is not a DER OCTET STRING: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_point_der_or_raw() {
        // The P-256 base point (SEC 2 §2.4.2).
        let mut raw = vec![0x04];
        raw.extend([
            0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4,
            0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45,
            0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7,
            0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce,
            0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
        ]);
        let mut der = vec![0x04, 0x41];
        der.extend(&raw);
        let a = ec_public(KeyType::EC, P256_PARAMS, &raw).unwrap();
        let b = ec_public(KeyType::EC, P256_PARAMS, &der).unwrap();
        assert_eq!(a, b);
        let x: Vec<u8> = (1..=32u8).collect();
        let mut der = vec![0x04, 0x20];
        der.extend(&x);
        let a = ec_public(KeyType::EC_EDWARDS, ED25519_PARAMS, &x).unwrap();
        let b = ec_public(KeyType::EC_EDWARDS, ED25519_PARAMS_NAME, &der).unwrap();
        assert_eq!(a, b);
    }

    /// F2-ALG: curves other than P-256 and Ed25519 are refused.
    #[test]
    fn f2_alg_other_curves_refused() {
        let p384 = [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
        let ed448 = [0x06, 0x03, 0x2b, 0x65, 0x71];
        assert_eq!(
            ec_public(KeyType::EC, &p384, &[4; 97]),
            Err(Error::UnsupportedKeyType)
        );
        assert_eq!(
            ec_public(KeyType::EC_EDWARDS, &ed448, &[0; 57]),
            Err(Error::UnsupportedKeyType)
        );
        assert_eq!(
            ec_public(KeyType::DSA, P256_PARAMS, &[]),
            Err(Error::UnsupportedKeyType)
        );
    }

    /// F2-ALG: RSA under 2048 bits is a weak key.
    #[test]
    fn f2_alg_rsa_1024_weak() {
        let mut n = vec![0x00, 0xc5];
        n.extend([0x11; 127]);
        assert_eq!(rsa_public(&n, &[1, 0, 1]), Err(Error::WeakKey));
        let mut n = vec![0xc5];
        n.extend([0x11; 255]);
        assert!(matches!(
            rsa_public(&n, &[0, 1, 0, 1]),
            Ok(PublicKey::Rsa(_))
        ));
    }
}
