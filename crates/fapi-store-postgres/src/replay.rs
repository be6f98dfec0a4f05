//! [`PostgresReplayStore`]: one-time identifiers recorded with one
//! `INSERT … ON CONFLICT`.

use async_trait::async_trait;
use fapi::store::ReplayStore;
use fapi_core::Error;
use fapi_core::store::handle_key;

use crate::handle::INSERT;
use crate::namespace::{Kind, Namespace};
use crate::pool::{PostgresPool, secs};

/// A replay cache on PostgreSQL: each identifier (a DPoP or client
/// assertion `jti`) is kept as its SHA-256 in the issuer's `replay` rows,
/// recorded with one `INSERT … ON CONFLICT … DO UPDATE … WHERE expired`
/// checked by its row count, so that of any number of concurrent calls on
/// any number of nodes exactly one succeeds, and an identifier whose row
/// has expired (but is not swept yet) may be recorded again.
///
/// ```no_run
/// use fapi::store::ReplayStore;
/// use fapi_store_postgres::{PostgresOptions, PostgresPool, PostgresReplayStore};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = PostgresPool::connect("postgres://fapi@127.0.0.1:5432/fapi", PostgresOptions::default()).await?;
/// let replay = PostgresReplayStore::new(pool, "https://as.example");
/// assert_eq!(replay.record_once(b"jti-1", 1_700_000_060, 1_700_000_000).await, Ok(()));
/// assert_eq!(
///     replay.record_once(b"jti-1", 1_700_000_060, 1_700_000_001).await,
///     Err(fapi_core::Error::Replay)
/// );
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct PostgresReplayStore {
    pool: PostgresPool,
    namespace: Namespace,
}

impl PostgresReplayStore {
    /// The replay cache of `issuer` on `pool`.
    #[must_use]
    pub fn new(pool: PostgresPool, issuer: &str) -> Self {
        Self {
            pool,
            namespace: Namespace::new(issuer, Kind::Replay),
        }
    }
}

#[async_trait]
impl ReplayStore for PostgresReplayStore {
    /// F2-SENDER (a DPoP proof is used once, RFC 9449 §11.1) and
    /// F2-CLIENT-AUTH (an assertion `jti` once, RFC 7523 §3), across
    /// nodes: [`Error::Expired`] when `expires_at <= now` (nothing is
    /// sent), [`Error::Replay`] when the identifier is recorded and live
    /// (by any node), [`Error::StoreFailed`] when PostgreSQL fails or
    /// misses the deadline (never an acceptance).
    async fn record_once(&self, id: &[u8], expires_at: u64, now: u64) -> Result<(), Error> {
        if expires_at <= now {
            return Err(Error::Expired);
        }
        let key = handle_key(id);
        let n = &self.namespace;
        let empty: &[u8] = &[];
        let changed = self
            .pool
            .execute(
                INSERT,
                &[
                    &n.issuer(),
                    &n.kind(),
                    &&key[..],
                    &secs(expires_at),
                    &empty,
                    &secs(now),
                ],
            )
            .await?;
        match changed {
            1 => Ok(()),
            0 => Err(Error::Replay),
            _ => Err(Error::StoreFailed),
        }
    }
}
