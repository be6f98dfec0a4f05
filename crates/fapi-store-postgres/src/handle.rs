//! [`PostgresHandleStore`]: values under handle keys, inserted with
//! `INSERT … ON CONFLICT`, taken with `DELETE … RETURNING` and replaced
//! with one `UPDATE … RETURNING` of the row it locked.

use core::marker::PhantomData;

use async_trait::async_trait;
use fapi::store::HandleStore;
use fapi_core::Error;
use fapi_core::store::HandleKey;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_postgres::Row;

use crate::namespace::{Kind, Namespace};
use crate::pool::{PostgresPool, secs};

/// Inserts a row, or takes the place of an expired row under the same key;
/// one row changed when inserted, none when a live row holds the key. The
/// upsert is atomic: of concurrent inserts (or of an insert and a sweep)
/// exactly one changes the row.
pub(crate) const INSERT: &str = "\
    INSERT INTO fapi_entries (issuer, kind, key, expires_at, value) \
    VALUES ($1, $2, $3, $4, $5) \
    ON CONFLICT (issuer, kind, key) DO UPDATE \
      SET expires_at = EXCLUDED.expires_at, value = EXCLUDED.value \
      WHERE fapi_entries.expires_at <= $6";

/// Deletes and returns the live row: the second of two concurrent takes
/// waits for the first's lock and then finds nothing.
const TAKE: &str = "\
    DELETE FROM fapi_entries \
    WHERE issuer = $1 AND kind = $2 AND key = $3 AND expires_at > $4 \
    RETURNING expires_at, value";

const GET: &str = "\
    SELECT expires_at, value FROM fapi_entries \
    WHERE issuer = $1 AND kind = $2 AND key = $3 AND expires_at > $4";

const REMOVE: &str = "DELETE FROM fapi_entries WHERE issuer = $1 AND kind = $2 AND key = $3";

/// Locks the live row, writes the new value and returns the old one: the
/// second of two concurrent replaces waits for the first's lock and then
/// reads (and returns) the first one's value.
const REPLACE: &str = "\
    UPDATE fapi_entries AS e SET expires_at = $4, value = $5 \
    FROM (SELECT expires_at, value FROM fapi_entries \
          WHERE issuer = $1 AND kind = $2 AND key = $3 FOR UPDATE) AS old \
    WHERE e.issuer = $1 AND e.kind = $2 AND e.key = $3 AND old.expires_at > $6 \
    RETURNING old.expires_at, old.value";

/// A handle store on PostgreSQL for values of type `V` (authorization
/// codes, PAR requests, refresh token records, consents).
///
/// A row is keyed by the issuer's namespace, the kind and the
/// [`HandleKey`] (the SHA-256 of the handle); it holds `expires_at` and the
/// value's JSON (`serde_json`, as the Redis store: any `serde` type, and an
/// operator can read it with `psql`). The value is checked again when read:
/// the core's values check their invariants when deserialized, and the
/// row's `expires_at` is compared with the caller's `now` once more, so a
/// broken row is [`Error::StoreFailed`], never a grant.
///
/// Every operation is one statement, atomic in PostgreSQL: of any number
/// of concurrent takes (or replaces) on any number of nodes exactly one
/// gets the value.
///
/// ```no_run
/// use fapi::store::{HandleStore, handle_key};
/// use fapi_store_postgres::{Kind, PostgresHandleStore, PostgresOptions, PostgresPool};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = PostgresPool::connect("postgres://fapi@127.0.0.1:5432/fapi", PostgresOptions::default()).await?;
/// let codes = PostgresHandleStore::<String>::new(pool, "https://as.example", Kind::Code);
/// let key = handle_key(b"the code");
/// codes.insert(key, "grant".into(), 1_700_000_060, 1_700_000_000).await?;
/// assert_eq!(codes.take(&key, 1_700_000_001).await.as_deref(), Ok("grant"));
/// assert_eq!(codes.take(&key, 1_700_000_001).await, Err(fapi_core::Error::TokenInactive));
/// # Ok(()) }
/// ```
pub struct PostgresHandleStore<V> {
    pool: PostgresPool,
    namespace: Namespace,
    value: PhantomData<fn() -> V>,
}

