//! [`PostgresStores`]: the stores of a server node on one connection pool.

use std::sync::Arc;

use fapi_core::authorize::AuthorizationParams;
use fapi_core::code::CodeRecord;
use fapi_core::grant::RevokedGrant;
use fapi_core::refresh::RefreshGrant;

use crate::handle::PostgresHandleStore;
use crate::namespace::Kind;
use crate::options::PostgresOptions;
use crate::pool::{ConnectError, PostgresPool};
use crate::replay::PostgresReplayStore;

/// The stores a server node keeps in PostgreSQL: the replay cache, the codes
/// (and the tombstones of redeemed ones), the pushed requests, the refresh
/// records, the revoked grants and the consents (of type `C`, the
/// server's), all on one pool and namespaced by the
/// issuer. Nodes of one issuer share them by connecting to the same database.
///
/// ```no_run
/// use fapi_store_postgres::{PostgresOptions, PostgresStores};
///
/// # async fn run() -> Result<(), fapi_store_postgres::ConnectError> {
/// let stores = PostgresStores::<String>::connect(
///     "postgres://fapi@127.0.0.1:5432/fapi",
///     "https://as.example",
///     PostgresOptions::default(),
/// )
/// .await?;
/// let _replay: std::sync::Arc<dyn fapi::store::ReplayStore> = stores.replay.clone();
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PostgresStores<C> {
    /// DPoP and client assertion `jti`s.
    pub replay: Arc<PostgresReplayStore>,
    /// Authorization codes, and the tombstones of redeemed ones.
    pub codes: Arc<PostgresHandleStore<CodeRecord>>,
    /// Pushed authorization requests.
    pub requests: Arc<PostgresHandleStore<AuthorizationParams>>,
    /// Refresh token records.
    pub refresh: Arc<PostgresHandleStore<RefreshGrant>>,
    /// Revoked grants, read by the issuer and the resource servers.
    pub revocations: Arc<PostgresHandleStore<RevokedGrant>>,
    /// Consents.
    pub consents: Arc<PostgresHandleStore<C>>,
}

impl<C> Clone for PostgresStores<C> {
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

impl<C> PostgresStores<C> {
    /// Connects to `url` (waiting at most the deadline for PostgreSQL to answer, and migrating the schema)
    /// and makes the stores of `issuer`.
    ///
    /// # Errors
    ///
    /// [`ConnectError`] when the URL is malformed PostgreSQL does not answer or the migration fails.
    pub async fn connect(
        url: &str,
        issuer: &str,
        options: PostgresOptions,
    ) -> Result<Self, ConnectError> {
        let pool = PostgresPool::connect(url, options).await?;
        Ok(Self::on(&pool, issuer))
    }

    /// The stores of `issuer` on an existing pool.
    #[must_use]
    pub fn on(pool: &PostgresPool, issuer: &str) -> Self {
        Self {
            replay: Arc::new(PostgresReplayStore::new(pool.clone(), issuer)),
            codes: Arc::new(PostgresHandleStore::new(pool.clone(), issuer, Kind::Code)),
            requests: Arc::new(PostgresHandleStore::new(
                pool.clone(),
                issuer,
                Kind::Request,
            )),
            refresh: Arc::new(PostgresHandleStore::new(
                pool.clone(),
                issuer,
                Kind::Refresh,
            )),
            revocations: Arc::new(PostgresHandleStore::new(
                pool.clone(),
                issuer,
                Kind::Revocation,
            )),
            consents: Arc::new(PostgresHandleStore::new(
                pool.clone(),
                issuer,
                Kind::Consent,
            )),
        }
    }
}
