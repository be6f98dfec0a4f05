//! `docs/requirements.md`, the requirement catalogue, is generated from the
//! crate's one table (`src/requirement_table.rs`), the profiles of the core
//! (`Profile::requirements`) and the sources that name each ID; this test
//! regenerates it and fails when the committed file differs, so that it
//! cannot drift. `FAPI_UPDATE_CATALOGUE=1 cargo test -p fapi-cli --test
//! requirements_catalogue` writes it.
//!
//! The table is checked against `shared/spec/requirements.md` (the
//! digest the IDs come from) when that file exists beside the repository
//! or at `FAPI_SPEC_REQUIREMENTS`.

#[path = "../src/requirement_table.rs"]
#[allow(dead_code)]
mod requirement_table;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use fapi_core::profile::Profile;
use requirement_table::{REQUIREMENTS, SETS};

const FAPI: &str = env!("CARGO_BIN_EXE_fapi");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Where the IDs are looked for, as `shared/tools/req-coverage` does.
const DIRS: &[&str] = &[
    "crates", "bindings", "firmware", "benches", "fuzz", "interop", "tests", "examples",
];
const EXTS: &[&str] = &["rs", "c", "h", "py", "js", "mjs", "sh"];
/// The catalogue's own sources name every ID and prove nothing.
const SELF: &[&str] = &[
    "crates/fapi-cli/src/requirement_table.rs",
    "crates/fapi-cli/tests/requirements_catalogue.rs",
];

/// The repository's files: git's list (tracked and untracked, not
/// ignored) in a checkout, else a walk.
fn files(root: &Path) -> Vec<String> {
    let git = Command::new("git")
        .args([
            "ls-files",
            "--cached",
            "--others",
            "--exclude-standard",
            "-z",
            "--",
        ])
        .args(DIRS)
        .current_dir(root)
        .output();
    let mut list: Vec<String> = match git {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .split('\0')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => {
            let mut out = Vec::new();
            for d in DIRS {
                walk(root, &root.join(d), &mut out);
            }
            out
        }
    };
    list.retain(|f| {
        Path::new(f)
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTS.contains(&e))
            && !SELF.contains(&f.as_str())
            && root.join(f).is_file()
    });
    list.sort();
    list.dedup();
    list
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            walk(root, &p, out);
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push(rel.to_string_lossy().into_owned());
        }
    }
}

/// Whether `text` names `id` as a whole word (not `F2-PAR` in `F2-PAR-TTL`).
fn names(text: &str, id: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '-';
    text.match_indices(id).any(|(i, _)| {
        !text[..i].chars().next_back().is_some_and(word)
            && !text[i + id.len()..].chars().next().is_some_and(word)
    })
}

/// A test file: under `tests/` or `fuzz/`, or named `test_*`, `*_test.*`
/// or `*.test.*`.
fn is_test_file(f: &str) -> bool {
    f.contains("/tests/")
        || f.starts_with("tests/")
        || f.starts_with("fuzz/")
        || f.contains("/fuzz/")
        || Path::new(f)
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("test_") || n.contains("_test.") || n.contains(".test."))
}

/// The catalogue, as generated now.
fn generate(root: &Path) -> String {
    let files = files(root);
    let texts: Vec<(String, String)> = files
        .iter()
        .filter_map(|f| Some((f.clone(), std::fs::read_to_string(root.join(f)).ok()?)))
        .collect();
    let mut out = String::new();
    out.push_str("# Requirement catalogue\n\n");
    out.push_str("<!-- Generated: FAPI_UPDATE_CATALOGUE=1 cargo test -p fapi-cli --test requirements_catalogue. Do not edit; crates/fapi-cli/tests/requirements_catalogue.rs fails when this file differs from what it generates. -->\n\n");
    out.push_str("Every requirement ID that fapi enforces, with its rule (an English digest\n");
    out.push_str("of the Bank of Japan IMES Discussion Paper 2026-J-4 and the specifications\n");
    out.push_str("it cites), the set it comes from, the profiles (`--profile`) under which it\n");
    out.push_str("holds, the source files that name it (the rule) and the tests that name it\n");
    out.push_str("(the proof). `fapi explain ID` prints one row; `fapi demo` tags each step\n");
    out.push_str("with the IDs that hold under the profile being run.\n\n");
    out.push_str("Sets:\n\n");
    for (set, source) in SETS {
        out.push_str(&format!("- `{set}`: {source}\n"));
    }
    out.push_str("\nA file counts as a test when it lies under `tests/` or `fuzz/` or is named\n");
    out.push_str("`test_*`, `*_test.*` or `*.test.*`, or for the\n");
    out.push_str("part of a Rust file after its first `#[cfg(test)]`; the demo\n");
    out.push_str("(`crates/fapi-cli/src/demo/`) shows the rules rather than enforcing them and\n");
    out.push_str("is left out of \"enforced in\".\n\n");
    out.push_str("| ID | rule | set | holds under | enforced in | tested in |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for r in REQUIREMENTS {
        let mut code = BTreeSet::new();
        let mut tests = BTreeSet::new();
        for (f, text) in &texts {
            if is_test_file(f) {
                if names(text, r.id) {
                    let _ = tests.insert(f.as_str());
                }
                continue;
            }
            let (src, test_part) = match text.find("#[cfg(test)]") {
                Some(i) if f.ends_with(".rs") => text.split_at(i),
                _ => (text.as_str(), ""),
            };
            if names(src, r.id) && !f.starts_with("crates/fapi-cli/src/demo/") {
                let _ = code.insert(f.as_str());
            }
            if names(test_part, r.id) {
                let _ = tests.insert(f.as_str());
            }
        }
        let holds: Vec<&str> = Profile::ALL
            .iter()
            .filter(|p| p.has(r.id))
            .map(|p| p.name)
            .collect();
        let cell = |s: &BTreeSet<&str>| {
            if s.is_empty() {
                "none".to_owned()
            } else {
                s.iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.id,
            r.rule,
            r.set,
            if holds.is_empty() {
                "none".to_owned()
            } else {
                holds.join(", ")
            },
            cell(&code),
            cell(&tests),
        ));
    }
    out
}

