//! TLS (rustls on aws-lc-rs): the server configuration, and the client
//! certificate of each connection as handlers see it ([`PeerCertificate`]).
//!
//! A client certificate is requested, never required, at the TLS layer,
//! and any certificate whose key signs the handshake is accepted there:
//! `self_signed_tls_client_auth` clients (RFC 8705 §2.2) present
//! certificates no CA signed. Each client is checked at the application
//! layer (the `client_auth` module): `tls_client_auth` needs a chain to the
//! trusted CA ([`PeerCertificate::chain_trusted`], verified here at accept
//! time with webpki) and the registered subject DN; the self-signed method
//! needs the very certificate registered in the client's JWKS.
//!
//! [`dev_ca`] is the development CA that signs the server certificate and,
//! in tests, client certificates.

pub mod dev_ca;

use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ServerConfig as RustlsConfig, WebPkiClientVerifier};
use rustls::{DistinguishedName, RootCertStore, SignatureScheme};

use crate::error::ServeError;

/// The client certificate of the request's TLS connection, set as a
/// request extension by the accept loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerCertificate {
    /// The leaf certificate, DER.
    pub der: Arc<[u8]>,
    /// Its subject DN, RFC 4514.
    pub subject_dn: Option<String>,
    /// Whether the chain the client sent verifies to the trusted CA (the
    /// development CA) for client authentication.
    pub chain_trusted: bool,
}

/// Reads the certificates of a PEM document.
pub fn pem_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, ServeError> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(pem).collect();
    let certs = certs.map_err(|e| ServeError::Tls(format!("certificate PEM: {e}")))?;
    if certs.is_empty() {
        return Err(ServeError::Tls("no certificate in the PEM document".into()));
    }
    Ok(certs)
}

/// Reads the private key of a PEM document (PKCS#8, SEC1 or PKCS#1).
pub fn pem_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, ServeError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| ServeError::Tls(format!("key PEM: {e}")))
}

/// The subject DN of a DER certificate in RFC 4514 form (last RDN first,
/// `,` between RDNs, `+` inside a multi-valued one, special characters
/// escaped). x509-parser's `Display` writes the RDNs in DER order with
/// `, `, which is not RFC 4514, so the few lines of the string form are
/// here.
pub fn subject_dn(der: &[u8]) -> Result<String, ServeError> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| ServeError::Tls(format!("client certificate: {e}")))?;
    let registry = x509_parser::objects::oid_registry();
    let mut rdns = Vec::new();
    for rdn in cert.subject().iter() {
        let mut atvs = Vec::new();
        for atv in rdn.iter() {
            let oid = atv.attr_type();
            let name = x509_parser::objects::oid2abbrev(oid, registry)
                .map_or_else(|_| oid.to_id_string(), ToOwned::to_owned);
            let value = atv
                .as_str()
                .map_err(|_| ServeError::Tls("client certificate: a non-string DN value".into()))?;
            atvs.push(format!("{name}={}", escape_rfc4514(value)));
        }
        rdns.push(atvs.join("+"));
    }
    rdns.reverse();
    Ok(rdns.join(","))
}

fn escape_rfc4514(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let last = v.chars().count().saturating_sub(1);
    for (i, c) in v.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Accepts any client certificate whose key signs the handshake; the
/// application layer decides per client (see the module documentation).
#[derive(Debug)]
struct RequestClientCert {
    provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for RequestClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }
    fn client_auth_mandatory(&self) -> bool {
        false
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // No hints: a client may send a self-signed certificate.
        &[]
    }
    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The TLS side of a running server: the rustls configuration and the
/// verifier of client certificate chains.
#[derive(Clone)]
pub struct TlsSetup {
    /// The rustls server configuration.
    pub config: Arc<RustlsConfig>,
    chain: Option<Arc<dyn ClientCertVerifier>>,
}

impl core::fmt::Debug for TlsSetup {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TlsSetup")
            .field("client_ca", &self.chain.is_some())
            .finish_non_exhaustive()
    }
}

impl TlsSetup {
    /// TLS 1.2 and 1.3 (BG-MTLS, OB-FAPI1, OFB-TLS: TLS 1.2 or newer),
    /// aws-lc-rs, HTTP/1.1 by ALPN, with `cert_chain_pem` and `key_pem`;
    /// client certificate chains are checked against `client_ca_pem` when
    /// given.
    pub fn new(
        cert_chain_pem: &[u8],
        key_pem: &[u8],
        client_ca_pem: Option<&[u8]>,
    ) -> Result<Self, ServeError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let certs = pem_certs(cert_chain_pem)?;
        let key = pem_key(key_pem)?;
        let verifier = Arc::new(RequestClientCert {
            provider: Arc::clone(&provider),
        });
        let mut config = RustlsConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| ServeError::Tls(e.to_string()))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(certs, key)
            .map_err(|e| ServeError::Tls(e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let chain = match client_ca_pem {
            Some(pem) => {
                let mut roots = RootCertStore::empty();
                for c in pem_certs(pem)? {
                    roots
                        .add(c)
                        .map_err(|e| ServeError::Tls(format!("client CA: {e}")))?;
                }
                let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(|e| ServeError::Tls(format!("client CA: {e}")))?;
                Some(v)
            }
            None => None,
        };
        Ok(Self {
            config: Arc::new(config),
            chain,
        })
    }

    /// What handlers see of the certificates a client sent (leaf first).
    #[must_use]
    pub fn peer(&self, certs: &[CertificateDer<'_>]) -> Option<PeerCertificate> {
        let (leaf, intermediates) = certs.split_first()?;
        let chain_trusted = self.chain.as_ref().is_some_and(|v| {
            v.verify_client_cert(leaf, intermediates, UnixTime::now())
                .is_ok()
        });
        Some(PeerCertificate {
            der: Arc::from(leaf.as_ref()),
            subject_dn: subject_dn(leaf).ok(),
            chain_trusted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4514_escapes_specials() {
        assert_eq!(escape_rfc4514("a,b"), "a\\,b");
        assert_eq!(escape_rfc4514("#x "), "\\#x\\ ");
        assert_eq!(escape_rfc4514("plain"), "plain");
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(subject_dn(b"not DER").is_err());
        assert!(pem_certs(b"nothing here").is_err());
    }
}
