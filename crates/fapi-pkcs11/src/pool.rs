//! A pool of logged-in sessions: each session serves one caller at a time.
//!
//! A PKCS#11 session is not thread-safe (`cryptoki::session::Session` is not
//! `Sync`), so the pool hands a session out as a [`Lease`] that one thread
//! owns until it drops it. Waiting for a session is bounded.
//!
//! # Lost sessions
//!
//! When a call reports that its session is gone (closed, logged out, the
//! module finalised, the token removed), the caller hands the lease back
//! with [`SessionPool::lost`]. The pool then starts a new *generation*: the
//! idle sessions of the old one are forgotten (never closed: after a
//! re-initialisation their handle numbers may already name someone else's
//! new session), leases of the old generation are forgotten when they come
//! back, and no new session is opened until every old lease is back, so two
//! live `Session` values never share a handle. Object handles cached under
//! an older generation are looked up again.

use core::time::Duration;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

use cryptoki::error::RvError;
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;

use crate::error::{Error, Result};
use crate::pin::Pin;
use crate::token::{self, Token};

/// How many sessions a pool opens and how long a caller waits for one.
#[derive(Debug, Clone, Copy)]
pub struct PoolConfig {
    /// The most sessions open at once (at least 1).
    pub max_sessions: usize,
    /// How long [`SessionPool::lease`] waits for a free session before
    /// [`Error::PoolTimeout`].
    pub wait: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            max_sessions: cores.saturating_mul(2).max(2),
            wait: Duration::from_secs(5),
        }
    }
}

#[derive(Debug)]
struct State {
    idle: Vec<Session>,
    /// Sessions of the current generation, idle or leased.
    open: usize,
    /// Leases of older generations still out.
    stale_out: usize,
    generation: u64,
    slot: Slot,
}

/// Logged-in sessions on one token.
#[derive(Debug)]
pub struct SessionPool {
    token: Token,
    pin: Pin,
    config: PoolConfig,
    state: Mutex<State>,
    freed: Condvar,
}

/// One session, owned by one caller until the lease is dropped.
#[derive(Debug)]
pub struct Lease<'p> {
    pool: &'p SessionPool,
    session: Option<Session>,
    generation: u64,
}

impl Lease<'_> {
    /// The session.
    ///
    /// # Panics
    /// Never: the session is only taken out when the lease is consumed.
    #[must_use]
    pub fn session(&self) -> &Session {
        #[allow(
            clippy::expect_used,
            reason = "the session is present until the lease is consumed"
        )]
        self.session
            .as_ref()
            .expect("a lease holds its session until it is consumed")
    }

    /// The pool generation this session belongs to.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            self.pool.give_back(session, self.generation);
        }
    }
}

