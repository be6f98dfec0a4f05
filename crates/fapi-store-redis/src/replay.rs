//! [`RedisReplayStore`]: one-time identifiers recorded with `SET NX`.

use async_trait::async_trait;
use fapi::store::ReplayStore;
use fapi_core::Error;
use fapi_core::store::handle_key;

use crate::connection::RedisConnection;
use crate::expiry::{encode, ttl_ms};
use crate::namespace::{Kind, Namespace};

/// A replay cache on Redis: each identifier (a DPoP or client assertion
/// `jti`) is kept as its SHA-256 under `fapi:<issuer>:replay:`, recorded
/// with one `SET key value NX PX ttl`, so that of any number of concurrent
/// calls on any number of nodes exactly one succeeds.
///
/// ```no_run
/// use fapi::store::ReplayStore;
/// use fapi_store_redis::{RedisConnection, RedisOptions, RedisReplayStore};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let conn = RedisConnection::connect("redis://127.0.0.1:6379/0", RedisOptions::default()).await?;
/// let replay = RedisReplayStore::new(conn, "https://as.example");
/// assert_eq!(replay.record_once(b"jti-1", 1_700_000_060, 1_700_000_000).await, Ok(()));
/// assert_eq!(
///     replay.record_once(b"jti-1", 1_700_000_060, 1_700_000_001).await,
///     Err(fapi_core::Error::Replay)
/// );
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct RedisReplayStore {
    conn: RedisConnection,
    namespace: Namespace,
}

impl RedisReplayStore {
    /// The replay cache of `issuer` on `conn`.
    #[must_use]
    pub fn new(conn: RedisConnection, issuer: &str) -> Self {
        Self {
            conn,
            namespace: Namespace::new(issuer, Kind::Replay),
        }
    }

    /// The Redis key `id` is recorded under.
    #[must_use]
    pub fn redis_key(&self, id: &[u8]) -> String {
        self.namespace.key(&handle_key(id))
    }
}

#[async_trait]
impl ReplayStore for RedisReplayStore {
    /// F2-SENDER (a DPoP proof is used once, RFC 9449 §11.1) and
    /// F2-CLIENT-AUTH (an assertion `jti` once, RFC 7523 §3), across
    /// nodes: [`Error::Expired`] when
    /// `expires_at <= now` (nothing is sent), [`Error::Replay`] when the
    /// identifier is recorded (by any node), [`Error::StoreFailed`] when
    /// Redis fails or misses the deadline (never an acceptance).
    async fn record_once(&self, id: &[u8], expires_at: u64, now: u64) -> Result<(), Error> {
        let px = ttl_ms(expires_at, now, self.conn.options().expiry_margin)?;
        let mut cmd = redis::cmd("SET");
        let _ = cmd
            .arg(self.redis_key(id))
            .arg(encode(expires_at, &[]))
            .arg("NX")
            .arg("PX")
            .arg(px);
        // OK when set, nil when the key exists: one atomic command.
        let reply: Option<String> = self.conn.query_write(&cmd).await?;
        match reply.as_deref() {
            Some("OK") => Ok(()),
            None => Err(Error::Replay),
            Some(_) => Err(Error::StoreFailed),
        }
    }
}
