//! [`HsmDecrypter`]: an RSA private key on the token behind
//! [`fapi_core::jwe::KeyDecrypter`], unwrapping JWE content encryption keys
//! with `CKM_RSA_PKCS_OAEP` (RFC 7518 §4.3): SHA-1 and MGF1-SHA-1 for
//! `RSA-OAEP`, SHA-256 and MGF1-SHA-256 for `RSA-OAEP-256`, the empty
//! label.
//!
//! Which of the two the token does is found when the key is loaded: the
//! OAEP parameters are not part of `C_GetMechanismInfo`, so each is tried
//! with `C_DecryptInit` (and a decryption of a zero block, which fails and
//! ends the operation). An algorithm the token refuses at `C_DecryptInit`
//! (`CKR_MECHANISM_PARAM_INVALID`, `CKR_ARGUMENTS_BAD`,
//! `CKR_MECHANISM_INVALID`) is left out of [`algs`](KeyDecrypter::algs):
//! `jwe::decrypt` then refuses such a JWE with
//! [`KeyAlgMismatch`](fapi_core::Error::KeyAlgMismatch) before the key is
//! used, and [`HsmDecrypter::decrypt_key`] with
//! [`Error::UnsupportedMechanism`]. Nothing falls back to another hash.
//!
//! Every failure of `C_Decrypt` itself (the step that reads the encrypted
//! key) is [`DecryptionFailed`](fapi_core::Error::DecryptionFailed) at the
//! trait, so `jwe::decrypt` carries on with its random CEK (RFC 7516
//! §11.5). A session that is lost is reopened, as for signing.

use std::sync::{Arc, Mutex};

use cryptoki::error::RvError;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, ObjectHandle};
use cryptoki::session::Session;
use fapi_core::PublicKey;
use fapi_core::jwe::{KeyAlg, KeyDecrypter};
use fapi_core::jwk::RsaPublicKey;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::key::{self, KeyInfo, KeyRef};
use crate::pool::{Lease, SessionPool};

/// How many times one unwrap is attempted across lost sessions and stale
/// key handles before the error is returned.
const ATTEMPTS: usize = 4;

/// The `CKM_RSA_PKCS_OAEP` parameters of a JWE `alg` (RFC 7518 §4.3).
#[must_use]
pub fn oaep_params(alg: KeyAlg) -> PkcsOaepParams<'static> {
    match alg {
        KeyAlg::RsaOaep => PkcsOaepParams::new(
            MechanismType::SHA1,
            PkcsMgfType::MGF1_SHA1,
            PkcsOaepSource::empty(),
        ),
        KeyAlg::RsaOaep256 => PkcsOaepParams::new(
            MechanismType::SHA256,
            PkcsMgfType::MGF1_SHA256,
            PkcsOaepSource::empty(),
        ),
    }
}

/// What the mechanism is called in errors.
fn mechanism_name(alg: KeyAlg) -> &'static str {
    match alg {
        KeyAlg::RsaOaep => "CKM_RSA_PKCS_OAEP with CKM_SHA_1 and CKG_MGF1_SHA1 (RSA-OAEP)",
        KeyAlg::RsaOaep256 => {
            "CKM_RSA_PKCS_OAEP with CKM_SHA256 and CKG_MGF1_SHA256 (RSA-OAEP-256)"
        }
    }
}

/// Whether `C_DecryptInit` failed because the token does not do the
/// mechanism or its parameters.
fn refused_mechanism(e: &Error) -> bool {
    matches!(
        e,
        Error::Pkcs11 { function, rv: RvError::MechanismInvalid | RvError::MechanismParamInvalid | RvError::ArgumentsBad }
            if function.to_string() == cryptoki::context::Function::DecryptInit.to_string()
    )
}

/// A JWE recipient's RSA private key on the token (at least 2048 bits,
/// `CKA_DECRYPT` true, `CKA_SIGN` false), shared by threads; each unwrap runs on a session
/// of the pool. Its `kid` is the RFC 7638 thumbprint of its public key
/// unless [`with_key_id`](Self::with_key_id) sets one. `Debug` shows the
/// key id, label and algorithms, never key material.
pub struct HsmDecrypter {
    pool: Arc<SessionPool>,
    info: KeyInfo,
    kid: String,
    public: RsaPublicKey,
    algs: Vec<KeyAlg>,
    /// The private key handle and the pool generation it was found in.
    handle: Mutex<Option<(u64, ObjectHandle)>>,
}

