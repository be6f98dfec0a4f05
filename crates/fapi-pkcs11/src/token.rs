//! A PKCS#11 module loaded once per process and a token selected by label.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::mechanism::MechanismType;
use cryptoki::slot::Slot;

use crate::error::{Error, Result};

/// The environment variable naming the PKCS#11 module.
pub const MODULE_ENV: &str = "FAPI_PKCS11_MODULE";
/// The module used when [`MODULE_ENV`] is not set: Debian's SoftHSM2.
pub const DEFAULT_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// The module path: `$FAPI_PKCS11_MODULE`, or [`DEFAULT_MODULE`].
#[must_use]
pub fn module_path_from_env() -> PathBuf {
    std::env::var_os(MODULE_ENV).map_or_else(|| PathBuf::from(DEFAULT_MODULE), PathBuf::from)
}

/// A PKCS#11 library may be initialised once per process: every token of
/// one module shares one context.
fn contexts() -> &'static Mutex<HashMap<PathBuf, Pkcs11>> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    CONTEXTS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Calls `C_Initialize`; a library that is already initialised is fine.
pub(crate) fn initialize(ctx: &Pkcs11) -> Result<()> {
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(cryptoki::error::Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Loads (once per process) and initialises the module at `path`.
pub fn load_module(path: &Path) -> Result<Pkcs11> {
    let mut map = contexts()
        .lock()
        .map_err(|_| Error::Other("module registry poisoned".into()))?;
    if let Some(ctx) = map.get(path) {
        return Ok(ctx.clone());
    }
    if !path.exists() {
        return Err(Error::ModuleLoad(format!(
            "{} does not exist",
            path.display()
        )));
    }
    let ctx = Pkcs11::new(path)?;
    initialize(&ctx)?;
    let _ = map.insert(path.to_path_buf(), ctx.clone());
    Ok(ctx)
}

/// A token of a loaded module, found by its label, with the mechanisms it
/// lists (queried once).
#[derive(Debug, Clone)]
pub struct Token {
    ctx: Pkcs11,
    label: String,
    slot: Slot,
    mechanisms: Vec<MechanismType>,
}

impl Token {
    /// Opens the token labelled `label` in the module at `module`.
    pub fn open(module: &Path, label: &str) -> Result<Self> {
        let ctx = load_module(module)?;
        Self::with_context(ctx, label)
    }

    /// Opens the token labelled `label` in the module named by
    /// `$FAPI_PKCS11_MODULE` (or [`DEFAULT_MODULE`]).
    pub fn open_from_env(label: &str) -> Result<Self> {
        Self::open(&module_path_from_env(), label)
    }

    /// Selects the token labelled `label` in an already loaded module.
    pub fn with_context(ctx: Pkcs11, label: &str) -> Result<Self> {
        let slot = find_slot(&ctx, label)?;
        let mechanisms = ctx.get_mechanism_list(slot)?;
        Ok(Self {
            ctx,
            label: label.to_owned(),
            slot,
            mechanisms,
        })
    }

    /// The module context (shared by every token of the module).
    #[must_use]
    pub fn context(&self) -> &Pkcs11 {
        &self.ctx
    }

    /// The token's label.
    #[must_use]
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The slot the token was found in when it was opened.
    #[must_use]
    pub fn slot(&self) -> Slot {
        self.slot
    }

    /// Whether the token lists `mechanism`.
    #[must_use]
    pub fn supports(&self, mechanism: MechanismType) -> bool {
        self.mechanisms.contains(&mechanism)
    }

    /// Finds the token's slot again (after the module was re-initialised).
    pub(crate) fn find_slot(&self) -> Result<Slot> {
        find_slot(&self.ctx, &self.label)
    }
}

fn find_slot(ctx: &Pkcs11, label: &str) -> Result<Slot> {
    for slot in ctx.get_slots_with_initialized_token()? {
        let info = ctx.get_token_info(slot)?;
        if info.label().trim_end() == label {
            return Ok(slot);
        }
    }
    Err(Error::TokenNotFound(label.to_owned()))
}
