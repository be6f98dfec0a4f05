//! A pool of connections to PostgreSQL, shared by the stores of a server
//! node, with a deadline on every statement.

use core::fmt;
use core::time::Duration;
use std::time::SystemTime;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use fapi_core::Error;
use tokio::time::{Instant, timeout_at};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use crate::migrate;
use crate::options::PostgresOptions;

/// How long [`PostgresPool::connect`] waits for the schema migrations (a
/// node that starts while another migrates waits for its lock).
pub const MIGRATION_DEADLINE: Duration = Duration::from_secs(30);

/// Why a pool could not be made or the schema not migrated.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL is not a PostgreSQL connection string
    /// (`postgres://user@host:port,host2:port2/db?target_session_attrs=read-write`).
    Url(String),
    /// PostgreSQL did not answer within the deadline, or refused.
    Unreachable(String),
    /// The schema migrations failed.
    Migration(String),
    /// Not called inside a Tokio runtime (the connections run on one).
    NoRuntime,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(e) => write!(f, "not a PostgreSQL URL: {e}"),
            Self::Unreachable(e) => write!(f, "PostgreSQL is unreachable: {e}"),
            Self::Migration(e) => write!(f, "the schema migration failed: {e}"),
            Self::NoRuntime => f.write_str("a PostgreSQL pool needs a Tokio runtime"),
        }
    }
}

impl core::error::Error for ConnectError {}

/// A pool of connections made on demand (at most
/// [`PostgresOptions::pool_size`]), and the deadline of every statement
/// sent through it. Cloning is cheap (the pool is shared).
///
/// A connection string with several hosts and
/// `target_session_attrs=read-write` makes every new connection look for
/// the primary: after a failover, the connections to the dead primary are
/// closed, and the next ones reach the promoted standby. A connection that
/// finds itself on a read-only server (a demoted primary) is closed too.
///
/// Its `Debug` does not show the connection string, which may hold a
/// password.
#[derive(Clone)]
pub struct PostgresPool {
    pool: Pool,
    options: PostgresOptions,
}

impl fmt::Debug for PostgresPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresPool")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A backend failure: a full disk is [`Error::StoreFull`] (as a full
/// in-memory store), anything else [`Error::StoreFailed`].
fn failed(e: &tokio_postgres::Error) -> Error {
    tracing::warn!(error = %e, "PostgreSQL store: statement failed");
    if e.code() == Some(&SqlState::DISK_FULL) {
        Error::StoreFull
    } else {
        Error::StoreFailed
    }
}

