//! [`RedisStores`]: the stores of a server node on one connection.

use std::sync::Arc;

use fapi_core::authorize::AuthorizationParams;
use fapi_core::code::CodeRecord;
use fapi_core::grant::RevokedGrant;
use fapi_core::refresh::RefreshGrant;

use crate::connection::{ConnectError, RedisConnection};
use crate::endpoint::RedisEndpoint;
use crate::handle::RedisHandleStore;
use crate::namespace::Kind;
use crate::options::RedisOptions;
use crate::replay::RedisReplayStore;

/// The stores a server node keeps in Redis: the replay cache, the codes
/// (and the tombstones of redeemed ones), the pushed requests, the refresh
/// records, the revoked grants and the consents (of type `C`, the
/// server's), all on one reconnecting connection and namespaced by the
/// issuer. Nodes of one issuer share them by connecting to the same Redis.
///
/// ```no_run
/// use fapi_store_redis::{RedisOptions, RedisStores};
///
/// # async fn run() -> Result<(), fapi_store_redis::ConnectError> {
/// let stores = RedisStores::<String>::connect(
///     "redis://127.0.0.1:6379/0",
///     "https://as.example",
///     RedisOptions::default(),
/// )
/// .await?;
/// let _replay: std::sync::Arc<dyn fapi::store::ReplayStore> = stores.replay.clone();
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RedisStores<C> {
    /// DPoP and client assertion `jti`s.
    pub replay: Arc<RedisReplayStore>,
    /// Authorization codes, and the tombstones of redeemed ones.
    pub codes: Arc<RedisHandleStore<CodeRecord>>,
    /// Pushed authorization requests.
    pub requests: Arc<RedisHandleStore<AuthorizationParams>>,
    /// Refresh token records.
    pub refresh: Arc<RedisHandleStore<RefreshGrant>>,
    /// Revoked grants, read by the issuer and the resource servers.
    pub revocations: Arc<RedisHandleStore<RevokedGrant>>,
    /// Consents.
    pub consents: Arc<RedisHandleStore<C>>,
}

impl<C> Clone for RedisStores<C> {
    fn clone(&self) -> Self {
        Self {
            replay: Arc::clone(&self.replay),
            codes: Arc::clone(&self.codes),
            requests: Arc::clone(&self.requests),
            refresh: Arc::clone(&self.refresh),
            revocations: Arc::clone(&self.revocations),
            consents: Arc::clone(&self.consents),
        }
    }
}

impl<C> RedisStores<C> {
    /// Connects to `url` (waiting at most the deadline for Redis to answer)
    /// and makes the stores of `issuer`.
    ///
    /// # Errors
    ///
    /// [`ConnectError`] when the URL is malformed or Redis does not answer.
    pub async fn connect(
        url: &str,
        issuer: &str,
        options: RedisOptions,
    ) -> Result<Self, ConnectError> {
        let conn = RedisConnection::connect(url, options).await?;
        Ok(Self::on(&conn, issuer))
    }

    /// [`RedisStores::connect`] to an endpoint: through Sentinel, or with
    /// a CA file for TLS.
    ///
    /// # Errors
    ///
    /// [`ConnectError`] when Redis does not answer.
    pub async fn connect_to(
        endpoint: &RedisEndpoint,
        issuer: &str,
        options: RedisOptions,
    ) -> Result<Self, ConnectError> {
        let conn = RedisConnection::connect_to(endpoint, options).await?;
        Ok(Self::on(&conn, issuer))
    }

    /// The stores of `issuer` on an existing connection.
    #[must_use]
    pub fn on(conn: &RedisConnection, issuer: &str) -> Self {
        Self {
            replay: Arc::new(RedisReplayStore::new(conn.clone(), issuer)),
            codes: Arc::new(RedisHandleStore::new(conn.clone(), issuer, Kind::Code)),
            requests: Arc::new(RedisHandleStore::new(conn.clone(), issuer, Kind::Request)),
            refresh: Arc::new(RedisHandleStore::new(conn.clone(), issuer, Kind::Refresh)),
            revocations: Arc::new(RedisHandleStore::new(
                conn.clone(),
                issuer,
                Kind::Revocation,
            )),
            consents: Arc::new(RedisHandleStore::new(conn.clone(), issuer, Kind::Consent)),
        }
    }
}
