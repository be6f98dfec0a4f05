//! In-memory stores that scale: a fixed number of shards, each a
//! `std::sync::Mutex` around a hash map with an expiry queue.
//!
//! - A key (the SHA-256 of a handle or `jti`) picks its shard by its first
//!   bytes; a shard's map hashes with the standard library's keyed SipHash,
//!   so no client can steer keys into one bucket.
//! - `record_once`, `insert`, `take` and `get` are one hash map operation
//!   under one shard lock: O(1) whatever the number of live entries. The
//!   expiry queue is a `BTreeMap` from the expiry second to the keys that
//!   expire then: adding to it costs O(log s), `s` the number of distinct
//!   expiry seconds in the shard (a few hundred for a replay window).
//! - Expired entries are reclaimed a few at a time ([`RECLAIM_PER_CALL`])
//!   by each call that adds one, oldest first: more are reclaimed per call
//!   than added, so the queue never falls behind, and no call ever sweeps
//!   the store. An expired entry not yet reclaimed is never returned.
//! - The lock is held for the map operation only, never across an `await`.
//!
//! Both types also implement the core's synchronous traits
//! ([`fapi_core::store::ReplayCache`], [`fapi_core::store::HandleStore`]),
//! so the core's functions can use them directly.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use fapi_core::Error;
use fapi_core::store::{HandleKey, handle_key};

use crate::store::{HandleStore, ReplayStore};

/// The number of shards: enough that two or more cores rarely meet on one
/// lock, few enough that an empty store is small.
pub const SHARDS: usize = 64;
/// Expired entries reclaimed, at most, by each call that adds an entry.
pub const RECLAIM_PER_CALL: usize = 8;
/// The default limit on live entries in one store (about 16.7 million: a
/// server at 6,000 requests/s with a 70 s window holds about 420,000).
pub const DEFAULT_MAX_ENTRIES: usize = 1 << 24;

struct Entry<V> {
    value: V,
    expires_at: u64,
}

struct Shard<V> {
    map: HashMap<HandleKey, Entry<V>>,
    /// Expiry second → keys inserted with that expiry. A key may be listed
    /// after it was taken or re-recorded: reclaiming checks the map.
    expiry: BTreeMap<u64, Vec<HandleKey>>,
}

impl<V> Shard<V> {
    fn new() -> Self {
        Self {
            map: HashMap::new(),
            expiry: BTreeMap::new(),
        }
    }

    /// Reclaims up to `budget` expired entries, oldest first; returns how
    /// many queue entries it looked at.
    fn reclaim(&mut self, now: u64, budget: usize) -> usize {
        let mut seen = 0;
        while seen < budget {
            let Some(mut first) = self.expiry.first_entry() else {
                break;
            };
            if *first.key() > now {
                break;
            }
            let keys = first.get_mut();
            while seen < budget {
                let Some(key) = keys.pop() else { break };
                seen += 1;
                if self.map.get(&key).is_some_and(|e| e.expires_at <= now) {
                    let _ = self.map.remove(&key);
                }
            }
            if keys.is_empty() {
                let _ = first.remove();
            }
        }
        seen
    }

    fn insert(
        &mut self,
        key: HandleKey,
        value: V,
        expires_at: u64,
        now: u64,
        max: usize,
    ) -> Result<(), Error> {
        if expires_at <= now {
            return Err(Error::Expired);
        }
        let _ = self.reclaim(now, RECLAIM_PER_CALL);
        if let Some(e) = self.map.get_mut(&key) {
            if now < e.expires_at {
                return Err(Error::Replay);
            }
            // An expired entry under the same key: replaced in place.
            *e = Entry { value, expires_at };
        } else {
            if self.map.len() >= max {
                // Full: reclaim every expired entry of this shard before
                // refusing (only here is the work not bounded per call).
                let _ = self.reclaim(now, usize::MAX);
                if self.map.len() >= max {
                    return Err(Error::StoreFull);
                }
            }
            let _ = self.map.insert(key, Entry { value, expires_at });
        }
        self.expiry.entry(expires_at).or_default().push(key);
        Ok(())
    }

