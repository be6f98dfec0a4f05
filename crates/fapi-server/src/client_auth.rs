//! Client authentication at the PAR, token, introspection and revocation
//! endpoints (F2-CLIENT-AUTH, F2-CONF-CLIENT): `private_key_jwt` (RFC 7523
//! assertion in the form), `tls_client_auth` (a certificate chaining to the
//! trusted CA with the registered subject DN: BG-MTLS) or
//! `self_signed_tls_client_auth` (the certificate registered in the
//! client's JWKS). The method is the client's registered one; a request
//! that uses another, or two, is refused.

use std::collections::HashMap;

use fapi::issuer::AuthenticatedClient;
use fapi_core::Site;
use fapi_core::mtls::PresentedCertificate;

use crate::app::App;
use crate::error::HttpError;
use crate::tls::PeerCertificate;

use fapi_core::Error as CoreError;

/// Authenticates the client of a form request sent to `endpoint` (its
/// absolute URL, an accepted assertion audience beside the issuer).
pub(crate) async fn authenticate(
    app: &App,
    form: &HashMap<String, String>,
    peer: Option<&PeerCertificate>,
    endpoint: &str,
) -> Result<AuthenticatedClient, HttpError> {
    let site = Site::ClientAuthentication;
    let refuse = |e: CoreError| HttpError::at(e, site);
    let client_id = form
        .get("client_id")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| refuse(CoreError::UnknownClient))?;
    let reg = app.client(client_id, site)?;
    let assertion = form.get("client_assertion");
    let assertion_type = form.get("client_assertion_type");
    match reg.auth.as_str() {
        "private_key_jwt" => {
            // F2-CLIENT-AUTH: RFC 7523 §2.2.
            if assertion_type.map(String::as_str) != Some(fapi_core::assertion::ASSERTION_TYPE) {
                return Err(refuse(CoreError::ClientAuthMethod));
            }
            let assertion = assertion.ok_or_else(|| refuse(CoreError::ClientAuthMethod))?;
            Ok(app
                .issuer
                .verify_client_assertion(client_id, assertion, endpoint)
                .await?)
        }
        "tls_client_auth" => {
            if assertion.is_some() || assertion_type.is_some() {
                return Err(refuse(CoreError::ClientAuthMethod));
            }
            // BG-MTLS: a certificate the trusted CA issued, with the
            // registered subject.
            let peer = peer
                .filter(|p| p.chain_trusted)
                .ok_or_else(|| refuse(CoreError::CertificateMismatch))?;
            let presented = PresentedCertificate {
                der: &peer.der,
                subject_dn: peer.subject_dn.as_deref(),
                ..PresentedCertificate::default()
            };
            Ok(app.issuer.authenticate_tls_client(client_id, &presented)?)
        }
        "self_signed_tls_client_auth" => {
            if assertion.is_some() || assertion_type.is_some() {
                return Err(refuse(CoreError::ClientAuthMethod));
            }
            let peer = peer.ok_or_else(|| refuse(CoreError::CertificateMismatch))?;
            Ok(app
                .issuer
                .authenticate_self_signed_tls_client(client_id, &peer.der)?)
        }
        _ => Err(refuse(CoreError::ClientAuthMethod)),
    }
}
