//! [`HsmGroup`]: one key held by several tokens or modules (an HA signing
//! group), behind the same [`fapi_core::Signer`] trait as one [`HsmSigner`].
//!
//! - **Same key.** Every member holds the same key: same public key, so the
//!   same `kid`. A member with another key is refused when the group is
//!   opened ([`Error::GroupKeyMismatch`], naming both members and `kid`s).
//! - **Spread.** Each signature goes to the least busy member that is in;
//!   among equally busy members, the starting point turns round, so that
//!   the load is shared when calls do not overlap.
//! - **Failover.** A member whose call fails through its own fault
//!   ([`Error::is_member_fault`]: the device, the session, the login, the
//!   key missing on that token) is taken out and the same call is made at
//!   once on another member, so that no signature fails while one member
//!   answers. A refusal of the request itself (a buffer too small, data the
//!   token refuses) is returned as it is, never retried.
//! - **Back in.** A member that is out is tried again after a backoff that
//!   doubles from [`GroupConfig::backoff_min`] up to
//!   [`GroupConfig::backoff_max`]; one call at a time probes it, and a
//!   signature it makes puts it back in. A probe is a real call: a member
//!   that hangs rather than fails delays it by the module's own timeout.
//!   When every member has failed the
//!   call, the members that are out and were not tried in it are tried too
//!   before [`Error::GroupUnavailable`] (each member's last error).
//! - **Health.** [`HsmGroup::health`] reports each member: its name and
//!   token label, in or out, its signatures, its failures and its last
//!   error (for `/readyz` and metrics). A member is taken out by a call
//!   that fails and put back in by a call that probes it: with no calls,
//!   the report stays as the last call left it.
//!
//! Each member's [`HsmSigner`] still reopens lost sessions of its own pool
//! first; the group takes a member out only when that did not help.
//!
//! Whether a member comes back on its own depends on its module. SoftHSM2,
//! for one, holds a token whose directory vanished invalid until the module
//! is initialised again, and tpm2-pkcs11 never reconnects after the TPM
//! restarts: put each such member in a module instance of its own (a path
//! of its own), so that restarting it (`C_Finalize`, after which the
//! member's pool calls `C_Initialize` again) leaves the others alone; this
//! is how `tests/hsm_group.rs` kills a member and brings it back. A member
//! marked [`GroupMember::restart_module_when_probed`] has its module
//! restarted by each probe, so it comes back with no call from outside
//! (`tests/hsm_group_tpm.rs`: SoftHSM2 and a TPM in one group).
//!
//! ```no_run
//! use std::sync::Arc;
//! use fapi_core::Alg;
//! use fapi_pkcs11::{GroupConfig, GroupMember, HsmGroup, HsmSigner, KeyRef, Pin, PoolConfig, SessionPool, Token};
//! # fn main() -> Result<(), fapi_pkcs11::Error> {
//! let mut members = Vec::new();
//! for label in ["hsm-a", "hsm-b"] {
//!     let token = Token::open_from_env(label)?;
//!     let pool = Arc::new(SessionPool::new(token, Pin::from_env("FAPI_PKCS11_PIN")?, PoolConfig::default())?);
//!     let signer = HsmSigner::new(pool, &KeyRef::Label("as-signing".into()), Alg::Es256)?;
//!     members.push(GroupMember::new(label, signer));
//! }
//! let group = HsmGroup::new(members, GroupConfig::default())?;
//! let sig = group.sign_vec(b"header.payload")?;
//! assert_eq!(sig.len(), 64);
//! assert_eq!(group.members_in(), 2);
//! # Ok(()) }
//! ```

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use core::time::Duration;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use fapi_core::{Alg, PublicKey};

use crate::error::{Error, Result};
use crate::key::KeyInfo;
use crate::signer::HsmSigner;

/// How long a failed member stays out before it is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupConfig {
    /// The first wait after a member fails (at least 1 ms).
    pub backoff_min: Duration,
    /// The longest wait: each failed retry doubles the wait up to this.
    pub backoff_max: Duration,
}

