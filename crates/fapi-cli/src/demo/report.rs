//! What the demo prints: one line per step (the requirement IDs it
//! exercises that hold under the profile being run), one per attack (the
//! attacker class, what the bank answered, whether that is the expected
//! refusal), as text or JSON lines. Results are lower case, as in `fapi
//! audit` and the C API: a step `pass` or `fail`, an attack `refused` or
//! `missed` (JSON: `"outcome": "pass"` or `"fail"` for both).

use std::collections::BTreeSet;

use crate::output;

/// The attacker classes of the FAPI 2.0 attacker model, and what each can
/// do; the legend names only those whose attacks ran.
pub const ATTACKER_CLASSES: &[(&str, &str)] = &[
    ("A1", "web attacker (own accounts, crafted links)"),
    ("A1a", "A1 with messages obtained from the AS"),
    ("A2", "network attacker (changes messages in transit)"),
    ("A3a", "reads authorization requests"),
    (
        "A5",
        "reads resource requests (replays a captured proof or token)",
    ),
];

/// The demo's report and tally.
pub struct Report {
    out: output::Report,
    json: bool,
    /// The profile being run.
    pub profile: &'static str,
    /// The requirement IDs that hold under it: a step names only these
    /// (and references that are no requirement ID, such as an RFC).
    pub holds: &'static [&'static str],
    /// Steps passed.
    pub steps: usize,
    /// Steps failed.
    pub steps_failed: usize,
    /// Attacks tried.
    pub attacks: usize,
    /// Attacks refused as expected.
    pub refused: usize,
    /// Failed steps and attacks the bank did not refuse as expected.
    pub failures: usize,
    /// The attacker classes whose attacks ran.
    pub classes: BTreeSet<&'static str>,
}

impl Report {
    /// A report, as JSON lines when `json`.
    pub fn new(json: bool) -> Self {
        Self {
            out: output::Report::default(),
            json,
            profile: "",
            holds: &[],
            steps: 0,
            steps_failed: 0,
            attacks: 0,
            refused: 0,
            failures: 0,
            classes: BTreeSet::new(),
        }
    }

    /// `ids` without the requirement IDs that do not hold under the
    /// profile being run (no mutual-TLS IDs under DPoP); references that
    /// are no requirement ID (`RFC 9449 §11.1`) are kept.
    pub fn holding<'a>(&self, ids: &[&'a str]) -> Vec<&'a str> {
        ids.iter()
            .copied()
            .filter(|id| crate::requirements::find(id).is_none() || self.holds.contains(id))
            .collect()
    }

    /// The legend of the attacker classes that occurred.
    pub fn legend(&self) -> Vec<(&'static str, &'static str)> {
        ATTACKER_CLASSES
            .iter()
            .copied()
            .filter(|(c, _)| self.classes.contains(c))
            .collect()
    }

    /// A line of text (text mode only).
    pub fn text(&mut self, line: &str) {
        if !self.json {
            self.out.line(line);
        }
    }

    /// A JSON event (JSON mode only).
    pub fn event(&mut self, v: &serde_json::Value) {
        if self.json {
            self.out.line(&v.to_string());
        }
    }

    /// A step that succeeded.
    pub fn ok(&mut self, flow: &str, name: &str, ids: &[&str]) {
        self.steps += 1;
        let ids = self.holding(ids);
        let tags = if ids.is_empty() {
            String::new()
        } else {
            format!("  [{}]", ids.join(" "))
        };
        self.text(&format!("     pass    {name}{tags}"));
        let p = self.profile;
        self.event(&serde_json::json!({"event":"step","profile":p,"flow":flow,"step":name,"ids":ids,"ok":true,"outcome":"pass"}));
    }

    /// A step that failed.
    pub fn fail(&mut self, flow: &str, name: &str, why: &str) {
        self.failures += 1;
        self.steps_failed += 1;
        self.text(&format!("     FAIL    {name}: {why}"));
        let p = self.profile;
        self.event(&serde_json::json!({"event":"step","profile":p,"flow":flow,"step":name,"ok":false,"outcome":"fail","why":why}));
    }

    /// Records a step's result: its value, or `None` after reporting why.
    pub fn step<T>(
        &mut self,
        flow: &str,
        name: &str,
        ids: &[&str],
        r: Result<T, String>,
    ) -> Option<T> {
        match r {
            Ok(v) => {
                self.ok(flow, name, ids);
                Some(v)
            }
            Err(why) => {
                self.fail(flow, name, &why);
                None
            }
        }
    }

    /// An attack: `seen` is what the bank (or the client) answered,
    /// `Ok(..)` when it was accepted; it is stopped when refused with
    /// `expected`.
    pub fn attack(
        &mut self,
        flow: &str,
        name: &str,
        attacker: &'static str,
        ids: &[&str],
        expected: &str,
        seen: Result<String, Refusal>,
    ) {
        self.attacks += 1;
        let _ = self.classes.insert(attacker);
        let ids = self.holding(ids);
        let (stopped, what) = match &seen {
            Ok(accepted) => (false, format!("accepted: {accepted}")),
            Err(r) => (r.oauth == expected, r.to_string()),
        };
        if stopped {
            self.refused += 1;
        } else {
            self.failures += 1;
        }
        let verdict = if stopped { "refused" } else { "missed " };
        let tags = if ids.is_empty() {
            String::new()
        } else {
            format!("  [{}]", ids.join(" "))
        };
        self.text(&format!(
            "     {verdict} [{attacker}] {name}: {what} (expected {expected}){tags}"
        ));
        let p = self.profile;
        self.event(&serde_json::json!({
            "event":"attack","profile":p,"flow":flow,"attack":name,"attacker":attacker,
            "ids":ids,"expected":expected,"seen":what,"stopped":stopped,
            "outcome": if stopped { "pass" } else { "fail" },
        }));
    }

    /// A module of `fapi probe` run against the bank: a pass counts as a
    /// step passed, a fail as a step failed, a skip is said with its
    /// reason.
    pub fn module(&mut self, row: &crate::probe::Row) {
        let ids = self.holding(&row.ids);
        let tags = if ids.is_empty() {
            String::new()
        } else {
            format!("  [{}]", ids.join(" "))
        };
        let verdict = match row.result {
            "pass" => {
                self.steps += 1;
                "pass   "
            }
            "fail" => {
                self.steps_failed += 1;
                self.failures += 1;
                "FAIL   "
            }
            _ => "skip   ",
        };
        self.text(&format!(
            "     {verdict} probe {}: {} (expected {}){tags}",
            row.module, row.detail, row.expected
        ));
        let p = self.profile;
        self.event(&serde_json::json!({
            "event":"probe","profile":p,"module":row.module,"ids":ids,"clause":row.clause,
            "expected":row.expected,"result":row.result,"detail":row.detail,
            "outcome": if row.result == "fail" { "fail" } else { "pass" },
        }));
    }

    /// The write error that was not a closed pipe, if any.
    pub fn write_error(&self) -> Option<&str> {
        self.out.error()
    }
}

/// A refusal: the OAuth error, and the HTTP status (`None` for a refusal
/// on the client's side).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The OAuth error.
    pub oauth: String,
    /// The HTTP status, for the bank's refusals.
    pub status: Option<u16>,
}

impl core::fmt::Display for Refusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.status {
            Some(s) => write!(f, "refused by the bank, {} ({s})", self.oauth),
            None => write!(f, "refused by the client, {}", self.oauth),
        }
    }
}
