//! The three signature algorithms FAPI 2.0 allows (F2-ALG).

use crate::error::Error;

/// A JWS signature algorithm that fapi implements: PS256, ES256 or EdDSA
/// (Ed25519). Every other name, `none` and HS256 first, is refused when it is
/// parsed (F2-ALG).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Alg {
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt.
    Ps256,
    /// ECDSA on P-256 with SHA-256, signature as raw `r || s` (64 bytes).
    Es256,
    /// EdDSA on Ed25519 (RFC 8037), 64-byte signature.
    EdDsa,
}

impl Alg {
    /// All algorithms fapi implements.
    pub const ALL: &'static [Alg] = &[Alg::Ps256, Alg::Es256, Alg::EdDsa];

    /// Parses a JOSE `alg` name. F2-ALG: anything but `PS256`, `ES256` and
    /// `EdDSA` is [`Error::UnsupportedAlg`]; names are case-sensitive
    /// (RFC 7515 §4.1.1), so `es256` is refused too. `Ed25519`, the
    /// fully-specified name of EdDSA on Ed25519 (RFC 9864 §2.2) that newer
    /// encoders write (oauth4webapi, for one), is the same algorithm and
    /// parses to [`Alg::EdDsa`]; fapi itself writes `EdDSA`, which every
    /// verifier knows. `Ed448` stays refused.
    ///
    /// ```
    /// use fapi_core::Alg;
    /// assert_eq!(Alg::from_name("EdDSA"), Ok(Alg::EdDsa));
    /// assert_eq!(Alg::from_name("Ed25519"), Ok(Alg::EdDsa));
    /// assert_eq!(Alg::EdDsa.name(), "EdDSA");
    /// assert!(Alg::from_name("Ed448").is_err());
    /// ```
    pub fn from_name(name: &str) -> Result<Self, Error> {
        match name {
            "PS256" => Ok(Self::Ps256),
            "ES256" => Ok(Self::Es256),
            // F2-ALG: EdDSA (Ed25519) under either of its names.
            "EdDSA" | "Ed25519" => Ok(Self::EdDsa),
            _ => Err(Error::UnsupportedAlg),
        }
    }

    /// The JOSE `alg` name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ps256 => "PS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }

    /// The signature length, for algorithms where it is fixed (not PS256,
    /// whose signature is as long as the modulus).
    #[must_use]
    pub const fn fixed_signature_len(self) -> Option<usize> {
        match self {
            Self::Ps256 => None,
            Self::Es256 | Self::EdDsa => Some(64),
        }
    }

    /// Checks that `alg` is in `allowed`: [`Error::AlgNotAllowed`] otherwise.
    pub fn check_allowed(self, allowed: &[Alg]) -> Result<(), Error> {
        if allowed.contains(&self) {
            Ok(())
        } else {
            Err(Error::AlgNotAllowed)
        }
    }
}

impl core::fmt::Display for Alg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// F2-ALG: only PS256, ES256 and EdDSA parse (EdDSA also under its
    /// RFC 9864 name `Ed25519`); `none`, HS*, RS*, the other sizes and
    /// Ed448 are refused with a typed error.
    #[test]
    fn f2_alg_only_three_algorithms() {
        for a in Alg::ALL {
            assert_eq!(Alg::from_name(a.name()), Ok(*a));
        }
        assert_eq!(Alg::from_name("Ed25519"), Ok(Alg::EdDsa));
        for bad in [
            "none", "None", "NONE", "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS384",
            "PS512", "ES384", "ES512", "ES256K", "Ed448", "ed25519", "ED25519", "es256", "ps256",
            "eddsa", "", " ES256", "Ed25519 ",
        ] {
            assert_eq!(Alg::from_name(bad), Err(Error::UnsupportedAlg), "{bad}");
        }
    }

    #[test]
    fn allow_list() {
        assert_eq!(
            Alg::Es256.check_allowed(&[Alg::Ps256]),
            Err(Error::AlgNotAllowed)
        );
        assert_eq!(Alg::Ps256.check_allowed(&[Alg::Ps256]), Ok(()));
        assert_eq!(Alg::EdDsa.check_allowed(&[]), Err(Error::AlgNotAllowed));
    }
}
