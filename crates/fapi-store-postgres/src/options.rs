//! How a PostgreSQL store waits, pools and sweeps.

use core::time::Duration;

/// The default deadline of one store operation (taking a pooled
/// connection, preparing and running the statement): a token request
/// waits no longer than this for PostgreSQL before it fails closed.
pub const DEFAULT_DEADLINE: Duration = Duration::from_millis(500);

/// The default number of connections a node keeps open.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// The default number of expired rows one sweep statement deletes.
pub const DEFAULT_SWEEP_BATCH: u32 = 1_000;

/// The default time a row is kept after its `expires_at` before the
/// sweeper may delete it (room for the clocks of the nodes to differ).
pub const DEFAULT_SWEEP_MARGIN: Duration = Duration::from_secs(60);

/// Options of a PostgreSQL store.
///
/// - `deadline`: every operation that takes longer (waiting for a pooled
///   connection, connecting, running the statement) fails with
///   [`fapi_core::Error::StoreFailed`]; nothing is accepted on a timeout,
///   and the connection of a late statement is closed, not reused.
/// - `pool_size`: the most connections a node holds open.
/// - `sweep_batch`: the most rows one sweep statement deletes.
/// - `sweep_margin`: rows are swept this long after their `expires_at`
///   only. Expiry never depends on the sweeper (every read compares
///   `expires_at` with the caller's `now`); the margin keeps a one-time
///   identifier while a node whose clock is behind may still accept it.
///
/// ```
/// use core::time::Duration;
/// use fapi_store_postgres::PostgresOptions;
///
/// let o = PostgresOptions::default().deadline(Duration::from_millis(100));
/// assert_eq!(o.deadline_duration(), Duration::from_millis(100));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PostgresOptions {
    pub(crate) deadline: Duration,
    pub(crate) pool_size: usize,
    pub(crate) sweep_batch: u32,
    pub(crate) sweep_margin: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            deadline: DEFAULT_DEADLINE,
            pool_size: DEFAULT_POOL_SIZE,
            sweep_batch: DEFAULT_SWEEP_BATCH,
            sweep_margin: DEFAULT_SWEEP_MARGIN,
        }
    }
}

impl PostgresOptions {
    /// The deadline of one operation.
    #[must_use]
    pub const fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The most connections of the pool (at least 1).
    #[must_use]
    pub const fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = if size == 0 { 1 } else { size };
        self
    }

    /// The most rows one sweep statement deletes (at least 1).
    #[must_use]
    pub const fn sweep_batch(mut self, batch: u32) -> Self {
        self.sweep_batch = if batch == 0 { 1 } else { batch };
        self
    }

    /// How long after `expires_at` the sweeper may delete a row.
    #[must_use]
    pub const fn sweep_margin(mut self, margin: Duration) -> Self {
        self.sweep_margin = margin;
        self
    }

    /// The deadline of one operation.
    #[must_use]
    pub const fn deadline_duration(&self) -> Duration {
        self.deadline
    }
}
