//! Tidy checks of the whole workspace, run as ordinary tests: every Rust
//! file starts with a `//!` doc line, the crate graph matches
//! ARCHITECTURE.md, library crates never print, and nothing refers to notes
//! that live outside the repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "target" && n != "snapshots") {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_rust_file_starts_with_a_module_doc_line() {
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    rust_files(&root().join("xtask"), &mut files);
    assert!(files.len() > 10);
    let missing: Vec<_> = files
        .iter()
        .filter(|p| !std::fs::read_to_string(p).unwrap().starts_with("//!"))
        .collect();
    assert!(
        missing.is_empty(),
        "files without a leading //! line: {missing:?}"
    );
}

/// Workspace crates each crate depends on, from the Cargo.toml files.
fn crate_graph_from_manifests() -> BTreeMap<String, Vec<String>> {
    let crates_dir = root().join("crates");
    let names: Vec<String> = std::fs::read_dir(&crates_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let mut graph = BTreeMap::new();
    // The Python package's native crate lives in python/.
    let manifests = names
        .iter()
        .map(|n| (n.clone(), crates_dir.join(n).join("Cargo.toml")))
        .chain([("relu-learn-py".to_owned(), root().join("python/Cargo.toml"))]);
    for (name, path) in manifests {
        let manifest = std::fs::read_to_string(path).unwrap();
        let mut section = String::new();
        let mut deps = Vec::new();
        for line in manifest.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                section = line.to_owned();
            } else if section == "[dependencies]" {
                let key = line.split(['.', '=', ' ']).next().unwrap_or("");
                if names.iter().any(|n| n == key) {
                    deps.push(key.to_owned());
                }
            }
        }
        deps.sort();
        graph.insert(name, deps);
    }
    graph
}

/// The graph written in ARCHITECTURE.md between `<!-- crate-graph -->` markers,
/// one `crate -> dep, dep` line per crate (`-> none` for leaves).
fn crate_graph_from_architecture() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let start = text
        .find("<!-- crate-graph -->")
        .expect("ARCHITECTURE.md has a crate-graph block");
    let end = text[start + 1..]
        .find("<!-- /crate-graph -->")
        .expect("crate-graph block is closed")
        + start
        + 1;
    let mut graph = BTreeMap::new();
    for line in text[start..end].lines().skip(1) {
        if let Some((name, deps)) = line.split_once(" -> ") {
            let mut deps: Vec<String> = deps
                .split(',')
                .map(|d| d.trim().to_owned())
                .filter(|d| !d.is_empty() && d != "none")
                .collect();
            deps.sort();
            graph.insert(name.trim().to_owned(), deps);
        }
    }
    graph
}

#[test]
fn crate_graph_matches_architecture_md() {
    assert_eq!(crate_graph_from_manifests(), crate_graph_from_architecture());
}

#[test]
fn library_crates_never_print() {
    let mut files = Vec::new();
    for e in std::fs::read_dir(root().join("crates")).unwrap().flatten() {
        if e.file_name() != "relu-learn" {
            rust_files(&e.path().join("src"), &mut files);
        }
    }
    let bad: Vec<String> = files
        .iter()
        .flat_map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            let in_tests = text.find("#[cfg(test)]").unwrap_or(text.len());
            text[..in_tests]
                .lines()
                .enumerate()
                .filter(|(_, l)| {
                    let t = l.trim_start();
                    ["println!", "eprintln!", "print!", "eprint!", "dbg!"]
                        .iter()
                        .any(|m| t.starts_with(m))
                })
                .map(|(i, _)| format!("{}:{}", p.display(), i + 1))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(bad.is_empty(), "library crates must not print: {bad:?}");
}

/// Every file under `dir` with one of `exts`, skipping `target` and `.git`.
fn files_with_extensions(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "target" && n != ".git") {
                files_with_extensions(&p, exts, out);
            }
        } else if p.extension().is_some_and(|x| exts.iter().any(|e| x == *e)) {
            out.push(p);
        }
    }
}

#[test]
fn nothing_refers_to_notes_outside_the_repository() {
    // Split literals, so that this file does not match its own needles.
    let needles = [
        concat!("../", "shared"),
        concat!("algorithms", ".md"),
        concat!("algorithms", "-extra.md"),
        concat!("design", ".md"),
    ];
    let mut files = Vec::new();
    files_with_extensions(&root(), &["rs", "md", "toml", "py", "sh"], &mut files);
    assert!(files.len() > 10);
    let bad: Vec<String> = files
        .iter()
        .flat_map(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            text.lines()
                .enumerate()
                .filter(|(_, l)| needles.iter().any(|n| l.contains(n)))
                .map(|(i, _)| format!("{}:{}", p.display(), i + 1))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        bad.is_empty(),
        "lines referring to notes that are not part of the repository (cite the paper or a \
         page under docs/ instead): {bad:?}"
    );
}

#[test]
fn relative_links_in_markdown_resolve() {
    let mut files = Vec::new();
    files_with_extensions(&root(), &["md"], &mut files);
    let mut bad = Vec::new();
    let mut checked = 0;
    for p in &files {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = &rest[..end];
            rest = &rest[end..];
            if target.contains("://")
                || target.starts_with('#')
                || target.starts_with("mailto:")
                || target.contains(' ')
            {
                continue;
            }
            let path = target.split('#').next().unwrap_or("");
            if path.is_empty() {
                continue;
            }
            let resolved = p.parent().unwrap_or(Path::new(".")).join(path);
            checked += 1;
            if !resolved.exists() {
                bad.push(format!("{}: {target}", p.display()));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} relative links found: is the scan broken?"
    );
    assert!(
        bad.is_empty(),
        "Markdown links to files that do not exist: {bad:?}"
    );
}

#[test]
fn every_learner_in_the_registry_has_a_docs_page() {
    let registry = std::fs::read_to_string(root().join("crates/learners/src/registry.rs")).unwrap();
    // The `registry! { Variant => params, … }` invocation: each variant's
    // kebab-case name is the learner's id.
    let start = registry.find("\nregistry! {").expect("the registry! invocation");
    let body = &registry[start + 12..];
    let body = &body[..body.find('}').unwrap()];
    let ids: Vec<String> = body
        .lines()
        .filter_map(|l| l.split("=>").next())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            let mut id = String::new();
            for (i, c) in v.chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    id.push('-');
                }
                id.extend(c.to_lowercase());
            }
            id
        })
        .collect();
    assert!(ids.len() >= 9, "{ids:?}");
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !root().join("docs/learners").join(format!("{id}.md")).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "learners without docs/learners/<id>.md: {missing:?}"
    );
}
