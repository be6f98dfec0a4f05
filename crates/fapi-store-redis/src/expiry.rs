//! Lifetimes in Redis: an entry lives `expires_at - now` seconds, by the
//! clock of the node that wrote it, plus the margin.
//!
//! The TTL is relative (`PX`), not absolute (`PXAT`), on purpose: `now` and
//! `expires_at` come from the node's clock, and a relative TTL keeps the
//! entry as long as the node granted whatever Redis's own clock says. With
//! `PXAT`, a Redis clock ahead of the node's would drop a `jti` at once
//! (Redis treats a time in the past as an immediate expiry) and let its
//! replay through on the next request.
//!
//! `now` is in whole seconds, so Redis may keep an entry up to one second
//! (plus the margin) past `expires_at`: a value is never returned then
//! ([`decode`] reads `expires_at` back), and re-recording the same
//! identifier is [`Error::Replay`], stricter than the in-memory store,
//! never looser.

use core::time::Duration;

use fapi_core::Error;

/// The `PX` of an entry valid until `expires_at`, at `now`, kept `margin`
/// longer: [`Error::Expired`] when `expires_at <= now`.
pub(crate) fn ttl_ms(expires_at: u64, now: u64, margin: Duration) -> Result<u64, Error> {
    let secs = expires_at
        .checked_sub(now)
        .filter(|s| *s > 0)
        .ok_or(Error::Expired)?;
    let margin = u64::try_from(margin.as_millis()).unwrap_or(u64::MAX);
    Ok(secs.saturating_mul(1000).saturating_add(margin))
}

/// An entry as stored: `expires_at` (8 bytes, big-endian) and the value's
/// bytes. The store reads `expires_at` back, so an entry is dead at
/// `expires_at <= now` even while Redis still holds it (margin, clocks).
pub(crate) fn encode(expires_at: u64, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + value.len());
    out.extend_from_slice(&expires_at.to_be_bytes());
    out.extend_from_slice(value);
    out
}

/// The `expires_at` and value of a stored entry; [`Error::StoreFailed`]
/// for a value shorter than its header.
pub(crate) fn decode(stored: &[u8]) -> Result<(u64, &[u8]), Error> {
    let (head, value) = stored.split_first_chunk::<8>().ok_or(Error::StoreFailed)?;
    Ok((u64::from_be_bytes(*head), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_is_relative_and_refuses_the_past() {
        assert_eq!(ttl_ms(160, 100, Duration::ZERO), Ok(60_000));
        assert_eq!(ttl_ms(160, 100, Duration::from_millis(2)), Ok(60_002));
        assert_eq!(ttl_ms(100, 100, Duration::ZERO), Err(Error::Expired));
        assert_eq!(ttl_ms(99, 100, Duration::ZERO), Err(Error::Expired));
        assert_eq!(ttl_ms(u64::MAX, 0, Duration::MAX), Ok(u64::MAX));
    }

    #[test]
    fn entries_carry_their_expiry() {
        let e = encode(0x0102_0304_0506_0708, b"v");
        assert_eq!(decode(&e), Ok((0x0102_0304_0506_0708, &b"v"[..])));
        assert_eq!(decode(b"short"), Err(Error::StoreFailed));
    }
}
