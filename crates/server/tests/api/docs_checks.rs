//! The docs stay true where a test can tell: `docs/rules.md`'s table "Where each rule lives" names,
//! per rule, files that exist and test functions that exist in the file named, and every rule
//! heading has its row.

use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/server sits two levels below the repository's root")
        .to_path_buf()
}

/// The backticked words of a table cell.
fn ticked(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

#[test]
fn rules_name_files_and_tests_that_exist() {
    let root = repo_root();
    let rules = std::fs::read_to_string(root.join("docs/rules.md")).unwrap();
    let headings: Vec<String> = rules
        .lines()
        .filter_map(|l| l.strip_prefix("### R"))
        .map(|l| format!("R{}", l.split('.').next().unwrap()))
        .collect();
    assert!(headings.len() >= 30, "rule headings: {headings:?}");
    let table = rules
        .split("## Where each rule lives")
        .nth(1)
        .expect("docs/rules.md has a section \"## Where each rule lives\"");
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    let is_rule_row = |l: &&str| {
        l.strip_prefix("| R")
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    };
    for line in table.lines().filter(is_rule_row) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (rule, files, tests) = (cells[1], cells[2], cells[3]);
        rows.push(rule.to_owned());
        for file in ticked(files) {
            if !root.join(file).is_file() {
                problems.push(format!("{rule}: no file {file}"));
            }
        }
        let named = ticked(tests);
        if named.is_empty() {
            problems.push(format!("{rule}: names no test"));
        }
        for test in named {
            let Some((file, function)) = test.split_once("::") else {
                problems.push(format!("{rule}: {test} is not file::function"));
                continue;
            };
            match std::fs::read_to_string(root.join(file)) {
                Ok(text) if text.contains(&format!("fn {function}(")) => {}
                Ok(_) => problems.push(format!("{rule}: no fn {function} in {file}")),
                Err(_) => problems.push(format!("{rule}: no file {file}")),
            }
        }
    }
    for h in &headings {
        if !rows.contains(h) {
            problems.push(format!("{h} has no row in \"Where each rule lives\""));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
