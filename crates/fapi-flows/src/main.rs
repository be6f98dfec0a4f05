//! The main job: both flows of the paper under each of the six profiles,
//! attacks included, then the audit of the simulated AS's metadata against
//! every profile. Exits non-zero if a step fails or an attack is not
//! stopped.
//!
//! A reader that stops early (`| head`) closes the pipe: the job then stops
//! writing, still runs every flow, and its exit code still gives the
//! verdict. Any other failure to write is reported on stderr and fails the
//! job.

use std::fmt;
use std::io::{self, Write as _};
use std::process::ExitCode;
use std::time::Instant;

use fapi_core::audit::Outcome;
use fapi_core::profile::Profile;
use fapi_flows::keys::RsaKeys;
use fapi_flows::world::algorithms;
use fapi_flows::{Flow, World, metadata, run_flow};

/// Standard output that a closed pipe silences instead of a panic.
struct Output {
    out: io::StdoutLock<'static>,
    /// Set once a write failed: nothing more is written.
    closed: bool,
    /// The first write error that is not a closed pipe.
    error: Option<io::Error>,
}

impl Output {
    fn new() -> Self {
        Self {
            out: io::stdout().lock(),
            closed: false,
            error: None,
        }
    }

    fn write(&mut self, args: fmt::Arguments<'_>) {
        if self.closed {
            return;
        }
        if let Err(e) = self.out.write_fmt(args) {
            self.fail(e);
        }
    }

    fn fail(&mut self, e: io::Error) {
        self.closed = true;
        if e.kind() != io::ErrorKind::BrokenPipe {
            self.error = Some(e);
        }
    }

    /// Flushes, and gives the write error that is not a closed pipe.
    fn finish(mut self) -> Option<io::Error> {
        if !self.closed
            && let Err(e) = self.out.flush()
        {
            self.fail(e);
        }
        self.error
    }
}

/// `print!` to an [`Output`].
macro_rules! out {
    ($o:expr, $($arg:tt)*) => { $o.write(format_args!($($arg)*)) };
}

/// `println!` to an [`Output`].
macro_rules! outln {
    ($o:expr) => { $o.write(format_args!("\n")) };
    ($o:expr, $($arg:tt)*) => {{
        $o.write(format_args!($($arg)*));
        $o.write(format_args!("\n"));
    }};
}

fn main() -> ExitCode {
    let started = Instant::now();
    let mut o = Output::new();
    let rsa = RsaKeys::default();
    let mut failures = 0usize;
    let mut attacks = 0usize;
    let mut steps = 0usize;
    let mut audit_rows = Vec::new();
    for profile in Profile::ALL {
        let world = match World::new(*profile, &rsa) {
            Ok(w) => w,
            Err(e) => {
                outln!(o, "{}: setup failed: {e}", profile.name);
                failures += 1;
                continue;
            }
        };
        let algs = algorithms(profile);
        outln!(
            o,
            "== {} (AS {}, client {}, {})",
            profile.name,
            algs.server,
            algs.client,
            match fapi_flows::authorization_server::sender_constraint(profile) {
                fapi_core::profile::SenderConstraint::Dpop => format!("DPoP {}", algs.dpop),
                fapi_core::profile::SenderConstraint::Mtls => "MTLS x5t#S256".to_owned(),
            }
        );
        for flow in Flow::ALL {
            match run_flow(&world, flow) {
                Ok(report) => {
                    outln!(o, "  -- {}", flow.name());
                    for s in &report.steps {
                        steps += 1;
                        outln!(o, "     OK   {}", s.name);
                    }
                    for a in &report.attacks {
                        attacks += 1;
                        let verdict = if a.stopped() { "STOPPED" } else { "MISSED " };
                        if !a.stopped() {
                            failures += 1;
                        }
                        let seen = a
                            .observed
                            .map_or_else(|| "accepted".to_owned(), |r| r.to_string());
                        outln!(o, "     {verdict} [{}] {}: {seen}", a.attacker, a.name);
                    }
                }
                Err(f) => {
                    failures += 1;
                    outln!(o, "  FAIL {f}");
                }
            }
        }
        match metadata::audit_all(&world) {
            Ok(reports) => audit_rows.push((profile.name, reports)),
            Err(e) => {
                failures += 1;
                outln!(o, "  audit failed: {e}");
            }
        }
    }
    outln!(o);
    outln!(
        o,
        "== audit of each simulated AS's RFC 8414 metadata against every profile"
    );
    out!(o, "{:<12}", "AS \\ audit");
    for p in Profile::ALL {
        out!(o, "{:>12}", p.name);
    }
    outln!(o);
    for (name, reports) in &audit_rows {
        out!(o, "{name:<12}");
        for (p, r) in Profile::ALL.iter().zip(reports.iter()) {
            let fails = r.failures().count();
            let cell = if fails == 0 {
                "pass".to_owned()
            } else {
                format!("{fails} fail")
            };
            out!(o, "{cell:>12}");
            // Each AS must meet its own profile.
            if p.name == *name && fails > 0 {
                failures += 1;
            }
        }
        outln!(o);
    }
    for (name, reports) in &audit_rows {
        for (p, r) in Profile::ALL.iter().zip(reports.iter()) {
            for f in r.failures() {
                if let Outcome::Fail(why) = f.outcome {
                    outln!(o, "  {name} AS vs {}: {} fails: {why}", p.name, f.id);
                }
            }
        }
    }
    outln!(o);
    outln!(
        o,
        "{} profiles x 2 flows: {steps} steps OK, {attacks} attacks, {failures} failures, {:.1} s",
        Profile::ALL.len(),
        started.elapsed().as_secs_f64()
    );
    if let Some(e) = o.finish() {
        eprintln!("cannot write the report: {e}");
        failures += 1;
    }
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
