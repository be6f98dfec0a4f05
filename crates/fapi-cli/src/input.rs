//! Where a command's values come from ([`Source`]): a document is a file
//! path, `-` or nothing for stdin, or inline JSON in its `--*-json` flag;
//! a token is the value itself, `-` or nothing for stdin; a key
//! configuration is a PEM, DER or JWK file path or a `pkcs11:` URI
//! (`fapi::SigningKey::from_config`).

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

/// What a command reads its one input from, by the CLI's one scheme:
///
/// - a document (a JWK Set, a JWK, claims, metadata, a body) is a FILE
///   path, `-` for stdin, and stdin when the argument is left out; inline
///   JSON goes in the `--*-json` flag beside it (`--jwks-json '{…}'`), and
///   is never guessed from the argument's shape;
/// - a token or a proof is the value itself, `-` for stdin, and stdin
///   when left out;
/// - a key is a FILE path or a `pkcs11:` URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source<'a> {
    /// Standard input.
    Stdin,
    /// A file path.
    File(&'a str),
    /// The text itself.
    Inline(&'a str),
}

impl<'a> Source<'a> {
    /// A document's source: the inline flag's value, else the path, else
    /// stdin (`-` is stdin too).
    #[must_use]
    pub fn document(path: Option<&'a str>, inline: Option<&'a str>) -> Self {
        match (inline, path) {
            (Some(text), _) => Self::Inline(text),
            (None, None | Some("-")) => Self::Stdin,
            (None, Some(p)) => Self::File(p),
        }
    }

    /// A token's source: the value itself, stdin when absent or `-`.
    #[must_use]
    pub fn value(arg: Option<&'a str>) -> Self {
        match arg {
            None | Some("-") => Self::Stdin,
            Some(v) => Self::Inline(v),
        }
    }
}

/// The text of `source` (trimmed). `what` names the argument; `inline_flag`
/// is the flag that takes the document inline, named in the error when a
/// path that does not exist looks like inline JSON.
pub fn read(
    source: Source<'_>,
    what: &str,
    inline_flag: Option<&str>,
) -> Result<Zeroizing<String>, Failure> {
    let bytes = match source {
        Source::Inline(v) => return Ok(Zeroizing::new(v.trim().to_owned())),
        Source::Stdin => stdin()?,
        Source::File(p) => {
            let path = Path::new(p);
            if !path.exists() {
                let why = match inline_flag {
                    Some(flag) if p.trim_start().starts_with(['{', '[']) => format!(
                        "no file named {}: {what} is a file path (or - for stdin); JSON inline goes in {flag}",
                        shown(p)
                    ),
                    _ => format!(
                        "no file named {} (a path is a path; - reads stdin)",
                        shown(p)
                    ),
                };
                return Err(Failure::environment(what, why));
            }
            file(path)?
        }
    };
    let s = core::str::from_utf8(&bytes)
        .map_err(|_| Failure::usage(what, "not UTF-8 text"))?
        .trim()
        .to_owned();
    Ok(Zeroizing::new(s))
}

/// A value as the user gave it, quoted, at most 60 characters.
pub fn shown(v: &str) -> String {
    let mut s: String = v.chars().take(60).collect();
    if s.len() < v.len() {
        s.push('…');
    }
    format!("{s:?}")
}

/// A token or proof read from `source`, checked to be a compact JWS (three
/// base64url parts): anything else is refused as `malformed`, showing what
/// was seen (and, when it names a file, how to pass a file).
pub fn compact_jws(source: Source<'_>, what: &str) -> Result<Zeroizing<String>, Failure> {
    let text = read(source, what, None)?;
    if is_compact_jws(&text) {
        return Ok(text);
    }
    let parts = text.split('.').count();
    let mut why = format!(
        "not a compact JWS (three base64url parts joined by '.'): saw {} ({parts} part{})",
        shown(&text),
        if parts == 1 { "" } else { "s" }
    );
    if matches!(source, Source::Inline(_)) && Path::new(text.as_str()).is_file() {
        why.push_str(&format!(
            "; {} is a file: a {what} is given as the value itself, or from stdin (- < {})",
            shown(&text),
            text.as_str()
        ));
    }
    Err(Failure::refused_with(
        what,
        fapi_core::Error::Malformed,
        why,
    ))
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