impl Default for GroupConfig {
    /// 250 ms, doubling up to 30 s.
    fn default() -> Self {
        Self {
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// One member of a group: a name for logs, errors and health (say, the
/// token label and the module) and its signer.
#[derive(Debug)]
pub struct GroupMember {
    name: String,
    signer: HsmSigner,
    restart_module: bool,
}

impl GroupMember {
    /// The member `name` signing with `signer`.
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # use fapi_pkcs11::{GroupMember, HsmSigner, KeyRef, Pin, PoolConfig, SessionPool, Token};
    /// # fn main() -> Result<(), fapi_pkcs11::Error> {
    /// let pool = Arc::new(SessionPool::new(Token::open_from_env("hsm-a")?, Pin::new("1234"), PoolConfig::default())?);
    /// let signer = HsmSigner::new(pool, &KeyRef::Label("as-signing".into()), fapi_core::Alg::Es256)?;
    /// let member = GroupMember::new("hsm-a", signer);
    /// # Ok(()) }
    /// ```
    pub fn new(name: impl Into<String>, signer: HsmSigner) -> Self {
        Self {
            name: name.into(),
            signer,
            restart_module: false,
        }
    }

    /// The member's module serves this member alone (nothing else in the
    /// process uses it): each probe of the member while it is out first
    /// finalises the module (`C_Finalize`), so that the member's pool
    /// initialises it again, reopens its sessions and logs in. This brings
    /// back a member whose module never recovers on its own: tpm2-pkcs11
    /// after the TPM restarted, SoftHSM2 after the token's files came back.
    ///
    /// Only a probe (one call at a time, once the member's wait is over)
    /// finalises, and only when no other call is in the member; a module
    /// that other tokens or keys of the process use must not be marked so.
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # use fapi_pkcs11::{GroupMember, HsmSigner, KeyRef, Pin, PoolConfig, SessionPool, Token};
    /// # fn main() -> Result<(), fapi_pkcs11::Error> {
    /// let module = "/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so";
    /// let pool = Arc::new(SessionPool::new(Token::open(module.as_ref(), "fapi-tpm")?, Pin::new("1234"), PoolConfig::default())?);
    /// let signer = HsmSigner::new(pool, &KeyRef::Label("as-signing".into()), fapi_core::Alg::Es256)?;
    /// let member = GroupMember::new("token fapi-tpm", signer).restart_module_when_probed();
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn restart_module_when_probed(mut self) -> Self {
        self.restart_module = true;
        self
    }
}

/// Why a member is out.
#[derive(Debug)]
struct Out {
    since: Instant,
    retry_at: Instant,
    backoff: Duration,
    /// One call is trying the member again.
    probing: bool,
}

#[derive(Debug, Default)]
struct MemberState {
    out: Option<Out>,
    last_error: Option<Error>,
}

#[derive(Debug)]
struct Member {
    name: String,
    signer: HsmSigner,
    restart_module: bool,
    busy: AtomicUsize,
    signatures: AtomicU64,
    failures: AtomicU64,
    state: Mutex<MemberState>,
}

impl Member {
    fn state(&self) -> MutexGuard<'_, MemberState> {
        // The state is a few plain values, consistent after any panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a member may do for one call.
enum Pick {
    /// In: sign with it.
    In(usize),
    /// Out, and its wait is over: this call probes it.
    Probe(usize),
}

/// One member's health, from [`HsmGroup::health`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberHealth {
    /// The member's name.
    pub name: String,
    /// The label of the member's token.
    pub token: String,
    /// Whether the member is in (signing).
    pub is_in: bool,
    /// How long the member has been out (zero when in).
    pub out_for: Duration,
    /// Signatures the member made.
    pub signatures: u64,
    /// Calls the member failed through its own fault.
    pub failures: u64,
    /// The last such failure, if any.
    pub last_error: Option<Error>,
}

/// A key held by several tokens or modules; see the [module
/// documentation](self).
#[derive(Debug)]
pub struct HsmGroup {
    members: Vec<Member>,
    info: KeyInfo,
    config: GroupConfig,
    next: AtomicUsize,
}

impl HsmGroup {
    /// The group of `members`, which must all hold the same key as the
    /// first: [`Error::GroupKeyMismatch`] names the first member that does
    /// not, [`Error::GroupEmpty`] when there is none.
    ///
    /// ```no_run
    /// # use fapi_pkcs11::{GroupConfig, GroupMember, HsmGroup};
    /// # fn members() -> Vec<GroupMember> { Vec::new() }
    /// # fn main() -> Result<(), fapi_pkcs11::Error> {
    /// let group = HsmGroup::new(members(), GroupConfig::default())?;
    /// println!("kid {}", group.info().kid);
    /// # Ok(()) }
    /// ```
    pub fn new(members: Vec<GroupMember>, config: GroupConfig) -> Result<Self> {
        let first = members.first().ok_or(Error::GroupEmpty)?;
        let info = first.signer.info().clone();
        for m in &members {
            let other = m.signer.info();
            if other.public != info.public || fapi_core::Signer::alg(&m.signer) != info.alg() {
                return Err(Error::GroupKeyMismatch {
                    expected_member: first.name.clone(),
                    expected_kid: info.kid.clone(),
                    member: m.name.clone(),
                    kid: other.kid.clone(),
                });
            }
        }
        let config = GroupConfig {
            backoff_min: config.backoff_min.max(Duration::from_millis(1)),
            backoff_max: config.backoff_max.max(config.backoff_min),
        };
        Ok(Self {
            members: members
                .into_iter()
                .map(|m| Member {
                    name: m.name,
                    signer: m.signer,
                    restart_module: m.restart_module,
                    busy: AtomicUsize::new(0),
                    signatures: AtomicU64::new(0),
                    failures: AtomicU64::new(0),
                    state: Mutex::new(MemberState::default()),
                })
                .collect(),
            info,
            config,
            next: AtomicUsize::new(0),
        })
    }

    /// The key (of the first member; every member holds the same).
    #[must_use]
    pub fn info(&self) -> &KeyInfo {
        &self.info
    }

    /// How many members are in.
    #[must_use]
    pub fn members_in(&self) -> usize {
        self.members
            .iter()
            .filter(|m| m.state().out.is_none())
            .count()
    }

    /// Each member's health, in the order the members were given.
    ///
    /// ```no_run
    /// # fn g(group: &fapi_pkcs11::HsmGroup) {
    /// for m in group.health() {
    ///     println!("{}: in {} signatures {} failures {}", m.name, m.is_in, m.signatures, m.failures);
    /// }
    /// # }
    /// ```
    #[must_use]
    pub fn health(&self) -> Vec<MemberHealth> {
        let now = Instant::now();
        self.members
            .iter()
            .map(|m| {
                let state = m.state();
                MemberHealth {
                    name: m.name.clone(),
                    token: m.signer.pool().token().label().to_owned(),
                    is_in: state.out.is_none(),
                    out_for: state
                        .out
                        .as_ref()
                        .map_or(Duration::ZERO, |o| now.saturating_duration_since(o.since)),
                    signatures: m.signatures.load(Ordering::Relaxed),
                    failures: m.failures.load(Ordering::Relaxed),
                    last_error: state.last_error.clone(),
                }
            })
            .collect()
    }

    /// Signs `message` on one member (see [`HsmSigner::sign_vec`]).
    pub fn sign_vec(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.run(|s| s.sign_vec(message))
    }

    /// `rsa-pss-sha512` (RFC 9421 §3.3.1) on one member (see
    /// [`HsmSigner::sign_rsa_pss_sha512_vec`]).
    pub fn sign_rsa_pss_sha512_vec(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.run(|s| s.sign_rsa_pss_sha512_vec(message))
    }

    /// Runs `op` on members until one answers: see the module documentation.
    fn run<T>(&self, op: impl Fn(&HsmSigner) -> Result<T>) -> Result<T> {
        let n = self.members.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n.max(1);
        let mut tried = vec![false; n];
        while let Some(pick) = self.pick(start, &tried) {
            let (i, probe) = match pick {
                Pick::In(i) => (i, false),
                Pick::Probe(i) => (i, true),
            };
            if let Some(t) = tried.get_mut(i) {
                *t = true;
            }
            if let Some(out) = self.attempt(i, probe, &op) {
                return out;
            }
        }
        // Last resort: the members that are out and were not tried.
        for i in 0..n {
            if tried.get(i) == Some(&false)
                && let Some(out) = self.attempt(i, true, &op)
            {
                return out;
            }
        }
        Err(Error::GroupUnavailable(
            self.members
                .iter()
                .map(|m| {
                    let e = m
                        .state()
                        .last_error
                        .clone()
                        .unwrap_or_else(|| Error::Other("no error recorded".into()));
                    (m.name.clone(), e)
                })
                .collect(),
        ))
    }

    /// One call on member `i`: `None` when the member failed through its
    /// own fault (it is out now), else the call's result.
    fn attempt<T>(
        &self,
        i: usize,
        probe: bool,
        op: &impl Fn(&HsmSigner) -> Result<T>,
    ) -> Option<Result<T>> {
        let m = self.members.get(i)?;
        let busy = m.busy.fetch_add(1, Ordering::Relaxed);
        if probe && m.restart_module && busy == 0 {
            // See `GroupMember::restart_module_when_probed`: the pool
            // initialises the module again on its next lease. A module
            // that is not initialised (its last `C_Initialize` failed)
            // answers CKR_CRYPTOKI_NOT_INITIALIZED here: nothing to undo.
            let finalized = m.signer.pool().token().context().clone().finalize();
            tracing::info!(
                member = %m.name,
                kid = %self.info.kid,
                finalized = finalized.is_ok(),
                "signing group member probed: its module restarted"
            );
        }
        let result = op(&m.signer);
        let _ = m.busy.fetch_sub(1, Ordering::Relaxed);
        match result {
            Ok(v) => {
                let _ = m.signatures.fetch_add(1, Ordering::Relaxed);
                self.answered(m, probe);
                Some(Ok(v))
            }
            Err(e) if e.is_member_fault() => {
                let _ = m.failures.fetch_add(1, Ordering::Relaxed);
                self.failed(m, e, probe);
                None
            }
            // The member answered: the request itself was refused.
            Err(e) => {
                self.answered(m, probe);
                Some(Err(e))
            }
        }
    }

    /// The member for the next attempt: one whose wait is over first
    /// (probed by this call alone), else the least busy member in, from
    /// `start` round.
    fn pick(&self, start: usize, tried: &[bool]) -> Option<Pick> {
        let n = self.members.len();
        let now = Instant::now();
        let mut best: Option<(usize, usize)> = None;
        for k in 0..n {
            let i = (start + k) % n;
            if tried.get(i) != Some(&false) {
                continue;
            }
            let Some(m) = self.members.get(i) else {
                continue;
            };
            let mut state = m.state();
            match state.out.as_mut() {
                None => {
                    let busy = m.busy.load(Ordering::Relaxed);
                    if best.is_none_or(|(_, b)| busy < b) {
                        best = Some((i, busy));
                    }
                }
                Some(out) if !out.probing && now >= out.retry_at => {
                    out.probing = true;
                    return Some(Pick::Probe(i));
                }
                Some(_) => {}
            }
        }
        best.map(|(i, _)| Pick::In(i))
    }

    /// The member answered. A probe (a call that started while the member
    /// was out) puts it back in; a call that started before the member
    /// went out says nothing about it now.
    fn answered(&self, m: &Member, probe: bool) {
        if !probe {
            return;
        }
        let mut state = m.state();
        if let Some(out) = state.out.take() {
            tracing::info!(
                member = %m.name,
                kid = %self.info.kid,
                out_ms = u64::try_from(out.since.elapsed().as_millis()).unwrap_or(u64::MAX),
                "signing group member is back in"
            );
        }
    }

    /// The member failed through its own fault: it goes out; a failed probe
    /// doubles its wait. A call that started before the member went out
    /// only records its error.
    fn failed(&self, m: &Member, e: Error, probe: bool) {
        let now = Instant::now();
        let mut state = m.state();
        let (since, backoff) = match state.out.as_ref() {
            Some(_) if !probe => {
                state.last_error = Some(e);
                return;
            }
            Some(out) => (
                out.since,
                out.backoff.saturating_mul(2).min(self.config.backoff_max),
            ),
            None => {
                tracing::warn!(
                    member = %m.name,
                    kid = %self.info.kid,
                    error = %e,
                    "signing group member is out; the call goes to another member"
                );
                (now, self.config.backoff_min)
            }
        };
        state.out = Some(Out {
            since,
            retry_at: now.checked_add(backoff).unwrap_or(now),
            backoff,
            probing: false,
        });
        state.last_error = Some(e);
    }
}

/// Copies `sig` into `out`: [`fapi_core::Error::BufferTooSmall`] when it
/// does not fit.
fn copy_out(sig: &[u8], out: &mut [u8]) -> Result<usize, fapi_core::Error> {
    out.get_mut(..sig.len())
        .ok_or(fapi_core::Error::BufferTooSmall)?
        .copy_from_slice(sig);
    Ok(sig.len())
}

impl fapi_core::Signer for HsmGroup {
    fn alg(&self) -> Alg {
        self.info.alg()
    }

    fn key_id(&self) -> &str {
        &self.info.kid
    }

    fn sign(&self, message: &[u8], signature: &mut [u8]) -> Result<usize, fapi_core::Error> {
        let sig = self.sign_vec(message)?;
        copy_out(&sig, signature)
    }

    fn public_key(&self) -> Result<PublicKey, fapi_core::Error> {
        Ok(self.info.public.clone())
    }

    /// `rsa-pss-sha512` on one member; a key that is not RSA, or tokens
    /// without `CKM_SHA512_RSA_PKCS_PSS`, is
    /// [`UnsupportedAlg`](fapi_core::Error::UnsupportedAlg).
    fn sign_rsa_pss_sha512(
        &self,
        message: &[u8],
        signature: &mut [u8],
    ) -> Result<usize, fapi_core::Error> {
        let sig = self.sign_rsa_pss_sha512_vec(message).map_err(|e| match e {
            Error::UnsupportedMechanism(_) | Error::WrongKeyType => {
                fapi_core::Error::UnsupportedAlg
            }
            e => e.into(),
        })?;
        copy_out(&sig, signature)
    }
}
