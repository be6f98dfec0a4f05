//! P-256 public keys that arrive at run time, parsed once: a bounded cache
//! in front of aws-lc's parse, for [`AWSLC`](crate::AWSLC).
//!
//! A DPoP client signs every proof with the same key, and a client signs
//! every assertion with a key of its registered JWKS, so the keys that
//! reach [`PublicKeyVerifier::verify_with`](fapi_core::PublicKeyVerifier)
//! are few and come back. Parsing one costs aws-lc an `EVP_PKEY`, the
//! point's on-curve check and its conversion: about 1.3 µs of a 53 µs ES256 verify
//! (`benches/verify`, paired, idle: the DPoP proof at 1.013× jsonwebtoken
//! with the cache against 0.987× without).
//!
//! What is cached is aws-lc's own [`ParsedPublicKey`], under the exact bytes
//! it was parsed from (the SEC1 point), so a hit verifies with the key the
//! bytes name and no other. Only keys that parse are kept: a point off the
//! curve is refused again on every call.
//!
//! The cache is bounded: [`CAPACITY`] keys in [`SHARDS`] shards, each behind
//! its own lock held for one lookup or insert, never during a verify. A
//! full shard drops one of its keys for the new one, so a flood of fresh
//! keys (a client making a DPoP key per request) costs one lookup and one
//! insert beyond the parse, and the memory stays at most [`CAPACITY`] keys
//! (a P-256 `EVP_PKEY` is a few hundred bytes), all of it made at parse
//! time. Ed25519 keys are not cached: aws-lc decompresses the point inside
//! every verify whether the key was parsed before or not, so a cache would
//! save nothing. RSA keys are not cached either: aws-lc builds a key's
//! Montgomery context on its first verify and keeps it inside the key, so
//! a cached RSA key would grow after it was kept.

use core::hash::BuildHasher as _;
use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use fapi_core::{Error, PublicKey};

/// Shards of the cache: one lock each.
pub const SHARDS: usize = 16;

/// Keys held at most, over all shards.
pub const CAPACITY: usize = 1024;

const PER_SHARD: usize = CAPACITY / SHARDS;

/// The cache behind [`AWSLC`](crate::AWSLC).
static KEYS: LazyLock<KeyCache> = LazyLock::new(KeyCache::new);

/// One shard: a key's exact bytes to aws-lc's parse of them.
type Shard = Mutex<HashMap<Box<[u8]>, Arc<ParsedPublicKey>>>;

/// A bounded map from a public key's bytes to aws-lc's parse of them.
pub(crate) struct KeyCache {
    hasher: RandomState,
    shards: [Shard; SHARDS],
}

impl KeyCache {
    fn new() -> Self {
        Self {
            hasher: RandomState::new(),
            shards: core::array::from_fn(|_| Mutex::new(HashMap::with_capacity(PER_SHARD))),
        }
    }

    /// The parse of `bytes`, from the cache or made by `parse` and kept.
    fn get_or_parse(
        &self,
        bytes: &[u8],
        parse: impl FnOnce() -> Result<ParsedPublicKey, Error>,
    ) -> Result<Arc<ParsedPublicKey>, Error> {
        let [low, ..] = self.hasher.hash_one(bytes).to_le_bytes();
        let shard = self
            .shards
            .get(usize::from(low) % SHARDS)
            .ok_or(Error::InvalidKey)?;
        // A panic while a shard was locked left the map whole (no call
        // into it panics half-way), so a poisoned lock is taken as is.
        if let Some(hit) = shard
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(bytes)
        {
            return Ok(Arc::clone(hit));
        }
        // Parsed outside the lock: two threads may both parse a new key,
        // and the second insert replaces the first with an equal parse.
        let parsed = Arc::new(parse()?);
        let mut map = shard.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= PER_SHARD
            && !map.contains_key(bytes)
            && let Some(old) = map.keys().next().cloned()
        {
            let _dropped = map.remove(&old);
        }
        let _replaced = map.insert(Box::from(bytes), Arc::clone(&parsed));
        Ok(parsed)
    }

