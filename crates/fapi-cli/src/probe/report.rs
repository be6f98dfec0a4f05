//! The probe's report: a table (module, IDs, result, detail), or one JSON
//! document (`--json`), and `--list`.

use fapi_core::profile::Profile;
use serde_json::json;

use super::modules::{self, Module, Outcome};
use crate::failure::Failure;
use crate::output;

/// One module's result.
#[derive(Clone, Debug)]
pub struct Row {
    /// The module's name.
    pub module: &'static str,
    /// Its requirement IDs that hold under the profile run.
    pub ids: Vec<&'static str>,
    /// The clause.
    pub clause: &'static str,
    /// The expected answer.
    pub expected: &'static str,
    /// `pass`, `fail` or `skip`.
    pub result: &'static str,
    /// What was seen, or why it was skipped.
    pub detail: String,
}

impl Row {
    /// The row of `m` under `profile` with `outcome`.
    pub fn new(m: &Module, profile: &Profile, outcome: Outcome) -> Self {
        let (result, detail) = match outcome {
            Outcome::Pass(d) => ("pass", d),
            Outcome::Fail(d) => ("fail", d),
            Outcome::Skip(d) => ("skip", d),
        };
        Self {
            module: m.name,
            ids: m.holding(profile),
            clause: m.clause,
            expected: m.expected,
            result,
            detail,
        }
    }

    /// Whether it failed.
    pub fn failed(&self) -> bool {
        self.result == "fail"
    }
}

fn upper(result: &str) -> String {
    result.to_ascii_uppercase()
}

/// Prints the report.
pub fn print(issuer: &str, profile: &Profile, rows: &[Row], json: bool) -> Result<(), Failure> {
    let count = |r: &str| rows.iter().filter(|x| x.result == r).count();
    let (pass, fail, skip) = (count("pass"), count("fail"), count("skip"));
    if json {
        let modules: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({
                    "module": r.module, "ids": r.ids, "clause": r.clause,
                    "expected": r.expected, "result": r.result, "detail": r.detail,
                })
            })
            .collect();
        return output::json(&json!({
            "issuer": issuer, "profile": profile.name, "modules": modules,
            "summary": {"pass": pass, "fail": fail, "skip": skip},
            "outcome": if fail == 0 { "pass" } else { "fail" },
        }));
    }
    let w_mod = rows
        .iter()
        .map(|r| r.module.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let ids: Vec<String> = rows.iter().map(|r| r.ids.join(" ")).collect();
    let w_ids = ids.iter().map(String::len).max().unwrap_or(3).max(3);
    output::line(&format!("fapi probe {issuer} --profile {}", profile.name))?;
    output::line(&format!(
        "{:<w_mod$}  {:<w_ids$}  {:<6}  DETAIL",
        "MODULE", "IDS", "RESULT"
    ))?;
    for (r, ids) in rows.iter().zip(&ids) {
        output::line(&format!(
            "{:<w_mod$}  {:<w_ids$}  {:<6}  {}",
            r.module,
            if ids.is_empty() { "-" } else { ids },
            upper(r.result),
            r.detail
        ))?;
    }
    output::line(&format!(
        "{pass} pass, {fail} fail, {skip} skip: {}",
        if fail == 0 { "PASS" } else { "FAIL" }
    ))
}

/// `--list`: every module, its IDs (those that hold under `profile` when
/// given), clause and expected answer.
pub fn list(profile: Option<&Profile>, json: bool) -> Result<(), Failure> {
    let ids = |m: &Module| match profile {
        Some(p) => m.holding(p),
        None => m.ids.to_vec(),
    };
    if json {
        let v: Vec<_> = modules::ALL
            .iter()
            .map(|m| {
                json!({
                    "module": m.name, "area": m.area, "ids": ids(m),
                    "clause": m.clause, "expected": m.expected,
                })
            })
            .collect();
        return output::json(&json!({ "modules": v }));
    }
    let w = modules::ALL.iter().map(|m| m.name.len()).max().unwrap_or(6);
    for m in modules::ALL {
        let i = ids(m);
        output::line(&format!(
            "{:<w$}  {}  [{}]  expects {}",
            m.name,
            if i.is_empty() {
                "-".to_owned()
            } else {
                i.join(" ")
            },
            m.clause,
            m.expected
        ))?;
    }
    Ok(())
}
