//! The C boundary: the panic boundary every exported function runs in, the
//! error detail written into the caller's buffers, and the checks that turn
//! C's (pointer, length) pairs, handles and output buffers into safe Rust.
//!
//! Every `unsafe` block of the crate that dereferences a caller pointer is
//! here; the API modules call these helpers and are otherwise safe Rust.

use core::ffi::c_char;
use core::panic::AssertUnwindSafe;
use std::panic::catch_unwind;

use fapi_core::{Error, OAuthError, Site};

use crate::result::{
    FAPI_HSM, FAPI_INSUFFICIENT_SIZE, FAPI_INVALID_ARGUMENT, FAPI_NULL_ARGUMENT, FAPI_OK,
    FAPI_PANIC, code_of, fapi_result,
};

/// The largest output fapi produces (a token, a JWKS, an audit report); a
/// value that does not fit is [`Error::BufferTooSmall`].
pub(crate) const MAX_OUTPUT: usize = 64 * 1024;

/// Where a function reports why it failed: two caller buffers, each
/// optional (`NULL` with capacity 0).
///
/// On return both hold NUL-terminated text (truncated to fit), empty on
/// success: `message` a readable reason, `oauth_error` the OAuth error code
/// a server answers with for this failure at this endpoint (for example
/// `invalid_dpop_proof`). [`FAPI_ERROR_MESSAGE_MAX`] and
/// [`FAPI_OAUTH_ERROR_MAX`] bytes are always enough.
///
/// ```c
/// char msg[FAPI_ERROR_MESSAGE_MAX], oauth[FAPI_OAUTH_ERROR_MAX];
/// fapi_error_detail err = { msg, sizeof msg, oauth, sizeof oauth };
/// if (fapi_pkce_verify(v, vlen, c, clen, &err) != FAPI_OK)
///     fprintf(stderr, "%s (%s)\n", msg, oauth);
/// ```
#[repr(C)]
#[derive(Debug)]
pub struct fapi_error_detail {
    /// The caller's buffer for the message, or `NULL`.
    pub message: *mut c_char,
    /// Its size in bytes, the NUL included.
    pub message_cap: usize,
    /// The caller's buffer for the OAuth error code, or `NULL`.
    pub oauth_error: *mut c_char,
    /// Its size in bytes, the NUL included.
    pub oauth_error_cap: usize,
}

/// A message buffer of this many bytes holds every message whole.
pub const FAPI_ERROR_MESSAGE_MAX: usize = 512;
/// An OAuth error buffer of this many bytes holds every OAuth error code.
pub const FAPI_OAUTH_ERROR_MAX: usize = 32;

/// How the OAuth error of a failure is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Where {
    /// At one step of a FAPI exchange: the core's mapping for that site.
    At(Site),
    /// In the server's own work (loading a key, signing, issuing, an
    /// audit): `server_error`, or `temporarily_unavailable` where the core
    /// says so whatever the site (an HSM that cannot sign, a full store).
    Server,
}

/// Why a call failed: its result code, the OAuth error and a message.
#[derive(Debug)]
pub(crate) struct Failure {
    code: fapi_result,
    core: Option<Error>,
    site: Option<Where>,
    message: String,
}

impl Failure {
    /// A core error, described by `context` (what was being done).
    pub(crate) fn core(e: Error, context: &str) -> Self {
        Self {
            code: code_of(e),
            core: Some(e),
            site: None,
            message: format!("{context}: {e}"),
        }
    }

    /// A core error at a site other than the function's own (the DPoP proof
    /// of a resource request, say).
    pub(crate) fn at(mut self, site: Where) -> Self {
        self.site = Some(site);
        self
    }

    /// A required pointer argument that is NULL.
    pub(crate) fn null(name: &str) -> Self {
        Self::ffi(FAPI_NULL_ARGUMENT, format!("argument `{name}` is NULL"))
    }

    /// An argument without a valid meaning.
    pub(crate) fn invalid(message: String) -> Self {
        Self::ffi(FAPI_INVALID_ARGUMENT, message)
    }

    /// An HSM failure while loading a key.
    pub(crate) fn hsm(message: String) -> Self {
        Self::ffi(FAPI_HSM, message)
    }

