//! fapi's stores on PostgreSQL: the replay cache ([`PostgresReplayStore`])
//! and the handle stores ([`PostgresHandleStore`]) behind the `fapi`
//! crate's async traits ([`fapi::store::ReplayStore`],
//! [`fapi::store::HandleStore`]), so that several server nodes share
//! one-time codes, request URIs, `jti`s, refresh records, revoked grants and
//! consents, durably, and keep them across a failover to a synchronous
//! standby.
//!
//! - **One atomic statement per operation.** `take` is one
//!   `DELETE … RETURNING` with the expiry in its condition; `insert` and
//!   `record_once` one `INSERT … ON CONFLICT DO UPDATE … WHERE expired`,
//!   checked by its row count (a live row is never overwritten, an expired
//!   one is replaced in the same statement); `replace` (a redeemed code's
//!   tombstone) one `UPDATE … RETURNING` of the row it locked. Of any
//!   number of concurrent calls on any number of nodes exactly one wins
//!   (F2-CODE-ONCE, CDR-CODE-ONCE).
//! - **Same contract as the in-memory stores.** Live while
//!   `now < expires_at`, by the caller's clock (every statement compares
//!   the row's `expires_at` with the `now` it is given, and the value is
//!   checked again when read); `expires_at <= now` is
//!   [`fapi_core::Error::Expired`] on the way in and
//!   [`fapi_core::Error::TokenInactive`] on the way out. Expired rows are
//!   deleted in bounded batches ([`PostgresPool::sweep_expired`],
//!   [`PostgresPool::spawn_sweeper`]), which only keeps the table small.
//! - **Hashed, namespaced keys.** Rows are keyed by the issuer's hash, the
//!   kind and the SHA-256 of the handle ([`Namespace`]): PostgreSQL never
//!   holds a usable code or token.
//! - **Fail closed.** Every operation has a deadline (default 500 ms):
//!   unreachable, late, an SQL error or an unreadable row is
//!   [`fapi_core::Error::StoreFailed`], never an acceptance.
//! - **Migrations ship with the crate** ([`MIGRATIONS`]) and run at start
//!   ([`PostgresPool::connect`]): once, in one transaction, under an
//!   advisory lock, so nodes may start together.
//! - **Failover.** A connection string with several hosts and
//!   `target_session_attrs=read-write` finds the primary; with a
//!   synchronous standby (`synchronous_commit = on`,
//!   `synchronous_standby_names`) an acknowledged take is on the standby
//!   before the node answers, so a promoted standby refuses the code again.
//!
//! PostgreSQL is inside the server's trust boundary: whoever can write to
//! the table can write a grant. This build connects without TLS: reach the
//! database on loopback, a Unix socket or a private network.
#![forbid(unsafe_code)]

mod handle;
mod migrate;
mod namespace;
mod options;
mod pool;
mod replay;
mod stores;

pub use handle::PostgresHandleStore;
pub use migrate::{MIGRATIONS, Migration};
pub use namespace::{Kind, Namespace};
pub use options::{
    DEFAULT_DEADLINE, DEFAULT_POOL_SIZE, DEFAULT_SWEEP_BATCH, DEFAULT_SWEEP_MARGIN, PostgresOptions,
};
pub use pool::{ConnectError, MIGRATION_DEADLINE, PostgresPool};
pub use replay::PostgresReplayStore;
pub use stores::PostgresStores;
