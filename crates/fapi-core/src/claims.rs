//! JWT claim helpers shared by the token rules: `aud` as a string or an
//! array (RFC 7519 §4.1.3) and the time checks of `exp`, `nbf` and `iat`.
//!
//! [`Audience`] deserializes from either shape, so a claims struct can hold
//! `aud: Option<Audience<'a>>` and read it in the same pass as the other
//! claims (escaped values included, with [`json::parse_in`]).

use core::fmt;

use serde::Deserialize;
use serde::de::{self, SeqAccess, Visitor};

use crate::error::Error;
use crate::json;

/// The most audience values accepted in an `aud` array.
pub const MAX_AUDIENCES: usize = 8;

/// A JWT `aud` claim: one string or an array of strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience<'a> {
    /// `"aud": "https://as.example"`.
    One(&'a str),
    /// `"aud": ["https://as.example", ...]`.
    Many(heapless::Vec<&'a str, MAX_AUDIENCES>),
}

impl Audience<'_> {
    /// Whether `value` is the audience or one of its members.
    #[must_use]
    pub fn contains(&self, value: &str) -> bool {
        match self {
            Self::One(a) => *a == value,
            Self::Many(list) => list.contains(&value),
        }
    }

    /// Whether any of `values` is the audience or one of its members.
    #[must_use]
    pub fn contains_any(&self, values: &[&str]) -> bool {
        values.iter().any(|v| self.contains(v))
    }
}

/// `aud` as RFC 7519 §4.1.3 writes it: a string, or an array of at most
/// [`MAX_AUDIENCES`] strings; anything else is an error.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Claims<'a> {
///     #[serde(borrow)]
///     aud: fapi_core::claims::Audience<'a>,
/// }
/// let c: Claims<'_> = fapi_core::json::parse(br#"{"aud":["https://rs","https://as"]}"#)?;
/// assert!(c.aud.contains("https://as"));
/// # Ok::<(), fapi_core::Error>(())
/// ```
impl<'de: 'a, 'a> Deserialize<'de> for Audience<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AudienceVisitor;

        impl<'de> Visitor<'de> for AudienceVisitor {
            type Value = Audience<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Audience::One(v))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut list = heapless::Vec::new();
                while let Some(v) = seq.next_element::<&'de str>()? {
                    list.push(v)
                        .map_err(|_| de::Error::invalid_length(MAX_AUDIENCES, &self))?;
                }
                Ok(Audience::Many(list))
            }
        }

        d.deserialize_any(AudienceVisitor)
    }
}

#[derive(Deserialize)]
struct AudOnly<'a> {
    #[serde(borrow)]
    aud: Option<Audience<'a>>,
}

/// Reads the `aud` claim of the claims document `doc`: `None` when absent,
/// [`Error::Json`] when it is neither a string nor an array of strings,
/// [`Error::TooLarge`] for an array of more than [`MAX_AUDIENCES`],
/// [`Error::EscapedValue`] when a value is written with escapes (read it
/// as a field with [`json::parse_in`]).
pub fn audience(doc: &[u8]) -> Result<Option<Audience<'_>>, Error> {
    Ok(json::parse::<AudOnly<'_>>(doc)?.aud)
}

/// Checks `exp`: [`Error::MissingClaim`] when absent, [`Error::Expired`]
/// when `now` is at or past `exp + leeway`.
pub fn check_exp(exp: Option<u64>, now: u64, leeway: u64) -> Result<u64, Error> {
    let exp = exp.ok_or(Error::MissingClaim)?;
    if now >= exp.saturating_add(leeway) {
        return Err(Error::Expired);
    }
    Ok(exp)
}

/// Checks `nbf`: [`Error::NotYetValid`] when it is more than `skew` seconds
/// in the future.
pub fn check_nbf(nbf: Option<u64>, now: u64, skew: u64) -> Result<(), Error> {
    match nbf {
        Some(nbf) if nbf > now.saturating_add(skew) => Err(Error::NotYetValid),
        _ => Ok(()),
    }
}

/// Checks `iat`: [`Error::IssuedInFuture`] when it is more than `skew`
/// seconds in the future, [`Error::TooOld`] when it is more than `max_age`
/// seconds in the past.
pub fn check_iat(iat: u64, now: u64, skew: u64, max_age: u64) -> Result<(), Error> {
    if iat > now.saturating_add(skew) {
        return Err(Error::IssuedInFuture);
    }
    if now.saturating_sub(iat) > max_age {
        return Err(Error::TooOld);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_string_or_array() {
        let a = audience(br#"{"aud":"https://as"}"#).unwrap().unwrap();
        assert!(a.contains("https://as"));
        assert!(!a.contains("https://other"));
        let a = audience(br#"{"aud":["x","https://as"]}"#).unwrap().unwrap();
        assert!(a.contains("https://as"));
        assert!(a.contains_any(&["nope", "x"]));
        assert_eq!(audience(br#"{"iss":"x"}"#).unwrap(), None);
        assert_eq!(audience(br#"{"aud":5}"#), Err(Error::Json));
        assert_eq!(audience(br#"{"aud":[1]}"#), Err(Error::Json));
    }

    #[test]
    fn time_checks() {
        assert_eq!(check_exp(None, 10, 0), Err(Error::MissingClaim));
        assert_eq!(check_exp(Some(10), 10, 0), Err(Error::Expired));
        assert_eq!(check_exp(Some(11), 10, 0), Ok(11));
        assert_eq!(check_nbf(Some(21), 10, 10), Err(Error::NotYetValid));
        assert_eq!(check_nbf(Some(20), 10, 10), Ok(()));
        assert_eq!(check_iat(21, 10, 10, 60), Err(Error::IssuedInFuture));
        assert_eq!(check_iat(100, 161, 10, 60), Err(Error::TooOld));
        assert_eq!(check_iat(100, 160, 10, 60), Ok(()));
    }
}
