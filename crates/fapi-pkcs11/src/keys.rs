//! Key management on the token: generate, list, rotate, destroy, and the
//! JWKS of every signing key.
//!
//! Keys are generated on the token as token objects with `CKA_SENSITIVE`
//! true and `CKA_EXTRACTABLE` false: the private half never leaves it.
//!
//! Creating and destroying token objects is serialised within the process
//! ([`serialized`]): SoftHSM2's file object store fails concurrent
//! `C_GenerateKeyPair`/`C_CreateObject` calls at random with
//! `CKR_GENERAL_ERROR` (softhsm/SoftHSMv2#573). Key management is rare and
//! signing is not serialised.

use std::sync::Mutex;

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectClass};
use fapi_core::Alg;
use fapi_core::jwk::MIN_RSA_BITS;

use crate::error::{Error, Result};
use crate::key::{self, ED25519_PARAMS, KeyInfo, KeyRef, P256_PARAMS};
use crate::pool::SessionPool;

/// The kind of key to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpec {
    /// EC P-256, for ES256.
    P256,
    /// Ed25519, for EdDSA.
    Ed25519,
    /// RSA with a modulus of this many bits (at least 2048), for PS256.
    Rsa(u32),
}

impl KeySpec {
    /// The key for `alg`, with 2048-bit RSA for PS256.
    #[must_use]
    pub fn for_alg(alg: Alg) -> Self {
        match alg {
            Alg::Es256 => Self::P256,
            Alg::EdDsa => Self::Ed25519,
            Alg::Ps256 => Self::Rsa(2048),
        }
    }

    fn of(info: &KeyInfo) -> Self {
        match &info.public {
            fapi_core::PublicKey::Rsa(k) => {
                Self::Rsa(u32::try_from(k.bits()).unwrap_or(u32::MAX).max(2048))
            }
            fapi_core::PublicKey::Ed25519 { .. } => Self::Ed25519,
            _ => Self::P256,
        }
    }
}

/// A key found on the token, and whether it may sign.
#[derive(Debug, Clone)]
pub struct TokenKey {
    /// `CKA_LABEL`.
    pub label: String,
    /// `CKA_ID`.
    pub id: Vec<u8>,
    /// The key, or why F2-ALG refuses it.
    pub key: Result<KeyInfo>,
}

/// Runs `f` while no other key management call of this process runs. Use
/// it around token-object creation done with cryptoki directly.
pub fn serialized<T>(f: impl FnOnce() -> T) -> T {
    static KEY_MANAGEMENT: Mutex<()> = Mutex::new(());
    let _guard = KEY_MANAGEMENT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f()
}

/// Generates a key pair on the token, labelled `label`, with a fresh random
/// `CKA_ID`. F2-ALG: RSA under 2048 bits is refused before the token is
/// asked ([`Error::WeakKey`]).
pub fn generate(pool: &SessionPool, spec: KeySpec, label: &str) -> Result<KeyInfo> {
    // F2-ALG: never create an RSA key under 2048 bits.
    if let KeySpec::Rsa(bits) = spec
        && usize::try_from(bits).map_or(true, |b| b < MIN_RSA_BITS)
    {
        return Err(Error::WeakKey);
    }
    let lease = pool.lease()?;
    let session = lease.session();
    let id = session.generate_random_vec(16)?;
    let common = |private: bool| {
        vec![
            Attribute::Token(true),
            Attribute::Private(private),
            Attribute::Id(id.clone()),
            Attribute::Label(label.as_bytes().to_vec()),
        ]
    };
    let mut public = common(false);
    public.push(Attribute::Verify(true));
    let mut private = common(true);
    private.extend([
        Attribute::Sign(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
    ]);
    let mechanism = match spec {
        KeySpec::P256 => {
            public.push(Attribute::EcParams(P256_PARAMS.to_vec()));
            Mechanism::EccKeyPairGen
        }
        KeySpec::Ed25519 => {
            public.push(Attribute::EcParams(ED25519_PARAMS.to_vec()));
            Mechanism::EccEdwardsKeyPairGen
        }
        KeySpec::Rsa(bits) => {
            public.push(Attribute::ModulusBits(u64::from(bits).into()));
            public.push(Attribute::PublicExponent(vec![0x01, 0x00, 0x01]));
            Mechanism::RsaPkcsKeyPairGen
        }
    };
    let (_, private_handle) =
        serialized(|| session.generate_key_pair(&mechanism, &public, &private))?;
    key::describe_private(session, private_handle)
}

/// Generates an RSA key pair of `bits` bits on the token for JWE key
/// management (RFC 7518 §4.3), labelled `label`, with a fresh random
/// `CKA_ID`: the private key may decrypt and nothing else (no signing: one
/// key, one use, RFC 7517 §4.2), sensitive and not extractable. Under 2048
/// bits is [`Error::WeakKey`], before the token is asked.
pub fn generate_decryption(pool: &SessionPool, bits: u32, label: &str) -> Result<KeyInfo> {
    if usize::try_from(bits).map_or(true, |b| b < MIN_RSA_BITS) {
        return Err(Error::WeakKey);
    }
    let lease = pool.lease()?;
    let session = lease.session();
    let id = session.generate_random_vec(16)?;
    let common = |private: bool| {
        vec![
            Attribute::Token(true),
            Attribute::Private(private),
            Attribute::Id(id.clone()),
            Attribute::Label(label.as_bytes().to_vec()),
        ]
    };
    let mut public = common(false);
    public.extend([
        Attribute::Encrypt(true),
        Attribute::Verify(false),
        Attribute::ModulusBits(u64::from(bits).into()),
        Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
    ]);
    let mut private = common(true);
    private.extend([
        Attribute::Decrypt(true),
        Attribute::Sign(false),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
    ]);
    let (_, private_handle) =
        serialized(|| session.generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &public, &private))?;
    key::describe_private(session, private_handle)
}

