-- fapi's one table: every store of every issuer, namespaced.
--
--   issuer      the first 8 bytes of the SHA-256 of the issuer URL
--   kind        what the store holds: replay, code, request, refresh,
--               consent, txn, revoked
--   key         the SHA-256 of the handle or identifier (never the handle)
--   expires_at  seconds since the epoch, by the clock of the node that
--               wrote it; every read compares it with the reader's `now`
--   value       the value as JSON (empty for a replay entry)
CREATE TABLE fapi_entries (
    issuer bytea NOT NULL,
    kind text NOT NULL,
    key bytea NOT NULL,
    expires_at bigint NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (issuer, kind, key)
);

-- The sweeper deletes expired rows in bounded batches by this index.
CREATE INDEX fapi_entries_expires_at ON fapi_entries (expires_at);
