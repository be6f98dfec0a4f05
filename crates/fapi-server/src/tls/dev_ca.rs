//! The development CA: a self-signed ECDSA P-256 CA (rcgen) that signs the
//! server certificate (SAN 127.0.0.1, ::1, localhost) and, for
//! `tls_client_auth` tests, client certificates. The TLS layer trusts it
//! for client certificates. Never for production: its key sits in a file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use zeroize::Zeroizing;

use crate::error::ServeError;

/// A development certificate authority.
///
/// ```
/// use fapi_server::dev_ca::DevCa;
/// let ca = DevCa::generate()?;
/// assert!(ca.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
/// let (cert, key) = ca.client_certificate("CN=fintech-1,O=Fintech One")?;
/// assert!(cert.contains("CERTIFICATE") && key.contains("PRIVATE KEY"));
/// # Ok::<(), fapi_server::ServeError>(())
/// ```
#[derive(Clone)]
pub struct DevCa {
    inner: Arc<Inner>,
}

struct Inner {
    cert_pem: String,
    key_pem: Zeroizing<String>,
    path: Option<PathBuf>,
}

impl core::fmt::Debug for DevCa {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DevCa")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

fn tls_err(e: &rcgen::Error) -> ServeError {
    ServeError::Tls(format!("development CA: {e}"))
}

/// The file names in the CA's folder.
const CA_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca-key.pem";

impl DevCa {
    /// A fresh CA, in memory.
    pub fn generate() -> Result<Self, ServeError> {
        let key = KeyPair::generate().map_err(|e| tls_err(&e))?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "fapi development CA");
        dn.push(DnType::OrganizationName, "fapi reference bank");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).map_err(|e| tls_err(&e))?;
        Ok(Self {
            inner: Arc::new(Inner {
                cert_pem: cert.pem(),
                key_pem: Zeroizing::new(key.serialize_pem()),
                path: None,
            }),
        })
    }

    /// The CA kept in `dir` (`ca.pem`, `ca-key.pem`): loaded when there,
    /// else made and written (the key file readable by its owner only).
    pub fn load_or_create(dir: impl AsRef<Path>) -> Result<Self, ServeError> {
        let dir = dir.as_ref();
        let cert_path = dir.join(CA_FILE);
        let key_path = dir.join(CA_KEY_FILE);
        if cert_path.exists() && key_path.exists() {
            let cert_pem =
                std::fs::read_to_string(&cert_path).map_err(|e| ServeError::io(&cert_path, &e))?;
            let key_pem = Zeroizing::new(
                std::fs::read_to_string(&key_path).map_err(|e| ServeError::io(&key_path, &e))?,
            );
            let ca = Self {
                inner: Arc::new(Inner {
                    cert_pem,
                    key_pem,
                    path: Some(absolute(&cert_path)),
                }),
            };
            // Fails now, not at the first handshake, on a broken pair.
            let _ = ca.issuer()?;
            return Ok(ca);
        }
        std::fs::create_dir_all(dir).map_err(|e| ServeError::io(dir, &e))?;
        let fresh = Self::generate()?;
        write_private(&key_path, fresh.inner.key_pem.as_bytes())?;
        std::fs::write(&cert_path, fresh.inner.cert_pem.as_bytes())
            .map_err(|e| ServeError::io(&cert_path, &e))?;
        Ok(Self {
            inner: Arc::new(Inner {
                cert_pem: fresh.inner.cert_pem.clone(),
                key_pem: fresh.inner.key_pem.clone(),
                path: Some(absolute(&cert_path)),
            }),
        })
    }

    /// The CA certificate, PEM.
    #[must_use]
    pub fn ca_pem(&self) -> &str {
        &self.inner.cert_pem
    }

    /// The absolute path of `ca.pem`, for a CA kept in a folder.
    #[must_use]
    pub fn ca_pem_path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    fn issuer(&self) -> Result<Issuer<'static, KeyPair>, ServeError> {
        let key = KeyPair::from_pem(&self.inner.key_pem).map_err(|e| tls_err(&e))?;
        Issuer::from_ca_cert_pem(&self.inner.cert_pem, key).map_err(|e| tls_err(&e))
    }

    /// A server certificate for 127.0.0.1, ::1 and localhost (and `extra`
    /// DNS names): the chain (leaf, CA) PEM and the key PEM.
    pub fn server_certificate(&self, extra: &[String]) -> Result<(String, String), ServeError> {
        let mut names = vec!["localhost".to_owned()];
        names.extend(extra.iter().cloned());
        let mut params = CertificateParams::new(names).map_err(|e| tls_err(&e))?;
        params
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        params
            .subject_alt_names
            .push(SanType::IpAddress(core::net::Ipv6Addr::LOCALHOST.into()));
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "fapi reference bank");
        params.distinguished_name = dn;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().map_err(|e| tls_err(&e))?;
        let cert = params
            .signed_by(&key, &self.issuer()?)
            .map_err(|e| tls_err(&e))?;
        Ok((
            format!("{}{}", cert.pem(), self.inner.cert_pem),
            key.serialize_pem(),
        ))
    }

    /// A client certificate (for `tls_client_auth`) whose subject DN, in
    /// RFC 4514 form, is `subject_dn` (`CN=fintech-1,O=Fintech One`): the
    /// certificate PEM and its key PEM.
    pub fn client_certificate(&self, subject_dn: &str) -> Result<(String, String), ServeError> {
        let mut params = CertificateParams::default();
        params.distinguished_name = parse_dn(subject_dn)?;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().map_err(|e| tls_err(&e))?;
        let cert = params
            .signed_by(&key, &self.issuer()?)
            .map_err(|e| tls_err(&e))?;
        Ok((cert.pem(), key.serialize_pem()))
    }
}

