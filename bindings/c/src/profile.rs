//! The requirement sets (`fapi_profile`): `fapi2`, `fapi2-plus`, `obie`,
//! `ofb`, `cdr`, `berlin`, `fapi2-ms`.

use core::ffi::c_char;

use fapi_core::profile::Profile;

use crate::ffi::{self, Context, Failure, Where, boundary, fapi_error_detail};

/// One requirement set. Profiles are static: never freed, shared by every
/// thread.
pub struct fapi_profile {
    profile: Profile,
}

impl fapi_profile {
    /// The core profile.
    pub(crate) fn get(&self) -> &Profile {
        &self.profile
    }
}

static PROFILES: [fapi_profile; 7] = [
    fapi_profile {
        profile: Profile::FAPI2,
    },
    fapi_profile {
        profile: Profile::FAPI2_PLUS,
    },
    fapi_profile {
        profile: Profile::OBIE,
    },
    fapi_profile {
        profile: Profile::OFB,
    },
    fapi_profile {
        profile: Profile::CDR,
    },
    fapi_profile {
        profile: Profile::BERLIN,
    },
    fapi_profile {
        profile: Profile::FAPI2_MS,
    },
];

/// A profile argument.
///
/// # Safety
/// `p` is NULL or a profile from [`fapi_profile_get`].
pub(crate) unsafe fn profile_arg<'a>(p: *const fapi_profile) -> Result<&'a Profile, Failure> {
    // SAFETY: the caller's contract.
    unsafe { ffi::arg(p, "profile") }.map(fapi_profile::get)
}

/// Finds the profile named `name` (`fapi2`, `fapi2-plus`, `obie`, `ofb`,
/// `cdr`, `berlin`, `fapi2-ms`); another name is `FAPI_PROFILE_VIOLATION`. The profile
/// is static: it is never freed.
///
/// ```c
/// const fapi_profile *p = NULL;
/// fapi_profile_get("fapi2", 5, &p, NULL);
/// ```
///
/// # Safety
/// `name` is valid for `len` bytes; `out` is writable; `err` is NULL or
/// valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_profile_get(
    name: *const c_char,
    len: usize,
    out: *mut *const fapi_profile,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    if !out.is_null() {
        // SAFETY: non-NULL and writable per the contract.
        unsafe { *out = core::ptr::null() };
    }
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let name = unsafe { ffi::text(name, len, "name") }?;
        let wanted = Profile::from_name(name).context(&format!("profile `{name}`"))?;
        let found = PROFILES
            .iter()
            .find(|p| p.profile.id == wanted.id)
            .ok_or_else(|| Failure::invalid(format!("profile `{name}`")))?;
        // SAFETY: contract.
        let slot = unsafe { out.as_mut() }.ok_or_else(|| Failure::null("out"))?;
        *slot = found;
        Ok(())
    })
}