    fn ffi(code: fapi_result, message: String) -> Self {
        Self {
            code,
            core: None,
            site: Some(Where::Server),
            message,
        }
    }

    /// The result code.
    pub(crate) fn code(&self) -> fapi_result {
        self.code
    }

    fn oauth_error(&self, default: Where) -> OAuthError {
        match (self.core, self.site.unwrap_or(default)) {
            (Some(e), Where::At(site)) => e.oauth_error(site),
            (Some(e), Where::Server) => server_oauth_error(e),
            (None, _) => OAuthError::ServerError,
        }
    }
}

/// `server_error` for a failure of the server's own work, except the errors
/// the core maps to `temporarily_unavailable` at every site.
pub(crate) fn server_oauth_error(e: Error) -> OAuthError {
    let sites = [
        Site::DpopProof,
        Site::ClientAuthentication,
        Site::TokenRequest,
    ];
    if sites
        .iter()
        .all(|s| e.oauth_error(*s) == OAuthError::TemporarilyUnavailable)
    {
        OAuthError::TemporarilyUnavailable
    } else {
        OAuthError::ServerError
    }
}

/// A core error in the function's own context.
pub(crate) trait Context<T> {
    /// Describes the error with `context`.
    fn context(self, context: &str) -> Result<T, Failure>;
}

impl<T> Context<T> for Result<T, Error> {
    fn context(self, context: &str) -> Result<T, Failure> {
        self.map_err(|e| Failure::core(e, context))
    }
}

/// A backend's key refusal keeps the library's reason in the message.
impl<T> Context<T> for Result<T, fapi_core::KeyError> {
    fn context(self, context: &str) -> Result<T, Failure> {
        self.map_err(|e| Failure::core(e.error(), &format!("{context} ({})", e.reason())))
    }
}

/// Runs `body` as an exported function: a panic becomes [`FAPI_PANIC`] and
/// never unwinds into C; the outcome is written into `err` (OAuth errors by
/// `site` unless the failure names its own).
pub(crate) fn boundary(
    err: *mut fapi_error_detail,
    site: Where,
    body: impl FnOnce() -> Result<(), Failure>,
) -> fapi_result {
    let run = catch_unwind(AssertUnwindSafe(|| {
        let outcome = body();
        // SAFETY: `err` is NULL or points to a `fapi_error_detail` whose
        // buffers the caller owns with the capacities it states (the
        // documented contract of every function taking one).
        unsafe { report(err, site, outcome.as_ref().err()) };
        outcome.map_or_else(|f| f.code(), |()| FAPI_OK)
    }));
    match run {
        Ok(code) => code,
        Err(_) => {
            let failure = Failure::ffi(
                FAPI_PANIC,
                "a panic was caught at the C boundary; the call did not complete".to_owned(),
            );
            // Writing the detail formats nothing and copies bytes; a second
            // panic here is contained too.
            let _ = catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: as above.
                unsafe { report(err, site, Some(&failure)) };
            }));
            FAPI_PANIC
        }
    }
}

/// Runs `body`, which cannot fail, inside the panic boundary (the `_free`
/// functions): a panic is contained and dropped.
pub(crate) fn quietly(body: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(body));
}

/// Writes the outcome into `err`.
///
/// # Safety
/// `err` is NULL or valid for reads, and each of its buffers is NULL or
/// valid for writes of its capacity.
unsafe fn report(err: *mut fapi_error_detail, default: Where, failure: Option<&Failure>) {
    // SAFETY: the caller's contract: NULL or a valid detail.
    let Some(detail) = (unsafe { err.as_ref() }) else {
        return;
    };
    let (message, oauth) = match failure {
        Some(f) => (f.message.as_str(), f.oauth_error(default).as_str()),
        None => ("", ""),
    };
    // SAFETY: the detail's buffers, with their stated capacities.
    unsafe {
        write_c_string(detail.message, detail.message_cap, message);
        write_c_string(detail.oauth_error, detail.oauth_error_cap, oauth);
    }
}