/// Every private key on the token that may sign, each with its F2-ALG
/// verdict (keys created elsewhere included).
pub fn list(pool: &SessionPool) -> Result<Vec<TokenKey>> {
    let lease = pool.lease()?;
    let session = lease.session();
    let handles = session.find_objects(&[
        Attribute::Class(ObjectClass::PRIVATE_KEY),
        Attribute::Sign(true),
    ])?;
    let mut keys = Vec::with_capacity(handles.len());
    for handle in handles {
        let key = key::describe_private(session, handle);
        let (label, id) = match &key {
            Ok(k) => (k.label.clone(), k.id.clone()),
            Err(_) => label_and_id(session, handle),
        };
        keys.push(TokenKey { label, id, key });
    }
    Ok(keys)
}

fn label_and_id(
    session: &cryptoki::session::Session,
    handle: cryptoki::object::ObjectHandle,
) -> (String, Vec<u8>) {
    let attrs = session
        .get_attributes(
            handle,
            &[
                cryptoki::object::AttributeType::Label,
                cryptoki::object::AttributeType::Id,
            ],
        )
        .unwrap_or_default();
    let (mut label, mut id) = (String::new(), Vec::new());
    for a in attrs {
        match a {
            Attribute::Label(v) => label = String::from_utf8_lossy(&v).into_owned(),
            Attribute::Id(v) => id = v,
            _ => {}
        }
    }
    (label, id)
}

/// Rotates `current`: generates a new key of the same kind labelled
/// `new_label` (so a new `kid`). The old key stays on the token, and in the
/// JWKS, for verification until it is [`destroy`]ed.
pub fn rotate(pool: &SessionPool, current: &KeyInfo, new_label: &str) -> Result<KeyInfo> {
    generate(pool, KeySpec::of(current), new_label)
}

/// Destroys the key pair with `CKA_ID` `id` (private and public objects).
pub fn destroy(pool: &SessionPool, id: &[u8]) -> Result<()> {
    let lease = pool.lease()?;
    let session = lease.session();
    let objects = session.find_objects(&[Attribute::Id(id.to_vec())])?;
    if objects.is_empty() {
        return Err(Error::KeyNotFound);
    }
    serialized(|| {
        objects
            .into_iter()
            .try_for_each(|object| session.destroy_object(object))
    })?;
    Ok(())
}

/// Describes the key named by `key` (F2-ALG checked).
pub fn describe(pool: &SessionPool, key: &KeyRef) -> Result<KeyInfo> {
    let lease = pool.lease()?;
    key::describe(lease.session(), key)
}

/// Writes the JWK Set of every signing key on the token that F2-ALG
/// accepts into `out`; refused keys are left out.
pub fn write_jwks(pool: &SessionPool, out: &mut [u8]) -> Result<usize> {
    let keys: Vec<KeyInfo> = list(pool)?.into_iter().filter_map(|k| k.key.ok()).collect();
    let jwks: Vec<fapi_core::PublicJwk<'_>> = keys.iter().map(KeyInfo::jwk).collect();
    fapi_core::jwk::write_jwks(&jwks, out).map_err(|e| match e {
        fapi_core::Error::BufferTooSmall | fapi_core::Error::TooLarge => Error::BufferTooSmall,
        e => Error::Other(e.to_string()),
    })
}