impl HsmDecrypter {
    /// The RSA key named by `key`, for the `alg`s the token does
    /// ([`algs`](KeyDecrypter::algs)).
    ///
    /// Fails with [`Error::KeyNotFound`]; [`Error::WrongKeyType`] when the
    /// key is not RSA, may not decrypt (`CKA_DECRYPT` false) or may sign
    /// (`CKA_SIGN` true: one key, one use, RFC 7517 §4.2);
    /// [`Error::WeakKey`] under 2048 bits; [`Error::UnsupportedMechanism`]
    /// when the token does neither `RSA-OAEP` nor `RSA-OAEP-256`.
    pub fn new(pool: Arc<SessionPool>, key: &KeyRef) -> Result<Self> {
        if !pool.token().supports(MechanismType::RSA_PKCS_OAEP) {
            return Err(Error::UnsupportedMechanism(
                "CKM_RSA_PKCS_OAEP (the token lists no such mechanism)".into(),
            ));
        }
        let (info, handle, generation, algs) = {
            let lease = pool.lease()?;
            let session = lease.session();
            let handle = key::find_private(session, key)?;
            let info = key::describe_private(session, handle)?;
            let PublicKey::Rsa(rsa) = &info.public else {
                return Err(Error::WrongKeyType);
            };
            // RFC 7517 §4.2: one key, one use. A key the token lets sign
            // (a PS256 key: SoftHSM2 also defaults CKA_DECRYPT to true) is
            // not a JWE decryption key.
            let usage =
                session.get_attributes(handle, &[AttributeType::Decrypt, AttributeType::Sign])?;
            let (mut decrypt, mut sign) = (false, true);
            for a in usage {
                match a {
                    Attribute::Decrypt(v) => decrypt = v,
                    Attribute::Sign(v) => sign = v,
                    _ => {}
                }
            }
            if !decrypt || sign {
                return Err(Error::WrongKeyType);
            }
            let mut algs = Vec::new();
            for alg in KeyAlg::ALL {
                if probe(session, handle, alg, rsa.modulus_len())? {
                    algs.push(alg);
                }
            }
            (info, handle, lease.generation(), algs)
        };
        if algs.is_empty() {
            return Err(Error::UnsupportedMechanism(
                "CKM_RSA_PKCS_OAEP with SHA-1 or SHA-256 (the token refused both)".into(),
            ));
        }
        let PublicKey::Rsa(public) = info.public.clone() else {
            return Err(Error::WrongKeyType);
        };
        Ok(Self {
            pool,
            kid: info.kid.clone(),
            info,
            public,
            algs,
            handle: Mutex::new(Some((generation, handle))),
        })
    }

    /// The same key with `kid` as its key id (the one published in the
    /// JWKS with `"use":"enc"`): [`Error::Other`] when empty.
    pub fn with_key_id(mut self, kid: &str) -> Result<Self> {
        if kid.is_empty() {
            return Err(Error::Other("an empty key id".into()));
        }
        kid.clone_into(&mut self.kid);
        Ok(self)
    }

    /// The key's description (id, label, public key, thumbprint).
    #[must_use]
    pub fn info(&self) -> &KeyInfo {
        &self.info
    }

