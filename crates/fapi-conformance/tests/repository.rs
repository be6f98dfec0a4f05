//! The repository says what it is: the licence files the manifests and the
//! README name are there, with the standard texts, and every Cargo feature
//! of every crate says what it gives.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `license = "Apache-2.0 OR MIT"` (SPDX): both texts, as published by the
/// Apache Software Foundation and the Open Source Initiative, are at the
/// root.
#[test]
fn spdx_apache_2_0_or_mit_licence_files() {
    assert!(read("Cargo.toml").contains(r#"license = "Apache-2.0 OR MIT""#));
    assert!(read("README.md").contains("Apache-2.0 OR MIT"));
    let apache = read("LICENSE-APACHE");
    assert!(
        apache.trim_start().starts_with("Apache License"),
        "LICENSE-APACHE"
    );
    for clause in [
        "Version 2.0, January 2004",
        "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
        "9. Accepting Warranty or Additional Liability.",
        "END OF TERMS AND CONDITIONS",
    ] {
        assert!(apache.contains(clause), "LICENSE-APACHE lacks {clause:?}");
    }
    let mit = read("LICENSE-MIT");
    for clause in [
        "Permission is hereby granted, free of charge, to any person obtaining a copy",
        "The above copyright notice and this permission notice shall be included in all",
        "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND",
    ] {
        assert!(mit.contains(clause), "LICENSE-MIT lacks {clause:?}");
    }
}

/// The source files under `dir`, recursively.
fn sources(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// Whether code reads `feature = "name"` for more than an `extern crate`.
fn feature_read(code: &[String], name: &str) -> bool {
    let needle = format!("feature = \"{name}\"");
    code.iter().any(|file| {
        let lines: Vec<&str> = file.lines().collect();
        lines.iter().enumerate().any(|(i, l)| {
            l.contains(&needle)
                && !lines
                    .get(i + 1)
                    .is_some_and(|next| next.trim_start().starts_with("extern crate"))
        })
    })
}

/// Every feature of every crate has a `##` comment saying what it gives
/// (the `default` list excepted), and gives something: it turns on
/// dependencies' features, or code of its crate reads it (beyond an
/// `extern crate`).
#[test]
fn every_feature_is_documented_and_gives_something() {
    let workspace = read("Cargo.toml");
    let members: Vec<&str> = workspace
        .lines()
        .skip_while(|l| !l.starts_with("members"))
        .skip(1)
        .take_while(|l| !l.starts_with(']'))
        .map(|l| l.trim().trim_matches(|c| c == '"' || c == ','))
        .collect();
    assert!(members.contains(&"crates/fapi-core"), "{members:?}");
    for member in members {
        let manifest = read(&format!("{member}/Cargo.toml"));
        let mut in_features = false;
        let mut documented = false;
        for line in manifest.lines() {
            if line.starts_with('[') {
                in_features = line == "[features]";
                continue;
            }
            if !in_features {
                continue;
            }
            if line.starts_with("##") {
                documented = true;
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                continue;
            };
            let name = name.trim();
            if name.is_empty() || line.starts_with(' ') || line.starts_with('#') {
                continue;
            }
            assert!(
                documented || name == "default",
                "{member}: feature `{name}` has no `##` comment"
            );
            documented = false;
            if name != "default" && value.trim() == "[]" {
                let mut code = Vec::new();
                sources(&root().join(member).join("src"), &mut code);
                assert!(
                    feature_read(&code, name),
                    "{member}: feature `{name}` enables nothing and no code reads it"
                );
            }
        }
    }
}
