//! [`RedisHandleStore`]: values under handle keys, inserted with `SET NX`,
//! taken with `GETDEL` and replaced with `SET XX GET`.

use core::marker::PhantomData;

use async_trait::async_trait;
use fapi::store::HandleStore;
use fapi_core::Error;
use fapi_core::store::HandleKey;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::connection::RedisConnection;
use crate::expiry::{decode, encode, ttl_ms};
use crate::namespace::{Kind, Namespace};

/// A handle store on Redis for values of type `V` (authorization codes, PAR
/// requests, refresh token records, consents).
///
/// The key is the [`HandleKey`] (the SHA-256 of the handle) under
/// `fapi:<issuer>:<kind>:`. The value is stored as its `expires_at` and its
/// JSON (`serde_json`): the values are a few hundred bytes, so a more
/// compact binary form saves little against the network round trip, and
/// JSON is self-describing, so any `serde` type works (`postcard` and
/// `bincode` refuse `#[serde(flatten)]`, untagged enums and
/// `serde_json::Value`, which a server's consent may hold) and an operator
/// can read an entry with `redis-cli`. The core's values check their
/// invariants when deserialized: a broken entry is
/// [`Error::StoreFailed`], never a grant.
///
/// Every one-time operation is one atomic Redis command: `insert` is
/// `SET key value NX PX ttl`, `take` is `GETDEL`, `replace` is
/// `SET key value XX GET PX ttl`, so of any number of concurrent takes (or
/// replaces) on any number of nodes exactly one gets the value. With
/// [`RedisOptions::wait`](crate::RedisOptions::wait) each write (`insert`,
/// `take`, `replace`, `remove`) then waits for the replicas, and fails
/// closed when they do not acknowledge it in time.
///
/// ```no_run
/// use fapi::store::{HandleStore, handle_key};
/// use fapi_store_redis::{Kind, RedisConnection, RedisHandleStore, RedisOptions};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let conn = RedisConnection::connect("redis://127.0.0.1:6379/0", RedisOptions::default()).await?;
/// let codes = RedisHandleStore::<String>::new(conn, "https://as.example", Kind::Code);
/// let key = handle_key(b"the code");
/// codes.insert(key, "grant".into(), 1_700_000_060, 1_700_000_000).await?;
/// assert_eq!(codes.take(&key, 1_700_000_001).await.as_deref(), Ok("grant"));
/// assert_eq!(codes.take(&key, 1_700_000_001).await, Err(fapi_core::Error::TokenInactive));
/// # Ok(()) }
/// ```
pub struct RedisHandleStore<V> {
    conn: RedisConnection,
    namespace: Namespace,
    value: PhantomData<fn() -> V>,
}

impl<V> Clone for RedisHandleStore<V> {
    fn clone(&self) -> Self {
        Self {
            conn: self.conn.clone(),
            namespace: self.namespace.clone(),
            value: PhantomData,
        }
    }
}

impl<V> core::fmt::Debug for RedisHandleStore<V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RedisHandleStore")
            .field("namespace", &self.namespace.prefix())
            .finish_non_exhaustive()
    }
}

impl<V> RedisHandleStore<V> {
    /// The store of `kind` for `issuer` on `conn`.
    #[must_use]
    pub fn new(conn: RedisConnection, issuer: &str, kind: Kind) -> Self {
        Self {
            conn,
            namespace: Namespace::new(issuer, kind),
            value: PhantomData,
        }
    }

    /// The Redis key of `key`.
    #[must_use]
    pub fn redis_key(&self, key: &HandleKey) -> String {
        self.namespace.key(key)
    }
}

/// The live value of a stored entry: [`Error::TokenInactive`] when absent
/// or `expires_at <= now`, [`Error::StoreFailed`] when it does not parse
/// (or breaks an invariant of `V`).
fn live<V: DeserializeOwned>(stored: Option<Vec<u8>>, now: u64) -> Result<V, Error> {
    let stored = stored.ok_or(Error::TokenInactive)?;
    let (expires_at, bytes) = decode(&stored)?;
    // Live while now < expires_at, whatever Redis's clock and the margin.
    if expires_at <= now {
        return Err(Error::TokenInactive);
    }
    serde_json::from_slice(bytes).map_err(|_| Error::StoreFailed)
}

#[async_trait]
impl<V> HandleStore<V> for RedisHandleStore<V>
where
    V: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
{
    async fn insert(
        &self,
        key: HandleKey,
        value: V,
        expires_at: u64,
        now: u64,
    ) -> Result<(), Error> {
        let px = ttl_ms(expires_at, now, self.conn.options().expiry_margin)?;
        let json = serde_json::to_vec(&value).map_err(|_| Error::StoreFailed)?;
        let mut cmd = redis::cmd("SET");
        let _ = cmd
            .arg(self.namespace.key(&key))
            .arg(encode(expires_at, &json))
            .arg("NX")
            .arg("PX")
            .arg(px);
        let reply: Option<String> = self.conn.query_write(&cmd).await?;
        match reply.as_deref() {
            Some("OK") => Ok(()),
            None => Err(Error::Replay),
            Some(_) => Err(Error::StoreFailed),
        }
    }

    /// F2-CODE-ONCE, CDR-CODE-ONCE, F2-PAR: one `GETDEL`, so a code or a
    /// request URI is taken once across every node.
    async fn take(&self, key: &HandleKey, now: u64) -> Result<V, Error> {
        let mut cmd = redis::cmd("GETDEL");
        let _ = cmd.arg(self.namespace.key(key));
        live(self.conn.query_write(&cmd).await?, now)
    }

    async fn get(&self, key: &HandleKey, now: u64) -> Result<V, Error> {
        let mut cmd = redis::cmd("GET");
        let _ = cmd.arg(self.namespace.key(key));
        live(self.conn.query(&cmd).await?, now)
    }

    async fn remove(&self, key: &HandleKey) -> Result<(), Error> {
        let mut cmd = redis::cmd("DEL");
        let _ = cmd.arg(self.namespace.key(key));
        let _removed: u64 = self.conn.query_write(&cmd).await?;
        Ok(())
    }

    /// F2-CODE-ONCE, RFC 6749 §4.1.2: one `SET key value XX GET PX ttl`,
    /// so a code is swapped for its tombstone once across every node, and
    /// nothing is written under an absent key. An entry past its
    /// `expires_at` but still held (the expiry margin) is overwritten and
    /// answered [`Error::TokenInactive`], as an absent one.
    async fn replace(
        &self,
        key: &HandleKey,
        value: V,
        expires_at: u64,
        now: u64,
    ) -> Result<V, Error> {
        let px = ttl_ms(expires_at, now, self.conn.options().expiry_margin)?;
        let json = serde_json::to_vec(&value).map_err(|_| Error::StoreFailed)?;
        let mut cmd = redis::cmd("SET");
        let _ = cmd
            .arg(self.namespace.key(key))
            .arg(encode(expires_at, &json))
            .arg("XX")
            .arg("GET")
            .arg("PX")
            .arg(px);
        live(self.conn.query_write(&cmd).await?, now)
    }
}