    fn take(&mut self, key: &HandleKey, now: u64) -> Result<V, Error> {
        match self.map.remove(key) {
            Some(e) if now < e.expires_at => Ok(e.value),
            _ => Err(Error::TokenInactive),
        }
    }

    fn get(&self, key: &HandleKey, now: u64) -> Result<V, Error>
    where
        V: Clone,
    {
        match self.map.get(key) {
            Some(e) if now < e.expires_at => Ok(e.value.clone()),
            _ => Err(Error::TokenInactive),
        }
    }

    fn replace(
        &mut self,
        key: &HandleKey,
        value: V,
        expires_at: u64,
        now: u64,
    ) -> Result<V, Error> {
        if expires_at <= now {
            return Err(Error::Expired);
        }
        let e = match self.map.get_mut(key) {
            Some(e) if now < e.expires_at => e,
            _ => return Err(Error::TokenInactive),
        };
        let old = core::mem::replace(e, Entry { value, expires_at });
        if expires_at != old.expires_at {
            self.expiry.entry(expires_at).or_default().push(*key);
        }
        Ok(old.value)
    }
}

/// A sharded in-memory handle store for values of type `V` (authorization
/// codes, PAR requests, refresh token records).
///
/// ```
/// use fapi::memory::MemoryStore;
/// use fapi::store::handle_key;
///
/// let s = MemoryStore::<u32>::new();
/// let k = handle_key(b"code");
/// s.insert_now(k, 7, 160, 100).unwrap();
/// assert_eq!(s.take_now(&k, 101), Ok(7));
/// assert_eq!(s.take_now(&k, 101), Err(fapi_core::Error::TokenInactive));
/// ```
pub struct MemoryStore<V> {
    shards: Box<[Mutex<Shard<V>>]>,
    max_per_shard: usize,
}

impl<V> MemoryStore<V> {
    /// An empty store holding at most [`DEFAULT_MAX_ENTRIES`] live entries.
    #[must_use]
    pub fn new() -> Self {
        Self::with_max_entries(DEFAULT_MAX_ENTRIES)
    }

    /// An empty store holding at most about `max` live entries (the limit
    /// applies per shard: `max / SHARDS`, at least 1).
    #[must_use]
    pub fn with_max_entries(max: usize) -> Self {
        let shards = (0..SHARDS).map(|_| Mutex::new(Shard::new())).collect();
        Self {
            shards,
            max_per_shard: (max / SHARDS).max(1),
        }
    }

    fn shard(&self, key: &HandleKey) -> MutexGuard<'_, Shard<V>> {
        // The key is a SHA-256 digest: its first byte is uniform.
        let i = usize::from(key[0]) % SHARDS;
        // A panic never happens under the lock (the map operations do not
        // panic but on allocation failure, which aborts), so a poisoned
        // shard is still consistent.
        self.shards[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The number of entries held, live or expired and not yet reclaimed.
    #[must_use]
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).map.len())
            .sum()
    }

    /// Whether the store holds nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// [`HandleStore::insert`], synchronously.
    pub fn insert_now(
        &self,
        key: HandleKey,
        value: V,
        expires_at: u64,
        now: u64,
    ) -> Result<(), Error> {
        let max = self.max_per_shard;
        self.shard(&key).insert(key, value, expires_at, now, max)
    }

    /// [`HandleStore::take`], synchronously.
    pub fn take_now(&self, key: &HandleKey, now: u64) -> Result<V, Error> {
        self.shard(key).take(key, now)
    }

    /// [`HandleStore::get`], synchronously.
    pub fn get_now(&self, key: &HandleKey, now: u64) -> Result<V, Error>
    where
        V: Clone,
    {
        self.shard(key).get(key, now)
    }

    /// [`HandleStore::remove`], synchronously.
    pub fn remove_now(&self, key: &HandleKey) {
        let _ = self.shard(key).map.remove(key);
    }

    /// [`HandleStore::replace`], synchronously.
    pub fn replace_now(
        &self,
        key: &HandleKey,
        value: V,
        expires_at: u64,
        now: u64,
    ) -> Result<V, Error> {
        self.shard(key).replace(key, value, expires_at, now)
    }

    /// Reclaims up to `budget` expired entries in each shard, returning how
    /// many expiry records were looked at. Not needed for correctness (the
    /// store reclaims as it goes); for an idle store that should shrink.
    pub fn reclaim_expired(&self, now: u64, budget: usize) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .reclaim(now, budget)
            })
            .sum()
    }
}