// Every ID of the table is enforced in code and named in a test (the rule
// `shared/tools/req-coverage` checks), and the committed catalogue is what
// the sources generate now.
#[test]
fn the_committed_catalogue_is_what_the_sources_generate() {
    let root = root();
    let path = root.join("docs/requirements.md");
    let now = generate(&root);
    if std::env::var_os("FAPI_UPDATE_CATALOGUE").is_some() {
        std::fs::write(&path, &now).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != now {
        let diff: Vec<String> = committed
            .lines()
            .zip(now.lines())
            .filter(|(a, b)| a != b)
            .take(3)
            .map(|(a, b)| format!("committed: {a}\nsources:   {b}"))
            .collect();
        panic!(
            "docs/requirements.md is out of date with the sources; regenerate it with\n  FAPI_UPDATE_CATALOGUE=1 cargo test -p fapi-cli --test requirements_catalogue\nfirst differences:\n{}",
            diff.join("\n")
        );
    }
    for line in now
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| ID"))
    {
        assert!(
            !line.ends_with("| none | none |"),
            "neither enforced nor tested: {line}"
        );
    }
}

/// The digest the IDs come from: `FAPI_SPEC_REQUIREMENTS`, or
/// `shared/spec/requirements.md` beside the repository's parent.
fn spec_file() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FAPI_SPEC_REQUIREMENTS") {
        return Some(PathBuf::from(p));
    }
    root()
        .ancestors()
        .map(|a| a.join("shared/spec/requirements.md"))
        .find(|p| p.is_file())
}

#[test]
fn the_table_is_the_digest_of_the_shared_spec_when_present() {
    // Every profile's IDs are in the table, and every ID is held by one
    // profile at least.
    for p in Profile::ALL {
        for id in p.requirements {
            assert!(
                REQUIREMENTS.iter().any(|r| r.id == *id),
                "{} holds {id}, not in the table",
                p.name
            );
        }
    }
    for r in REQUIREMENTS {
        assert!(
            Profile::ALL.iter().any(|p| p.has(r.id)),
            "{} is held by no profile",
            r.id
        );
        assert!(
            SETS.iter().any(|(s, _)| *s == r.set),
            "{}: unknown set {}",
            r.id,
            r.set
        );
    }
    let Some(spec) = spec_file() else {
        eprintln!("shared/spec/requirements.md not found: the table is not compared");
        return;
    };
    let text = std::fs::read_to_string(&spec).unwrap();
    let mut rows = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("| ") else {
            continue;
        };
        let Some((id, rule)) = rest.split_once(" | ") else {
            continue;
        };
        let is_id = id.split('-').count() > 1
            && id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
        if is_id {
            rows.push((id.to_owned(), rule.trim_end_matches(" |").to_owned()));
        }
    }
    let table: Vec<(String, String)> = REQUIREMENTS
        .iter()
        .map(|r| (r.id.to_owned(), r.rule.to_owned()))
        .collect();
    assert_eq!(
        table,
        rows,
        "src/requirement_table.rs differs from {}",
        spec.display()
    );
}

#[test]
fn explain_prints_the_rule_source_and_places_and_refuses_unknown_ids() {
    let out = Command::new(FAPI)
        .args(["explain", "F2-PAR"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.starts_with("F2-PAR: pushed authorization requests"),
        "{text}"
    );
    assert!(text.contains("FAPI 2.0 Security Profile"), "{text}");
    assert!(text.contains("holds under: fapi2, fapi2-plus"), "{text}");
    assert!(text.contains("enforced in:\n    "), "{text}");
    assert!(text.contains("tested in:\n    "), "{text}");
    let json = Command::new(FAPI)
        .args(["explain", "cdr-at-ttl", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["id"], "CDR-AT-TTL");
    assert_eq!(v["set"], "cdr");
    assert!(
        v["enforced_in"].as_array().is_some_and(|a| !a.is_empty()),
        "{v}"
    );
    let unknown = Command::new(FAPI)
        .args(["explain", "F2-NOPE"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        err.contains("unknown requirement ID \"F2-NOPE\"") && err.contains("--list"),
        "{err}"
    );
}