/// A self-signed client certificate (`self_signed_tls_client_auth`, RFC
/// 8705 §2.2) for `subject_dn`: the certificate PEM, its DER and the key
/// PEM. Register its DER as the `x5c` of a JWK.
pub fn self_signed_client_certificate(
    subject_dn: &str,
) -> Result<(String, Vec<u8>, String), ServeError> {
    let mut params = CertificateParams::default();
    params.distinguished_name = parse_dn(subject_dn)?;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let key = KeyPair::generate().map_err(|e| tls_err(&e))?;
    let cert = params.self_signed(&key).map_err(|e| tls_err(&e))?;
    Ok((cert.pem(), cert.der().to_vec(), key.serialize_pem()))
}

/// Reads an RFC 4514 string of single-valued RDNs. RFC 4514 writes the
/// last RDN of the DER sequence first, so the RDNs are pushed in reverse:
/// the certificate's DN then prints back as `dn`.
fn parse_dn(dn: &str) -> Result<DistinguishedName, ServeError> {
    let bad = || ServeError::Config(format!("subject DN {dn:?}: expected TYPE=value,..."));
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = dn.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => cur.push(chars.next().ok_or_else(bad)?),
            ',' => parts.push(core::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    let mut out = DistinguishedName::new();
    for part in parts.iter().rev() {
        let (ty, value) = part.split_once('=').ok_or_else(bad)?;
        let ty = match ty.trim() {
            "CN" => DnType::CommonName,
            "O" => DnType::OrganizationName,
            "OU" => DnType::OrganizationalUnitName,
            "C" => DnType::CountryName,
            "L" => DnType::LocalityName,
            "ST" => DnType::StateOrProvinceName,
            _ => return Err(bad()),
        };
        out.push(ty, value);
    }
    Ok(out)
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ServeError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    let _ = opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let _ = opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| ServeError::io(path, &e))?;
    f.write_all(bytes).map_err(|e| ServeError::io(path, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_certificate_subject_prints_back_as_registered() {
        let ca = DevCa::generate().unwrap();
        let (pem, _) = ca.client_certificate("CN=fintech-1,O=Fintech One").unwrap();
        let der = crate::tls::pem_certs(pem.as_bytes()).unwrap();
        let dn = crate::tls::subject_dn(der.first().unwrap()).unwrap();
        assert_eq!(dn, "CN=fintech-1,O=Fintech One");
    }

    #[test]
    fn a_malformed_subject_dn_is_refused() {
        let ca = DevCa::generate().unwrap();
        assert!(matches!(
            ca.client_certificate("no equals sign"),
            Err(ServeError::Config(_))
        ));
    }

    #[test]
    fn load_or_create_writes_then_reads_the_same_ca() {
        let dir = std::env::temp_dir().join(format!("fapi-dev-ca-{}", std::process::id()));
        let a = DevCa::load_or_create(&dir).unwrap();
        let b = DevCa::load_or_create(&dir).unwrap();
        assert_eq!(a.ca_pem(), b.ca_pem());
        assert!(a.ca_pem_path().unwrap().ends_with("ca.pem"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
