//! Real keys for the integration tests: P-256 (ES256) and Ed25519 (EdDSA)
//! signers and a `PublicKeyVerifier` on the RustCrypto crates, a replay
//! cache in memory, and helpers to build tokens by hand.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use core::cell::RefCell;
use std::string::String;
use std::vec::Vec;

use fapi_core::b64;
use fapi_core::jwk::PublicKey;
use fapi_core::store::ReplayCache;
use fapi_core::{Alg, Error, PublicKeyVerifier, Signer};

/// An ES256 key made from a fixed secret scalar.
pub struct P256Key {
    sk: p256::ecdsa::SigningKey,
    kid: String,
}

impl P256Key {
    pub fn new(seed: u8, kid: &str) -> Self {
        let sk = p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
        Self {
            sk,
            kid: kid.into(),
        }
    }
}

impl Signer for P256Key {
    fn alg(&self) -> Alg {
        Alg::Es256
    }
    fn key_id(&self) -> &str {
        &self.kid
    }
    fn sign(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, Error> {
        use p256::ecdsa::signature::Signer as _;
        let sig: p256::ecdsa::Signature = self
            .sk
            .try_sign(message)
            .map_err(|_| Error::SigningFailed)?;
        let bytes = sig.to_bytes();
        let out = signature
            .get_mut(..bytes.len())
            .ok_or(Error::BufferTooSmall)?;
        out.copy_from_slice(&bytes);
        Ok(bytes.len())
    }
    fn public_key(&self) -> Result<PublicKey, Error> {
        let point = self.sk.verifying_key().to_sec1_point(false);
        PublicKey::p256_from_sec1(point.as_bytes())
    }
}

/// An EdDSA key made from a fixed seed.
pub struct Ed25519Key {
    sk: ed25519_dalek::SigningKey,
    kid: String,
}

impl Ed25519Key {
    pub fn new(seed: u8, kid: &str) -> Self {
        Self {
            sk: ed25519_dalek::SigningKey::from_bytes(&[seed; 32]),
            kid: kid.into(),
        }
    }
}

impl Signer for Ed25519Key {
    fn alg(&self) -> Alg {
        Alg::EdDsa
    }
    fn key_id(&self) -> &str {
        &self.kid
    }
    fn sign(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, Error> {
        use ed25519_dalek::Signer as _;
        let sig = self.sk.sign(message).to_bytes();
        signature
            .get_mut(..64)
            .ok_or(Error::BufferTooSmall)?
            .copy_from_slice(&sig);
        Ok(64)
    }
    fn public_key(&self) -> Result<PublicKey, Error> {
        Ok(PublicKey::Ed25519 {
            x: self.sk.verifying_key().to_bytes(),
        })
    }
}

/// Verifies ES256 and EdDSA with the RustCrypto crates.
pub struct Backend;

impl PublicKeyVerifier for Backend {
    fn verify_with(
        &self,
        key: &PublicKey,
        alg: Alg,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        key.check_alg(alg)?;
        match key {
            PublicKey::P256 { .. } => {
                use p256::ecdsa::signature::Verifier as _;
                let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&key.sec1_point()?)
                    .map_err(|_| Error::InvalidKey)?;
                let sig = p256::ecdsa::Signature::from_slice(signature)
                    .map_err(|_| Error::BadSignature)?;
                vk.verify(message, &sig).map_err(|_| Error::BadSignature)
            }
            PublicKey::Ed25519 { x } => {
                let vk =
                    ed25519_dalek::VerifyingKey::from_bytes(x).map_err(|_| Error::InvalidKey)?;
                let sig: [u8; 64] = signature.try_into().map_err(|_| Error::BadSignature)?;
                vk.verify_strict(message, &ed25519_dalek::Signature::from_bytes(&sig))
                    .map_err(|_| Error::BadSignature)
            }
            PublicKey::Rsa(_) => Err(Error::UnsupportedKeyType),
        }
    }
}

/// A replay cache in memory.
#[derive(Default)]
pub struct MemoryReplay(RefCell<Vec<(Vec<u8>, u64)>>);

impl ReplayCache for MemoryReplay {
    fn record_once(&self, id: &[u8], expires_at: u64, now: u64) -> Result<(), Error> {
        let mut v = self.0.borrow_mut();
        v.retain(|(_, exp)| *exp > now);
        if v.iter().any(|(k, _)| k == id) {
            return Err(Error::Replay);
        }
        v.push((id.to_vec(), expires_at));
        Ok(())
    }
}

impl MemoryReplay {
    pub fn entries(&self) -> Vec<(Vec<u8>, u64)> {
        self.0.borrow().clone()
    }
}

/// A deterministic "random" source for tests.
pub struct CountingRandom;

impl fapi_core::Random for CountingRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        for (i, b) in dest.iter_mut().enumerate() {
            *b = i as u8;
        }
        Ok(())
    }
}

pub fn b64s(bytes: &[u8]) -> String {
    let mut out = vec![0u8; b64::encoded_len(bytes.len())];
    b64::encode(bytes, &mut out).unwrap().into()
}

/// A compact JWS over exactly `header` and `payload` (JSON text), signed by
/// `signer` whatever the header says.
pub fn sign_raw(signer: &dyn Signer, header: &str, payload: &str) -> String {
    let input = format!("{}.{}", b64s(header.as_bytes()), b64s(payload.as_bytes()));
    let mut sig = [0u8; 1024];
    let n = signer.sign(input.as_bytes(), &mut sig).unwrap();
    format!("{input}.{}", b64s(&sig[..n]))
}

/// A compact JWS with `header`, `payload` and a made-up signature.
pub fn forged(header: &str, payload: &str) -> String {
    format!(
        "{}.{}.{}",
        b64s(header.as_bytes()),
        b64s(payload.as_bytes()),
        b64s(&[0x5a; 32])
    )
}

/// The public JWK of `signer` as JSON, with its kid.
pub fn jwk_json(signer: &dyn Signer) -> String {
    let key = signer.public_key().unwrap();
    let jwk = fapi_core::PublicJwk::new(key, Some(signer.key_id()));
    let mut out = [0u8; 2048];
    let n = jwk.write_json(&mut out).unwrap();
    String::from_utf8(out[..n].to_vec()).unwrap()
}

/// A JWK Set of the signers' public keys, as JSON.
pub fn jwks_json(signers: &[&dyn Signer]) -> String {
    let keys: Vec<String> = signers.iter().map(|s| jwk_json(*s)).collect();
    format!("{{\"keys\":[{}]}}", keys.join(","))
}

/// The embedded-`jwk` header members of `signer`'s key (no kid).
pub fn header_jwk(signer: &dyn Signer) -> String {
    let key = signer.public_key().unwrap();
    let jwk = fapi_core::PublicJwk {
        key,
        kid: None,
        alg: None,
        key_use: None,
    };
    let mut out = [0u8; 2048];
    let n = jwk.write_json(&mut out).unwrap();
    String::from_utf8(out[..n].to_vec()).unwrap()
}
