//! State behind traits: replay caches for one-time identifiers and stores
//! for one-time handles (codes, PAR request URIs) and refresh tokens.
//!
//! The core never forgets a live entry to make room: a full store refuses
//! the new entry with [`Error::StoreFull`]. Servers plug in their database
//! or cache; firmware and tests use the fixed-capacity stores here,
//! [`FixedReplayCache`] and [`FixedHandleStore`], which live on `heapless`
//! vectors behind a spin lock, so that several threads (or an interrupt-free
//! firmware loop) share one store through `&self` and one can be a `static`.
//!
//! An entry is live while `now < expires_at`; at `expires_at` it is expired.
//!
//! The lock spins: on firmware, do not touch a store from an interrupt
//! handler that can preempt a holder of its lock.

use sha2::{Digest, Sha256};
use spin::Mutex;
use subtle::ConstantTimeEq;

use crate::error::Error;

/// The key under which a handle is stored: SHA-256 of the handle, so that a
/// store never holds a usable code or token.
pub type HandleKey = [u8; 32];

/// The [`HandleKey`] of a handle: SHA-256 of its bytes as sent on the wire.
#[must_use]
pub fn handle_key(handle: &[u8]) -> HandleKey {
    Sha256::digest(handle).into()
}

/// Random bytes in a handle: 256 bits, twice the 128 bits FAPI 2.0 asks of
/// codes and tokens.
pub const HANDLE_ENTROPY: usize = 32;
/// A handle is the base64url form of [`HANDLE_ENTROPY`] bytes: 43 characters.
pub const HANDLE_LEN: usize = 43;

/// A fresh one-time handle (authorization code, refresh token, the random
/// part of a PAR `request_uri`): 32 bytes from the caller's random source,
/// base64url. Zeroized on drop; its `Debug` prints nothing of it.
#[derive(zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct Handle([u8; HANDLE_LEN]);

impl Handle {
    /// Draws a new handle from `rng` ([`Error::RandomFailed`] when it fails).
    pub fn generate<R: crate::crypto::Random + ?Sized>(rng: &R) -> Result<Self, Error> {
        let mut raw = zeroize::Zeroizing::new([0u8; HANDLE_ENTROPY]);
        rng.fill(raw.as_mut())?;
        let mut out = [0u8; HANDLE_LEN];
        let _ = crate::b64::encode(raw.as_ref(), &mut out)?;
        Ok(Self(out))
    }

    /// The handle as sent to the client.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only base64url characters are ever stored.
        core::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The key it is stored under.
    #[must_use]
    pub fn key(&self) -> HandleKey {
        handle_key(&self.0)
    }
}

impl core::fmt::Debug for Handle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

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
    /// `key` is already live; [`Error::StoreFull`] when there is no room;
    /// [`Error::Expired`] when `expires_at` is not after `now`.
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

    /// Puts `value` in the place of the live value under `key`, live until
    /// `expires_at`, and returns the value it replaced, atomically: of two
    /// concurrent replaces, one gets the value that was there and the other
    /// the first one's `value`. [`Error::TokenInactive`] when `key` is
    /// absent or expired (nothing is stored then); [`Error::Expired`] when
    /// `expires_at` is not after `now`.
    ///
    /// A redeemed authorization code leaves its tombstone this way
    /// ([`crate::code::redeem`]), so that a second presentation finds out
    /// which grant the first one made (RFC 6749 §4.1.2).
    fn replace(&self, key: &HandleKey, value: V, expires_at: u64, now: u64) -> Result<V, Error>;
}

impl<V, S: HandleStore<V> + ?Sized> HandleStore<V> for &S {
    fn insert(&self, key: HandleKey, value: V, expires_at: u64, now: u64) -> Result<(), Error> {
        (**self).insert(key, value, expires_at, now)
    }
    fn take(&self, key: &HandleKey, now: u64) -> Result<V, Error> {
        (**self).take(key, now)
    }
    fn get(&self, key: &HandleKey, now: u64) -> Result<V, Error>
    where
        V: Clone,
    {
        (**self).get(key, now)
    }
    fn remove(&self, key: &HandleKey) -> Result<(), Error> {
        (**self).remove(key)
    }
    fn replace(&self, key: &HandleKey, value: V, expires_at: u64, now: u64) -> Result<V, Error> {
        (**self).replace(key, value, expires_at, now)
    }
}

