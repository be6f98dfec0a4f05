//! `x-fapi-interaction-id`: the correlation id of a resource request
//! (FAPI 1.0 Part 1 §6.2.2-5: the client may send one, an RFC 4122 UUID)
//! and of its response (§6.2.1-11: the resource server sets the header to
//! the client's value, or to a UUID of its own when the client sent none;
//! mandatory in Open Finance Brasil).
//!
//! [`respond`] decides the header of the response to a request: the
//! client's UUID echoed as it was sent, or a fresh version 4 UUID
//! (RFC 4122 §4.4) when there was none. A value that is not an RFC 4122
//! UUID (§3: 32 hexadecimal digits in groups of 8-4-4-4-12) is never
//! echoed: the request is refused ([`Error::InvalidParameter`], answered
//! `400 invalid_request`, RFC 6750 §3.1) and the refusal carries a fresh
//! UUID, as Open Finance Brasil asks of an invalid value.

use crate::crypto::Random;
use crate::error::Error;

/// The header's name (lower case, as HTTP/2 writes it).
pub const HEADER: &str = "x-fapi-interaction-id";

/// The length of a UUID's string form: 36 characters.
pub const UUID_LEN: usize = 36;

/// Where the four hyphens of a UUID's string form stand.
const HYPHENS: [usize; 4] = [8, 13, 18, 23];

/// An interaction id: an RFC 4122 UUID in its string form, exactly as
/// received (either case) or as made here (lower case).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct InteractionId([u8; UUID_LEN]);

impl InteractionId {
    /// Reads a received header value: [`Error::InvalidParameter`] unless
    /// it is a UUID's string form (RFC 4122 §3), hexadecimal digits of
    /// either case with hyphens at positions 8, 13, 18 and 23.
    ///
    /// ```
    /// use fapi_core::interaction::InteractionId;
    /// let id = InteractionId::parse(b"C1B2D3E4-0000-4000-8000-00000000002A")?;
    /// assert_eq!(id.as_str(), "C1B2D3E4-0000-4000-8000-00000000002A");
    /// assert_eq!(
    ///     InteractionId::parse(b"not-a-uuid"),
    ///     Err(fapi_core::Error::InvalidParameter)
    /// );
    /// # Ok::<(), fapi_core::Error>(())
    /// ```
    pub fn parse(value: &[u8]) -> Result<Self, Error> {
        let text: [u8; UUID_LEN] = value.try_into().map_err(|_| Error::InvalidParameter)?;
        for (i, b) in text.iter().enumerate() {
            let ok = if HYPHENS.contains(&i) {
                *b == b'-'
            } else {
                b.is_ascii_hexdigit()
            };
            if !ok {
                return Err(Error::InvalidParameter);
            }
        }
        Ok(Self(text))
    }

    /// A fresh random UUID, version 4 (RFC 4122 §4.4), lower case.
    /// [`Error::RandomFailed`] when `rng` fails.
    pub fn generate<R: Random + ?Sized>(rng: &R) -> Result<Self, Error> {
        let mut raw = [0u8; 16];
        rng.fill(&mut raw)?;
        // RFC 4122 §4.4: version 4 in the high nibble of octet 6, the
        // variant 10x in the high bits of octet 8.
        if let Some(v) = raw.get_mut(6) {
            *v = (*v & 0x0f) | 0x40;
        }
        if let Some(v) = raw.get_mut(8) {
            *v = (*v & 0x3f) | 0x80;
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [b'-'; UUID_LEN];
        let digits = text
            .iter_mut()
            .enumerate()
            .filter(|(i, _)| !HYPHENS.contains(i))
            .map(|(_, d)| d);
        let nibbles = raw.iter().flat_map(|b| [b >> 4, b & 0x0f]);
        for (d, n) in digits.zip(nibbles) {
            *d = HEX.get(usize::from(n)).copied().unwrap_or(b'0');
        }
        Ok(Self(text))
    }

    /// The UUID's string form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII hexadecimal digits and hyphens are ever stored.
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl core::fmt::Debug for InteractionId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("InteractionId")
            .field(&self.as_str())
            .finish()
    }
}

/// The `x-fapi-interaction-id` of the response to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// The client's UUID, echoed as sent (FAPI 1.0 Part 1 §6.2.1-11).
    Echoed(InteractionId),
    /// The client sent none: a fresh UUID (FAPI 1.0 Part 1 §6.2.1-11).
    Created(InteractionId),
    /// The client's value is not an RFC 4122 UUID: the request is refused
    /// with the error (`invalid_request`), and the refusal carries a fresh
    /// UUID, never the value received.
    Refused(InteractionId, Error),
}

impl Response {
    /// The id the response carries.
    #[must_use]
    pub fn id(&self) -> InteractionId {
        match self {
            Self::Echoed(id) | Self::Created(id) | Self::Refused(id, _) => *id,
        }
    }
}

