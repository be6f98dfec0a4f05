//! `fapi explain`: a requirement ID's rule, its source set, the profiles
//! it holds under, and where it is enforced and tested, from the
//! catalogue `docs/requirements.md` (generated from
//! [`requirement_table`](crate::requirement_table) and the sources by
//! `tests/requirements_catalogue.rs`, which fails when the committed file
//! differs).

use fapi_core::profile::Profile;

use crate::cli::ExplainArgs;
use crate::failure::Failure;
use crate::output;
pub use crate::requirement_table::{REQUIREMENTS, Requirement, SETS};

/// The committed catalogue, carried in the binary.
const CATALOGUE: &str = include_str!("../../../docs/requirements.md");

/// The requirement of `id` (case-insensitive).
pub fn find(id: &str) -> Option<&'static Requirement> {
    REQUIREMENTS
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(id.trim()))
}

/// The profiles under which `id` holds, in `Profile::ALL`'s order.
pub fn profiles_holding(id: &str) -> Vec<&'static str> {
    Profile::ALL
        .iter()
        .filter(|p| p.has(id))
        .map(|p| p.name)
        .collect()
}

/// The source document of a set.
pub fn set_source(set: &str) -> &'static str {
    SETS.iter().find(|(s, _)| *s == set).map_or("", |(_, d)| d)
}

/// The files of the catalogue row of `id`: (enforced in, tested in).
fn locations(id: &str) -> (Vec<String>, Vec<String>) {
    let files = |cell: &str| -> Vec<String> {
        cell.split(", ")
            .map(|f| f.trim().trim_matches('`').to_owned())
            .filter(|f| !f.is_empty() && f != "none")
            .collect()
    };
    let prefix = format!("| {id} |");
    CATALOGUE
        .lines()
        .find(|l| l.starts_with(&prefix))
        .map(|row| {
            let cells: Vec<&str> = row.trim_matches('|').split(" | ").collect();
            match cells.as_slice() {
                [.., enforced, tested] => (files(enforced), files(tested)),
                _ => (Vec::new(), Vec::new()),
            }
        })
        .unwrap_or_default()
}

/// Runs `fapi explain ID` (or `--list`): an unknown ID is a usage error
/// (exit 2) naming the ID and how to list them.
pub fn explain(args: &ExplainArgs) -> Result<(), Failure> {
    if args.list {
        if args.output.json {
            let all: Vec<_> = REQUIREMENTS
                .iter()
                .map(|r| serde_json::json!({"id": r.id, "set": r.set, "rule": r.rule}))
                .collect();
            return output::json(&serde_json::json!({ "requirements": all }));
        }
        for r in REQUIREMENTS {
            output::line(&format!("{:<18} {:<7} {}", r.id, r.set, r.rule))?;
        }
        return Ok(());
    }
    let asked = args.id.as_deref().unwrap_or_default();
    let r = find(asked).ok_or_else(|| {
        let prefixes: Vec<&str> = SETS
            .iter()
            .filter_map(|(set, _)| REQUIREMENTS.iter().find(|r| r.set == *set))
            .filter_map(|r| r.id.split('-').next())
            .collect();
        Failure::usage(
            "explain",
            format!(
                "unknown requirement ID {asked:?}: the {} IDs start with {}- (fapi explain --list)",
                REQUIREMENTS.len(),
                prefixes.join("-, ")
            ),
        )
    })?;
    let holds = profiles_holding(r.id);
    let (enforced, tested) = locations(r.id);
    if args.output.json {
        return output::json(&serde_json::json!({
            "id": r.id,
            "rule": r.rule,
            "set": r.set,
            "source": set_source(r.set),
            "profiles": holds,
            "enforced_in": enforced,
            "tested_in": tested,
        }));
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join("\n    ")
        }
    };
    output::line(&format!("{}: {}", r.id, r.rule))?;
    output::line(&format!("source:   {} (set {})", set_source(r.set), r.set))?;
    output::line(&format!(
        "holds under: {}",
        if holds.is_empty() {
            "no profile".to_owned()
        } else {
            holds.join(", ")
        }
    ))?;
    output::line(&format!("enforced in:\n    {}", list(&enforced)))?;
    output::line(&format!("tested in:\n    {}", list(&tested)))?;
    output::line("catalogue: docs/requirements.md")
}
