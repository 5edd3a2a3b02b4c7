//! The `rules` page of the docs (`src/rules.md`, shown as the module `rules`) stays honest: every
//! test it names exists in the file it says, its "and N more" counts are right, and it states every
//! rule of the crate by its id.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MODULE: &str = include_str!("../../src/rules.rs");
const PAGE: &str = include_str!("../../src/rules.md");

/// The rules built (SPEC sections 2-14 and 16), by letter and count: each must be stated on
/// the page.
const BUILT: &[(char, u32)] = &[
    ('U', 4),
    ('W', 5),
    ('T', 13),
    ('A', 5),
    ('B', 13),
    ('I', 6),
    ('X', 13),
    ('Q', 7),
    ('F', 4),
    ('S', 9),
    ('L', 3),
    ('K', 4),
    ('H', 5),
    ('E', 2),
    ('D', 4),
    ('R', 3),
];

/// A rule id: one capital letter and a number (`T8`).
fn is_rule_id(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && !chars.as_str().is_empty()
        && chars.all(|c| c.is_ascii_digit())
}

/// A test named after a rule: the rule's id in lower case, `_`, then the rest (`t8_seed_...`).
fn is_test_name(s: &str) -> bool {
    let Some(rest) = s.strip_prefix(|c: char| c.is_ascii_lowercase()) else {
        return false;
    };
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let Some(tail) = rest[digits..].strip_prefix('_') else {
        return false;
    };
    digits > 0
        && !tail.is_empty()
        && tail
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The page in blocks: a list item with its continuation lines, or any other line.
fn blocks(page: &str) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    for line in page.lines() {
        match blocks.last_mut() {
            Some(item) if item.starts_with("- ") && line.starts_with("  ") => {
                item.push(' ');
                item.push_str(line.trim());
            }
            _ => blocks.push(line.to_owned()),
        }
    }
    blocks
}

/// The code spans of a block (`` `x` ``).
fn code_spans(block: &str) -> impl Iterator<Item = &str> {
    block.split('`').skip(1).step_by(2)
}

/// The rule a block heads: `## T8` (a built rule, with its functions and tests) or `- **Q1** ...`
/// (a rule not built yet).
fn stated_rule(block: &str) -> Option<&str> {
    rule_heading(block).or_else(|| {
        let id = block.strip_prefix("- **")?.split_once("**")?.0;
        is_rule_id(id).then_some(id)
    })
}

/// The rules whose section on the page is marked **(decision)**.
fn decisions(page: &str) -> BTreeSet<String> {
    let mut marked = BTreeSet::new();
    let mut current: Option<String> = None;
    for block in blocks(page) {
        if block.starts_with('#') {
            current = rule_heading(&block).map(str::to_owned);
        } else if block.contains("**(decision)**") {
            marked.extend(current.clone());
        }
    }
    marked
}

/// The rule a `## T8` heading opens.
fn rule_heading(block: &str) -> Option<&str> {
    block
        .strip_prefix("## ")
        .map(str::trim)
        .filter(|id| is_rule_id(id))
}

/// Every `fn` name defined in the `.rs` files under `src/` and `tests/`, by file (relative path
/// with `/`).
fn functions_by_file() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs: Vec<PathBuf> = vec![root.join("src"), root.join("tests")];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path).unwrap();
            let relative: Vec<String> = path
                .strip_prefix(root)
                .unwrap()
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            (relative.join("/"), function_names(&text))
        })
        .collect()
}

fn function_names(text: &str) -> BTreeSet<String> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut names = BTreeSet::new();
    for (at, _) in text.match_indices("fn ") {
        if text[..at].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let rest = &text[at + 3..];
        let name = &rest[..rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len())];
        if !name.is_empty() {
            names.insert(name.to_owned());
        }
    }
    names
}

/// The N of "and N more" in a block, if any.
fn more(block: &str) -> Option<usize> {
    block.split("and ").skip(1).find_map(|rest| {
        let (n, tail) = rest.split_once(' ')?;
        if tail.starts_with("more") {
            n.parse().ok()
        } else {
            None
        }
    })
}