impl<R: ReplayCache + ?Sized> ReplayCache for &R {
    fn record_once(&self, id: &[u8], expires_at: u64, now: u64) -> Result<(), Error> {
        (**self).record_once(id, expires_at, now)
    }
}

fn same_key(a: &HandleKey, b: &HandleKey) -> bool {
    bool::from(a.ct_eq(b))
}

/// A replay cache for at most `N` live identifiers. Identifiers are kept as
/// their SHA-256 digests, so every entry has the same size whatever the
/// length of the `jti`.
pub struct FixedReplayCache<const N: usize> {
    entries: Mutex<heapless::Vec<(HandleKey, u64), N>>,
}

impl<const N: usize> FixedReplayCache<N> {
    /// An empty cache (usable in a `static`).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            entries: Mutex::new(heapless::Vec::new()),
        }
    }

    /// The number of entries held, live or not yet evicted.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// Whether the cache holds nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<const N: usize> Default for FixedReplayCache<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> core::fmt::Debug for FixedReplayCache<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FixedReplayCache")
            .field("capacity", &N)
            .finish_non_exhaustive()
    }
}

impl<const N: usize> ReplayCache for FixedReplayCache<N> {
    fn record_once(&self, id: &[u8], expires_at: u64, now: u64) -> Result<(), Error> {
        if expires_at <= now {
            return Err(Error::Expired);
        }
        let key = handle_key(id);
        let mut entries = self.entries.lock();
        // Only expired entries are evicted; a live jti is never forgotten.
        entries.retain(|(_, exp)| now < *exp);
        if entries.iter().any(|(k, _)| same_key(k, &key)) {
            return Err(Error::Replay);
        }
        entries
            .push((key, expires_at))
            .map_err(|_| Error::StoreFull)
    }
}

struct Slot<V> {
    key: HandleKey,
    value: V,
    expires_at: u64,
}

/// A handle store for at most `N` live handles of type `V`.
pub struct FixedHandleStore<V, const N: usize> {
    slots: Mutex<heapless::Vec<Slot<V>, N>>,
}

impl<V, const N: usize> FixedHandleStore<V, N> {
    /// An empty store (usable in a `static`).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            slots: Mutex::new(heapless::Vec::new()),
        }
    }

    /// The number of entries held, live or not yet evicted.
    #[must_use]
    pub fn len(&self) -> usize {
        self.slots.lock().len()
    }

    /// Whether the store holds nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<V, const N: usize> Default for FixedHandleStore<V, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V, const N: usize> core::fmt::Debug for FixedHandleStore<V, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FixedHandleStore")
            .field("capacity", &N)
            .finish_non_exhaustive()
    }
}

impl<V, const N: usize> HandleStore<V> for FixedHandleStore<V, N> {
    fn insert(&self, key: HandleKey, value: V, expires_at: u64, now: u64) -> Result<(), Error> {
        if expires_at <= now {
            return Err(Error::Expired);
        }
        let mut slots = self.slots.lock();
        // Only expired entries are evicted; a live code is never forgotten.
        slots.retain(|s| now < s.expires_at);
        if slots.iter().any(|s| same_key(&s.key, &key)) {
            return Err(Error::Replay);
        }
        slots
            .push(Slot {
                key,
                value,
                expires_at,
            })
            .map_err(|_| Error::StoreFull)
    }

    fn take(&self, key: &HandleKey, now: u64) -> Result<V, Error> {
        let mut slots = self.slots.lock();
        let i = slots
            .iter()
            .position(|s| same_key(&s.key, key))
            .ok_or(Error::TokenInactive)?;
        // `i` was just found under the same lock, so it is in bounds.
        let slot = slots.swap_remove(i);
        if now < slot.expires_at {
            Ok(slot.value)
        } else {
            Err(Error::TokenInactive)
        }
    }

