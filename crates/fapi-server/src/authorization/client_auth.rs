//! Client authentication at the PAR, token, introspection and revocation
//! endpoints (F2-CLIENT-AUTH, F2-CONF-CLIENT): `private_key_jwt` (RFC 7523
//! assertion in the form), `tls_client_auth` (a certificate chaining to the
//! trusted CA with the registered subject DN: BG-MTLS) or
//! `self_signed_tls_client_auth` (the certificate registered in the
//! client's JWKS). The method is the client's registered one; a request
//! that uses another, or two, or none, is refused with `401
//! invalid_client` (RFC 6749 §5.2, RFC 8705 §2).

use std::collections::HashMap;

use fapi::issuer::AuthenticatedClient;
use fapi_core::Site;
use fapi_core::mtls::PresentedCertificate;
use fapi_core::profile::ClientAuthMethod;

use crate::app::App;
use crate::error::HttpError;
use crate::tls::PeerCertificate;

use fapi_core::Error as CoreError;

/// The registered method of the client a form request names, once the
/// request is seen to carry that method's credential: a client assertion
/// of the RFC 7523 §2.2 type for `private_key_jwt`, a TLS client
/// certificate for `tls_client_auth` and `self_signed_tls_client_auth`
/// (RFC 8705 §2), and nothing of another method.
///
/// RFC 6749 §5.2, RFC 8705 §2: a request without them has not
/// authenticated the client: `401 invalid_client`, before the sender
/// constraint or the grant is looked at. This spends nothing (no `jti` is
/// recorded), so an endpoint calls it before a DPoP proof that may be
/// refused for its nonce, and [`authenticate`] after it.
pub(crate) fn require_credentials<'f>(
    app: &App,
    form: &'f HashMap<String, String>,
    peer: Option<&PeerCertificate>,
) -> Result<(&'f str, ClientAuthMethod), HttpError> {
    let site = Site::ClientAuthentication;
    let refuse = |e: CoreError| HttpError::at(e, site);
    // RFC 6749 §5.2: no client named, no client authenticated.
    let client_id = form
        .get("client_id")
        .map(String::as_str)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| refuse(CoreError::UnknownClient))?;
    crate::ops::request_log::note_client(client_id);
    let reg = app.client(client_id, site)?;
    let assertion = form.get("client_assertion");
    let assertion_type = form.get("client_assertion_type").map(String::as_str);
    let method = match reg.auth.as_str() {
        "private_key_jwt" => ClientAuthMethod::PrivateKeyJwt,
        "tls_client_auth" => ClientAuthMethod::TlsClientAuth,
        "self_signed_tls_client_auth" => ClientAuthMethod::SelfSignedTlsClientAuth,
        _ => return Err(refuse(CoreError::ClientAuthMethod)),
    };
    match method {
        ClientAuthMethod::PrivateKeyJwt => {
            // F2-CLIENT-AUTH: RFC 7523 §2.2.
            if assertion_type != Some(fapi_core::assertion::ASSERTION_TYPE) || assertion.is_none() {
                return Err(refuse(CoreError::ClientAuthMethod));
            }
        }
        ClientAuthMethod::TlsClientAuth | ClientAuthMethod::SelfSignedTlsClientAuth => {
            // One method only: no assertion beside the certificate.
            if assertion.is_some() || assertion_type.is_some() {
                return Err(refuse(CoreError::ClientAuthMethod));
            }
            // RFC 8705 §2: the client authenticates with the certificate
            // of the TLS connection; without one it has not.
            if peer.is_none() {
                return Err(refuse(CoreError::CertificateMismatch));
            }
        }
    }
    Ok((client_id, method))
}

/// Authenticates the client of a form request sent to `endpoint` (its
/// absolute URL: the issuer's `fapi::Issuer` accepts it as an assertion
/// audience where the profile's rule does, RFC 7523 §3, RFC 9126 §2).
pub(crate) async fn authenticate(
    app: &App,
    form: &HashMap<String, String>,
    peer: Option<&PeerCertificate>,
    endpoint: &str,
) -> Result<AuthenticatedClient, HttpError> {
    let refuse = |e: CoreError| HttpError::at(e, Site::ClientAuthentication);
    let (client_id, method) = require_credentials(app, form, peer)?;
    match (method, peer) {
        (ClientAuthMethod::PrivateKeyJwt, _) => {
            let assertion = form
                .get("client_assertion")
                .ok_or_else(|| refuse(CoreError::ClientAuthMethod))?;
            Ok(app
                .issuer
                .verify_client_assertion(client_id, assertion, endpoint)
                .await?)
        }
        (ClientAuthMethod::TlsClientAuth, Some(peer)) => {
            // BG-MTLS: a certificate the trusted CA issued, with the
            // registered subject.
            if !peer.chain_trusted {
                return Err(refuse(CoreError::CertificateMismatch));
            }
            let presented = PresentedCertificate {
                der: &peer.der,
                subject_dn: peer.subject_dn.as_deref(),
                ..PresentedCertificate::default()
            };
            Ok(app.issuer.authenticate_tls_client(client_id, &presented)?)
        }
        (ClientAuthMethod::SelfSignedTlsClientAuth, Some(peer)) => Ok(app
            .issuer
            .authenticate_self_signed_tls_client(client_id, &peer.der)?),
        _ => Err(refuse(CoreError::CertificateMismatch)),
    }
}