impl SessionPool {
    /// A pool on `token` that logs in with `pin`. One session is opened and
    /// logged in at once, so a wrong PIN is [`Error::WrongPin`] here.
    pub fn new(token: Token, pin: Pin, config: PoolConfig) -> Result<Self> {
        let slot = token.slot();
        let pool = Self {
            token,
            pin,
            config: PoolConfig {
                max_sessions: config.max_sessions.max(1),
                ..config
            },
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
                stale_out: 0,
                generation: 0,
                slot,
            }),
            freed: Condvar::new(),
        };
        drop(pool.lease()?);
        Ok(pool)
    }

    /// The token.
    #[must_use]
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> PoolConfig {
        self.config
    }

    /// The current generation (it grows each time a session is lost).
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.lock().map_or(0, |s| s.generation)
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| Error::Other("session pool lock poisoned".into()))
    }

    /// Takes a free session, opening and logging in a new one while fewer
    /// than `max_sessions` are open; waits at most `config.wait`.
    pub fn lease(&self) -> Result<Lease<'_>> {
        let deadline = Instant::now().checked_add(self.config.wait);
        let mut state = self.lock()?;
        loop {
            if let Some(session) = state.idle.pop() {
                return Ok(Lease {
                    pool: self,
                    session: Some(session),
                    generation: state.generation,
                });
            }
            if state.open < self.config.max_sessions && state.stale_out == 0 {
                state.open = state.open.saturating_add(1);
                let generation = state.generation;
                let slot = state.slot;
                drop(state);
                return match self.open_session(slot) {
                    Ok((session, slot)) => {
                        if let Ok(mut s) = self.lock() {
                            s.slot = slot;
                        }
                        Ok(Lease {
                            pool: self,
                            session: Some(session),
                            generation,
                        })
                    }
                    Err(e) => {
                        let mut s = self.lock()?;
                        if s.generation == generation {
                            s.open = s.open.saturating_sub(1);
                        } else {
                            // Counted as an old lease still out when the
                            // generation changed during the open.
                            s.stale_out = s.stale_out.saturating_sub(1);
                        }
                        drop(s);
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let now = Instant::now();
            let left = deadline
                .and_then(|d| d.checked_duration_since(now))
                .unwrap_or_default();
            if left.is_zero() {
                return Err(Error::PoolTimeout);
            }
            state = self
                .freed
                .wait_timeout(state, left)
                .map_err(|_| Error::Other("session pool lock poisoned".into()))?
                .0;
        }
    }

    /// Opens a session and logs in; re-initialises the module and finds the
    /// token's slot again when the module was finalised under us.
    fn open_session(&self, slot: Slot) -> Result<(Session, Slot)> {
        let ctx = self.token.context();
        // Sessions are closed explicitly: a lost session is never closed,
        // because its handle number may have been given to a new session.
        let (session, slot) = match ctx.open_rw_session_no_drop(slot) {
            Ok(s) => (s, slot),
            Err(e) => {
                let e = Error::from(e);
                match e.rv() {
                    Some(RvError::CryptokiNotInitialized) => {
                        token::initialize(ctx)?;
                        let slot = self.token.find_slot()?;
                        (ctx.open_rw_session_no_drop(slot)?, slot)
                    }
                    Some(
                        RvError::SlotIdInvalid
                        | RvError::TokenNotPresent
                        | RvError::TokenNotRecognized
                        | RvError::DeviceRemoved,
                    ) => {
                        let slot = self.token.find_slot()?;
                        (ctx.open_rw_session_no_drop(slot)?, slot)
                    }
                    _ => return Err(e),
                }
            }
        };
        if let Err(e) = self.login(&session) {
            let _ = session.close();
            return Err(e);
        }
        Ok((session, slot))
    }

    /// Logs the application in (login state is shared by all its sessions
    /// on the token). `CKR_USER_ALREADY_LOGGED_IN` is success.
    pub fn login(&self, session: &Session) -> Result<()> {
        match session.login(UserType::User, Some(self.pin.auth())) {
            Ok(()) => Ok(()),
            Err(e) => {
                let e = Error::from(e);
                match e.rv() {
                    Some(RvError::UserAlreadyLoggedIn) => Ok(()),
                    Some(RvError::PinIncorrect | RvError::PinInvalid | RvError::PinLenRange) => {
                        Err(Error::WrongPin)
                    }
                    Some(RvError::PinLocked) => Err(Error::PinLocked),
                    _ => Err(e),
                }
            }
        }
    }

    /// Returns a session whose call reported it lost: it is forgotten, and
    /// the pool starts a new generation (see the module documentation).
    pub fn lost(&self, mut lease: Lease<'_>) {
        // Forgotten, not closed (opened with `_no_drop`).
        drop(lease.session.take());
        let Ok(mut state) = self.lock() else { return };
        if lease.generation == state.generation {
            let idle = state.idle.len();
            // Every other session of this generation that is out is now stale.
            let out = state.open.saturating_sub(idle).saturating_sub(1);
            state.stale_out = state.stale_out.saturating_add(out);
            state.idle.clear();
            state.open = 0;
            state.generation = state.generation.saturating_add(1);
        } else {
            state.stale_out = state.stale_out.saturating_sub(1);
        }
        drop(state);
        self.freed.notify_all();
    }

    fn give_back(&self, session: Session, generation: u64) {
        let Ok(mut state) = self.lock() else { return };
        if generation == state.generation {
            state.idle.push(session);
            drop(state);
            self.freed.notify_one();
        } else {
            // A session of an older generation: forgotten, never closed.
            drop(session);
            state.stale_out = state.stale_out.saturating_sub(1);
            drop(state);
            self.freed.notify_all();
        }
    }
}

impl Drop for SessionPool {
    fn drop(&mut self) {
        if let Ok(state) = self.state.get_mut() {
            for session in state.idle.drain(..) {
                let _ = session.close();
            }
        }
    }
}
