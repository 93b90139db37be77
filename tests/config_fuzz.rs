//! Config parsing under random input (proptest): random bytes and random
//! edits of the valid fixtures never panic, and every rejection of an edit
//! names the key that was edited. A rejected config is a
//! `ConfigError`, which every command turns into exit code 2 (`Failure::
//! BadInput`; `tests/cli.rs` checks the exit code on the real binary).

use std::collections::BTreeMap;
use std::path::Path;

use dms_cockpit::config;
use proptest::prelude::*;
use toml_edit::{DocumentMut, Item, Table, Value};

const FIXTURES: [&str; 2] = ["valid-template.toml", "valid-pg-pg.toml"];

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/config")
            .join(name),
    )
    .unwrap()
}

fn env() -> BTreeMap<String, String> {
    BTreeMap::new()
}

/// Every (dotted path) of a leaf value in the document, inline tables
/// included.
fn leaves(doc: &DocumentMut) -> Vec<Vec<String>> {
    fn walk(prefix: &[String], item: &Item, out: &mut Vec<Vec<String>>) {
        match item {
            Item::Table(t) => {
                for (k, v) in t.iter() {
                    let mut p = prefix.to_vec();
                    p.push(k.to_string());
                    walk(&p, v, out);
                }
            }
            Item::Value(Value::InlineTable(t)) => {
                for (k, v) in t.iter() {
                    let mut p = prefix.to_vec();
                    p.push(k.to_string());
                    walk(&p, &Item::Value(v.clone()), out);
                }
            }
            Item::Value(_) => out.push(prefix.to_vec()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&[], doc.as_item(), &mut out);
    out
}

/// A value of a random type, often of the wrong one.
fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        (-5i64..70000).prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z0-9 ._:/-]{0,12}".prop_map(|s| Value::from(s.as_str())),
        "\\PC{0,8}".prop_map(|s| Value::from(s.as_str())),
        Just(Value::from("")),
        Just(Value::from("-1s")),
        Just(Value::from_iter([1i64, 2])),
        Just(Value::InlineTable(toml_edit::InlineTable::new())),
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    /// Replace the n-th leaf's value.
    Replace(usize, Value),
    /// Remove the n-th leaf.
    Remove(usize),
    /// Add an unknown key next to the n-th leaf.
    Unknown(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), value()).prop_map(|(i, v)| Edit::Replace(i, v)),
        1 => any::<usize>().prop_map(Edit::Remove),
        1 => any::<usize>().prop_map(Edit::Unknown),
    ]
}

/// Applies `edit`; returns the key a rejection must name.
fn apply(doc: &mut DocumentMut, edit: &Edit) -> String {
    let paths = leaves(doc);
    let pick = |i: usize| paths[i % paths.len()].clone();
    let path = match edit {
        Edit::Replace(i, _) | Edit::Remove(i) | Edit::Unknown(i) => pick(*i),
    };
    let (last, parents) = path.split_last().unwrap();
    let mut item: &mut Item = doc.as_item_mut();
    for p in parents {
        item = &mut item[p.as_str()];
    }
    match edit {
        Edit::Replace(_, v) => {
            item[last.as_str()] = Item::Value(v.clone());
            last.clone()
        }
        Edit::Remove(_) => {
            if let Some(t) = item.as_table_like_mut() {
                t.remove(last);
            }
            last.clone()
        }
        Edit::Unknown(_) => {
            let name = "zz_unknown_key";
            if let Some(t) = item.as_table_like_mut() {
                t.insert(name, Item::Value(Value::from(1)));
            } else {
                let mut t = Table::new();
                t.insert(name, Item::Value(Value::from(1)));
            }
            name.to_string()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,200}") {
        let _ = config::parse(Path::new("fuzz.toml"), &text, &env());
    }

    #[test]
    fn random_toml_shaped_text_never_panics(
        text in "(\\[[a-z.]{1,12}\\]\n|[a-z_]{1,10} = (\"[^\"\n]{0,10}\"|-?[0-9]{1,6}|true|\\{\\}|\\[\\])\n){0,20}"
    ) {
        let _ = config::parse(Path::new("fuzz.toml"), &text, &env());
    }

    #[test]
    fn every_rejected_edit_names_the_key(fixture_i in 0usize..2, edit in edit()) {
        let mut doc: DocumentMut = fixture(FIXTURES[fixture_i]).parse().unwrap();
        let key = apply(&mut doc, &edit);
        let text = doc.to_string();
        if let Err(e) = config::parse(Path::new("fuzz.toml"), &text, &env()) {
            prop_assert!(
                e.0.contains(&key),
                "rejection of {:?} does not name `{}`: {}\n{}",
                edit,
                key,
                e.0,
                text
            );
        }
    }
}
