//! [`HsmSigner`]: a token key behind the [`fapi_core::Signer`] trait.

use std::sync::{Arc, Mutex};

use cryptoki::error::RvError;
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, ObjectHandle};
use cryptoki::session::SessionState;
use fapi_core::{Alg, PublicKey};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::key::{self, KeyInfo, KeyRef};
use crate::pool::{Lease, SessionPool};

/// How many times one signature is attempted across lost sessions and
/// stale key handles before the error is returned.
const ATTEMPTS: usize = 4;

/// What a signature is made with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    /// The key's JOSE algorithm.
    Jose,
    /// `rsa-pss-sha512` of RFC 9421 §3.3.1: `CKM_SHA512_RSA_PKCS_PSS`,
    /// MGF1-SHA-512, a 64-byte salt.
    RsaPssSha512,
}

/// A signing key on the token, shared by threads; each signature runs on a
/// session of the pool.
#[derive(Debug)]
pub struct HsmSigner {
    pool: Arc<SessionPool>,
    alg: Alg,
    info: KeyInfo,
    /// The private key handle and the pool generation it was found in.
    handle: Mutex<Option<(u64, ObjectHandle)>>,
    /// The mechanism JOSE signatures are made with, picked from what the
    /// token lists ([`HsmSigner::mechanism`]).
    mechanism: MechanismType,
    /// Whether each signature first checks that the key handle still names
    /// this key's `CKA_ID`.
    check_handle: bool,
}

impl HsmSigner {
    /// The key named by `key`, signing with `alg`.
    ///
    /// Fails with [`Error::KeyNotFound`], [`Error::WrongKeyType`] when the
    /// key does not sign with `alg`, and [`Error::WeakKey`] or
    /// [`Error::UnsupportedKeyType`] when it breaks F2-ALG (keys created
    /// elsewhere are checked too).
    pub fn new(pool: Arc<SessionPool>, key: &KeyRef, alg: Alg) -> Result<Self> {
        let (info, handle, generation) = {
            let lease = pool.lease()?;
            let handle = key::find_private(lease.session(), key)?;
            let info = key::describe_private(lease.session(), handle)?;
            (info, handle, lease.generation())
        };
        if info.alg() != alg {
            return Err(Error::WrongKeyType);
        }
        let mechanism = mechanisms(alg)
            .iter()
            .copied()
            .find(|m| pool.token().supports(*m))
            .ok_or_else(|| missing_mechanism(alg))?;
        Ok(Self {
            pool,
            alg,
            info,
            handle: Mutex::new(Some((generation, handle))),
            mechanism,
            check_handle: false,
        })
    }

    /// The PKCS#11 mechanism this signer's JOSE signatures are made with.
    ///
    /// [`HsmSigner::new`] picks the first of these that the token lists
    /// (`C_GetMechanismList`):
    ///
    /// | alg | in the token | hash on the host, then |
    /// |---|---|---|
    /// | ES256 | `CKM_ECDSA_SHA256` | `CKM_ECDSA` over SHA-256 |
    /// | PS256 | `CKM_SHA256_RSA_PKCS_PSS` | `CKM_RSA_PKCS_PSS` over SHA-256 |
    /// | EdDSA | `CKM_EDDSA` | (none) |
    ///
    /// PSS always runs with MGF1-SHA-256 and a 32-byte salt (RFC 7518
    /// §3.5). A token that lists none of them is refused with
    /// [`Error::UnsupportedMechanism`] naming what is missing.
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # use fapi_pkcs11::{HsmSigner, KeyRef, Pin, PoolConfig, SessionPool, Token};
    /// # fn main() -> Result<(), fapi_pkcs11::Error> {
    /// # let pool = Arc::new(SessionPool::new(Token::open_from_env("fapi")?, Pin::new("1234"), PoolConfig::default())?);
    /// let signer = HsmSigner::new(pool, &KeyRef::Label("as".into()), fapi_core::Alg::Es256)?;
    /// println!("ES256 with {}", signer.mechanism()); // CKM_ECDSA on SoftHSM2
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn mechanism(&self) -> MechanismType {
        self.mechanism
    }

