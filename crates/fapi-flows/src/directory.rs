//! What the bank knows of its clients and consents, shared by its
//! authorization server and its resource server.

use std::collections::HashMap;
use std::sync::Mutex;

use fapi_core::Error;
use fapi_core::profile::ClientAuthMethod;

/// A client certificate as the TLS terminator hands it over: the DER and
/// its subject DN (RFC 4514).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    /// The DER certificate.
    pub der: Vec<u8>,
    /// Its subject DN.
    pub subject_dn: String,
}

/// A registered client.
#[derive(Clone, Debug)]
pub struct Registration {
    /// `client_id`.
    pub client_id: String,
    /// The display name the consent screen shows (F2-AS-INFO).
    pub name: String,
    /// How it authenticates.
    pub auth_method: ClientAuthMethod,
    /// Its public keys (JWK Set JSON): client assertions, request objects,
    /// signed messages.
    pub jwks: String,
    /// Its certificate subject DN, for `tls_client_auth`.
    pub tls_subject_dn: Option<String>,
}

/// Which of the paper's consents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsentKind {
    /// An account-access consent (AISP).
    AccountAccess,
    /// A payment-order consent (PISP).
    PaymentOrder,
}

/// Where a consent is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsentStatus {
    /// Created by the client, not yet approved by the user.
    AwaitingAuthorisation,
    /// Approved by the user.
    Authorised,
    /// A payment was submitted under it (payment consents are used once).
    Consumed,
}

/// A consent the client created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consent {
    /// Which kind.
    pub kind: ConsentKind,
    /// The client that created it.
    pub client_id: String,
    /// Its status.
    pub status: ConsentStatus,
    /// The user who approved it.
    pub subject: Option<String>,
    /// The amount (payment consents), in minor units.
    pub amount: u64,
    /// The debtor account the user chose (payment consents).
    pub debtor_account: Option<String>,
}

/// Clients and consents.
#[derive(Debug, Default)]
pub struct Directory {
    clients: Vec<Registration>,
    consents: Mutex<HashMap<String, Consent>>,
}

impl Directory {
    /// A directory of `clients`.
    #[must_use]
    pub fn new(clients: Vec<Registration>) -> Self {
        Self {
            clients,
            consents: Mutex::new(HashMap::new()),
        }
    }

    /// The registration of `client_id`: [`Error::UnknownClient`] otherwise.
    pub fn client(&self, client_id: &str) -> Result<&Registration, Error> {
        self.clients
            .iter()
            .find(|c| c.client_id == client_id)
            .ok_or(Error::UnknownClient)
    }

    /// Stores a new consent under `id`.
    pub fn insert_consent(&self, id: String, consent: Consent) -> Result<(), Error> {
        let mut map = self.consents.lock().map_err(|_| Error::StoreFailed)?;
        if map.contains_key(&id) {
            return Err(Error::Replay);
        }
        let _ = map.insert(id, consent);
        Ok(())
    }

    /// A copy of the consent `id`: [`Error::InvalidParameter`] when unknown.
    pub fn consent(&self, id: &str) -> Result<Consent, Error> {
        let map = self.consents.lock().map_err(|_| Error::StoreFailed)?;
        map.get(id).cloned().ok_or(Error::InvalidParameter)
    }

    /// Changes the consent `id` with `f`, atomically.
    pub fn update_consent<T>(
        &self,
        id: &str,
        f: impl FnOnce(&mut Consent) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut map = self.consents.lock().map_err(|_| Error::StoreFailed)?;
        let c = map.get_mut(id).ok_or(Error::InvalidParameter)?;
        f(c)
    }
}
