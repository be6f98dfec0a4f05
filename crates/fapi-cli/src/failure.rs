//! Why a command did not succeed, and the exit code and message it ends
//! with.
//!
//! | exit | meaning |
//! |---|---|
//! | 0 | done |
//! | 1 | a refusal (a typed [`fapi_core::Error`] and its OAuth error) or a failed check |
//! | 2 | a usage error (clap's own, or a value the command cannot use) |
//! | 3 | an I/O or environment error (a file, the network, the HSM module) |
//!
//! The message is one line on stderr, `fapi: <what>: <why>`, or with
//! `--json` one JSON object.

use std::io;

use fapi_core::{OAuthError, Site};

/// A command's failure.
#[derive(Debug)]
pub enum Failure {
    /// The core refused an input: exit 1, with its code and OAuth error.
    Refused {
        /// What was being done.
        what: String,
        /// The core's error.
        error: fapi_core::Error,
        /// The OAuth error a server answers with.
        oauth: OAuthError,
        /// A reason beyond the error (a backend's, a parser's).
        detail: Option<String>,
    },
    /// A check failed without a single core error (an audit finding, a
    /// demo step): exit 1.
    Failed {
        /// What was being checked.
        what: String,
        /// Why it failed.
        why: String,
    },
    /// A value the command cannot use: exit 2.
    Usage {
        /// The argument.
        what: String,
        /// Why.
        why: String,
    },
    /// A file, the network or the environment failed: exit 3.
    Environment {
        /// What was being read or reached.
        what: String,
        /// Why.
        why: String,
    },
    /// Standard output was closed by its reader (`| head`): exit quietly.
    ClosedPipe,
}

impl Failure {
    /// The core's `error` at `site`, while doing `what`.
    pub fn refused(what: impl Into<String>, error: fapi_core::Error, site: Site) -> Self {
        Self::Refused {
            what: what.into(),
            error,
            oauth: error.oauth_error(site),
            detail: None,
        }
    }

    /// A usage error.
    pub fn usage(what: impl Into<String>, why: impl Into<String>) -> Self {
        Self::Usage {
            what: what.into(),
            why: why.into(),
        }
    }

    /// A failed check.
    pub fn failed(what: impl Into<String>, why: impl Into<String>) -> Self {
        Self::Failed {
            what: what.into(),
            why: why.into(),
        }
    }

    /// An environment error.
    pub fn environment(what: impl Into<String>, why: impl core::fmt::Display) -> Self {
        Self::Environment {
            what: what.into(),
            why: why.to_string(),
        }
    }

    /// An I/O error while doing `what`; a closed pipe is [`Failure::ClosedPipe`].
    pub fn io(what: impl Into<String>, e: &io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Self::ClosedPipe
        } else {
            Self::environment(what, e)
        }
    }

    /// A key that did not load: a missing file or HSM is an environment
    /// error, anything else a refusal of the key.
    pub fn key(what: impl Into<String>, e: &fapi::KeyError) -> Self {
        use fapi_core::Error as E;
        let what = what.into();
        match e.error() {
            // The HSM module or token could not be reached.
            E::SigningFailed if e.reason().starts_with("PKCS#11") => {
                Self::environment(what, e.reason())
            }
            E::KeyNotFound | E::StoreFailed => Self::environment(what, e.reason()),
            error => Self::Refused {
                what,
                error,
                oauth: OAuthError::ServerError,
                detail: Some(e.reason().to_owned()),
            },
        }
    }

    /// An error of the `fapi` crate, while doing `what`.
    pub fn fapi(what: impl Into<String>, e: &fapi::Error) -> Self {
        match e {
            fapi::Error::Key(k) => Self::key(what, k),
            other => Self::Refused {
                what: what.into(),
                error: other.core(),
                oauth: other.oauth_error(),
                detail: None,
            },
        }
    }

    /// The process exit code.
    pub const fn exit_code(&self) -> u8 {
        match self {
            Self::Refused { .. } | Self::Failed { .. } => 1,
            Self::Usage { .. } => 2,
            Self::Environment { .. } => 3,
            Self::ClosedPipe => 0,
        }
    }

    /// The one-line message (`fapi: <what>: <why>`), or `None` for a
    /// closed pipe.
    pub fn line(&self) -> Option<String> {
        match self {
            Self::Refused {
                what,
                error,
                oauth,
                detail,
            } => Some(match detail {
                Some(d) => format!("fapi: {what}: {error}, {oauth}: {d}"),
                None => format!("fapi: {what}: {error}, {oauth}"),
            }),
            Self::Failed { what, why }
            | Self::Usage { what, why }
            | Self::Environment { what, why } => Some(format!("fapi: {what}: {why}")),
            Self::ClosedPipe => None,
        }
    }

    /// The message as one JSON object, or `None` for a closed pipe.
    pub fn json(&self) -> Option<serde_json::Value> {
        let kind = match self {
            Self::Refused { .. } => "refused",
            Self::Failed { .. } => "failed",
            Self::Usage { .. } => "usage",
            Self::Environment { .. } => "environment",
            Self::ClosedPipe => return None,
        };
        let mut v = serde_json::json!({ "event": "error", "kind": kind, "exit": self.exit_code() });
        match self {
            Self::Refused {
                what,
                error,
                oauth,
                detail,
            } => {
                v["what"] = what.as_str().into();
                v["code"] = error.code().into();
                v["name"] = error.name().into();
                v["oauth_error"] = oauth.as_str().into();
                if let Some(d) = detail {
                    v["detail"] = d.as_str().into();
                }
            }
            Self::Failed { what, why }
            | Self::Usage { what, why }
            | Self::Environment { what, why } => {
                v["what"] = what.as_str().into();
                v["why"] = why.as_str().into();
            }
            Self::ClosedPipe => {}
        }
        Some(v)
    }

    /// Writes the message to stderr, as JSON when `json`.
    pub fn report(&self, json: bool) {
        let text = if json {
            self.json().map(|v| v.to_string())
        } else {
            self.line()
        };
        if let Some(t) = text {
            // stderr closed too: nothing more can be said.
            let _ = io::Write::write_all(&mut io::stderr(), format!("{t}\n").as_bytes());
        }
    }
}

/// Attaches what was being done to a core result.
pub trait Context<T> {
    /// The error as a [`Failure::Refused`] at `site`, while doing `what`.
    fn refused(self, what: &str, site: Site) -> Result<T, Failure>;
}

impl<T> Context<T> for Result<T, fapi_core::Error> {
    fn refused(self, what: &str, site: Site) -> Result<T, Failure> {
        self.map_err(|e| Failure::refused(what, e, site))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_and_messages() {
        let r = Failure::refused(
            "verify",
            fapi_core::Error::BadSignature,
            Site::ResourceRequest,
        );
        assert_eq!(r.exit_code(), 1);
        let line = r.line().unwrap();
        assert!(line.starts_with("fapi: verify: fapi error"), "{line}");
        assert!(line.contains("invalid_token"), "{line}");
        assert_eq!(r.json().unwrap()["oauth_error"], "invalid_token");
        assert_eq!(Failure::usage("--claims", "not JSON").exit_code(), 2);
        let pipe = io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(matches!(Failure::io("stdout", &pipe), Failure::ClosedPipe));
        assert_eq!(Failure::io("stdout", &io::Error::other("x")).exit_code(), 3);
        assert!(Failure::ClosedPipe.line().is_none());
    }
}