/// Copies `text` into a C buffer of `cap` bytes, truncated at a character
/// boundary, and NUL-terminates it.
///
/// # Safety
/// `buf` is NULL or valid for writes of `cap` bytes.
pub(crate) unsafe fn write_c_string(buf: *mut c_char, cap: usize, text: &str) {
    if buf.is_null() || cap == 0 {
        return;
    }
    let mut n = text.len().min(cap.saturating_sub(1));
    while !text.is_char_boundary(n) {
        n = n.saturating_sub(1);
    }
    // SAFETY: `buf` is valid for `cap` bytes and `n < cap`, so the copy and
    // the NUL after it stay inside; `text` does not overlap a C buffer.
    unsafe {
        core::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
        *buf.add(n) = 0;
    }
}

/// The bytes of a required input (pointer, length) pair. A NULL pointer is
/// the empty input when the length is 0.
///
/// # Safety
/// `ptr` is NULL or valid for reads of `len` bytes for the call's duration.
pub(crate) unsafe fn bytes<'a>(
    ptr: *const u8,
    len: usize,
    name: &str,
) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::null(name));
    }
    if isize::try_from(len).is_err() {
        return Err(Failure::invalid(format!(
            "argument `{name}`: length over PTRDIFF_MAX"
        )));
    }
    // SAFETY: non-NULL, `len` bytes valid per the caller's contract, and
    // `len <= isize::MAX`.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// A required array of `n` values of `T` (NULL is the empty array when `n`
/// is 0).
///
/// # Safety
/// `ptr` is NULL or valid for reads of `n` values for the call's duration.
pub(crate) unsafe fn slice<'a, T>(ptr: *const T, n: usize, name: &str) -> Result<&'a [T], Failure> {
    if n == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::null(name));
    }
    if n.checked_mul(size_of::<T>())
        .is_none_or(|b| isize::try_from(b).is_err())
    {
        return Err(Failure::invalid(format!(
            "argument `{name}`: size over PTRDIFF_MAX"
        )));
    }
    // SAFETY: non-NULL, aligned and valid for `n` values per the caller's
    // contract, and the total size fits `isize`.
    Ok(unsafe { core::slice::from_raw_parts(ptr, n) })
}

/// The bytes of an optional input: `None` for a NULL pointer.
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn opt_bytes<'a>(
    ptr: *const u8,
    len: usize,
    name: &str,
) -> Result<Option<&'a [u8]>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    unsafe { bytes(ptr, len, name) }.map(Some)
}

/// The UTF-8 text of a required input pair.
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn text<'a>(
    ptr: *const c_char,
    len: usize,
    name: &str,
) -> Result<&'a str, Failure> {
    // SAFETY: forwarded contract.
    let b = unsafe { bytes(ptr.cast::<u8>(), len, name) }?;
    core::str::from_utf8(b).map_err(|_| Failure::invalid(format!("argument `{name}` is not UTF-8")))
}

/// The UTF-8 text of an optional input: `None` for a NULL pointer.
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn opt_text<'a>(
    ptr: *const c_char,
    len: usize,
    name: &str,
) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    unsafe { text(ptr, len, name) }.map(Some)
}

/// A string as a (pointer, length) pair, for arrays of strings.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct fapi_str {
    /// The UTF-8 bytes (not NUL-terminated), or NULL when `len` is 0.
    pub ptr: *const c_char,
    /// Their length.
    pub len: usize,
}

/// The texts of an array of `n` [`fapi_str`].
///
/// # Safety
/// `ptr` is NULL or valid for `n` values, each a valid pair.
pub(crate) unsafe fn texts<'a>(
    ptr: *const fapi_str,
    n: usize,
    name: &str,
) -> Result<Vec<&'a str>, Failure> {
    // SAFETY: forwarded contract.
    let items = unsafe { slice(ptr, n, name) }?;
    items
        .iter()
        // SAFETY: each pair is valid per the contract.
        .map(|s| unsafe { text(s.ptr, s.len, name) })
        .collect()
}

/// A required struct or handle argument.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` for the call's duration.
pub(crate) unsafe fn arg<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller's contract.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(name))
}

/// An optional handle argument.
///
/// # Safety
/// As [`arg`].
pub(crate) unsafe fn opt_arg<'a, T>(ptr: *const T) -> Option<&'a T> {
    // SAFETY: the caller's contract.
    unsafe { ptr.as_ref() }
}

