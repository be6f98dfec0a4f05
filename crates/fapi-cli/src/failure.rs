//! Why a command did not succeed, and the exit code and message it ends
//! with.
//!
//! | exit | meaning |
//! |---|---|
//! | 0 | done |
//! | 1 | a refusal (a typed [`fapi_core::Error`], its name and code) or a failed check |
//! | 2 | a usage error (clap's own, or a value the command cannot use) |
//! | 3 | an I/O or environment error (a file, the network, the HSM module) |
//!
//! The message is one line on stderr (`error: <name> (fapi code <n>):
//! <what>: <values>` for a refusal, `error: <what>: <why>` otherwise), or
//! with `--json` one JSON object. OAuth error names are a server's answer
//! and are not printed.

use std::io;

/// A command's failure.
#[derive(Debug)]
pub enum Failure {
    /// The core refused an input: exit 1, with its name and code.
    Refused {
        /// What was being done.
        what: String,
        /// The core's error.
        error: fapi_core::Error,
        /// The values involved (expected against got), or a reason beyond
        /// the error (a backend's, a parser's).
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
    /// The core's `error`, while doing `what`.
    ///
    /// The CLI is no server: it names the fapi error and never the OAuth
    /// error a server would answer with (`sign` has no `invalid_client`).
    pub fn refused(what: impl Into<String>, error: fapi_core::Error) -> Self {
        Self::Refused {
            what: what.into(),
            error,
            detail: None,
        }
    }

    /// The core's `error` while doing `what`, with the values involved.
    pub fn refused_with(
        what: impl Into<String>,
        error: fapi_core::Error,
        detail: impl Into<String>,
    ) -> Self {
        Self::Refused {
            what: what.into(),
            error,
            detail: Some(detail.into()),
        }
    }

    /// Adds the values involved to a refusal without them; any other
    /// failure is returned unchanged.
    #[must_use]
    pub fn with_detail(self, detail: Option<String>) -> Self {
        match (self, detail) {
            (
                Self::Refused {
                    what,
                    error,
                    detail: None,
                },
                Some(d),
            ) => Self::Refused {
                what,
                error,
                detail: Some(d),
            },
            (other, _) => other,
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

    /// The one-line message, or `None` for a closed pipe: a refusal is
    /// `error: <name> (fapi code <n>): <what>: <values>` (the name first,
    /// the number labelled so that it does not read as an HTTP status),
    /// anything else `error: <what>: <why>`.
    pub fn line(&self) -> Option<String> {
        match self {
            Self::Refused {
                what,
                error,
                detail,
            } => {
                let head = format!(
                    "error: {} (fapi code {}): {what}",
                    error.name(),
                    error.code()
                );
                Some(match detail {
                    Some(d) => format!("{head}: {d}"),
                    None => head,
                })
            }
            Self::Failed { what, why }
            | Self::Usage { what, why }
            | Self::Environment { what, why } => Some(format!("error: {what}: {why}")),
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
                detail,
            } => {
                v["what"] = what.as_str().into();
                v["code"] = error.code().into();
                v["name"] = error.name().into();
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
    /// The error as a [`Failure::Refused`], while doing `what`.
    fn refused(self, what: &str) -> Result<T, Failure>;
}

impl<T> Context<T> for Result<T, fapi_core::Error> {
    fn refused(self, what: &str) -> Result<T, Failure> {
        self.map_err(|e| Failure::refused(what, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_and_messages() {
        let r = Failure::refused("verify", fapi_core::Error::BadSignature);
        assert_eq!(r.exit_code(), 1);
        let line = r.line().unwrap();
        // the name first, the number labelled, no OAuth error name
        assert_eq!(
            line,
            format!(
                "error: bad_signature (fapi code {}): verify",
                fapi_core::Error::BadSignature.code()
            )
        );
        assert!(!line.contains("invalid_token"), "{line}");
        assert!(r.json().unwrap().get("oauth_error").is_none());
        let e = Failure::refused("verify", fapi_core::Error::Expired)
            .with_detail(Some("exp 1 is before now 2".into()));
        assert!(e.line().unwrap().ends_with("verify: exp 1 is before now 2"));
        assert_eq!(Failure::usage("--claims", "not JSON").exit_code(), 2);
        let pipe = io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(matches!(Failure::io("stdout", &pipe), Failure::ClosedPipe));
        assert_eq!(Failure::io("stdout", &io::Error::other("x")).exit_code(), 3);
        assert!(Failure::ClosedPipe.line().is_none());
    }
}