    fn get(&self, key: &HandleKey, now: u64) -> Result<V, Error>
    where
        V: Clone,
    {
        let slots = self.slots.lock();
        slots
            .iter()
            .find(|s| same_key(&s.key, key) && now < s.expires_at)
            .map(|s| s.value.clone())
            .ok_or(Error::TokenInactive)
    }

    fn remove(&self, key: &HandleKey) -> Result<(), Error> {
        self.slots.lock().retain(|s| !same_key(&s.key, key));
        Ok(())
    }

    fn replace(&self, key: &HandleKey, value: V, expires_at: u64, now: u64) -> Result<V, Error> {
        if expires_at <= now {
            return Err(Error::Expired);
        }
        let mut slots = self.slots.lock();
        let slot = slots
            .iter_mut()
            .find(|s| same_key(&s.key, key) && now < s.expires_at)
            .ok_or(Error::TokenInactive)?;
        slot.expires_at = expires_at;
        Ok(core::mem::replace(&mut slot.value, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};
    use std::vec::Vec;

    // SHA-256("abc"), FIPS 180-2 appendix B.1.
    #[test]
    fn handle_key_is_sha256() {
        let k = handle_key(b"abc");
        assert_eq!(
            k[..8],
            [0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea],
            "SHA-256(abc) starts ba7816bf8f01cfea"
        );
    }

    #[test]
    fn replay_cache_capacity_expiry_and_full_refusal() {
        let c = FixedReplayCache::<2>::new();
        assert_eq!(c.record_once(b"a", 110, 100), Ok(()));
        assert_eq!(c.record_once(b"a", 110, 105), Err(Error::Replay));
        assert_eq!(c.record_once(b"b", 200, 100), Ok(()));
        // full of live entries: the new one is refused, nothing is forgotten
        assert_eq!(c.record_once(b"c", 200, 101), Err(Error::StoreFull));
        assert_eq!(c.record_once(b"a", 200, 109), Err(Error::Replay));
        assert_eq!(c.record_once(b"b", 300, 199), Err(Error::Replay));
        // at 110 "a" has expired and is evicted to make room
        assert_eq!(c.record_once(b"c", 200, 110), Ok(()));
        assert_eq!(c.len(), 2);
        assert_eq!(c.record_once(b"d", 100, 100), Err(Error::Expired));
    }

    #[test]
    fn replay_ids_are_stored_hashed_and_fixed_size() {
        let c = FixedReplayCache::<1>::new();
        let long = [b'x'; 4096];
        assert_eq!(c.record_once(&long, 10, 1), Ok(()));
        assert_eq!(c.record_once(&long, 10, 2), Err(Error::Replay));
        assert_eq!(core::mem::size_of::<(HandleKey, u64)>(), 40);
    }

    #[test]
    fn handle_store_capacity_expiry_and_full_refusal() {
        let s = FixedHandleStore::<u32, 2>::new();
        let (k1, k2, k3) = (handle_key(b"1"), handle_key(b"2"), handle_key(b"3"));
        assert_eq!(s.insert(k1, 1, 110, 100), Ok(()));
        assert_eq!(s.insert(k1, 9, 120, 100), Err(Error::Replay));
        assert_eq!(s.insert(k2, 2, 200, 100), Ok(()));
        assert_eq!(s.insert(k3, 3, 200, 101), Err(Error::StoreFull));
        assert_eq!(s.get(&k1, 105), Ok(1));
        assert_eq!(s.get(&k2, 105), Ok(2));
        // expired entries are not returned and are evicted for room
        assert_eq!(s.get(&k1, 110), Err(Error::TokenInactive));
        assert_eq!(s.insert(k3, 3, 200, 110), Ok(()));
        assert_eq!(s.take(&k3, 150), Ok(3));
        assert_eq!(s.take(&k3, 150), Err(Error::TokenInactive));
        assert_eq!(s.take(&k2, 200), Err(Error::TokenInactive));
        assert_eq!(s.remove(&k2), Ok(()));
        assert!(s.is_empty());
        assert_eq!(s.insert(k1, 1, 5, 5), Err(Error::Expired));
    }

    /// RFC 6749 §4.1.2: a replace swaps a live value for another and hands
    /// back the old one; an absent or expired key is left alone.
    #[test]
    fn replace_swaps_a_live_value_only() {
        let s = FixedHandleStore::<u8, 4>::new();
        let k = handle_key(b"code");
        assert_eq!(s.replace(&k, 9, 200, 100), Err(Error::TokenInactive));
        assert!(s.is_empty());
        s.insert(k, 1, 110, 100).unwrap();
        assert_eq!(s.replace(&k, 2, 100, 100), Err(Error::Expired));
        assert_eq!(s.replace(&k, 2, 300, 105), Ok(1));
        // the new value lives until its own expiry, past the old one's
        assert_eq!(s.get(&k, 250), Ok(2));
        assert_eq!(s.replace(&k, 3, 400, 250), Ok(2));
        assert_eq!(s.replace(&k, 4, 500, 400), Err(Error::TokenInactive));
    }

    #[test]
    fn remove_revokes() {
        let s = FixedHandleStore::<u8, 4>::new();
        let k = handle_key(b"rt");
        s.insert(k, 7, 100, 0).unwrap();
        s.remove(&k).unwrap();
        assert_eq!(s.get(&k, 1), Err(Error::TokenInactive));
        assert_eq!(s.remove(&k), Ok(()));
    }

    // Under Miri (an interpreter) a few races still check the logic for
    // undefined behaviour; the full count runs natively.
    const RACES: u32 = if cfg!(miri) { 8 } else { 2000 };

    /// F2-CODE-ONCE, CDR-CODE-ONCE: two threads race to take the same code;
    /// exactly one wins every time.
    #[test]
    fn take_race_exactly_one_winner() {
        let store = Arc::new(FixedHandleStore::<u32, 4>::new());
        let barrier = Arc::new(Barrier::new(2));
        let run = |insert: bool| {
            let store = Arc::clone(&store);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut wins = Vec::new();
                for i in 0..RACES {
                    let key = handle_key(&i.to_be_bytes());
                    if insert {
                        store.insert(key, i, 10, 0).unwrap();
                    }
                    let _ = barrier.wait();
                    let r = store.take(&key, 1);
                    assert!(r == Ok(i) || r == Err(Error::TokenInactive), "{r:?}");
                    wins.push(r.is_ok());
                    let _ = barrier.wait();
                }
                wins
            })
        };
        let (a, b) = (run(true), run(false));
        let (a, b) = (a.join().unwrap(), b.join().unwrap());
        for i in 0..a.len() {
            assert!(a[i] ^ b[i], "race {i}: exactly one take wins");
        }
        assert!(store.is_empty());
    }

    /// Two threads race to record the same jti; exactly one succeeds.
    #[test]
    fn record_once_race_exactly_one_winner() {
        let cache = Arc::new(FixedReplayCache::<4>::new());
        let barrier = Arc::new(Barrier::new(2));
        let run = || {
            let cache = Arc::clone(&cache);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut wins = Vec::new();
                for i in 0..u64::from(RACES) {
                    let _ = barrier.wait();
                    let r = cache.record_once(&i.to_be_bytes(), i + 1, i);
                    assert!(r == Ok(()) || r == Err(Error::Replay), "{r:?}");
                    wins.push(r.is_ok());
                }
                wins
            })
        };
        let (a, b) = (run(), run());
        let (a, b) = (a.join().unwrap(), b.join().unwrap());
        for i in 0..a.len() {
            assert!(a[i] ^ b[i], "race {i}: exactly one record wins");
        }
    }
}
