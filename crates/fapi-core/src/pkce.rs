//! PKCE (RFC 7636), S256 only.
//!
//! F2-PKCE: the `plain` method is refused, and so is a request that names no
//! method (RFC 7636 §4.3 makes an absent method mean `plain`). The code
//! verifier is 43 to 128 characters of the unreserved set
//! (`A-Z a-z 0-9 - . _ ~`, RFC 7636 §4.1) and is compared with the stored
//! challenge in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::b64;
use crate::crypto::Random;
use crate::error::Error;
use crate::profile::Profile;

/// The shortest code verifier (RFC 7636 §4.1).
pub const VERIFIER_MIN_LEN: usize = 43;
/// The longest code verifier (RFC 7636 §4.1).
pub const VERIFIER_MAX_LEN: usize = 128;
/// The length of an S256 code challenge: base64url of 32 bytes.
pub const CHALLENGE_LEN: usize = 43;

/// The one PKCE method fapi accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `S256`: the challenge is base64url(SHA-256(verifier)).
    S256,
}

impl Method {
    /// Parses a `code_challenge_method`. F2-PKCE: `plain`, an absent method
    /// (which means `plain`) and every other name is [`Error::PkceMethod`].
    pub fn from_name(name: Option<&str>) -> Result<Self, Error> {
        match name {
            Some("S256") => Ok(Self::S256),
            _ => Err(Error::PkceMethod),
        }
    }

    /// The method's name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        "S256"
    }
}

/// Checks that `verifier` is 43–128 unreserved characters:
/// [`Error::PkceVerifierFormat`] otherwise.
pub fn check_verifier_format(verifier: &str) -> Result<(), Error> {
    let len_ok = (VERIFIER_MIN_LEN..=VERIFIER_MAX_LEN).contains(&verifier.len());
    let chars_ok = verifier
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~'));
    if len_ok && chars_ok {
        Ok(())
    } else {
        Err(Error::PkceVerifierFormat)
    }
}

/// An S256 code challenge (43 base64url characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Challenge([u8; CHALLENGE_LEN]);

impl Challenge {
    /// The S256 challenge of `verifier`, after checking its format.
    pub fn s256(verifier: &str) -> Result<Self, Error> {
        check_verifier_format(verifier)?;
        let digest: [u8; 32] = Sha256::digest(verifier.as_bytes()).into();
        let mut out = [0u8; CHALLENGE_LEN];
        let _ = b64::encode(&digest, &mut out)?;
        Ok(Self(out))
    }

    /// The challenge text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only base64url characters are stored.
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

/// Checks `verifier` against the stored S256 `challenge` in constant time:
/// [`Error::PkceVerifierFormat`] for a malformed verifier,
/// [`Error::PkceMismatch`] when it does not match.
pub fn verify(verifier: &str, challenge: &str) -> Result<(), Error> {
    let computed = Challenge::s256(verifier)?;
    let same_len = challenge.len() == CHALLENGE_LEN;
    if same_len && bool::from(computed.0.ct_eq(challenge.as_bytes())) {
        Ok(())
    } else {
        Err(Error::PkceMismatch)
    }
}

/// Checks the `code_verifier` of a token request, if it has one, against
/// the stored S256 `challenge` of the code.
///
/// RFC 7636 §4.6: the server verifies the verifier before it returns a
/// token; without one it cannot, so a missing verifier is
/// [`Error::PkceMissing`], which at the token endpoint is `invalid_grant`
/// as a verifier that does not match ([`Error::PkceMismatch`]) is. A
/// verifier that is not 43–128 unreserved characters (§4.1) can match no
/// challenge: [`Error::PkceVerifierFormat`], `invalid_grant` too.
///
/// ```
/// use fapi_core::{pkce, Error, Site};
/// let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// assert_eq!(pkce::verify_presented(Some(verifier), challenge), Ok(()));
/// let missing = pkce::verify_presented(None, challenge).unwrap_err();
/// assert_eq!(missing, Error::PkceMissing);
/// assert_eq!(missing.oauth_error(Site::TokenRequest).as_str(), "invalid_grant");
/// ```
pub fn verify_presented(verifier: Option<&str>, challenge: &str) -> Result<(), Error> {
    // RFC 7636 §4.6: nothing to verify is a failed verification.
    let verifier = verifier.ok_or(Error::PkceMissing)?;
    verify(verifier, challenge)
}

/// Checks the PKCE parameters of an authorization (or pushed authorization)
/// request under `profile`.
///
/// F2-PKCE, OFB-PKCE, CDR-PKCE, BG-PKCE: when the profile requires PKCE, a
/// request without `code_challenge` is [`Error::PkceMissing`]. Whenever a
/// challenge is present, the method must be `S256` ([`Error::PkceMethod`])
/// and the challenge 43 base64url characters ([`Error::InvalidParameter`]).
/// Returns whether the request carries PKCE.
pub fn check_authorization_request(
    profile: &Profile,
    code_challenge: Option<&str>,
    code_challenge_method: Option<&str>,
) -> Result<bool, Error> {
    let Some(challenge) = code_challenge else {
        // F2-PKCE / OFB-PKCE / CDR-PKCE / BG-PKCE: PKCE is required.
        if profile.pkce_required {
            return Err(Error::PkceMissing);
        }
        return match code_challenge_method {
            Some(_) => Err(Error::InvalidParameter),
            None => Ok(false),
        };
    };
    // F2-PKCE: S256 only.
    let _ = Method::from_name(code_challenge_method)?;
    let mut digest = [0u8; 32];
    let decoded_ok = challenge.len() == CHALLENGE_LEN
        && b64::decode(challenge.as_bytes(), &mut digest).is_ok_and(|d| d.len() == 32);
    if !decoded_ok {
        return Err(Error::InvalidParameter);
    }
    Ok(true)
}

/// A client-side PKCE pair: a fresh random verifier and its challenge. The
/// verifier is secret until it is sent and is zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Pair {
    verifier: [u8; CHALLENGE_LEN],
    challenge: [u8; CHALLENGE_LEN],
}

