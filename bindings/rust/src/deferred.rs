//! The seam between the core's synchronous store traits and this crate's
//! async stores.
//!
//! The core's functions take a synchronous store and do every check
//! themselves. To keep them doing the work, this crate hands them a store
//! that only *remembers* what the core asked for ([`DeferredReplay`],
//! [`DeferredInsert`]) or that *already holds* what the async store
//! returned ([`Preloaded`]); the crate then awaits the real store. The core
//! records a `jti` or stores a handle as its last step, so nothing the core
//! checks is skipped, and a step the core did not ask for is an error
//! ([`Error::StoreFailed`]), never a silent success.

use std::sync::{Mutex, PoisonError};

use fapi_core::Error;
use fapi_core::store::{HandleKey, ReplayCache};

use crate::store::{HandleStore, ReplayStore};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A replay cache that remembers the one identifier the core records.
#[derive(Default)]
pub(crate) struct DeferredReplay {
    asked: Mutex<Option<(Vec<u8>, u64, u64)>>,
}

impl ReplayCache for DeferredReplay {
    fn record_once(&self, id: &[u8], expires_at: u64, now: u64) -> Result<(), Error> {
        let mut asked = lock(&self.asked);
        if asked.is_some() {
            // The core records one identifier per call.
            return Err(Error::StoreFailed);
        }
        *asked = Some((id.to_vec(), expires_at, now));
        Ok(())
    }
}

impl DeferredReplay {
    /// Records what the core asked for in `store`, under `domain` (so that
    /// DPoP and client assertion identifiers never meet in a shared store).
    pub(crate) async fn commit(self, store: &dyn ReplayStore, domain: &[u8]) -> Result<(), Error> {
        let asked = self
            .asked
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let (id, expires_at, now) = asked.ok_or(Error::StoreFailed)?;
        let mut key = Vec::with_capacity(domain.len() + 1 + id.len());
        key.extend_from_slice(domain);
        key.push(0);
        key.extend_from_slice(&id);
        store.record_once(&key, expires_at, now).await
    }
}

/// A handle store that remembers the one entry the core inserts.
pub(crate) struct DeferredInsert<V> {
    asked: Mutex<Option<(HandleKey, V, u64, u64)>>,
}

impl<V> Default for DeferredInsert<V> {
    fn default() -> Self {
        Self {
            asked: Mutex::new(None),
        }
    }
}

impl<V> fapi_core::store::HandleStore<V> for DeferredInsert<V> {
    fn insert(&self, key: HandleKey, value: V, expires_at: u64, now: u64) -> Result<(), Error> {
        let mut asked = lock(&self.asked);
        if asked.is_some() {
            return Err(Error::StoreFailed);
        }
        *asked = Some((key, value, expires_at, now));
        Ok(())
    }
    fn take(&self, _key: &HandleKey, _now: u64) -> Result<V, Error> {
        Err(Error::StoreFailed)
    }
    fn get(&self, _key: &HandleKey, _now: u64) -> Result<V, Error>
    where
        V: Clone,
    {
        Err(Error::StoreFailed)
    }
    fn remove(&self, _key: &HandleKey) -> Result<(), Error> {
        Err(Error::StoreFailed)
    }
}

impl<V: Clone + Send + Sync + 'static> DeferredInsert<V> {
    /// Inserts what the core asked for into `store`.
    pub(crate) async fn commit(self, store: &dyn HandleStore<V>) -> Result<(), Error> {
        let asked = self
            .asked
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let (key, value, expires_at, now) = asked.ok_or(Error::StoreFailed)?;
        store.insert(key, value, expires_at, now).await
    }
}

/// A handle store holding the one entry the async store returned for
/// `key` (or the error it returned), for the core to read or take.
pub(crate) struct Preloaded<V> {
    key: HandleKey,
    value: Mutex<Result<V, Error>>,
}

impl<V> Preloaded<V> {
    pub(crate) fn new(key: HandleKey, value: Result<V, Error>) -> Self {
        Self {
            key,
            value: Mutex::new(value),
        }
    }
}

impl<V> fapi_core::store::HandleStore<V> for Preloaded<V> {
    fn insert(&self, _: HandleKey, _: V, _: u64, _: u64) -> Result<(), Error> {
        Err(Error::StoreFailed)
    }
    fn take(&self, key: &HandleKey, _now: u64) -> Result<V, Error> {
        if *key != self.key {
            return Err(Error::StoreFailed);
        }
        // Taken once: a second take finds nothing, as in a real store.
        core::mem::replace(&mut *lock(&self.value), Err(Error::TokenInactive))
    }
    fn get(&self, key: &HandleKey, _now: u64) -> Result<V, Error>
    where
        V: Clone,
    {
        if *key != self.key {
            return Err(Error::StoreFailed);
        }
        lock(&self.value).clone()
    }
    fn remove(&self, _key: &HandleKey) -> Result<(), Error> {
        Err(Error::StoreFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryReplayCache;

    #[tokio::test]
    async fn a_step_the_core_did_not_ask_for_is_an_error() {
        let store = MemoryReplayCache::new();
        assert_eq!(
            DeferredReplay::default().commit(&store, b"dpop").await,
            Err(Error::StoreFailed)
        );
        let d = DeferredReplay::default();
        d.record_once(b"a", 10, 1).unwrap();
        assert_eq!(d.record_once(b"b", 10, 1), Err(Error::StoreFailed));
        d.commit(&store, b"dpop").await.unwrap();
        let again = DeferredReplay::default();
        again.record_once(b"a", 10, 2).unwrap();
        assert_eq!(again.commit(&store, b"dpop").await, Err(Error::Replay));
        // another domain: another identifier
        let other = DeferredReplay::default();
        other.record_once(b"a", 10, 2).unwrap();
        assert_eq!(other.commit(&store, b"client").await, Ok(()));
    }
}