/// `u64` seconds as a `bigint`, saturating (no time of this century is
/// near `i64::MAX`, and saturating keeps the order of the comparisons).
pub(crate) fn secs(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

impl PostgresPool {
    /// Connects to `url`, at most the deadline, and runs the schema
    /// migrations that this database lacks (at most
    /// [`MIGRATION_DEADLINE`]; several nodes may do so at once, they take
    /// turns on an advisory lock).
    ///
    /// # Errors
    ///
    /// [`ConnectError::Url`] for a malformed URL,
    /// [`ConnectError::Unreachable`] when PostgreSQL does not answer in
    /// time, [`ConnectError::Migration`] when a migration fails.
    pub async fn connect(url: &str, options: PostgresOptions) -> Result<Self, ConnectError> {
        let pool = Self::connect_lazy(url, options)?;
        let mut client = match timeout_at(Instant::now() + options.deadline, pool.pool.get()).await
        {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return Err(ConnectError::Unreachable(e.to_string())),
            Err(_) => {
                return Err(ConnectError::Unreachable(format!(
                    "no answer within {} ms",
                    options.deadline.as_millis()
                )));
            }
        };
        let migrated = timeout_at(
            Instant::now() + MIGRATION_DEADLINE,
            migrate::run(&mut client),
        )
        .await;
        match migrated {
            Ok(Ok(applied)) => {
                if !applied.is_empty() {
                    tracing::info!(?applied, "PostgreSQL store: schema migrated");
                }
                Ok(pool)
            }
            Ok(Err(e)) => Err(ConnectError::Migration(e.to_string())),
            Err(_) => {
                let _closed = Object::take(client);
                Err(ConnectError::Migration(format!(
                    "not done within {} s",
                    MIGRATION_DEADLINE.as_secs()
                )))
            }
        }
    }

    /// A pool for `url` whose connections are made on first use: a node
    /// starts while PostgreSQL is down, every operation fails closed until
    /// it answers. Nothing is migrated: use [`PostgresPool::connect`] (or
    /// [`PostgresPool::migrate`]) once at start.
    ///
    /// # Errors
    ///
    /// [`ConnectError::Url`] for a malformed URL, [`ConnectError::NoRuntime`]
    /// outside a Tokio runtime.
    pub fn connect_lazy(url: &str, options: PostgresOptions) -> Result<Self, ConnectError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ConnectError::NoRuntime);
        }
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| ConnectError::Url(e.to_string()))?;
        if config.get_connect_timeout().is_none() {
            let _ = config.connect_timeout(options.deadline);
        }
        if config.get_application_name().is_none() {
            let _ = config.application_name("fapi");
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.deadline))
            .create_timeout(Some(options.deadline))
            .build()
            .map_err(|e| ConnectError::Url(e.to_string()))?;
        Ok(Self { pool, options })
    }

    /// Runs the schema migrations this database lacks, within
    /// [`MIGRATION_DEADLINE`], and returns the versions applied (none when
    /// it is up to date).
    ///
    /// # Errors
    ///
    /// [`Error::StoreFailed`] when PostgreSQL does not answer or a
    /// migration fails.
    pub async fn migrate(&self) -> Result<Vec<i32>, Error> {
        let deadline = Instant::now() + MIGRATION_DEADLINE;
        let mut client = self.client(deadline).await?;
        let result = timeout_at(deadline, migrate::run(&mut client)).await;
        match result {
            Ok(r) => r.map_err(|e| failed(&e)),
            Err(_) => {
                let _closed = Object::take(client);
                Err(Error::StoreFailed)
            }
        }
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &PostgresOptions {
        &self.options
    }

    async fn client(&self, deadline: Instant) -> Result<Object, Error> {
        match timeout_at(deadline, self.pool.get()).await {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "PostgreSQL store: no connection");
                Err(Error::StoreFailed)
            }
            Err(_) => Err(Error::StoreFailed),
        }
    }

    /// Prepares (once per connection) and runs `sql`, within the
    /// deadline; `op` reads the answer. A late statement's connection is
    /// closed (its answer would arrive on the next user's watch), and so is
    /// one on a read-only server (after a failover, the next connection
    /// looks for the new primary).
    async fn run<T>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        rows: bool,
        op: impl FnOnce(Vec<Row>, u64) -> T,
    ) -> Result<T, Error> {
        let deadline = Instant::now() + self.options.deadline;
        let client = self.client(deadline).await?;
        let result = timeout_at(deadline, async {
            let statement = client.prepare_cached(sql).await?;
            if rows {
                client.query(&statement, params).await.map(|r| (r, 0))
            } else {
                client
                    .execute(&statement, params)
                    .await
                    .map(|n| (Vec::new(), n))
            }
        })
        .await;
        match result {
            Ok(Ok((r, n))) => Ok(op(r, n)),
            Ok(Err(e)) => {
                if e.code() == Some(&SqlState::READ_ONLY_SQL_TRANSACTION) || client.is_closed() {
                    let _closed = Object::take(client);
                }
                Err(failed(&e))
            }
            Err(_) => {
                tracing::warn!(
                    deadline_ms = self.options.deadline.as_millis(),
                    "PostgreSQL store: no answer within the deadline"
                );
                let _closed = Object::take(client);
                Err(Error::StoreFailed)
            }
        }
    }

    /// The rows `sql` returns, within the deadline.
    pub(crate) async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, Error> {
        self.run(sql, params, true, |rows, _| rows).await
    }

    /// The number of rows `sql` changed, within the deadline.
    pub(crate) async fn execute(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Error> {
        self.run(sql, params, false, |_, n| n).await
    }

    /// Deletes at most [`PostgresOptions::sweep_batch`] rows that expired
    /// [`PostgresOptions::sweep_margin`] before `now`, of every issuer, and
    /// returns how many. Expiry does not depend on it: every read compares
    /// `expires_at` with its `now`; it only keeps the table small.
    ///
    /// # Errors
    ///
    /// [`Error::StoreFailed`] when PostgreSQL fails or misses the deadline.
    pub async fn sweep_expired(&self, now: u64) -> Result<u64, Error> {
        let margin = self.options.sweep_margin.as_secs();
        let before = secs(now.saturating_sub(margin));
        let batch = i64::from(self.options.sweep_batch);
        // The subquery bounds the batch; SKIP LOCKED leaves rows that a
        // take or an insert holds; the outer condition is checked again on
        // the row's latest version (an expired row re-inserted meanwhile
        // is not deleted).
        self.execute(
            "DELETE FROM fapi_entries WHERE ctid = ANY(ARRAY(\
               SELECT ctid FROM fapi_entries WHERE expires_at <= $1 \
               LIMIT $2 FOR UPDATE SKIP LOCKED)) AND expires_at <= $1",
            &[&before, &batch],
        )
        .await
    }

    /// Sweeps expired rows every `every`, batch after batch (at most 100
    /// batches a round), by the wall clock, until the task is aborted. One
    /// node sweeping is enough; several do no harm.
    ///
    /// ```no_run
    /// # async fn run(pool: fapi_store_postgres::PostgresPool) {
    /// let sweeper = pool.spawn_sweeper(core::time::Duration::from_secs(60));
    /// # sweeper.abort(); }
    /// ```
    #[must_use = "the task runs until aborted; keep the handle to stop it"]
    pub fn spawn_sweeper(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let pool = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let now = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                for _ in 0..100 {
                    match pool.sweep_expired(now).await {
                        Ok(n) if n >= u64::from(pool.options.sweep_batch) => {}
                        Ok(n) => {
                            if n > 0 {
                                tracing::debug!(swept = n, "PostgreSQL store: expired rows swept");
                            }
                            break;
                        }
                        Err(_) => break,
                    }
                }
            }
        })
    }
}
