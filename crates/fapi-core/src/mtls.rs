//! Certificate-bound tokens and MTLS client authentication (RFC 8705).
//!
//! A token bound to a client certificate carries `cnf.x5t#S256`, the
//! base64url SHA-256 of the certificate's DER. The TLS terminator hands the
//! server the DER of the certificate the client presented; fapi hashes it
//! and compares in constant time. For `tls_client_auth` the client is
//! identified by the subject DN or a subject alternative name of its
//! certificate, as registered; the TLS stack extracts and formats those
//! strings (RFC 4514 for the DN), and fapi compares them exactly.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::b64;
use crate::error::Error;
use crate::profile::{ClientAuthMethod, Profile, SenderConstraint};

/// Length of a base64url `x5t#S256` value.
pub const X5T_S256_B64_LEN: usize = 43;

/// An RFC 8705 §3.1 certificate thumbprint: SHA-256 of the DER certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CertThumbprint(pub [u8; 32]);

impl CertThumbprint {
    /// The thumbprint of the DER-encoded certificate `der`.
    #[must_use]
    pub fn of_der(der: &[u8]) -> Self {
        Self(Sha256::digest(der).into())
    }

    /// The base64url form, as in `cnf.x5t#S256`.
    #[must_use]
    pub fn to_b64(&self) -> [u8; X5T_S256_B64_LEN] {
        let mut out = [0u8; X5T_S256_B64_LEN];
        // 32 bytes always encode to 43 characters.
        let _ = b64::encode(&self.0, &mut out);
        out
    }

    /// Compares with a base64url `x5t#S256` value in constant time.
    #[must_use]
    pub fn matches_b64(&self, value: &str) -> bool {
        value.len() == X5T_S256_B64_LEN && bool::from(self.to_b64().ct_eq(value.as_bytes()))
    }
}

/// Checks that a token's `cnf.x5t#S256` names the certificate `cert_der`
/// the client presented: [`Error::CertificateMismatch`] otherwise.
pub fn check_certificate_binding(cnf_x5t_s256: &str, cert_der: &[u8]) -> Result<(), Error> {
    if CertThumbprint::of_der(cert_der).matches_b64(cnf_x5t_s256) {
        Ok(())
    } else {
        Err(Error::CertificateMismatch)
    }
}

/// Whether `profile` allows only certificate-bound tokens.
#[must_use]
pub fn certificate_binding_required(profile: &Profile) -> bool {
    !profile.sender.is_empty() && profile.sender.iter().all(|s| *s == SenderConstraint::Mtls)
}

/// Checks that a token is certificate-bound, by a binding `profile`
/// allows, to the client certificate `cert_der` of the request.
///
/// F2-SENDER, OB-SENDER, CDR-HOK: this function admits only a
/// certificate-bound token, under every profile. A token without
/// `cnf.x5t#S256` (a bearer token, or one bound to a DPoP key, which this
/// function cannot check) is [`Error::SenderConstraintMissing`], as is any
/// token under a profile that does not allow certificate binding; one
/// bound to another certificate, or presented without a client
/// certificate, is [`Error::CertificateMismatch`]. For a token that may be
/// bound either way (`fapi2`), [`crate::token::verify`] checks whichever
/// binding it carries.
///
/// ```
/// use fapi_core::mtls::check_token_certificate;
/// use fapi_core::profile::Profile;
/// use fapi_core::Error;
/// // F2-SENDER: no bearer token, also where DPoP would be allowed.
/// assert_eq!(
///     check_token_certificate(&Profile::FAPI2, None, Some(b"cert")),
///     Err(Error::SenderConstraintMissing)
/// );
/// ```
pub fn check_token_certificate(
    profile: &Profile,
    cnf_x5t_s256: Option<&str>,
    cert_der: Option<&[u8]>,
) -> Result<(), Error> {
    // F2-SENDER / OB-SENDER / CDR-HOK: never a bearer token.
    if !profile.sender.contains(&SenderConstraint::Mtls) {
        return Err(Error::SenderConstraintMissing);
    }
    let x5t = cnf_x5t_s256.ok_or(Error::SenderConstraintMissing)?;
    let der = cert_der.ok_or(Error::CertificateMismatch)?;
    check_certificate_binding(x5t, der)
}

/// How a `tls_client_auth` client is registered (RFC 8705 §2.1.2): exactly
/// one of these metadata values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsClientAuthSubject<'a> {
    /// `tls_client_auth_subject_dn` (RFC 4514 string).
    SubjectDn(&'a str),
    /// `tls_client_auth_san_dns`.
    SanDns(&'a str),
    /// `tls_client_auth_san_uri`.
    SanUri(&'a str),
    /// `tls_client_auth_san_ip`.
    SanIp(&'a str),
    /// `tls_client_auth_san_email`.
    SanEmail(&'a str),
}

/// What the TLS stack extracted from the certificate the client presented.
#[derive(Clone, Copy, Debug, Default)]
pub struct PresentedCertificate<'a> {
    /// The DER certificate.
    pub der: &'a [u8],
    /// Its subject DN, formatted per RFC 4514.
    pub subject_dn: Option<&'a str>,
    /// Its dNSName SANs.
    pub san_dns: &'a [&'a str],
    /// Its uniformResourceIdentifier SANs.
    pub san_uri: &'a [&'a str],
    /// Its iPAddress SANs, in text form.
    pub san_ip: &'a [&'a str],
    /// Its rfc822Name SANs.
    pub san_email: &'a [&'a str],
}