    /// Keys held now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

/// The ES256 verifier of a P-256 key (`KeyAlgMismatch` for another type,
/// `InvalidKey` for a point off the curve), parsed at most once while it
/// stays in the cache.
pub(crate) fn es256(key: &PublicKey) -> Result<Arc<ParsedPublicKey>, Error> {
    es256_in(&KEYS, key)
}

fn es256_in(cache: &KeyCache, key: &PublicKey) -> Result<Arc<ParsedPublicKey>, Error> {
    let point = key.sec1_point()?;
    cache.get_or_parse(&point, || {
        ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).map_err(|_| Error::InvalidKey)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Es256SigningKey;
    use fapi_core::Signer as _;

    fn p256(seed: u8) -> (Es256SigningKey, PublicKey) {
        let key = Es256SigningKey::from_bytes(&[seed; 32]).unwrap();
        let public = key.public_key().unwrap();
        (key, public)
    }

    fn sign(key: &Es256SigningKey, msg: &[u8]) -> [u8; 64] {
        let mut sig = [0u8; 64];
        assert_eq!(key.sign(msg, &mut sig).unwrap(), 64);
        sig
    }

    /// A hit verifies with the key its bytes name: a second key, cached
    /// beside the first, does not verify the first one's signature.
    #[test]
    fn a_hit_is_the_key_of_those_bytes() {
        let cache = KeyCache::new();
        let (k1, p1) = p256(1);
        let (_, p2) = p256(2);
        let sig = sign(&k1, b"msg");
        for _ in 0..3 {
            let v1 = es256_in(&cache, &p1).unwrap();
            assert!(v1.verify_sig(b"msg", &sig).is_ok());
            let v2 = es256_in(&cache, &p2).unwrap();
            assert!(v2.verify_sig(b"msg", &sig).is_err());
        }
        assert_eq!(cache.len(), 2);
        assert!(Arc::ptr_eq(
            &es256_in(&cache, &p1).unwrap(),
            &es256_in(&cache, &p1).unwrap()
        ));
    }

    /// F2-ALG: a point off the curve is refused on every call and never
    /// kept, so it cannot take a place in the cache.
    #[test]
    fn f2_alg_off_curve_point_refused_every_time_and_not_kept() {
        let cache = KeyCache::new();
        let off = PublicKey::P256 {
            x: [1; 32],
            y: [2; 32],
        };
        for _ in 0..3 {
            assert_eq!(es256_in(&cache, &off).err(), Some(Error::InvalidKey));
        }
        assert_eq!(cache.len(), 0);
    }

    /// A flood of fresh keys keeps the cache at its bound, and every key
    /// still verifies its own signature whether it was dropped or not.
    #[test]
    fn bounded_under_a_flood_of_fresh_keys() {
        let cache = KeyCache::new();
        let rng = crate::SystemRandom::new();
        let mut keys = Vec::new();
        for _ in 0..(CAPACITY * 3) {
            let key = Es256SigningKey::generate(&rng).unwrap();
            let public = key.public_key().unwrap();
            let sig = sign(&key, b"flood");
            let v = es256_in(&cache, &public).unwrap();
            assert!(v.verify_sig(b"flood", &sig).is_ok());
            assert!(cache.len() <= CAPACITY);
            keys.push((public, sig));
        }
        for (public, sig) in keys.iter().step_by(97) {
            let v = es256_in(&cache, public).unwrap();
            assert!(v.verify_sig(b"flood", sig).is_ok());
        }
        assert!(cache.len() <= CAPACITY);
    }

    /// Two threads looking up and inserting the same and different keys
    /// get the right key every time.
    #[test]
    fn two_threads_share_the_cache() {
        let cache = KeyCache::new();
        let pairs: Vec<_> = (1..=40u8)
            .map(|s| {
                let (k, p) = p256(s);
                (p, sign(&k, b"two"))
            })
            .collect();
        std::thread::scope(|scope| {
            for t in 0..2 {
                let (cache, pairs) = (&cache, &pairs);
                let _handle = scope.spawn(move || {
                    for round in 0..20 {
                        for (i, (public, sig)) in pairs.iter().enumerate() {
                            let v = es256_in(cache, public).unwrap();
                            let ok = v.verify_sig(b"two", sig).is_ok();
                            assert!(ok, "thread {t} round {round} key {i}");
                            let other = &pairs[(i + 1) % pairs.len()].1;
                            assert!(v.verify_sig(b"two", other).is_err());
                        }
                    }
                });
            }
        });
        assert_eq!(cache.len(), pairs.len());
    }
}