/// Hands a new handle to C through `out`.
///
/// # Safety
/// `out` is NULL or valid for a pointer write.
pub(crate) unsafe fn put_handle<T>(out: *mut *mut T, value: T, name: &str) -> Result<(), Failure> {
    if out.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: non-NULL and writable per the caller's contract; the box is
    // released with `Box::from_raw` by the matching `_free`.
    unsafe { *out = Box::into_raw(Box::new(value)) };
    Ok(())
}

/// Sets an out-handle to NULL before anything else happens, so that it is
/// never left uninitialised on failure.
///
/// # Safety
/// As [`put_handle`].
pub(crate) unsafe fn clear_handle<T>(out: *mut *mut T) {
    if !out.is_null() {
        // SAFETY: non-NULL and writable per the caller's contract.
        unsafe { *out = core::ptr::null_mut() };
    }
}

/// Frees a handle made by [`put_handle`]; NULL is fine.
///
/// # Safety
/// `ptr` is NULL or a handle of type `T` from this crate, not yet freed and
/// used by no other call.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: made by `Box::into_raw` in `put_handle`, freed once.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// A caller's output buffer and its out-length.
pub(crate) struct Out<'a> {
    buf: &'a mut [u8],
    len: &'a mut usize,
}

impl<'a> Out<'a> {
    /// Checks an output triple. `*out_len` is set to 0 at once.
    ///
    /// # Safety
    /// `ptr` is NULL or valid for writes of `cap` bytes; `out_len` is NULL
    /// or valid for a `size_t` write; neither overlaps an input.
    pub(crate) unsafe fn new(
        ptr: *mut u8,
        cap: usize,
        out_len: *mut usize,
        name: &str,
    ) -> Result<Self, Failure> {
        // SAFETY: the caller's contract.
        let len = unsafe { out_len.as_mut() }.ok_or_else(|| Failure::null(name))?;
        *len = 0;
        let buf: &mut [u8] = if ptr.is_null() || cap == 0 {
            &mut []
        } else {
            if isize::try_from(cap).is_err() {
                return Err(Failure::invalid(format!(
                    "argument `{name}`: capacity over PTRDIFF_MAX"
                )));
            }
            // SAFETY: non-NULL, writable for `cap <= isize::MAX` bytes per
            // the caller's contract.
            unsafe { core::slice::from_raw_parts_mut(ptr, cap) }
        };
        Ok(Self { buf, len })
    }

    /// A text output (`char *`).
    ///
    /// # Safety
    /// As [`Out::new`].
    pub(crate) unsafe fn text(
        ptr: *mut c_char,
        cap: usize,
        out_len: *mut usize,
        name: &str,
    ) -> Result<Self, Failure> {
        // SAFETY: forwarded contract.
        unsafe { Self::new(ptr.cast::<u8>(), cap, out_len, name) }
    }

    /// Refuses a buffer shorter than `needed` before any work is done (so
    /// that a short buffer does not use up a one-time input, a DPoP proof's
    /// `jti`): [`FAPI_INSUFFICIENT_SIZE`] with `needed` in the out-length.
    pub(crate) fn reserve(&mut self, needed: usize) -> Result<(), Failure> {
        if self.buf.len() < needed {
            *self.len = needed;
            return Err(insufficient(needed, self.buf.len()));
        }
        Ok(())
    }

    /// Copies `data` out, or reports the size needed.
    pub(crate) fn put(self, data: &[u8]) -> Result<(), Failure> {
        *self.len = data.len();
        match self.buf.get_mut(..data.len()) {
            Some(dst) => {
                dst.copy_from_slice(data);
                Ok(())
            }
            None => Err(insufficient(data.len(), self.buf.len())),
        }
    }

    /// Runs `write` into the caller's buffer. When it is too small, `write`
    /// runs again into a buffer of [`MAX_OUTPUT`] to learn the size needed,
    /// which is reported with [`FAPI_INSUFFICIENT_SIZE`].
    pub(crate) fn produce(
        self,
        context: &str,
        mut write: impl FnMut(&mut [u8]) -> Result<usize, Failure>,
    ) -> Result<(), Failure> {
        if !self.buf.is_empty() {
            match write(self.buf) {
                Ok(n) => {
                    *self.len = n;
                    return Ok(());
                }
                Err(f) if f.core != Some(Error::BufferTooSmall) => return Err(f),
                Err(_) => {}
            }
        }
        let mut scratch = zeroize::Zeroizing::new(vec![0u8; MAX_OUTPUT]);
        let n = write(&mut scratch).map_err(|f| match f.core {
            Some(Error::BufferTooSmall) => Failure::core(
                Error::BufferTooSmall,
                &format!("{context}: the value is larger than fapi writes"),
            ),
            _ => f,
        })?;
        *self.len = n;
        Err(insufficient(n, self.buf.len()))
    }
}

