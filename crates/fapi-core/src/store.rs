//! State behind traits: replay caches for one-time identifiers and stores
//! for one-time handles (codes, PAR request URIs) and refresh tokens.
//!
//! The core never forgets a live entry to make room: a full store refuses
//! the new entry with [`Error::StoreFull`]. Servers plug in their database
//! or cache; firmware and tests use the fixed-capacity stores.

use crate::error::Error;

/// The key under which a handle is stored: SHA-256 of the handle, so that a
/// store never holds a usable code or token.
pub type HandleKey = [u8; 32];

/// Remembers one-time identifiers (DPoP and client assertion `jti`s) until
/// they expire.
pub trait ReplayCache {
    /// Records `id` as used until `expires_at` (seconds since the epoch).
    ///
    /// [`Error::Replay`] when `id` is recorded and not yet expired;
    /// [`Error::StoreFull`] when there is no room for a new live entry.
    /// Checking and recording are one atomic step: of two concurrent calls
    /// with the same `id`, exactly one succeeds.
    fn record_once(&self, id: &[u8], expires_at: u64, now: u64) -> Result<(), Error>;
}

/// Holds handles until they expire: authorization codes and PAR request
/// URIs (taken once), refresh tokens (read many times, revoked).
pub trait HandleStore<V> {
    /// Stores `value` under `key` until `expires_at`. [`Error::Replay`] when
    /// `key` is already live; [`Error::StoreFull`] when there is no room.
    fn insert(&self, key: HandleKey, value: V, expires_at: u64, now: u64) -> Result<(), Error>;

    /// Removes and returns the value under `key`, atomically: of two
    /// concurrent takes, exactly one gets the value. [`Error::TokenInactive`]
    /// when the key is absent or expired.
    fn take(&self, key: &HandleKey, now: u64) -> Result<V, Error>;

    /// Returns a copy of the value under `key` without removing it.
    /// [`Error::TokenInactive`] when absent or expired.
    fn get(&self, key: &HandleKey, now: u64) -> Result<V, Error>
    where
        V: Clone;

    /// Removes the value under `key` (revocation). Removing an absent key is
    /// not an error.
    fn remove(&self, key: &HandleKey) -> Result<(), Error>;
}