impl<V> Default for MemoryStore<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> core::fmt::Debug for MemoryStore<V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("shards", &SHARDS)
            .field("max_per_shard", &self.max_per_shard)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl<V: Clone + Send + Sync + 'static> HandleStore<V> for MemoryStore<V> {
    async fn insert(
        &self,
        key: HandleKey,
        value: V,
        expires_at: u64,
        now: u64,
    ) -> Result<(), Error> {
        self.insert_now(key, value, expires_at, now)
    }
    async fn take(&self, key: &HandleKey, now: u64) -> Result<V, Error> {
        self.take_now(key, now)
    }
    async fn get(&self, key: &HandleKey, now: u64) -> Result<V, Error> {
        self.get_now(key, now)
    }
    async fn remove(&self, key: &HandleKey) -> Result<(), Error> {
        self.remove_now(key);
        Ok(())
    }
    async fn replace(
        &self,
        key: &HandleKey,
        value: V,
        expires_at: u64,
        now: u64,
    ) -> Result<V, Error> {
        self.replace_now(key, value, expires_at, now)
    }
}

impl<V> fapi_core::store::HandleStore<V> for MemoryStore<V> {
    fn insert(&self, key: HandleKey, value: V, expires_at: u64, now: u64) -> Result<(), Error> {
        self.insert_now(key, value, expires_at, now)
    }
    fn take(&self, key: &HandleKey, now: u64) -> Result<V, Error> {
        self.take_now(key, now)
    }
    fn get(&self, key: &HandleKey, now: u64) -> Result<V, Error>
    where
        V: Clone,
    {
        self.get_now(key, now)
    }
    fn remove(&self, key: &HandleKey) -> Result<(), Error> {
        self.remove_now(key);
        Ok(())
    }
    fn replace(&self, key: &HandleKey, value: V, expires_at: u64, now: u64) -> Result<V, Error> {
        self.replace_now(key, value, expires_at, now)
    }
}

/// A sharded in-memory replay cache: identifiers are kept as their SHA-256
/// until they expire.
///
/// ```
/// use fapi::memory::MemoryReplayCache;
///
/// let c = MemoryReplayCache::new();
/// assert_eq!(c.record_once_now(b"jti", 160, 100), Ok(()));
/// assert_eq!(c.record_once_now(b"jti", 160, 159), Err(fapi_core::Error::Replay));
/// // at 160 the entry has expired: the identifier may be recorded again
/// assert_eq!(c.record_once_now(b"jti", 220, 160), Ok(()));
/// ```
#[derive(Debug, Default)]
pub struct MemoryReplayCache {
    inner: MemoryStore<()>,
}

impl MemoryReplayCache {
    /// An empty cache holding at most [`DEFAULT_MAX_ENTRIES`] live entries.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty cache holding at most about `max` live entries.
    #[must_use]
    pub fn with_max_entries(max: usize) -> Self {
        Self {
            inner: MemoryStore::with_max_entries(max),
        }
    }

    /// [`ReplayStore::record_once`], synchronously.
    pub fn record_once_now(&self, id: &[u8], expires_at: u64, now: u64) -> Result<(), Error> {
        self.inner.insert_now(handle_key(id), (), expires_at, now)
    }