impl Pair {
    /// Draws 32 random bytes from `rng` (256 bits, RFC 7636 §7.1) as a
    /// 43-character verifier and computes its S256 challenge.
    pub fn generate<R: Random + ?Sized>(rng: &R) -> Result<Self, Error> {
        let mut seed = [0u8; 32];
        rng.fill(&mut seed)?;
        let mut verifier = [0u8; CHALLENGE_LEN];
        let encoded = b64::encode(&seed, &mut verifier).map(|s| s.len());
        seed.zeroize();
        let _ = encoded?;
        let text = core::str::from_utf8(&verifier).map_err(|_| Error::RandomFailed)?;
        let challenge = Challenge::s256(text)?.0;
        Ok(Self {
            verifier,
            challenge,
        })
    }

    /// The code verifier.
    #[must_use]
    pub fn verifier(&self) -> &str {
        core::str::from_utf8(&self.verifier).unwrap_or("")
    }

    /// The S256 code challenge.
    #[must_use]
    pub fn challenge(&self) -> &str {
        core::str::from_utf8(&self.challenge).unwrap_or("")
    }
}

impl core::fmt::Debug for Pair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pair")
            .field("challenge", &self.challenge())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    /// RFC 7636 Appendix B.
    #[test]
    fn rfc7636_appendix_b() {
        assert_eq!(
            Challenge::s256(RFC_VERIFIER).unwrap().as_str(),
            RFC_CHALLENGE
        );
        assert_eq!(verify(RFC_VERIFIER, RFC_CHALLENGE), Ok(()));
    }

    #[test]
    fn mismatch_and_format() {
        let other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl";
        assert_eq!(verify(other, RFC_CHALLENGE), Err(Error::PkceMismatch));
        assert_eq!(verify(RFC_VERIFIER, "E9Melhoa"), Err(Error::PkceMismatch));
        let short = &RFC_VERIFIER[..42];
        assert_eq!(verify(short, RFC_CHALLENGE), Err(Error::PkceVerifierFormat));
        let long = [b'a'; 129];
        let long = core::str::from_utf8(&long).unwrap();
        assert_eq!(check_verifier_format(long), Err(Error::PkceVerifierFormat));
        assert_eq!(check_verifier_format(&long[..128]), Ok(()));
        let bad = "dBjftJeZ4CVP+mB92K27uhbUJU1p1r/wW1gFWFOEjXk";
        assert_eq!(check_verifier_format(bad), Err(Error::PkceVerifierFormat));
        assert_eq!(
            check_verifier_format("a~b.c_d-e0123456789012345678901234567890123"),
            Ok(())
        );
    }

    /// F2-PKCE: `plain` and an absent method are refused.
    #[test]
    fn f2_pkce_plain_refused() {
        let p = Profile::FAPI2;
        assert_eq!(
            check_authorization_request(&p, Some(RFC_CHALLENGE), Some("plain")),
            Err(Error::PkceMethod)
        );
        assert_eq!(
            check_authorization_request(&p, Some(RFC_CHALLENGE), None),
            Err(Error::PkceMethod)
        );
        assert_eq!(
            check_authorization_request(&p, Some(RFC_CHALLENGE), Some("s256")),
            Err(Error::PkceMethod)
        );
        assert_eq!(
            check_authorization_request(&p, Some(RFC_CHALLENGE), Some("S256")),
            Ok(true)
        );
        assert_eq!(
            check_authorization_request(&p, Some("short"), Some("S256")),
            Err(Error::InvalidParameter)
        );
        assert_eq!(Method::from_name(Some("plain")), Err(Error::PkceMethod));
    }

    /// F2-PKCE, OFB-PKCE, CDR-PKCE, BG-PKCE: a request without a challenge is
    /// refused under every profile that requires PKCE.
    #[test]
    fn pkce_required_per_profile_f2_ofb_cdr_bg() {
        for p in [Profile::FAPI2, Profile::OFB, Profile::CDR, Profile::BERLIN] {
            assert!(p.pkce_required, "{}", p.name);
            assert_eq!(
                check_authorization_request(&p, None, None),
                Err(Error::PkceMissing),
                "{}",
                p.name
            );
            assert_eq!(
                check_authorization_request(&p, None, Some("S256")),
                Err(Error::PkceMissing),
                "{}",
                p.name
            );
        }
        let relaxed = Profile {
            pkce_required: false,
            ..Profile::FAPI2
        };
        assert_eq!(check_authorization_request(&relaxed, None, None), Ok(false));
    }

    /// RFC 7636 §4.6 (F2-PKCE, OFB-PKCE, CDR-PKCE, BG-PKCE): at the token
    /// endpoint a missing, malformed or other verifier fails the
    /// verification, and each is `invalid_grant`.
    #[test]
    fn rfc7636_s4_6_missing_malformed_or_wrong_verifier_is_invalid_grant() {
        let site = crate::Site::TokenRequest;
        assert_eq!(verify_presented(Some(RFC_VERIFIER), RFC_CHALLENGE), Ok(()));
        let long = "a".repeat(129);
        let cases = [
            (None, Error::PkceMissing),
            (Some(""), Error::PkceVerifierFormat),
            (Some("short"), Error::PkceVerifierFormat),
            (Some(long.as_str()), Error::PkceVerifierFormat),
            (
                Some("dBjftJeZ4CVP+mB92K27uhbUJU1p1r/wW1gFWFOEjXk"),
                Error::PkceVerifierFormat,
            ),
            (
                Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                Error::PkceMismatch,
            ),
        ];
        for (verifier, want) in cases {
            let got = verify_presented(verifier, RFC_CHALLENGE);
            assert_eq!(got, Err(want), "{verifier:?}");
            assert_eq!(want.oauth_error(site).as_str(), "invalid_grant", "{want:?}");
        }
    }

    struct Counter;
    impl Random for Counter {
        fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
            for (i, b) in dest.iter_mut().enumerate() {
                *b = i as u8;
            }
            Ok(())
        }
    }

    struct Broken;
    impl Random for Broken {
        fn fill(&self, _: &mut [u8]) -> Result<(), Error> {
            Err(Error::RandomFailed)
        }
    }

    #[test]
    fn generated_pair_verifies() {
        let pair = Pair::generate(&Counter).unwrap();
        assert_eq!(pair.verifier().len(), 43);
        assert_eq!(check_verifier_format(pair.verifier()), Ok(()));
        assert_eq!(verify(pair.verifier(), pair.challenge()), Ok(()));
        // base64url of 00 01 .. 1f
        assert_eq!(
            pair.verifier(),
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
        );
        assert_eq!(Pair::generate(&Broken).err(), Some(Error::RandomFailed));
        assert!(!std::format!("{pair:?}").contains(pair.verifier()));
    }
}
