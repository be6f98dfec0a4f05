//! Where a command's values come from: an argument itself, a file it
//! names, or standard input (`-`); and the key configurations
//! (`fapi::SigningKey::from_config`: a PEM, DER or JWK file path, or a
//! `pkcs11:` URI).

use std::io::Read as _;
use std::path::Path;

use zeroize::Zeroizing;

use crate::failure::Failure;

/// The most read from a file or stdin for a token, JWK or claims (a JWS is
/// at most `fapi_core::jws::MAX_COMPACT`; metadata a few KiB).
pub const MAX_INPUT: u64 = 1024 * 1024;

/// Reads the file at `path` (at most [`MAX_INPUT`] bytes).
pub fn file(path: &Path) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let what = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| Failure::environment(&what, e))?;
    read_limited(f, &what)
}

fn read_limited(r: impl std::io::Read, what: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let mut buf = Zeroizing::new(Vec::new());
    let _ = r
        .take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Failure::environment(what, e))?;
    if u64::try_from(buf.len()).map_or(true, |n| n > MAX_INPUT) {
        return Err(Failure::usage(what, format!("more than {MAX_INPUT} bytes")));
    }
    Ok(buf)
}

/// Reads standard input (at most [`MAX_INPUT`] bytes).
pub fn stdin() -> Result<Zeroizing<Vec<u8>>, Failure> {
    read_limited(std::io::stdin().lock(), "stdin")
}

/// A text value given inline, as a file path, or `-` for stdin. `inline`
/// says whether the argument is the value itself (a JSON object, a token).
pub fn text(
    arg: &str,
    what: &str,
    inline: impl Fn(&str) -> bool,
) -> Result<Zeroizing<String>, Failure> {
    let bytes = if arg == "-" {
        stdin()?
    } else if inline(arg) {
        return Ok(Zeroizing::new(arg.to_owned()));
    } else {
        file(Path::new(arg))?
    };
    let s = core::str::from_utf8(&bytes)
        .map_err(|_| Failure::usage(what, "not UTF-8 text"))?
        .trim()
        .to_owned();
    Ok(Zeroizing::new(s))
}

/// Whether `arg` looks like a compact JWS (three base64url parts).
pub fn is_compact_jws(arg: &str) -> bool {
    arg.split('.').count() == 3
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Loads a signing key from a configuration value: a `pkcs11:` URI, or the
/// path of a PEM, DER or private JWK file.
pub fn signing_key(config: &str) -> Result<fapi::SigningKey, Failure> {
    let what = format!("key {config}");
    if config
        .get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("pkcs11:"))
    {
        return fapi::SigningKey::from_config(config).map_err(|e| Failure::key(&what, &e));
    }
    let bytes = file(Path::new(config))?;
    let loaded = match core::str::from_utf8(&bytes) {
        Ok(text) if !text.trim().is_empty() => fapi::SigningKey::from_config(text),
        _ => fapi::SigningKey::from_pkcs8_der(&bytes)
            .or_else(|_| fapi::SigningKey::from_sec1_der(&bytes)),
    };
    loaded.map_err(|e| Failure::key(&what, &e))
}