    /// The same signer on another of the mechanisms [`Self::mechanism`]
    /// lists for its algorithm (say, `CKM_ECDSA` with the digest made on
    /// the host, on a token that also does `CKM_ECDSA_SHA256`).
    ///
    /// [`Error::UnsupportedMechanism`] when the mechanism is not one of
    /// those, or the token does not list it.
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # use cryptoki::mechanism::MechanismType;
    /// # use fapi_pkcs11::{HsmSigner, KeyRef, Pin, PoolConfig, SessionPool, Token};
    /// # fn main() -> Result<(), fapi_pkcs11::Error> {
    /// # let pool = Arc::new(SessionPool::new(Token::open_from_env("fapi")?, Pin::new("1234"), PoolConfig::default())?);
    /// let signer = HsmSigner::new(pool, &KeyRef::Label("as".into()), fapi_core::Alg::Es256)?
    ///     .with_mechanism(MechanismType::ECDSA)?;
    /// # Ok(()) }
    /// ```
    pub fn with_mechanism(mut self, mechanism: MechanismType) -> Result<Self> {
        if !mechanisms(self.alg).contains(&mechanism) {
            return Err(Error::UnsupportedMechanism(format!(
                "{mechanism} for {} (fapi signs {} with {})",
                self.alg.name(),
                self.alg.name(),
                names(mechanisms(self.alg))
            )));
        }
        if !self.pool.token().supports(mechanism) {
            return Err(Error::UnsupportedMechanism(format!(
                "{mechanism} (the token lists no such mechanism)"
            )));
        }
        self.mechanism = mechanism;
        Ok(self)
    }

    /// Checks before each signature that the cached key handle still names
    /// this key (one `C_GetAttributeValue(CKA_ID)` per signature; on
    /// SoftHSM2 it halves ES256 throughput).
    ///
    /// Without it, a handle is looked up again (and its public key
    /// compared) whenever the pool sees a session lost or the handle
    /// refused. Turn it on when another component of the process may call
    /// `C_Finalize` and `C_Initialize` and log in again: a stale session
    /// handle may then name that component's live session, and a stale key
    /// handle another key.
    #[must_use]
    pub fn with_handle_check(mut self, on: bool) -> Self {
        self.check_handle = on;
        self
    }

    /// The key's description (id, label, public key, kid).
    #[must_use]
    pub fn info(&self) -> &KeyInfo {
        &self.info
    }

    /// The pool this signer uses.
    #[must_use]
    pub fn pool(&self) -> &Arc<SessionPool> {
        &self.pool
    }

    /// Signs `message`, returning the JWS signature (raw `r || s` for
    /// ES256). Lost sessions are reopened and logged in again, and a stale
    /// key handle is looked up again by `CKA_ID`; the key found must be the
    /// same public key, or the result is [`Error::KeyNotFound`].
    pub fn sign_vec(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.sign_scheme(message, Scheme::Jose)
    }

    /// Signs `message` with RSASSA-PSS, SHA-512, MGF1-SHA-512 and a
    /// 64-byte salt (`rsa-pss-sha512`, RFC 9421 §3.3.1) in the token:
    /// `CKM_SHA512_RSA_PKCS_PSS` with `CK_RSA_PKCS_PSS_PARAMS { hashAlg:
    /// CKM_SHA512, mgf: CKG_MGF1_SHA512, sLen: 64 }`.
    ///
    /// [`Error::WrongKeyType`] for a key that is not RSA;
    /// [`Error::UnsupportedMechanism`] when the token does not list the
    /// mechanism (nothing falls back to another hash or salt). Lost
    /// sessions and stale handles are handled as in [`Self::sign_vec`].
    pub fn sign_rsa_pss_sha512_vec(&self, message: &[u8]) -> Result<Vec<u8>> {
        if self.alg != Alg::Ps256 {
            return Err(Error::WrongKeyType);
        }
        if !self
            .pool
            .token()
            .supports(MechanismType::SHA512_RSA_PKCS_PSS)
        {
            return Err(Error::UnsupportedMechanism(
                "CKM_SHA512_RSA_PKCS_PSS (the token lists no such mechanism)".into(),
            ));
        }
        self.sign_scheme(message, Scheme::RsaPssSha512)
    }

