//! The key seam: what a software key, an aws-lc key and an HSM key implement.
//!
//! Signing is fallible (an HSM can be unplugged), writes into a caller
//! buffer and never allocates. Verification of a known key goes through
//! [`Verifier`]; verification with a key that arrives at run time (a DPoP
//! proof's `jwk` header, a client's JWKS) goes through
//! [`PublicKeyVerifier`], which a backend implements once.

use crate::alg::Alg;
use crate::error::Error;
use crate::jwk::{PublicKey, RsaPublicKey};

/// The longest signature fapi produces or accepts: RSA-8192.
pub const MAX_SIGNATURE_LEN: usize = 1024;

/// A private key that signs for exactly one algorithm.
pub trait Signer {
    /// The algorithm this key signs with.
    fn alg(&self) -> Alg;

    /// The key id published in the JWKS and in the `kid` header.
    fn key_id(&self) -> &str;

    /// Signs `message`, writing the JWS signature (raw `r || s` for ES256)
    /// into `signature` and returning its length.
    ///
    /// Fails with [`Error::BufferTooSmall`] when `signature` is too short and
    /// [`Error::SigningFailed`] when the backend cannot sign.
    fn sign(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, Error>;

    /// The public half of this key.
    fn public_key(&self) -> Result<PublicKey, Error>;

    /// Signs `message` with RSASSA-PSS, SHA-512, MGF1-SHA-512 and a salt
    /// of exactly 64 bytes: `rsa-pss-sha512` of HTTP message signatures
    /// (RFC 9421 §3.3.1), which is not the key's JOSE algorithm (PS256
    /// hashes with SHA-256). Writes the signature (as long as the modulus)
    /// into `signature` and returns its length.
    ///
    /// Only an RSA key can; the default refuses with
    /// [`Error::UnsupportedAlg`], as does a backend (an HSM) that lacks the
    /// mechanism. Never falls back to another hash or salt length.
    ///
    /// ```
    /// use fapi_core::{Alg, Error, PublicKey, Signer};
    ///
    /// struct Es256Key;
    /// impl Signer for Es256Key {
    ///     fn alg(&self) -> Alg { Alg::Es256 }
    ///     fn key_id(&self) -> &str { "k" }
    ///     fn sign(&self, _: &[u8], _: &mut [u8]) -> Result<usize, Error> { Ok(64) }
    ///     fn public_key(&self) -> Result<PublicKey, Error> { Err(Error::InvalidKey) }
    /// }
    /// let mut sig = [0u8; 512];
    /// assert_eq!(Es256Key.sign_rsa_pss_sha512(b"m", &mut sig), Err(Error::UnsupportedAlg));
    /// ```
    fn sign_rsa_pss_sha512(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, Error> {
        let _ = (message, signature);
        Err(Error::UnsupportedAlg)
    }
}

/// A public key, parsed once, that verifies signatures for one algorithm.
pub trait Verifier {
    /// The algorithm this key verifies.
    fn alg(&self) -> Alg;

    /// Verifies `signature` over `message`: [`Error::BadSignature`] when it
    /// does not verify, whatever the reason.
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Error>;
}

/// A crypto backend that verifies with public keys known only at run time.
pub trait PublicKeyVerifier {
    /// Verifies `signature` over `message` with `key` under `alg`.
    ///
    /// The caller has already checked that `alg` fits the key type; the
    /// backend still refuses a mismatch with [`Error::KeyAlgMismatch`], and
    /// a key that is not valid (not on its curve) with [`Error::InvalidKey`].
    fn verify_with(
        &self,
        key: &PublicKey,
        alg: Alg,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error>;

    /// Verifies RSASSA-PSS with SHA-512, MGF1-SHA-512 and a salt of
    /// exactly 64 bytes: `rsa-pss-sha512` of HTTP message signatures
    /// (RFC 9421 §3.3.1), which no JOSE algorithm fapi accepts names.
    /// [`Error::BadSignature`] when it does not verify.
    ///
    /// A backend without it refuses with [`Error::UnsupportedAlg`] (the
    /// default), so adding it to this trait broke no backend.
    fn verify_rsa_pss_sha512(
        &self,
        key: &RsaPublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let _ = (key, message, signature);
        Err(Error::UnsupportedAlg)
    }
}

impl<T: Signer + ?Sized> Signer for &T {
    fn alg(&self) -> Alg {
        (**self).alg()
    }
    fn key_id(&self) -> &str {
        (**self).key_id()
    }
    fn sign(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, Error> {
        (**self).sign(message, signature)
    }
    fn public_key(&self) -> Result<PublicKey, Error> {
        (**self).public_key()
    }
    fn sign_rsa_pss_sha512(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, Error> {
        (**self).sign_rsa_pss_sha512(message, signature)
    }
}

impl<T: Verifier + ?Sized> Verifier for &T {
    fn alg(&self) -> Alg {
        (**self).alg()
    }
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        (**self).verify(message, signature)
    }
}

impl<T: PublicKeyVerifier + ?Sized> PublicKeyVerifier for &T {
    fn verify_with(
        &self,
        key: &PublicKey,
        alg: Alg,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        (**self).verify_with(key, alg, message, signature)
    }
    fn verify_rsa_pss_sha512(
        &self,
        key: &RsaPublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        (**self).verify_rsa_pss_sha512(key, message, signature)
    }
}

/// A [`Verifier`] made of a backend and a public key: what a resource server
/// holds for its authorization server's key.
#[derive(Clone, Debug)]
pub struct KeyVerifier<'p, P: PublicKeyVerifier + ?Sized> {
    backend: &'p P,
    key: PublicKey,
}

impl<'p, P: PublicKeyVerifier + ?Sized> KeyVerifier<'p, P> {
    /// Pairs `key` with `backend`.
    pub fn new(backend: &'p P, key: PublicKey) -> Self {
        Self { backend, key }
    }

    /// The public key.
    pub fn key(&self) -> &PublicKey {
        &self.key
    }
}

impl<P: PublicKeyVerifier + ?Sized> Verifier for KeyVerifier<'_, P> {
    fn alg(&self) -> Alg {
        self.key.alg()
    }
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        self.backend
            .verify_with(&self.key, self.key.alg(), message, signature)
    }
}

/// Wall-clock time in whole seconds since the Unix epoch. `no_std` has no
/// clock: servers pass the system clock, firmware its RTC.
pub trait Clock {
    /// Seconds since 1970-01-01T00:00:00Z.
    fn now(&self) -> u64;
}

/// A clock stopped at one instant: for tests, and for callers that read the
/// time once per request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedClock(pub u64);

impl Clock for FixedClock {
    fn now(&self) -> u64 {
        self.0
    }
}

/// The operating system's wall clock (`std` only). A clock set before the
/// epoch reads 0; one beyond `u64` seconds saturates.
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SystemClock;

#[cfg(feature = "std")]
impl Clock for SystemClock {
    fn now(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

impl<T: Clock + ?Sized> Clock for &T {
    fn now(&self) -> u64 {
        (**self).now()
    }
}

/// A cryptographically secure random source. `no_std` has none: servers pass
/// the OS generator, firmware its TRNG, an HSM its own. Fallible, because
/// hardware generators fail.
pub trait Random {
    /// Fills `dest` with random bytes, or fails with [`Error::RandomFailed`].
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error>;
}

impl<T: Random + ?Sized> Random for &T {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        (**self).fill(dest)
    }
}