/// The interaction id of the response to a request whose header values
/// are `received` (none, one, or, refused, several).
///
/// ```
/// use fapi_core::interaction::{Response, respond};
/// # struct Zeros;
/// # impl fapi_core::Random for Zeros {
/// #     fn fill(&self, d: &mut [u8]) -> Result<(), fapi_core::Error> { d.fill(0); Ok(()) }
/// # }
/// let sent: &[u8] = b"c1b2d3e4-0000-4000-8000-00000000002a";
/// assert!(matches!(respond(&[sent], &Zeros)?, Response::Echoed(id) if id.as_str().as_bytes() == sent));
/// let fresh = respond(&[], &Zeros)?;
/// assert_eq!(fresh.id().as_str(), "00000000-0000-4000-8000-000000000000");
/// assert!(matches!(respond(&[b"42"], &Zeros)?, Response::Refused(_, fapi_core::Error::InvalidParameter)));
/// # Ok::<(), fapi_core::Error>(())
/// ```
///
/// Only a failing random source is an error ([`Error::RandomFailed`]).
pub fn respond<R: Random + ?Sized>(received: &[&[u8]], rng: &R) -> Result<Response, Error> {
    match received {
        [] => Ok(Response::Created(InteractionId::generate(rng)?)),
        [one] => match InteractionId::parse(one) {
            Ok(id) => Ok(Response::Echoed(id)),
            Err(e) => Ok(Response::Refused(InteractionId::generate(rng)?, e)),
        },
        // RFC 9110 §5.3: a field that is not a list is sent once.
        _ => Ok(Response::Refused(
            InteractionId::generate(rng)?,
            Error::InvalidParameter,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CounterRandom, FailingRandom};

    /// FAPI 1.0 Part 1 §6.2.1-11: a UUID sent is echoed as sent (either
    /// case); none sent, a fresh version 4 UUID.
    #[test]
    fn fapi1_6_2_1_11_echo_or_create() {
        for sent in [
            "c1b2d3e4-0000-4000-8000-00000000002a",
            "C1B2D3E4-ABCD-1EF0-9000-00000000002A",
            // RFC 4122 §4.1.7: the nil UUID is a UUID too.
            "00000000-0000-0000-0000-000000000000",
        ] {
            let r = respond(&[sent.as_bytes()], &CounterRandom::new()).unwrap();
            assert_eq!(
                r,
                Response::Echoed(InteractionId::parse(sent.as_bytes()).unwrap())
            );
            assert_eq!(r.id().as_str(), sent);
        }
        let rng = CounterRandom::new();
        let a = respond(&[], &rng).unwrap();
        let b = respond(&[], &rng).unwrap();
        assert!(matches!(a, Response::Created(_)));
        assert_ne!(a.id(), b.id(), "each response gets its own");
        let id = a.id();
        let s = id.as_str();
        assert_eq!(InteractionId::parse(s.as_bytes()), Ok(id));
        assert_eq!(s.as_bytes()[14], b'4', "version 4: {s}");
        assert!(
            matches!(s.as_bytes()[19], b'8' | b'9' | b'a' | b'b'),
            "variant: {s}"
        );
        assert_eq!(s, s.to_ascii_lowercase());
    }

    /// A value that is not an RFC 4122 UUID, or the header twice, is
    /// refused, and the refusal carries a fresh UUID, never the value.
    #[test]
    fn fapi1_6_2_1_11_non_uuid_refused_with_a_fresh_id() {
        for bad in [
            &b""[..],
            b"42",
            b"c1b2d3e4-0000-4000-8000-00000000002",
            b"c1b2d3e4-0000-4000-8000-00000000002a0",
            b"c1b2d3e4x0000-4000-8000-00000000002a",
            b"g1b2d3e4-0000-4000-8000-00000000002a",
            b"{c1b2d3e4-0000-4000-8000-00000000002a}",
            b"c1b2d3e400004000800000000000002a\r\n\r\n",
            "c1b2d3e4-0000-4000-8000-00000000002\u{e9}".as_bytes(),
        ] {
            let r = respond(&[bad], &CounterRandom::new()).unwrap();
            let Response::Refused(id, e) = r else {
                panic!("{bad:?} accepted: {r:?}");
            };
            assert_eq!(e, Error::InvalidParameter);
            assert!(InteractionId::parse(id.as_str().as_bytes()).is_ok());
        }
        let one: &[u8] = b"c1b2d3e4-0000-4000-8000-00000000002a";
        assert!(matches!(
            respond(&[one, one], &CounterRandom::new()).unwrap(),
            Response::Refused(_, Error::InvalidParameter)
        ));
        assert_eq!(respond(&[], &FailingRandom), Err(Error::RandomFailed));
        assert_eq!(respond(&[b"x"], &FailingRandom), Err(Error::RandomFailed));
    }
}
