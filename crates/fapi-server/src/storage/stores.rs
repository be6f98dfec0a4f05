//! The server's state stores: the replay cache (DPoP and assertion `jti`s,
//! spent request URIs), codes and the tombstones of redeemed ones, pushed
//! requests, refresh tokens, revoked grants, consents and the login and
//! consent transactions of the user's pages. Each is an async
//! trait object of the `fapi` crate, so a network store (Redis) plugs in
//! where the in-memory ones are the default.

use std::sync::Arc;

use fapi::memory::{MemoryReplayCache, MemoryStore};
use fapi::store::{HandleStore, ReplayStore};
use fapi_core::authorize::AuthorizationParams;
use fapi_core::code::CodeRecord;
use fapi_core::grant::RevokedGrant;
use fapi_core::refresh::RefreshGrant;

use crate::authorization::transaction::Transaction;
use crate::resource::consent::Consent;

/// The most login and consent transactions the in-memory store holds at
/// once (then a full store refuses new ones: `StoreFull`).
const MAX_TRANSACTIONS: usize = 100_000;

/// The stores of one server (shared by its nodes when they are network
/// stores).
///
/// ```
/// let stores = fapi_server::Stores::memory();
/// # let _ = stores;
/// ```
#[derive(Clone)]
pub struct Stores {
    /// One-time identifiers: DPoP proof and client assertion `jti`s, and
    /// the request URIs decided on (F2-PAR: one decision each).
    pub replay: Arc<dyn ReplayStore>,
    /// Authorization codes (swapped once for their tombstone:
    /// F2-CODE-ONCE; RFC 6749 §4.1.2, the tombstone names the grant).
    pub codes: Arc<dyn HandleStore<CodeRecord>>,
    /// Pushed authorization requests (F2-PAR).
    pub requests: Arc<dyn HandleStore<AuthorizationParams>>,
    /// Refresh token records.
    pub refresh: Arc<dyn HandleStore<RefreshGrant>>,
    /// Revoked grants (RFC 6749 §4.1.2: a replayed code's), read by the
    /// token endpoint, introspection and the resource server.
    pub revocations: Arc<dyn HandleStore<RevokedGrant>>,
    /// Account-access and payment consents, and payment orders.
    pub consents: Arc<dyn HandleStore<Consent>>,
    /// Login and consent transactions, by the SHA-256 of their id, so
    /// that any node of the issuer takes the forms' posts (each taken
    /// atomically: one consent decision per transaction).
    pub transactions: Arc<dyn HandleStore<Transaction>>,
}

impl Stores {
    /// Sharded in-memory stores (one node).
    #[must_use]
    pub fn memory() -> Self {
        Self {
            replay: Arc::new(MemoryReplayCache::new()),
            codes: Arc::new(MemoryStore::new()),
            requests: Arc::new(MemoryStore::new()),
            refresh: Arc::new(MemoryStore::new()),
            revocations: Arc::new(MemoryStore::new()),
            consents: Arc::new(MemoryStore::new()),
            transactions: Arc::new(MemoryStore::with_max_entries(MAX_TRANSACTIONS)),
        }
    }
}

impl core::fmt::Debug for Stores {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Stores").finish_non_exhaustive()
    }
}
