//! What the demo prints: one line per step (the requirement IDs it
//! exercises), one per attack (the attacker class, what the bank
//! answered, whether that is the expected refusal), as text or JSON lines.

use crate::output;

/// The key to the attacker classes, printed once.
pub const ATTACKERS: &str = "attackers (FAPI 2.0 attacker model): A1 web attacker (own accounts, crafted links); A1a A1 with messages obtained from the AS; A2 network attacker (changes messages in transit); A3a reads authorization requests; A5 reads resource requests (replays a captured proof or token)";

/// The demo's report and tally.
pub struct Report {
    out: output::Report,
    json: bool,
    /// The profile being run.
    pub profile: &'static str,
    /// Steps done.
    pub steps: usize,
    /// Attacks tried.
    pub attacks: usize,
    /// Failed steps and attacks the bank did not refuse as expected.
    pub failures: usize,
}

impl Report {
    /// A report, as JSON lines when `json`.
    pub fn new(json: bool) -> Self {
        Self {
            out: output::Report::default(),
            json,
            profile: "",
            steps: 0,
            attacks: 0,
            failures: 0,
        }
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
        self.text(&format!("     OK      {name}  [{}]", ids.join(" ")));
        let p = self.profile;
        self.event(&serde_json::json!({"event":"step","profile":p,"flow":flow,"step":name,"ids":ids,"ok":true}));
    }

    /// A step that failed.
    pub fn fail(&mut self, flow: &str, name: &str, why: &str) {
        self.failures += 1;
        self.text(&format!("     FAIL    {name}: {why}"));
        let p = self.profile;
        self.event(&serde_json::json!({"event":"step","profile":p,"flow":flow,"step":name,"ok":false,"why":why}));
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
        attacker: &str,
        ids: &[&str],
        expected: &str,
        seen: Result<String, Refusal>,
    ) {
        self.attacks += 1;
        let (stopped, what) = match &seen {
            Ok(accepted) => (false, format!("accepted: {accepted}")),
            Err(r) => (r.oauth == expected, r.to_string()),
        };
        if !stopped {
            self.failures += 1;
        }
        let verdict = if stopped { "STOPPED" } else { "MISSED " };
        self.text(&format!(
            "     {verdict} [{attacker}] {name}: {what} (expected {expected})  [{}]",
            ids.join(" ")
        ));
        let p = self.profile;
        self.event(&serde_json::json!({
            "event":"attack","profile":p,"flow":flow,"attack":name,"attacker":attacker,
            "ids":ids,"expected":expected,"seen":what,"stopped":stopped,
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
