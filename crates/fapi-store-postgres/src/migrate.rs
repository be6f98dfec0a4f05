//! The schema migrations that ship with the crate, run at start.
//!
//! Each migration has a version; `fapi_schema_migrations` records the
//! versions applied. All of it runs in one transaction under an advisory
//! lock, so that two nodes starting at once take turns (the second finds
//! the work done), and a failed migration leaves nothing half applied.

use deadpool_postgres::Object;

/// One schema change.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    /// Its version: applied in increasing order, once.
    pub version: i32,
    /// What it does.
    pub name: &'static str,
    /// Its SQL.
    pub sql: &'static str,
}

/// The migrations of this build, in order.
///
/// ```
/// let versions: Vec<i32> = fapi_store_postgres::MIGRATIONS.iter().map(|m| m.version).collect();
/// assert!(versions.windows(2).all(|w| w[0] < w[1]));
/// ```
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "entries",
    sql: include_str!("../migrations/0001_entries.sql"),
}];

/// The advisory lock the migrations hold ("fapi_mig" in ASCII).
const LOCK: i64 = 0x6661_7069_5f6d_6967;

/// Applies the migrations the database lacks; returns their versions.
pub(crate) async fn run(client: &mut Object) -> Result<Vec<i32>, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let _ = tx
        .execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS fapi_schema_migrations (\
           version integer PRIMARY KEY, \
           name text NOT NULL, \
           applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await?;
    let done: Vec<i32> = tx
        .query("SELECT version FROM fapi_schema_migrations", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut applied = Vec::new();
    for m in MIGRATIONS {
        if done.contains(&m.version) {
            continue;
        }
        tx.batch_execute(m.sql).await?;
        let _ = tx
            .execute(
                "INSERT INTO fapi_schema_migrations (version, name) VALUES ($1, $2)",
                &[&m.version, &m.name],
            )
            .await?;
        applied.push(m.version);
    }
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if let Some(newer) = done.iter().copied().filter(|v| *v > known).max() {
        // A newer build migrated this database; its schema changes are
        // additive, so this build runs on, and says so.
        tracing::warn!(
            database = newer,
            build = known,
            "PostgreSQL store: the schema is newer than this build"
        );
    }
    tx.commit().await?;
    Ok(applied)
}
