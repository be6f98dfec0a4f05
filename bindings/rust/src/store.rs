//! Async stores: a replay cache for one-time identifiers (DPoP and client
//! assertion `jti`s) and handle stores for one-time and long-lived handles
//! (authorization codes, PAR request URIs, refresh token records).
//!
//! The core's own stores ([`fapi_core::store`]) are synchronous and of fixed
//! capacity, for firmware. A server keeps its state in memory
//! ([`MemoryReplayCache`], [`MemoryStore`]: sharded hash maps with expiry)
//! or in a network store behind the same traits; every method is `async`
//! so that a network store awaits its I/O instead of blocking a thread.
//!
//! The contracts are the core's ([`fapi_core::store::ReplayCache`],
//! [`fapi_core::store::HandleStore`]): a live entry is never forgotten to
//! make room (a full store answers [`Error::StoreFull`]); an entry is live
//! while `now < expires_at`; `record_once` and `take` are atomic, so of two
//! concurrent calls exactly one wins, and so is `replace`. Keys are the
//! SHA-256 of the handle
//! ([`HandleKey`]), so a store never holds a usable code or token.
//!
//! The traits use `async-trait` (boxed futures) so that `dyn ReplayStore`
//! and `dyn HandleStore<V>` can be shared by an [`crate::Issuer`] and its
//! handlers; a network call costs far more than the one allocation.
//!
//! [`MemoryReplayCache`]: crate::memory::MemoryReplayCache
//! [`MemoryStore`]: crate::memory::MemoryStore

use async_trait::async_trait;
pub use fapi_core::store::{HandleKey, handle_key};

use fapi_core::Error;

/// Remembers one-time identifiers until they expire.
///
/// ```
/// use fapi::store::ReplayStore;
/// use fapi::memory::MemoryReplayCache;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let cache = MemoryReplayCache::new();
/// assert_eq!(cache.record_once(b"jti-1", 160, 100).await, Ok(()));
/// assert_eq!(cache.record_once(b"jti-1", 160, 101).await, Err(fapi_core::Error::Replay));
/// # }
/// ```
#[async_trait]
pub trait ReplayStore: Send + Sync {
    /// Records `id` as used until `expires_at` (seconds since the epoch).
    ///
    /// [`Error::Replay`] when `id` is recorded and live; [`Error::Expired`]
    /// when `expires_at` is not after `now`; [`Error::StoreFull`] when there
    /// is no room; [`Error::StoreFailed`] when the backend fails. Of two
    /// concurrent calls with the same `id`, exactly one succeeds.
    async fn record_once(&self, id: &[u8], expires_at: u64, now: u64) -> Result<(), Error>;
}

/// Holds values under handle keys until they expire.
///
/// ```
/// use fapi::store::{HandleStore, handle_key};
/// use fapi::memory::MemoryStore;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let codes = MemoryStore::<String>::new();
/// let key = handle_key(b"the code");
/// codes.insert(key, "grant".into(), 160, 100).await.unwrap();
/// assert_eq!(codes.take(&key, 101).await.as_deref(), Ok("grant"));
/// assert_eq!(codes.take(&key, 101).await, Err(fapi_core::Error::TokenInactive));
/// # }
/// ```
#[async_trait]
pub trait HandleStore<V: Clone + Send + Sync + 'static>: Send + Sync {
    /// Stores `value` under `key` until `expires_at`. [`Error::Replay`] when
    /// `key` is live; [`Error::StoreFull`] when there is no room;
    /// [`Error::Expired`] when `expires_at` is not after `now`.
    async fn insert(
        &self,
        key: HandleKey,
        value: V,
        expires_at: u64,
        now: u64,
    ) -> Result<(), Error>;

    /// Removes and returns the value under `key`, atomically: of two
    /// concurrent takes exactly one gets it. [`Error::TokenInactive`] when
    /// absent or expired.
    async fn take(&self, key: &HandleKey, now: u64) -> Result<V, Error>;

    /// A copy of the value under `key`, left in place.
    /// [`Error::TokenInactive`] when absent or expired.
    async fn get(&self, key: &HandleKey, now: u64) -> Result<V, Error>;

    /// Removes the value under `key` (revocation); an absent key is fine.
    async fn remove(&self, key: &HandleKey) -> Result<(), Error>;

    /// Puts `value` in the place of the live value under `key`, live until
    /// `expires_at`, and returns the value it replaced, atomically: of two
    /// concurrent replaces one gets what was there, the other the first
    /// one's `value`. [`Error::TokenInactive`] when absent or expired;
    /// [`Error::Expired`] when `expires_at` is not after `now`. A redeemed
    /// code leaves its tombstone this way ([`fapi_core::code::redeem`]).
    async fn replace(
        &self,
        key: &HandleKey,
        value: V,
        expires_at: u64,
        now: u64,
    ) -> Result<V, Error>;
}
