//! `fapi-load setup DIR`: the files both servers and the load client share.
//!
//! - `client.pem`: the load client's ES256 key (PKCS#8), `client-jwks.json`
//!   its public JWKS;
//! - `clients.toml`: that client registered for `fapi serve`;
//! - `as.pem`: the authorization server's ES256 key, shared by two nodes;
//! - `nonce.key`: 32 bytes for DPoP nonces, shared by two nodes;
//! - `ca.pem`, `tls-cert.pem`, `tls-key.pem`: a CA and a server
//!   certificate for 127.0.0.1 and localhost that every server uses.

use std::fs;
use std::path::Path;

use fapi::{KeySet, SigningKey};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// The client id both servers register.
pub const CLIENT_ID: &str = "load-1";

/// A failure, as the message to print.
pub type Failure = String;

fn write(dir: &Path, name: &str, contents: &[u8]) -> Result<(), Failure> {
    fs::write(dir.join(name), contents).map_err(|e| format!("{name}: {e}"))
}

/// Writes every file into `dir` (made when missing).
pub fn run(dir: &Path) -> Result<(), Failure> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let client_pem = pkcs8_pem()?;
    let client = SigningKey::from_pem(&client_pem).map_err(|e| e.to_string())?;
    let jwks = KeySet::new(client).jwks_json().map_err(|e| e.to_string())?;
    write(dir, "client.pem", client_pem.as_bytes())?;
    write(dir, "client-jwks.json", jwks.as_bytes())?;
    let toml = format!(
        "[[client]]\nclient_id = \"{CLIENT_ID}\"\nname = \"Load Client\"\n\
         redirect_uris = [\"https://fintech.example/cb\"]\nauth = \"private_key_jwt\"\n\
         jwks = '{jwks}'\nscopes = [\"openid\", \"accounts\", \"payments\"]\n"
    );
    write(dir, "clients.toml", toml.as_bytes())?;
    write(dir, "as.pem", pkcs8_pem()?.as_bytes())?;
    let mut nonce = [0u8; 32];
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| "no randomness".to_owned())?;
    write(dir, "nonce.key", &nonce)?;
    tls(dir)
}

/// A fresh P-256 key as PKCS#8 PEM (rcgen's generator is aws-lc's).
fn pkcs8_pem() -> Result<String, Failure> {
    Ok(KeyPair::generate()
        .map_err(|e| e.to_string())?
        .serialize_pem())
}

fn tls(dir: &Path) -> Result<(), Failure> {
    let err = |e: rcgen::Error| e.to_string();
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "fapi-load test CA");
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().map_err(err)?;
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .map_err(err)?
        .signed_by(&leaf_key, &issuer)
        .map_err(err)?;
    write(dir, "ca.pem", ca_cert.pem().as_bytes())?;
    write(dir, "tls-cert.pem", leaf.pem().as_bytes())?;
    write(dir, "tls-key.pem", leaf_key.serialize_pem().as_bytes())
}
