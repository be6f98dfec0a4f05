//! The replay cache (`fapi_replay_cache`): one-time `jti`s of DPoP proofs
//! and client assertions, remembered until they expire.
//!
//! The core's [`FixedReplayCache`](fapi_core::store::FixedReplayCache) has
//! a capacity fixed at compile time and scans its entries on each call,
//! which suits firmware. A server sets the capacity when it starts and
//! holds many more `jti`s, so this cache is a hash map behind a mutex, with
//! the same rules: an id is refused while it is live (`FAPI_REPLAY`),
//! expired ids are evicted to make room, and a cache full of live ids
//! refuses new ones (`FAPI_STORE_FULL`) rather than forget one.

use std::collections::HashMap;
use std::sync::Mutex;

use fapi_core::Error;
use fapi_core::store::{HandleKey, ReplayCache, handle_key};

use crate::ffi::{self, Failure, Where, boundary, fapi_error_detail};

/// A thread-safe replay cache.
///
/// Thread safety: safe to share between threads; every call through it
/// checks and records an id in one atomic step, so of two requests racing
/// with the same proof exactly one is accepted. Free it once, when no call
/// uses it.
pub struct fapi_replay_cache {
    entries: Mutex<HashMap<HandleKey, u64>>,
    capacity: usize,
}

impl ReplayCache for fapi_replay_cache {
    fn record_once(&self, id: &[u8], expires_at: u64, now: u64) -> Result<(), Error> {
        if expires_at <= now {
            return Err(Error::Expired);
        }
        let key = handle_key(id);
        let mut entries = self.entries.lock().map_err(|_| Error::StoreFailed)?;
        if entries.get(&key).is_some_and(|exp| now < *exp) {
            return Err(Error::Replay);
        }
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            // Only expired ids are evicted; a live one is never forgotten.
            entries.retain(|_, exp| now < *exp);
            if entries.len() >= self.capacity {
                return Err(Error::StoreFull);
            }
        }
        let _ = entries.insert(key, expires_at);
        Ok(())
    }
}

/// Makes a replay cache holding up to `capacity` live ids (at least 1).
/// One cache may serve DPoP proofs and client assertions together.
///
/// ```c
/// fapi_replay_cache *jtis = NULL;
/// fapi_replay_cache_new(100000, &jtis, &err); /* one per server, shared by its threads */
/// ```
///
/// # Safety
/// `out` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_replay_cache_new(
    capacity: usize,
    out: *mut *mut fapi_replay_cache,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    // SAFETY: contract.
    unsafe { ffi::clear_handle(out) };
    boundary(err, Where::Server, || {
        if capacity == 0 {
            return Err(Failure::invalid(
                "a replay cache holds at least 1 id".into(),
            ));
        }
        let cache = fapi_replay_cache {
            entries: Mutex::new(HashMap::with_capacity(capacity.min(1 << 16))),
            capacity,
        };
        // SAFETY: contract.
        unsafe { ffi::put_handle(out, cache, "out") }
    })
}

/// Frees a replay cache. `NULL` is fine.
///
/// # Safety
/// `cache` is NULL or a cache from this library, not yet freed and used by
/// no other call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_replay_cache_free(cache: *mut fapi_replay_cache) {
    ffi::quietly(|| {
        // SAFETY: contract.
        unsafe { ffi::free_handle(cache) }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(capacity: usize) -> fapi_replay_cache {
        fapi_replay_cache {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The same rules as the core's fixed cache: replay refused while live,
    /// expired ids evicted for room, a full cache never forgets a live id.
    #[test]
    fn capacity_expiry_and_full_refusal() {
        let c = cache(2);
        assert_eq!(c.record_once(b"a", 110, 100), Ok(()));
        assert_eq!(c.record_once(b"a", 110, 105), Err(Error::Replay));
        assert_eq!(c.record_once(b"b", 200, 100), Ok(()));
        assert_eq!(c.record_once(b"c", 200, 101), Err(Error::StoreFull));
        assert_eq!(c.record_once(b"a", 200, 109), Err(Error::Replay));
        assert_eq!(c.record_once(b"c", 200, 110), Ok(()));
        assert_eq!(c.record_once(b"d", 100, 100), Err(Error::Expired));
        // an expired id may be recorded again
        assert_eq!(c.record_once(b"c", 300, 200), Ok(()));
    }

    /// Two threads race to record the same id; exactly one wins each time.
    #[test]
    fn race_has_one_winner() {
        let c = std::sync::Arc::new(cache(4096));
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let run = || {
            let (c, barrier) = (c.clone(), barrier.clone());
            std::thread::spawn(move || {
                (0u64..500)
                    .map(|i| {
                        let _ = barrier.wait();
                        c.record_once(&i.to_be_bytes(), 10, 1).is_ok()
                    })
                    .collect::<Vec<_>>()
            })
        };
        let (a, b) = (run(), run());
        let (a, b) = (a.join().unwrap(), b.join().unwrap());
        assert!(a.iter().zip(&b).all(|(x, y)| x ^ y));
    }
}
