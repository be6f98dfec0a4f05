//! The provisioning record: what the module is told once, at start, before
//! it answers any request.
//!
//! ```json
//! {"seed":"<base64url, 32 bytes>","now":1900000000,
//!  "profiles":["fapi2-plus","cdr"],"max_lifetime":600}
//! ```
//!
//! - `seed`: the DRBG seed the device keys are drawn from (on real
//!   hardware: the TRNG, never the host).
//! - `now`: the real-time clock at start, seconds since the epoch (on real
//!   hardware: the RTC). Every `iat` the module signs is checked against it.
//! - `profiles`: the requirement sets the module signs under; a request
//!   naming another set is refused, so a host cannot pick a weaker one.
//! - `max_lifetime` (optional): the module's own cap on access token
//!   lifetimes, on top of each profile's. A profile without a cap
//!   (`fapi2`) then still gets one.
//!
//! Every field is required but `max_lifetime`; unknown members are refused.

use serde::Deserialize;
use zeroize::Zeroizing;

use fapi_core::profile::{Profile, ProfileId};
use fapi_core::{Error, b64, json};

use crate::drbg::SEED_LEN;

/// The largest provisioning record accepted (bytes).
pub const MAX_RECORD_LEN: usize = 512;

/// The set of profiles a module was provisioned with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profiles {
    // Bit i stands for `Profile::ALL[i]`.
    mask: u8,
}

impl Profiles {
    /// The provisioned profile called `name`: [`Error::ProfileViolation`]
    /// for a name that is no profile or a profile the module was not
    /// provisioned with.
    pub fn get(&self, name: &str) -> Result<Profile, Error> {
        let (i, p) = Profile::ALL
            .iter()
            .enumerate()
            .find(|(_, p)| p.name == name)
            .ok_or(Error::ProfileViolation)?;
        if self.mask & bit(i) == 0 {
            return Err(Error::ProfileViolation);
        }
        Ok(*p)
    }

    /// Whether `id` was provisioned.
    #[must_use]
    pub fn contains(&self, id: ProfileId) -> bool {
        Profile::ALL
            .iter()
            .enumerate()
            .any(|(i, p)| p.id == id && self.mask & bit(i) != 0)
    }
}

fn bit(i: usize) -> u8 {
    u32::try_from(i)
        .ok()
        .and_then(|i| 1u8.checked_shl(i))
        .unwrap_or(0)
}

/// A parsed provisioning record.
pub struct Provisioning {
    /// The DRBG seed (zeroized on drop).
    pub seed: Zeroizing<[u8; SEED_LEN]>,
    /// The clock at start.
    pub now: u64,
    /// The profiles the module signs under.
    pub profiles: Profiles,
    /// The module's own access token lifetime cap, if any.
    pub max_lifetime: Option<u64>,
}

impl core::fmt::Debug for Provisioning {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Provisioning")
            .field("now", &self.now)
            .field("profiles", &self.profiles)
            .field("max_lifetime", &self.max_lifetime)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct Record<'a> {
    #[serde(borrow)]
    seed: Option<&'a str>,
    now: Option<u64>,
    #[serde(borrow)]
    profiles: Option<heapless::Vec<&'a str, 6>>,
    max_lifetime: Option<u64>,
}