/// Copies the two outputs of one call (an HTTP signature's
/// `Signature-Input` and `Signature`), or, when either buffer is too small,
/// copies neither and reports [`FAPI_INSUFFICIENT_SIZE`] with the size
/// each needs in its out-length.
pub(crate) fn put_both(a: Out<'_>, da: &[u8], b: Out<'_>, db: &[u8]) -> Result<(), Failure> {
    *a.len = da.len();
    *b.len = db.len();
    match (a.buf.get_mut(..da.len()), b.buf.get_mut(..db.len())) {
        (Some(x), Some(y)) => {
            x.copy_from_slice(da);
            y.copy_from_slice(db);
            Ok(())
        }
        (None, _) => Err(insufficient(da.len(), a.buf.len())),
        (_, None) => Err(insufficient(db.len(), b.buf.len())),
    }
}

/// Writes `value` to an optional out-parameter (nothing when it is NULL).
///
/// # Safety
/// `ptr` is NULL or valid for a write of `T`.
pub(crate) unsafe fn write_out<T>(ptr: *mut T, value: T) {
    if !ptr.is_null() {
        // SAFETY: non-NULL and writable per the caller's contract; `T` is a
        // plain C struct with nothing to drop in the old value.
        unsafe { ptr.write(value) };
    }
}

fn insufficient(needed: usize, cap: usize) -> Failure {
    Failure::ffi(
        FAPI_INSUFFICIENT_SIZE,
        format!("the output buffer holds {cap} bytes; {needed} are needed"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panic inside an exported function's body becomes `FAPI_PANIC`, with
    /// its message and `server_error`, and does not unwind to the caller.
    #[test]
    fn panic_becomes_a_result_code() {
        let mut msg = [0 as c_char; 128];
        let mut oauth = [0 as c_char; 32];
        let mut err = fapi_error_detail {
            message: msg.as_mut_ptr(),
            message_cap: msg.len(),
            oauth_error: oauth.as_mut_ptr(),
            oauth_error_cap: oauth.len(),
        };
        let code = boundary(&mut err, Where::At(Site::DpopProof), || {
            panic!("boom");
        });
        assert_eq!(code, FAPI_PANIC);
        // SAFETY: `report` NUL-terminated the buffer inside its capacity.
        let oauth = unsafe { core::ffi::CStr::from_ptr(oauth.as_ptr()) };
        assert_eq!(oauth.to_str().unwrap(), "server_error");
        // SAFETY: as above.
        let msg = unsafe { core::ffi::CStr::from_ptr(msg.as_ptr()) };
        assert!(msg.to_str().unwrap().contains("panic"));
    }

    #[test]
    fn detail_is_truncated_and_terminated() {
        let mut small = [1 as c_char; 5];
        // SAFETY: a local buffer of the stated length.
        unsafe { write_c_string(small.as_mut_ptr(), small.len(), "abcdefgh") };
        assert_eq!(small, [b'a', b'b', b'c', b'd', 0].map(|b| b as c_char));
        // A multi-byte character is never cut in half.
        let mut two = [1 as c_char; 3];
        // SAFETY: a local buffer of the stated length.
        unsafe { write_c_string(two.as_mut_ptr(), two.len(), "aé") };
        assert_eq!(two[1], 0);
    }

    #[test]
    fn server_errors_map_to_server_error_or_temporarily_unavailable() {
        assert_eq!(
            server_oauth_error(Error::SigningFailed),
            OAuthError::TemporarilyUnavailable
        );
        assert_eq!(
            server_oauth_error(Error::InvalidKey),
            OAuthError::ServerError
        );
        assert_eq!(
            server_oauth_error(Error::KeyNotFound),
            OAuthError::ServerError
        );
    }
}