    fn sign_scheme(&self, message: &[u8], scheme: Scheme) -> Result<Vec<u8>> {
        let mut last = Error::Other("no signing attempt was made".into());
        for _ in 0..ATTEMPTS {
            let lease = self.pool.lease()?;
            let result = self
                .key_handle(&lease)
                .and_then(|h| self.sign_once(&lease, h, message, scheme));
            match result {
                Ok(sig) => return self.finish(sig),
                // Logged out (CKR_USER_NOT_LOGGED_IN) counts as lost too: it
                // also follows C_CloseAllSessions and a re-initialised module,
                // after which this session's handle may name another session.
                // So does a key handle the token refuses: the key was
                // destroyed, or the module re-initialised. The session is not
                // used again and the key is looked up on a fresh one.
                Err(e)
                    if e.is_session_lost()
                        || e.is_handle_invalid()
                        || e == Error::StaleKeyHandle
                        || logged_out(&lease, &e) =>
                {
                    self.forget_handle();
                    self.pool.lost(lease);
                    last = e;
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::SessionLost(Box::new(last)))
    }

    fn sign_once(
        &self,
        lease: &Lease<'_>,
        key: ObjectHandle,
        message: &[u8],
        scheme: Scheme,
    ) -> Result<Vec<u8>> {
        let session = lease.session();
        // With the check on, the handle must still name this key: after the
        // module was re-initialised behind the pool's back, a stale handle
        // number may name another object.
        if self.check_handle {
            match session
                .get_attributes(key, &[AttributeType::Id])?
                .as_slice()
            {
                [Attribute::Id(id)] if *id == self.info.id => {}
                _ => return Err(Error::StaleKeyHandle),
            }
        }
        if scheme == Scheme::RsaPssSha512 {
            let params = PkcsPssParams {
                hash_alg: MechanismType::SHA512,
                mgf: PkcsMgfType::MGF1_SHA512,
                s_len: 64u64.into(),
            };
            return Ok(session.sign(&Mechanism::Sha512RsaPkcsPss(params), key, message)?);
        }
        // RFC 7518 §3.5: MGF1 with the same hash, a salt as long as the hash.
        let pss = PkcsPssParams {
            hash_alg: MechanismType::SHA256,
            mgf: PkcsMgfType::MGF1_SHA256,
            s_len: 32u64.into(),
        };
        let m = self.mechanism;
        let signed = if m == MechanismType::ECDSA_SHA256 {
            session.sign(&Mechanism::EcdsaSha256, key, message)
        } else if m == MechanismType::ECDSA {
            session.sign(&Mechanism::Ecdsa, key, &Sha256::digest(message))
        } else if m == MechanismType::SHA256_RSA_PKCS_PSS {
            session.sign(&Mechanism::Sha256RsaPkcsPss(pss), key, message)
        } else if m == MechanismType::RSA_PKCS_PSS {
            session.sign(&Mechanism::RsaPkcsPss(pss), key, &Sha256::digest(message))
        } else {
            let params = EddsaParams::new(EddsaSignatureScheme::Pure);
            session.sign(&Mechanism::Eddsa(params), key, message)
        };
        signed.map_err(|e| refused_mechanism(m, e.into()))
    }

    /// Checks the token's signature length and encodes ES256 as `r || s`.
    fn finish(&self, sig: Vec<u8>) -> Result<Vec<u8>> {
        match (&self.alg, &self.info.public) {
            (Alg::Es256, _) => Ok(ecdsa_raw(&sig)?.to_vec()),
            (Alg::EdDsa, _) if sig.len() == 64 => Ok(sig),
            (Alg::Ps256, PublicKey::Rsa(k)) if sig.len() == k.modulus_len() => Ok(sig),
            _ => Err(Error::MalformedSignature),
        }
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
        // Never sign with a different key that took the old one's id.
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

/// The mechanisms that make `alg`'s JOSE signature, in order of preference:
/// hashing in the token first.
fn mechanisms(alg: Alg) -> &'static [MechanismType] {
    match alg {
        Alg::Es256 => &[MechanismType::ECDSA_SHA256, MechanismType::ECDSA],
        Alg::Ps256 => &[
            MechanismType::SHA256_RSA_PKCS_PSS,
            MechanismType::RSA_PKCS_PSS,
        ],
        Alg::EdDsa => &[MechanismType::EDDSA],
    }
}

fn names(list: &[MechanismType]) -> String {
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

fn missing_mechanism(alg: Alg) -> Error {
    Error::UnsupportedMechanism(format!(
        "{} (it needs {}; the token lists none of them)",
        alg.name(),
        names(mechanisms(alg))
    ))
}

/// A token that lists a mechanism and then refuses it, or refuses its
/// parameters (a PSS salt length other than its own, say), does not do it.
fn refused_mechanism(mechanism: MechanismType, e: Error) -> Error {
    match e.rv() {
        Some(rv @ (RvError::MechanismInvalid | RvError::MechanismParamInvalid)) => {
            Error::UnsupportedMechanism(format!("{mechanism} (the token refused it: {rv})"))
        }
        _ => e,
    }
}

/// Whether a missing or invalid key is really a session that lost its
/// login: private objects are invisible to a public session, so a token may
/// answer `CKR_KEY_HANDLE_INVALID` or find nothing instead of
/// `CKR_USER_NOT_LOGGED_IN`.
fn logged_out(lease: &Lease<'_>, e: &Error) -> bool {
    if !(e.is_handle_invalid() || *e == Error::StaleKeyHandle || *e == Error::KeyNotFound) {
        return false;
    }
    match lease.session().get_session_info() {
        Ok(info) => !matches!(
            info.session_state(),
            SessionState::RoUser | SessionState::RwUser
        ),
        Err(_) => true,
    }
}

impl fapi_core::Signer for HsmSigner {
    fn alg(&self) -> Alg {
        self.alg
    }

    fn key_id(&self) -> &str {
        &self.info.kid
    }

    fn sign(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, fapi_core::Error> {
        let sig = self.sign_vec(message)?;
        let out = signature
            .get_mut(..sig.len())
            .ok_or(fapi_core::Error::BufferTooSmall)?;
        out.copy_from_slice(&sig);
        Ok(sig.len())
    }

    fn public_key(&self) -> Result<PublicKey, fapi_core::Error> {
        Ok(self.info.public.clone())
    }

    /// `rsa-pss-sha512` in the token ([`HsmSigner::sign_rsa_pss_sha512_vec`]).
    /// A token without `CKM_SHA512_RSA_PKCS_PSS`, or a key that is not RSA,
    /// is [`UnsupportedAlg`](fapi_core::Error::UnsupportedAlg).
    fn sign_rsa_pss_sha512(
        &self,
        message: &[u8],
        signature: &mut [u8],
    ) -> Result<usize, fapi_core::Error> {
        let sig = self.sign_rsa_pss_sha512_vec(message).map_err(|e| match e {
            Error::UnsupportedMechanism(_) | Error::WrongKeyType => {
                fapi_core::Error::UnsupportedAlg
            }
            e => e.into(),
        })?;
        let out = signature
            .get_mut(..sig.len())
            .ok_or(fapi_core::Error::BufferTooSmall)?;
        out.copy_from_slice(&sig);
        Ok(sig.len())
    }
}

/// An ECDSA P-256 signature as raw `r || s`, from raw (64 bytes, as
/// PKCS#11 `CKM_ECDSA` returns it) or from a DER `ECDSA-Sig-Value` (RFC
/// 3279 §2.2.3, as some tokens return it), read by `p256`/`ecdsa`: strict
/// DER, and `r` and `s` in `1..n`. Anything else is
/// [`Error::MalformedSignature`].
pub fn ecdsa_raw(sig: &[u8]) -> Result<[u8; 64]> {
    let sig = if sig.len() == 64 {
        p256::ecdsa::Signature::from_slice(sig)
    } else {
        p256::ecdsa::Signature::from_der(sig)
    }
    .map_err(|_| Error::MalformedSignature)?;
    Ok(sig.to_bytes().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdsa_der_to_raw_left_pads() {
        // r with a leading 0x00 (high bit set), s short (31 bytes).
        let mut der = vec![0x30, 0x44, 0x02, 0x21, 0x00];
        der.extend([0x80; 32]);
        der.extend([0x02, 0x1f]);
        der.extend([0x11; 31]);
        let raw = ecdsa_raw(&der).unwrap();
        assert_eq!(&raw[..32], &[0x80; 32]);
        assert_eq!(raw[32], 0);
        assert_eq!(&raw[33..], &[0x11; 31]);
        let raw2 = ecdsa_raw(&raw).unwrap();
        assert_eq!(raw, raw2);
    }

    #[test]
    fn no_listed_mechanism_names_what_is_missing() {
        let Error::UnsupportedMechanism(text) = missing_mechanism(Alg::EdDsa) else {
            panic!("not UnsupportedMechanism")
        };
        assert!(
            text.contains("EdDSA") && text.contains("CKM_EDDSA"),
            "{text}"
        );
        let Error::UnsupportedMechanism(text) = missing_mechanism(Alg::Ps256) else {
            panic!("not UnsupportedMechanism")
        };
        assert!(
            text.contains("CKM_SHA256_RSA_PKCS_PSS or CKM_RSA_PKCS_PSS"),
            "{text}"
        );
        assert_eq!(
            fapi_core::Error::from(missing_mechanism(Alg::Es256)),
            fapi_core::Error::KeyAlgMismatch
        );
    }

    #[test]
    fn a_refused_mechanism_is_unsupported() {
        let refused = Error::Pkcs11 {
            function: cryptoki::context::Function::Sign,
            rv: RvError::MechanismParamInvalid,
        };
        let e = refused_mechanism(MechanismType::RSA_PKCS_PSS, refused);
        assert!(
            matches!(&e, Error::UnsupportedMechanism(m) if m.contains("CKM_RSA_PKCS_PSS")),
            "{e:?}"
        );
        let other = Error::Pkcs11 {
            function: cryptoki::context::Function::Sign,
            rv: RvError::DeviceError,
        };
        assert_eq!(
            refused_mechanism(MechanismType::ECDSA, other.clone()),
            other
        );
    }

    #[test]
    fn ecdsa_bad_der_refused() {
        assert_eq!(ecdsa_raw(&[0x30, 0x00]), Err(Error::MalformedSignature));
        assert_eq!(ecdsa_raw(&[0u8; 63]), Err(Error::MalformedSignature));
        let mut der = vec![0x30, 0x46, 0x02, 0x21, 0x01];
        der.extend([0x80; 32]);
        der.extend([0x02, 0x21, 0x01]);
        der.extend([0x11; 32]);
        assert_eq!(ecdsa_raw(&der), Err(Error::MalformedSignature));
    }
}