    /// The number of identifiers held, live or not yet reclaimed.
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether the cache holds nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// See [`MemoryStore::reclaim_expired`].
    pub fn reclaim_expired(&self, now: u64, budget: usize) -> usize {
        self.inner.reclaim_expired(now, budget)
    }
}

#[async_trait]
impl ReplayStore for MemoryReplayCache {
    async fn record_once(&self, id: &[u8], expires_at: u64, now: u64) -> Result<(), Error> {
        self.record_once_now(id, expires_at, now)
    }
}

impl fapi_core::store::ReplayCache for MemoryReplayCache {
    fn record_once(&self, id: &[u8], expires_at: u64, now: u64) -> Result<(), Error> {
        self.record_once_now(id, expires_at, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    #[test]
    fn replay_expiry_and_full_refusal() {
        let c = MemoryReplayCache::with_max_entries(SHARDS);
        assert_eq!(c.record_once_now(b"a", 110, 100), Ok(()));
        assert_eq!(c.record_once_now(b"a", 110, 105), Err(Error::Replay));
        assert_eq!(c.record_once_now(b"a", 200, 109), Err(Error::Replay));
        assert_eq!(c.record_once_now(b"d", 100, 100), Err(Error::Expired));
        // at 110 "a" is expired and may be recorded again
        assert_eq!(c.record_once_now(b"a", 200, 110), Ok(()));
        assert_eq!(c.record_once_now(b"a", 200, 150), Err(Error::Replay));
        // one live entry per shard: a second key in the same shard is refused
        let key_a = handle_key(b"a");
        let other = (0u32..)
            .map(|i| i.to_be_bytes())
            .find(|b| handle_key(b)[0] % 64 == key_a[0] % 64 && handle_key(b) != key_a)
            .unwrap();
        assert_eq!(c.record_once_now(&other, 300, 150), Err(Error::StoreFull));
        // once "a" expired, the full shard reclaims it for the new entry
        assert_eq!(c.record_once_now(&other, 300, 200), Ok(()));
    }

    #[test]
    fn handle_store_take_get_remove() {
        let s = MemoryStore::<u32>::new();
        let (k1, k2) = (handle_key(b"1"), handle_key(b"2"));
        assert_eq!(s.insert_now(k1, 1, 110, 100), Ok(()));
        assert_eq!(s.insert_now(k1, 9, 120, 100), Err(Error::Replay));
        assert_eq!(s.insert_now(k2, 2, 200, 100), Ok(()));
        assert_eq!(s.get_now(&k1, 105), Ok(1));
        assert_eq!(s.get_now(&k1, 110), Err(Error::TokenInactive));
        assert_eq!(s.take_now(&k1, 110), Err(Error::TokenInactive));
        assert_eq!(s.take_now(&k2, 150), Ok(2));
        assert_eq!(s.take_now(&k2, 150), Err(Error::TokenInactive));
        assert_eq!(s.insert_now(k2, 3, 300, 150), Ok(()));
        s.remove_now(&k2);
        assert_eq!(s.get_now(&k2, 151), Err(Error::TokenInactive));
        assert!(s.is_empty());
        assert_eq!(s.insert_now(k1, 1, 5, 5), Err(Error::Expired));
    }

    /// RFC 6749 §4.1.2: a replace swaps a live entry for another, which
    /// then lives until its own expiry (and is reclaimed after it); an
    /// absent or expired entry is left alone.
    #[test]
    fn replace_swaps_a_live_entry_only() {
        let s = MemoryStore::<u32>::new();
        let k = handle_key(b"code");
        assert_eq!(s.replace_now(&k, 9, 200, 100), Err(Error::TokenInactive));
        s.insert_now(k, 1, 110, 100).unwrap();
        assert_eq!(s.replace_now(&k, 2, 100, 100), Err(Error::Expired));
        assert_eq!(s.replace_now(&k, 2, 300, 105), Ok(1));
        assert_eq!(s.get_now(&k, 250), Ok(2));
        assert_eq!(s.reclaim_expired(250, usize::MAX), 1);
        assert_eq!(s.get_now(&k, 299), Ok(2));
        assert_eq!(s.replace_now(&k, 3, 400, 300), Err(Error::TokenInactive));
        assert_eq!(s.reclaim_expired(300, usize::MAX), 1);
        assert!(s.is_empty());
    }

    /// F2-CODE-ONCE: two threads race to replace the same live entry with
    /// their own value; exactly one gets the original.
    #[test]
    fn f2_code_once_replace_race_exactly_one_gets_the_original() {
        let store = Arc::new(MemoryStore::<u32>::new());
        let barrier = Arc::new(Barrier::new(2));
        let run = |me: u32, insert: bool| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let mut wins = Vec::new();
                for i in 0..RACES {
                    let key = handle_key(&i.to_be_bytes());
                    if insert {
                        store.insert_now(key, 0, 10, 0).unwrap();
                    }
                    let _ = barrier.wait();
                    let r = store.replace_now(&key, me, 20, 1).unwrap();
                    wins.push(r == 0);
                    let _ = barrier.wait();
                }
                wins
            })
        };
        let (a, b) = (run(1, true), run(2, false));
        let (a, b) = (a.join().unwrap(), b.join().unwrap());
        for i in 0..a.len() {
            assert!(
                a[i] ^ b[i],
                "race {i}: exactly one replace gets the original"
            );
        }
    }

    /// Reclamation is amortised: a call that adds an entry looks at no more
    /// than RECLAIM_PER_CALL expiry records, however many have expired, and
    /// the expired entries are all gone after enough calls.
    #[test]
    fn reclamation_is_bounded_per_call_and_complete() {
        let c = MemoryReplayCache::new();
        for i in 0u32..50_000 {
            c.record_once_now(&i.to_be_bytes(), 10, 0).unwrap();
        }
        assert_eq!(c.len(), 50_000);
        // all expired at 10: one call per shard reclaims at most 8 records
        let mut shard = c.inner.shard(&handle_key(&0u32.to_be_bytes()));
        let before = shard.map.len();
        assert_eq!(shard.reclaim(10, RECLAIM_PER_CALL), RECLAIM_PER_CALL);
        assert_eq!(shard.map.len(), before - RECLAIM_PER_CALL);
        drop(shard);
        // new entries, each reclaiming a few: the old ones drain away
        for i in 50_000u32..60_000 {
            c.record_once_now(&i.to_be_bytes(), 100, 10).unwrap();
        }
        assert_eq!(c.len(), 10_000);
        assert_eq!(c.reclaim_expired(10, usize::MAX), 0);
    }

    const RACES: u32 = 5_000;

    /// Two threads race to record the same ids; exactly one wins each.
    #[test]
    fn record_once_race_exactly_one_winner() {
        let cache = Arc::new(MemoryReplayCache::new());
        let barrier = Arc::new(Barrier::new(2));
        let run = || {
            let (cache, barrier) = (Arc::clone(&cache), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let mut wins = Vec::new();
                for i in 0..RACES {
                    let _ = barrier.wait();
                    let r = cache.record_once_now(&i.to_be_bytes(), 100, 1);
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

    /// F2-CODE-ONCE, CDR-CODE-ONCE: two threads race to take the same code
    /// from the sharded store; exactly one gets it.
    #[test]
    fn f2_code_once_take_race_exactly_one_winner() {
        let store = Arc::new(MemoryStore::<u32>::new());
        let barrier = Arc::new(Barrier::new(2));
        let run = |insert: bool| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let mut wins = Vec::new();
                for i in 0..RACES {
                    let key = handle_key(&i.to_be_bytes());
                    if insert {
                        store.insert_now(key, i, 10, 0).unwrap();
                    }
                    let _ = barrier.wait();
                    let r = store.take_now(&key, 1);
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
}