#[test]
fn rules_page_is_the_rules_module() {
    assert!(
        MODULE.contains(r#"#![doc = include_str!("rules.md")]"#),
        "src/rules.rs must show src/rules.md"
    );
}

#[test]
fn rules_page_names_only_existing_tests() {
    let functions = functions_by_file();
    let mut problems = Vec::new();
    let mut named = 0;
    for block in blocks(PAGE) {
        let mut file: Option<&str> = None;
        for span in code_spans(&block) {
            if span.ends_with(".rs") {
                if !functions.contains_key(span) {
                    problems.push(format!("{span} is not a file of the crate"));
                }
                file = Some(span);
            } else if is_test_name(span) {
                named += 1;
                match file {
                    None => problems.push(format!("{span} is named without its file")),
                    Some(f) if !functions.get(f).is_some_and(|names| names.contains(span)) => {
                        problems.push(format!("{f} has no fn {span}"));
                    }
                    Some(_) => {}
                }
            }
        }
    }
    assert!(named > 100, "the page names only {named} tests");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn rules_page_lists_each_built_rule_with_its_functions_and_counts_its_tests() {
    let functions = functions_by_file();
    // Each built rule's section: the id of its `## T8` heading and its blocks up to the next heading.
    let mut sections: Vec<(Option<String>, Vec<String>)> = Vec::new();
    for block in blocks(PAGE) {
        if block.starts_with('#') {
            sections.push((rule_heading(&block).map(str::to_owned), Vec::new()));
        } else if let Some((_, blocks)) = sections.last_mut() {
            blocks.push(block);
        }
    }
    let mut problems = Vec::new();
    for (id, blocks) in sections
        .iter()
        .filter_map(|(id, b)| Some((id.as_ref()?, b)))
    {
        if !blocks
            .iter()
            .any(|b| b.starts_with("- Functions:") && b.contains("[`"))
        {
            problems.push(format!("{id} links no function"));
        }
        let tests = blocks.iter().find(|b| b.starts_with("- Tests:"));
        let listed: Vec<&str> = tests
            .into_iter()
            .flat_map(|b| code_spans(b))
            .filter(|s| is_test_name(s))
            .collect();
        if listed.is_empty() || listed.len() > 3 {
            problems.push(format!(
                "{id} lists {} tests: list one to three",
                listed.len()
            ));
        }
        let prefix = format!("{}_", id.to_lowercase());
        let own = listed.iter().filter(|s| s.starts_with(&prefix)).count();
        let all = functions
            .values()
            .flatten()
            .filter(|name| name.starts_with(&prefix))
            .count();
        let said = tests.and_then(|b| more(b)).unwrap_or(0);
        // The page may lag behind new tests, never claim tests that do not exist.
        if own + said > all {
            problems.push(format!(
                "{id} lists {own} of its tests and says {said} more, but only {all} are named `{prefix}*`"
            ));
        }
    }
    assert!(
        sections.iter().filter(|(id, _)| id.is_some()).count() > 40,
        "the page has too few rule headings"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn rules_page_states_every_built_rule() {
    let blocks = blocks(PAGE);
    let ids: Vec<&str> = blocks.iter().filter_map(|b| stated_rule(b)).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "a rule is stated twice: {ids:?}");

    let built: Vec<String> = BUILT
        .iter()
        .flat_map(|&(letter, count)| (1..=count).map(move |n| format!("{letter}{n}")))
        .collect();
    let missing: Vec<&String> = built
        .iter()
        .filter(|id| !unique.contains(id.as_str()))
        .collect();
    assert!(missing.is_empty(), "the page does not state {missing:?}");

    // Beside the repository, the numbered rules themselves: the page states each, and no other.
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/SPEC.md");
    if let Ok(spec) = fs::read_to_string(spec) {
        let numbered: BTreeSet<&str> = spec
            .lines()
            .filter_map(|line| line.strip_prefix("- **")?.split_once("**"))
            .map(|(id, _)| id)
            .filter(|id| is_rule_id(id))
            .collect();
        assert!(numbered.len() > 40, "SPEC numbers only {numbered:?}");
        let unstated: Vec<&&str> = numbered.difference(&unique).collect();
        assert!(unstated.is_empty(), "the page does not state {unstated:?}");
        // A rule SPEC does not number is one of the crate's own decisions: marked so on the page,
        // and numbered after SPEC's rules of its family, so no SPEC id is ever taken.
        let decisions = decisions(PAGE);
        let last = |letter: char| {
            numbered
                .iter()
                .filter_map(|id| id.strip_prefix(letter)?.parse::<u32>().ok())
                .max()
                .unwrap_or(0)
        };
        let unknown: Vec<&&str> = unique
            .difference(&numbered)
            .filter(|id| {
                let mut chars = id.chars();
                let letter = chars.next().unwrap_or('?');
                let n: u32 = chars.as_str().parse().unwrap_or(0);
                !decisions.contains(**id) || n <= last(letter)
            })
            .collect();
        assert!(
            unknown.is_empty(),
            "SPEC does not number {unknown:?}, and the page does not mark them as the crate's \
             decisions numbered after SPEC's rules of their family"
        );
    }
}
