//! One bank (authorization server and resource server), one honest client
//! and one attacker's client, under one profile.

use std::sync::Arc;

use fapi_core::profile::{ClientAuthMethod, Profile, ProfileId};
use fapi_core::{Alg, Error};

use crate::authorization_server::{AuthorizationServer, SenderConstraint, sender_constraint};
use crate::client::Client;
use crate::directory::{Certificate, Directory};
use crate::keys::{RsaKeys, SoftKey};
use crate::resource_server::ResourceServer;

/// The client certificate (DER) of the honest client.
pub const CLIENT_CERT_DER: &[u8] = include_bytes!("../../fapi-core/testdata/client-cert.der");
/// Its subject DN (RFC 4514).
pub const CLIENT_CERT_DN: &str = "CN=tpp.example,O=Example TPP";
/// The attacker's own client certificate (DER).
pub const ATTACKER_CERT_DER: &[u8] = include_bytes!("../testdata/attacker-cert.der");
/// Its subject DN.
pub const ATTACKER_CERT_DN: &str = "CN=attacker.example,O=Example Attacker";

/// The algorithms the parties sign with under a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Algorithms {
    /// The authorization server's token key.
    pub server: Alg,
    /// The clients' keys (assertions, request objects, messages).
    pub client: Alg,
    /// DPoP keys.
    pub dpop: Alg,
}

/// The algorithms for `profile`: PS256 under obie and ofb (OB-ALG,
/// OFB-ALG), a mix of PS256 and ES256 under cdr (CDR-ALG), ES256 and EdDSA
/// elsewhere (F2-ALG).
#[must_use]
pub const fn algorithms(profile: &Profile) -> Algorithms {
    match profile.id {
        ProfileId::Obie | ProfileId::Ofb => Algorithms {
            server: Alg::Ps256,
            client: Alg::Ps256,
            dpop: Alg::Ps256,
        },
        ProfileId::Cdr => Algorithms {
            server: Alg::Ps256,
            client: Alg::Es256,
            dpop: Alg::Es256,
        },
        ProfileId::Fapi2 => Algorithms {
            server: Alg::Es256,
            client: Alg::EdDsa,
            dpop: Alg::Es256,
        },
        ProfileId::Fapi2Plus => Algorithms {
            server: Alg::EdDsa,
            client: Alg::Es256,
            dpop: Alg::EdDsa,
        },
        ProfileId::Berlin => Algorithms {
            server: Alg::EdDsa,
            client: Alg::Es256,
            dpop: Alg::Es256,
        },
        ProfileId::Fapi2Ms => Algorithms {
            server: Alg::Es256,
            client: Alg::Es256,
            dpop: Alg::EdDsa,
        },
    }
}

/// The client authentication method the clients use under `profile`.
#[must_use]
pub fn client_auth(profile: &Profile) -> ClientAuthMethod {
    if profile
        .client_auth
        .contains(&ClientAuthMethod::PrivateKeyJwt)
    {
        ClientAuthMethod::PrivateKeyJwt
    } else {
        ClientAuthMethod::TlsClientAuth
    }
}

/// The parties of one run under one profile.
#[derive(Debug)]
pub struct World {
    /// The profile.
    pub profile: Profile,
    /// The bank's authorization server.
    pub server: Arc<AuthorizationServer>,
    /// The bank's resource server.
    pub resource: Arc<ResourceServer>,
    /// Another resource server trusting the same AS (another API).
    pub other_resource: Arc<ResourceServer>,
    /// The honest client.
    pub client: Client,
    /// The attacker's own registered client.
    pub attacker: Client,
}

impl World {
    /// Builds the bank and the clients under `profile`; RSA keys come from
    /// `rsa` (slot 0: the AS, 1: the client, 2: the attacker).
    pub fn new(profile: Profile, rsa: &RsaKeys) -> Result<Self, Error> {
        let issuer = format!("https://as.{}.bank.example", profile.name);
        let audience = format!("https://rs.{}.bank.example", profile.name);
        let other = format!("https://cards.{}.bank.example", profile.name);
        let algs = algorithms(&profile);
        let dpop = sender_constraint(&profile) == SenderConstraint::Dpop;
        let make_client = |id: &str, name: &str, slot: usize, der: &[u8], dn: &str| {
            Ok::<_, Error>(Client {
                profile,
                client_id: id.into(),
                name: name.into(),
                redirect_uri: format!("https://{id}.example/cb"),
                issuer: issuer.clone(),
                auth_method: client_auth(&profile),
                key: SoftKey::generate(algs.client, rsa, slot)?,
                dpop_key: if dpop {
                    Some(SoftKey::generate(algs.dpop, rsa, slot)?)
                } else {
                    None
                },
                cert: Certificate {
                    der: der.to_vec(),
                    subject_dn: dn.into(),
                },
            })
        };
        let client = make_client("tpp", "Example TPP", 1, CLIENT_CERT_DER, CLIENT_CERT_DN)?;
        let attacker = make_client(
            "mallory",
            "Mallory Finance",
            2,
            ATTACKER_CERT_DER,
            ATTACKER_CERT_DN,
        )?;
        let directory = Arc::new(Directory::new(vec![
            client.registration()?,
            attacker.registration()?,
        ]));
        let key = SoftKey::generate(algs.server, rsa, 0)?;
        let server = AuthorizationServer::new(profile, &issuer, &audience, key, directory.clone())?;
        let as_key = server.public_key()?;
        let resource = ResourceServer::new(
            profile,
            &issuer,
            &audience,
            as_key.clone(),
            directory.clone(),
        );
        let other_resource = ResourceServer::new(profile, &issuer, &other, as_key, directory);
        Ok(Self {
            profile,
            server: Arc::new(server),
            resource: Arc::new(resource),
            other_resource: Arc::new(other_resource),
            client,
            attacker,
        })
    }
}
