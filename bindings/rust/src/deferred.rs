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
        match self.commit_if_asked(store, domain).await? {
            true => Ok(()),
            false => Err(Error::StoreFailed),
        }
    }

    /// [`Self::commit`] where the core may record nothing (a request URI is
    /// spent only for a pushed request): `false` when it asked for nothing.
    pub(crate) async fn commit_if_asked(
        self,
        store: &dyn ReplayStore,
        domain: &[u8],
    ) -> Result<bool, Error> {
        let asked = self
            .asked
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let Some((id, expires_at, now)) = asked else {
            return Ok(false);
        };
        let mut key = Vec::with_capacity(domain.len() + 1 + id.len());
        key.extend_from_slice(domain);
        key.push(0);
        key.extend_from_slice(&id);
        store
            .record_once(&key, expires_at, now)
            .await
            .map(|()| true)
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
    fn replace(&self, _: &HandleKey, _: V, _: u64, _: u64) -> Result<V, Error> {
        Err(Error::StoreFailed)
    }
}

impl<V: Clone + Send + Sync + 'static> DeferredInsert<V> {
    /// Inserts what the core asked for into `store`.
    pub(crate) async fn commit(self, store: &dyn HandleStore<V>) -> Result<(), Error> {
        match self.commit_if_asked(store).await? {
            true => Ok(()),
            false => Err(Error::StoreFailed),
        }
    }

    /// [`Self::commit`] where the core may insert nothing (a revocation,
    /// only when a code is presented again): `false` when it asked for
    /// nothing.
    pub(crate) async fn commit_if_asked(self, store: &dyn HandleStore<V>) -> Result<bool, Error> {
        let asked = self
            .asked
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let Some((key, value, expires_at, now)) = asked else {
            return Ok(false);
        };
        store
            .insert(key, value, expires_at, now)
            .await
            .map(|()| true)
    }
}

/// A handle store holding the one entry the async store returned for
/// `key` (or the error it returned), for the core to read or take; or, for
/// a replace, what the async store's replace with a given value and expiry
/// returned (the core must ask for that same replace).
pub(crate) struct Preloaded<V> {
    key: HandleKey,
    value: Mutex<Result<V, Error>>,
    replaced_with: Option<(V, u64)>,
}

impl<V> Preloaded<V> {
    pub(crate) fn new(key: HandleKey, value: Result<V, Error>) -> Self {
        Self {
            key,
            value: Mutex::new(value),
            replaced_with: None,
        }
    }

    /// What the async store's `replace(key, with, expires_at)` returned.
    pub(crate) fn replaced(
        key: HandleKey,
        with: V,
        expires_at: u64,
        old: Result<V, Error>,
    ) -> Self {
        Self {
            key,
            value: Mutex::new(old),
            replaced_with: Some((with, expires_at)),
        }
    }
}

impl<V: PartialEq> fapi_core::store::HandleStore<V> for Preloaded<V> {
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
    fn replace(&self, key: &HandleKey, value: V, expires_at: u64, _now: u64) -> Result<V, Error> {
        // Only the replace the async store made, once.
        match &self.replaced_with {
            Some((with, at)) if *key == self.key && *with == value && *at == expires_at => {
                core::mem::replace(&mut *lock(&self.value), Err(Error::TokenInactive))
            }
            _ => Err(Error::StoreFailed),
        }
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
    /// A replace the async store did not make (another value, another
    /// expiry, another key) is an error, never the preloaded value.
    #[test]
    fn preloaded_replace_answers_only_the_replace_that_was_made() {
        use fapi_core::store::HandleStore as _;
        let k = [1; 32];
        let p = Preloaded::replaced(k, 7u32, 100, Ok(1));
        assert_eq!(p.replace(&k, 8, 100, 1), Err(Error::StoreFailed));
        assert_eq!(p.replace(&k, 7, 101, 1), Err(Error::StoreFailed));
        assert_eq!(p.replace(&[2; 32], 7, 100, 1), Err(Error::StoreFailed));
        assert_eq!(p.replace(&k, 7, 100, 1), Ok(1));
        assert_eq!(p.replace(&k, 7, 100, 1), Err(Error::TokenInactive));
        let plain = Preloaded::new(k, Ok(1u32));
        assert_eq!(plain.replace(&k, 1, 100, 1), Err(Error::StoreFailed));
    }
}