impl<V> Clone for PostgresHandleStore<V> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            namespace: self.namespace.clone(),
            value: PhantomData,
        }
    }
}

impl<V> core::fmt::Debug for PostgresHandleStore<V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PostgresHandleStore")
            .field("kind", &self.namespace.kind())
            .finish_non_exhaustive()
    }
}

impl<V> PostgresHandleStore<V> {
    /// The store of `kind` for `issuer` on `pool`.
    #[must_use]
    pub fn new(pool: PostgresPool, issuer: &str, kind: Kind) -> Self {
        Self {
            pool,
            namespace: Namespace::new(issuer, kind),
            value: PhantomData,
        }
    }

    /// The namespace of its rows.
    #[must_use]
    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }
}

/// The live value of a returned row: [`Error::TokenInactive`] when there is
/// none or `expires_at <= now`, [`Error::StoreFailed`] when it does not
/// parse (or breaks an invariant of `V`).
fn live<V: DeserializeOwned>(rows: &[Row], now: u64) -> Result<V, Error> {
    let row = match rows {
        [] => return Err(Error::TokenInactive),
        [row] => row,
        _ => return Err(Error::StoreFailed),
    };
    let expires_at: i64 = row.try_get(0).map_err(|_| Error::StoreFailed)?;
    let bytes: &[u8] = row.try_get(1).map_err(|_| Error::StoreFailed)?;
    // Checked in the statement, and again here: live while now < expires_at.
    if expires_at <= secs(now) {
        return Err(Error::TokenInactive);
    }
    serde_json::from_slice(bytes).map_err(|_| Error::StoreFailed)
}

#[async_trait]
impl<V> HandleStore<V> for PostgresHandleStore<V>
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
        if expires_at <= now {
            return Err(Error::Expired);
        }
        let json = serde_json::to_vec(&value).map_err(|_| Error::StoreFailed)?;
        let n = &self.namespace;
        let changed = self
            .pool
            .execute(
                INSERT,
                &[
                    &n.issuer(),
                    &n.kind(),
                    &&key[..],
                    &secs(expires_at),
                    &json,
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

    /// F2-CODE-ONCE, CDR-CODE-ONCE, F2-PAR: one `DELETE … RETURNING` with
    /// the expiry in its condition, so a code or a request URI is taken
    /// once across every node.
    async fn take(&self, key: &HandleKey, now: u64) -> Result<V, Error> {
        let n = &self.namespace;
        let rows = self
            .pool
            .query(TAKE, &[&n.issuer(), &n.kind(), &&key[..], &secs(now)])
            .await?;
        live(&rows, now)
    }

    async fn get(&self, key: &HandleKey, now: u64) -> Result<V, Error> {
        let n = &self.namespace;
        let rows = self
            .pool
            .query(GET, &[&n.issuer(), &n.kind(), &&key[..], &secs(now)])
            .await?;
        live(&rows, now)
    }

    async fn remove(&self, key: &HandleKey) -> Result<(), Error> {
        let n = &self.namespace;
        let _removed = self
            .pool
            .execute(REMOVE, &[&n.issuer(), &n.kind(), &&key[..]])
            .await?;
        Ok(())
    }

    /// F2-CODE-ONCE, RFC 6749 §4.1.2: one `UPDATE … RETURNING` of the live
    /// row it locked, so a code is swapped for its tombstone once across
    /// every node, and nothing is written under an absent or expired key.
    async fn replace(
        &self,
        key: &HandleKey,
        value: V,
        expires_at: u64,
        now: u64,
    ) -> Result<V, Error> {
        if expires_at <= now {
            return Err(Error::Expired);
        }
        let json = serde_json::to_vec(&value).map_err(|_| Error::StoreFailed)?;
        let n = &self.namespace;
        let rows = self
            .pool
            .query(
                REPLACE,
                &[
                    &n.issuer(),
                    &n.kind(),
                    &&key[..],
                    &secs(expires_at),
                    &json,
                    &secs(now),
                ],
            )
            .await?;
        live(&rows, now)
    }
}
