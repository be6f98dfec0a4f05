//! Signing keys that never leave a PKCS#11 token (an HSM, or SoftHSM2 in
//! tests), behind fapi's [`fapi_core::Signer`] trait.
//!
//! | module | what |
//! |---|---|
//! | [`token`] | load a module once per process, select a token by label |
//! | [`pin`] | the user PIN, from the environment or a file, never printed |
//! | [`pool`] | logged-in sessions, one caller each, bounded waits, recovery |
//! | [`key`] | find keys by label or `CKA_ID`, public keys, the F2-ALG check |
//! | [`signer`] | [`HsmSigner`]: ES256, PS256 and EdDSA in the token, with a mechanism the token lists |
//! | [`group`] | [`HsmGroup`]: one key in several tokens or modules, spread and failover |
//! | [`decrypter`] | [`HsmDecrypter`]: JWE `RSA-OAEP` and `RSA-OAEP-256` in the token |
//! | [`keys`] | generate, list, rotate, destroy; the JWKS |
//! | [`error`] | [`Error`]: the failed call and its `CKR_*` value |
//!
//! A session that reports itself lost (closed, logged out, the module
//! finalised, the token removed) or that refuses the key handle is never
//! used again: the pool opens and logs in a new one and the key is found
//! again by its `CKA_ID`, and must have the same public key, or the result
//! is [`Error::KeyNotFound`]. Lost sessions are forgotten rather than
//! closed (their handle numbers may already belong to another session after
//! a re-initialisation), at most `max_sessions` per loss.
//!
//! One key held by several tokens or modules signs as an [`HsmGroup`] (an
//! HA signing group): the same [`fapi_core::Signer`] trait, signatures
//! spread over the members, a member that fails taken out and retried
//! after a bounded backoff, and the failed call made on another member at
//! once, so that signing fails only when every member does. Its tests
//! (`tests/hsm_group.rs`) kill a SoftHSM2 member under load and bring it
//! back; `benches/group.rs` compares a group of two tokens with one.
//!
//! ```no_run
//! use std::sync::Arc;
//! use fapi_pkcs11::{HsmSigner, KeyRef, Pin, PoolConfig, SessionPool, Token};
//! # fn main() -> Result<(), fapi_pkcs11::Error> {
//! let token = Token::open_from_env("fapi")?;
//! let pool = Arc::new(SessionPool::new(token, Pin::from_env("FAPI_PKCS11_PIN")?, PoolConfig::default())?);
//! let signer = HsmSigner::new(pool, &KeyRef::Label("as-signing".into()), fapi_core::Alg::Es256)?;
//! # Ok(()) }
//! ```

pub mod decrypter;
pub mod error;
pub mod group;
pub mod key;
pub mod keys;
pub mod pin;
pub mod pool;
pub mod signer;
pub mod token;

pub use decrypter::HsmDecrypter;
pub use error::{Error, Result};
pub use group::{GroupConfig, GroupMember, HsmGroup, MemberHealth};
pub use key::{KeyInfo, KeyRef};
pub use keys::{KeySpec, TokenKey};
pub use pin::Pin;
pub use pool::{Lease, PoolConfig, SessionPool};
pub use signer::HsmSigner;
pub use token::Token;