    /// The public half (for the recipient's JWKS, with `"use":"enc"`).
    #[must_use]
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    /// Decrypts `encrypted_key` under `alg` in the token, returning the CEK
    /// (erased when dropped). [`Error::UnsupportedMechanism`] when the
    /// token does not do `alg`'s OAEP parameters; the token's own error when
    /// `C_Decrypt` fails (which [`KeyDecrypter::unwrap_key`] turns into the
    /// one [`DecryptionFailed`](fapi_core::Error::DecryptionFailed)). Lost
    /// sessions are reopened and a stale key handle looked up again by
    /// `CKA_ID` (it must be the same public key).
    pub fn decrypt_key(&self, alg: KeyAlg, encrypted_key: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if !self.algs.contains(&alg) {
            return Err(Error::UnsupportedMechanism(mechanism_name(alg).into()));
        }
        let mechanism = Mechanism::RsaPkcsOaep(oaep_params(alg));
        let mut last = Error::Other("no decryption attempt was made".into());
        for _ in 0..ATTEMPTS {
            let lease = self.pool.lease()?;
            let result = self.key_handle(&lease).and_then(|h| {
                lease
                    .session()
                    .decrypt(&mechanism, h, encrypted_key)
                    .map_err(Error::from)
            });
            match result {
                Ok(cek) => return Ok(Zeroizing::new(cek)),
                Err(e) if refused_mechanism(&e) => {
                    return Err(Error::UnsupportedMechanism(mechanism_name(alg).into()));
                }
                Err(e) if e.is_session_lost() || e.is_handle_invalid() => {
                    self.forget_handle();
                    self.pool.lost(lease);
                    last = e;
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::SessionLost(Box::new(last)))
    }

    /// The private key handle, looked up again in a new pool generation.
    fn key_handle(&self, lease: &Lease<'_>) -> Result<ObjectHandle> {
        let cached = *self
            .handle
            .lock()
            .map_err(|_| Error::Other("key handle lock poisoned".into()))?;
        if let Some((generation, handle)) = cached
            && generation == lease.generation()
        {
            return Ok(handle);
        }
        let handle = key::find_private(lease.session(), &KeyRef::Id(self.info.id.clone()))?;
        // Never decrypt with a different key that took the old one's id.
        let found = key::describe_private(lease.session(), handle)?;
        if found.public != self.info.public {
            return Err(Error::KeyNotFound);
        }
        if let Ok(mut h) = self.handle.lock() {
            *h = Some((lease.generation(), handle));
        }
        Ok(handle)
    }

    fn forget_handle(&self) {
        if let Ok(mut h) = self.handle.lock() {
            *h = None;
        }
    }
}

impl core::fmt::Debug for HsmDecrypter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HsmDecrypter")
            .field("kid", &self.kid)
            .field("label", &self.info.label)
            .field("algs", &self.algs)
            .finish_non_exhaustive()
    }
}

/// Whether the token does `alg`'s OAEP parameters with this key: refused
/// at `C_DecryptInit` is no; otherwise the decryption of a zero block
/// (which is no OAEP encoding, so it fails and ends the operation) runs.
fn probe(session: &Session, key: ObjectHandle, alg: KeyAlg, modulus_len: usize) -> Result<bool> {
    let mechanism = Mechanism::RsaPkcsOaep(oaep_params(alg));
    let zero = vec![0u8; modulus_len];
    match session.decrypt(&mechanism, key, &zero) {
        // A zero block is never a valid encoding; a token that says it is
        // does OAEP wrong.
        Ok(_) => Err(Error::Other(format!(
            "the token accepted a zero block as {}",
            mechanism_name(alg)
        ))),
        Err(e) => {
            let e = Error::from(e);
            if refused_mechanism(&e) {
                Ok(false)
            } else if e.is_session_lost() {
                Err(e)
            } else {
                Ok(true)
            }
        }
    }
}

impl KeyDecrypter for HsmDecrypter {
    fn algs(&self) -> &[KeyAlg] {
        &self.algs
    }

    fn key_id(&self) -> Option<&str> {
        Some(&self.kid)
    }

    fn modulus_len(&self) -> usize {
        self.public.modulus_len()
    }

    fn unwrap_key(
        &self,
        alg: KeyAlg,
        encrypted_key: &[u8],
        out: &mut [u8],
    ) -> core::result::Result<usize, fapi_core::Error> {
        match self.decrypt_key(alg, encrypted_key) {
            Ok(cek) => {
                // RFC 7516 §11.5: a CEK too long for the caller is the one
                // error too.
                let dst = out
                    .get_mut(..cek.len())
                    .ok_or(fapi_core::Error::DecryptionFailed)?;
                dst.copy_from_slice(&cek);
                Ok(cek.len())
            }
            Err(Error::UnsupportedMechanism(_)) => Err(fapi_core::Error::KeyAlgMismatch),
            // What `C_Decrypt` says about the encrypted key
            // (CKR_ENCRYPTED_DATA_INVALID, CKR_ENCRYPTED_DATA_LEN_RANGE, or a
            // token's CKR_FUNCTION_FAILED / CKR_GENERAL_ERROR): the one error.
            Err(Error::Pkcs11 { function, .. })
                if function.to_string() == cryptoki::context::Function::Decrypt.to_string() =>
            {
                Err(fapi_core::Error::DecryptionFailed)
            }
            // The token is unreachable or the key is gone: not a property
            // of the JWE, returned as it is.
            Err(e) => Err(e.into()),
        }
    }
}