/// Authenticates a `tls_client_auth` client.
///
/// BG-MTLS: the client (TPP) is identified by its certificate. The profile
/// must allow `tls_client_auth` ([`Error::ClientAuthMethod`]); the
/// presented certificate's subject DN or SAN must equal the registered
/// value ([`Error::CertificateMismatch`], `invalid_client` at
/// [`Site::ClientAuthentication`](crate::Site::ClientAuthentication)). An
/// empty (or blank) registered value identifies no one and never matches,
/// not even a certificate with an empty subject: [`Error::CertificateMismatch`].
/// Returns the certificate's thumbprint, for binding the tokens issued.
pub fn authenticate_tls_client(
    profile: &Profile,
    registered: &TlsClientAuthSubject<'_>,
    presented: &PresentedCertificate<'_>,
) -> Result<CertThumbprint, Error> {
    if !profile
        .client_auth
        .contains(&ClientAuthMethod::TlsClientAuth)
    {
        return Err(Error::ClientAuthMethod);
    }
    if presented.der.is_empty() {
        return Err(Error::CertificateMismatch);
    }
    let (TlsClientAuthSubject::SubjectDn(want)
    | TlsClientAuthSubject::SanDns(want)
    | TlsClientAuthSubject::SanUri(want)
    | TlsClientAuthSubject::SanIp(want)
    | TlsClientAuthSubject::SanEmail(want)) = *registered;
    // BG-MTLS: an empty registration names no client.
    if want.trim().is_empty() {
        return Err(Error::CertificateMismatch);
    }
    let eq = |a: &str, b: &str| a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()));
    let any = |list: &[&str], want: &str| list.iter().any(|v| eq(v, want));
    // BG-MTLS: the registered identity must be in the certificate.
    let matched = match *registered {
        TlsClientAuthSubject::SubjectDn(dn) => presented.subject_dn.is_some_and(|s| eq(s, dn)),
        TlsClientAuthSubject::SanDns(v) => any(presented.san_dns, v),
        TlsClientAuthSubject::SanUri(v) => any(presented.san_uri, v),
        TlsClientAuthSubject::SanIp(v) => any(presented.san_ip, v),
        TlsClientAuthSubject::SanEmail(v) => any(presented.san_email, v),
    };
    if matched {
        Ok(CertThumbprint::of_der(presented.der))
    } else {
        Err(Error::CertificateMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Site;

    // A self-signed P-256 certificate made once with
    //   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    //     -subj "/CN=tpp.example/O=Example TPP" -addext "subjectAltName=DNS:tpp.example" -days 3650
    // Its thumbprint was computed independently with
    //   openssl x509 -outform DER | openssl dgst -sha256 -binary | basenc --base64url | tr -d =
    const CERT_DER: &[u8] = include_bytes!("../testdata/client-cert.der");
    const CERT_X5T: &str = include_str!("../testdata/client-cert.x5t");

    #[test]
    fn x5t_s256_matches_openssl() {
        let x5t = CERT_X5T.trim();
        let t = CertThumbprint::of_der(CERT_DER);
        assert_eq!(core::str::from_utf8(&t.to_b64()).unwrap(), x5t);
        assert_eq!(check_certificate_binding(x5t, CERT_DER), Ok(()));
        assert_eq!(
            check_certificate_binding(x5t, &CERT_DER[1..]),
            Err(Error::CertificateMismatch)
        );
        assert_eq!(
            check_certificate_binding("short", CERT_DER),
            Err(Error::CertificateMismatch)
        );
    }

    /// F2-SENDER, OB-SENDER, CDR-HOK: under the certificate-binding profiles
    /// a token without `x5t#S256` is refused, and one bound to another
    /// certificate is refused.
    #[test]
    fn certificate_bound_tokens_ob_sender_cdr_hok_f2_sender() {
        let x5t = CERT_X5T.trim();
        for p in [Profile::OBIE, Profile::CDR, Profile::OFB, Profile::BERLIN] {
            assert!(certificate_binding_required(&p));
            assert_eq!(
                check_token_certificate(&p, None, Some(CERT_DER)),
                Err(Error::SenderConstraintMissing),
                "{}",
                p.name
            );
            assert_eq!(
                check_token_certificate(&p, Some(x5t), Some(CERT_DER)),
                Ok(())
            );
            assert_eq!(
                check_token_certificate(&p, Some(x5t), Some(b"other")),
                Err(Error::CertificateMismatch)
            );
            assert_eq!(
                check_token_certificate(&p, Some(x5t), None),
                Err(Error::CertificateMismatch)
            );
        }
        // FAPI 2.0 allows DPoP too, so certificate binding is not the only
        // kind; the certificate check still admits only certificate-bound
        // tokens (f2_sender_check_token_certificate_never_admits_a_bearer_token).
        assert!(!certificate_binding_required(&Profile::FAPI2));
        assert_eq!(
            check_token_certificate(&Profile::FAPI2, Some(x5t), Some(CERT_DER)),
            Ok(())
        );
    }

    /// F2-SENDER: check_token_certificate never admits a token without
    /// `cnf.x5t#S256`, under any profile (fapi2 included, where the token
    /// could be DPoP-bound: that binding is not this function's to check),
    /// with or without a client certificate.
    #[test]
    fn f2_sender_check_token_certificate_never_admits_a_bearer_token() {
        for p in Profile::ALL {
            for cert in [None, Some(CERT_DER)] {
                let err = check_token_certificate(p, None, cert).unwrap_err();
                assert_eq!(err, Error::SenderConstraintMissing, "{}", p.name);
                assert_eq!(
                    err.oauth_error(Site::ResourceRequest).as_str(),
                    "invalid_token"
                );
            }
        }
        // a profile without certificate binding admits no token here
        let dpop_only = Profile {
            sender: &[SenderConstraint::Dpop],
            ..Profile::FAPI2
        };
        assert_eq!(
            check_token_certificate(&dpop_only, Some(CERT_X5T.trim()), Some(CERT_DER)),
            Err(Error::SenderConstraintMissing)
        );
    }

    /// BG-MTLS: an empty registered subject DN (or SAN) never matches, not
    /// even a certificate whose subject is empty.
    #[test]
    fn bg_mtls_empty_registered_identity_never_matches() {
        let p = Profile::BERLIN;
        let empty = PresentedCertificate {
            der: CERT_DER,
            subject_dn: Some(""),
            san_dns: &[""],
            san_uri: &[""],
            san_ip: &[""],
            san_email: &[""],
        };
        for registered in [
            TlsClientAuthSubject::SubjectDn(""),
            TlsClientAuthSubject::SubjectDn(" "),
            TlsClientAuthSubject::SanDns(""),
            TlsClientAuthSubject::SanUri(""),
            TlsClientAuthSubject::SanIp(""),
            TlsClientAuthSubject::SanEmail(""),
        ] {
            let err = authenticate_tls_client(&p, &registered, &empty).unwrap_err();
            assert_eq!(err, Error::CertificateMismatch, "{registered:?}");
            assert_eq!(
                err.oauth_error(Site::ClientAuthentication).as_str(),
                "invalid_client"
            );
        }
        // a certificate with no subject at all, against an empty DN
        let none = PresentedCertificate {
            der: CERT_DER,
            ..PresentedCertificate::default()
        };
        assert_eq!(
            authenticate_tls_client(&p, &TlsClientAuthSubject::SubjectDn(""), &none),
            Err(Error::CertificateMismatch)
        );
    }

    /// BG-MTLS: the TPP is identified by the subject DN or SAN of its
    /// certificate.
    #[test]
    fn bg_mtls_client_identified_by_certificate() {
        let p = Profile::BERLIN;
        let presented = PresentedCertificate {
            der: CERT_DER,
            subject_dn: Some("O=Example TPP,CN=tpp.example"),
            san_dns: &["tpp.example"],
            ..PresentedCertificate::default()
        };
        let dn = TlsClientAuthSubject::SubjectDn("O=Example TPP,CN=tpp.example");
        assert_eq!(
            authenticate_tls_client(&p, &dn, &presented),
            Ok(CertThumbprint::of_der(CERT_DER))
        );
        let san = TlsClientAuthSubject::SanDns("tpp.example");
        assert!(authenticate_tls_client(&p, &san, &presented).is_ok());
        let other = TlsClientAuthSubject::SubjectDn("O=Other,CN=tpp.example");
        let err = authenticate_tls_client(&p, &other, &presented).unwrap_err();
        assert_eq!(err, Error::CertificateMismatch);
        assert_eq!(
            err.oauth_error(Site::ClientAuthentication).as_str(),
            "invalid_client"
        );
        let uri = TlsClientAuthSubject::SanUri("https://tpp.example");
        assert_eq!(
            authenticate_tls_client(&p, &uri, &presented),
            Err(Error::CertificateMismatch)
        );
        let none = PresentedCertificate {
            der: &[],
            ..presented
        };
        assert_eq!(
            authenticate_tls_client(&p, &dn, &none),
            Err(Error::CertificateMismatch)
        );
        // CDR-CLIENT-AUTH: no MTLS client authentication under the CDR.
        assert_eq!(
            authenticate_tls_client(&Profile::CDR, &dn, &presented),
            Err(Error::ClientAuthMethod)
        );
    }
}