impl Provisioning {
    /// Parses a provisioning record.
    ///
    /// Refusals: over [`MAX_RECORD_LEN`] [`Error::TooLarge`]; malformed
    /// JSON, unknown members or a duplicate [`Error::Json`] /
    /// [`Error::DuplicateMember`]; a member missing, a seed that is not 32
    /// bytes of base64url, an empty profile list or a zero lifetime cap
    /// [`Error::InvalidParameter`]; an unknown profile name
    /// [`Error::ProfileViolation`].
    ///
    /// ```
    /// use fapi_firmware::provision::Provisioning;
    /// use fapi_core::profile::ProfileId;
    ///
    /// let p = Provisioning::parse(br#"{"seed":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8","now":5,"profiles":["cdr"]}"#).unwrap();
    /// assert!(p.profiles.contains(ProfileId::Cdr));
    /// assert_eq!(p.max_lifetime, None);
    /// ```
    pub fn parse(record: &[u8]) -> Result<Self, Error> {
        if record.len() > MAX_RECORD_LEN {
            return Err(Error::TooLarge);
        }
        let r: Record<'_> = json::parse(record)?;
        let seed = r.seed.ok_or(Error::InvalidParameter)?;
        let mut bytes = Zeroizing::new([0u8; SEED_LEN]);
        let decoded =
            b64::decode(seed.as_bytes(), bytes.as_mut()).map_err(|_| Error::InvalidParameter)?;
        if decoded.len() != SEED_LEN {
            return Err(Error::InvalidParameter);
        }
        let now = r.now.ok_or(Error::InvalidParameter)?;
        let names = r.profiles.ok_or(Error::InvalidParameter)?;
        if names.is_empty() {
            return Err(Error::InvalidParameter);
        }
        let mut mask = 0u8;
        for name in &names {
            let i = Profile::ALL
                .iter()
                .position(|p| p.name == *name)
                .ok_or(Error::ProfileViolation)?;
            mask |= bit(i);
        }
        if r.max_lifetime == Some(0) {
            return Err(Error::InvalidParameter);
        }
        Ok(Self {
            seed: bytes,
            now,
            profiles: Profiles { mask },
            max_lifetime: r.max_lifetime,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

    fn rec(body: &str) -> Result<Provisioning, Error> {
        Provisioning::parse(body.as_bytes())
    }

    #[test]
    fn parses_a_record() {
        let p = rec(&format!(
            r#"{{"seed":"{SEED}","now":7,"profiles":["fapi2","cdr"],"max_lifetime":600}}"#
        ))
        .unwrap();
        assert_eq!(p.now, 7);
        assert_eq!(p.max_lifetime, Some(600));
        assert_eq!(p.seed[31], 31);
        assert!(p.profiles.contains(ProfileId::Fapi2));
        assert!(p.profiles.contains(ProfileId::Cdr));
        assert!(!p.profiles.contains(ProfileId::Ofb));
        assert_eq!(p.profiles.get("cdr"), Ok(Profile::CDR));
        assert_eq!(p.profiles.get("ofb"), Err(Error::ProfileViolation));
        assert_eq!(p.profiles.get("fapi3"), Err(Error::ProfileViolation));
        assert!(!format!("{p:?}").contains("seed"));
    }

    #[test]
    fn refuses_bad_records() {
        let ok = |extra: &str| format!(r#"{{"seed":"{SEED}","now":7,"profiles":["cdr"]{extra}}}"#);
        assert_eq!(
            rec(&ok(r#","max_lifetime":0"#)).err(),
            Some(Error::InvalidParameter)
        );
        assert_eq!(rec(&ok(r#","admin":true"#)).err(), Some(Error::Json));
        assert_eq!(rec(&ok(r#","now":8"#)).err(), Some(Error::DuplicateMember));
        assert_eq!(
            rec(r#"{"seed":"AAEC","now":7,"profiles":["cdr"]}"#).err(),
            Some(Error::InvalidParameter)
        );
        assert_eq!(
            rec(&format!(r#"{{"seed":"{SEED}","profiles":["cdr"]}}"#)).err(),
            Some(Error::InvalidParameter)
        );
        assert_eq!(
            rec(&format!(r#"{{"seed":"{SEED}","now":1,"profiles":[]}}"#)).err(),
            Some(Error::InvalidParameter)
        );
        assert_eq!(
            rec(&format!(
                r#"{{"seed":"{SEED}","now":1,"profiles":["fapi3"]}}"#
            ))
            .err(),
            Some(Error::ProfileViolation)
        );
        assert_eq!(rec("{").err(), Some(Error::Json));
        assert_eq!(rec(&"x".repeat(600)).err(), Some(Error::TooLarge));
    }
}
