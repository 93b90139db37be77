//! Malformed appmap items in moto (issue 11): a port stored as a number,
//! a missing attribute, a site other than SITEA/SITEB, two items for one
//! site. The real binary shows each as malformed with what is wrong
//! (`status --json` and text; the TUI's panel draws the same item), never
//! crashes, and never routes a heartbeat through one: nothing is written.

#[path = "support/live.rs"]
mod live;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{TimeZone, Utc};
use dms_cockpit::app::{Action, App, Focus, Popup, Settings};
use dms_cockpit::backend::{AppMapItem, DatabaseRef, DbSide, Engine, ModeInfo, PerDb, routing};
use dms_cockpit::ui::{Theme, render_to_string};
use live::Door;
use serde_json::Value;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

/// The door's appmap items by site (several for one site in order).
fn items_of(json: &Value) -> Vec<(String, Value)> {
    json["appmap"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["site"].as_str().unwrap().to_string(), i.clone()))
        .collect()
}

fn problem_of<'a>(items: &'a [(String, Value)], site: &str) -> Vec<&'a str> {
    items
        .iter()
        .filter(|(s, _)| s == site)
        .map(|(_, i)| i["problem"].as_str().unwrap_or(""))
        .collect()
}

#[tokio::test]
#[ignore = "needs PostgreSQL and moto; run bash tests/run-all.sh"]
async fn malformed_items_are_shown_with_what_is_wrong_and_never_route() {
    let door = Door::new().await;
    door.ok(&["setup", "sql", "--database", "a", "--apply"]);
    door.ok(&["setup", "sql", "--database", "b", "--apply"]);
    // The original scripts' key: site + dbengine (two items per site can exist).
    door.ok(&["setup", "appmap"]);
    let dynamo = door.dynamo().await;
    let table = &door.appmap_table;

    // SITEB's port as a number.
    dynamo
        .update_item()
        .table_name(table)
        .key("site", s("SITEB"))
        .key("dbengine", s("postgresql"))
        .update_expression("SET port = :p")
        .expression_attribute_values(":p", AttributeValue::N(door.b.port.to_string()))
        .send()
        .await
        .unwrap();
    // A second item for SITEA (another engine), and a site nobody routes.
    for (site, engine) in [("SITEA", "oracle"), ("SITEX", "postgresql")] {
        dynamo
            .put_item()
            .table_name(table)
            .item("site", s(site))
            .item("dbengine", s(engine))
            .item("endpoint", s(&door.host))
            .item("port", s(&door.a.port.to_string()))
            .item("dbname", s(&door.a.dbname))
            .item("username", s("postgres"))
            .send()
            .await
            .unwrap();
    }

    let status = door.run(&["status", "--json"]);
    assert_eq!(
        status.code,
        Some(1),
        "a malformed item fails the check: {status}"
    );
    for problem in [
        "the appmap item for SITEB is malformed (appmap item SITEB: attribute `port` is of type N",
        "the appmap item for SITEX is malformed (unknown site `SITEX`: expected SITEA or SITEB",
    ] {
        assert!(status.stderr.contains(problem), "{problem}: {status}");
    }
    assert_eq!(
        status
            .stderr
            .matches("the appmap item for SITEA is malformed (2 items for SITEA")
            .count(),
        1,
        "two items for one site are one problem: {status}"
    );
    let json: Value = serde_json::from_str(&status.stdout).expect("status JSON");
    let items = items_of(&json);
    assert_eq!(items.len(), 4, "every item is shown: {status}");
    let b = problem_of(&items, "SITEB");
    assert!(
        b[0].contains(
            "appmap item SITEB: attribute `port` is of type N (number): expected a string (S)"
        ),
        "{b:?}"
    );
    let a = problem_of(&items, "SITEA");
    assert_eq!(a.len(), 2);
    for p in a {
        assert!(p.contains("2 items for SITEA: keep exactly one"), "{p}");
    }
    let x = problem_of(&items, "SITEX");
    assert!(
        x[0].contains("unknown site `SITEX`: expected SITEA or SITEB"),
        "{x:?}"
    );
    for (_, item) in &items {
        assert_eq!(
            item["matches"],
            Value::Null,
            "a malformed item matches nothing: {item}"
        );
    }
    let text = door.run(&["status"]);
    assert!(
        text.stdout.contains("✖ malformed: 2 items for SITEA"),
        "{text}"
    );

    // No heartbeat is routed through any of them, and nothing is written.
    let r = door.run(&["heartbeat", "SITEB"]);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(
        r.stderr.contains("the appmap item for SITEB is malformed"),
        "{r}"
    );
    let r = door.run(&["heartbeat", "SITEA"]);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(r.stderr.contains("more than one item for SITEA"), "{r}");
    // Nor flipped.
    let r = door.run(&["flip", "SITEB", "--yes", "--force"]);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(r.stderr.contains("malformed"), "{r}");

    // A missing attribute: SITEB's port repaired, its dbname removed.
    dynamo
        .update_item()
        .table_name(table)
        .key("site", s("SITEB"))
        .key("dbengine", s("postgresql"))
        .update_expression("SET port = :p REMOVE dbname")
        .expression_attribute_values(":p", s(&door.b.port.to_string()))
        .send()
        .await
        .unwrap();
    let status = door.run(&["status", "--json"]);
    let json: Value = serde_json::from_str(&status.stdout).expect("status JSON");
    let items = items_of(&json);
    let b = problem_of(&items, "SITEB");
    assert!(
        b[0].contains("appmap item SITEB: attribute `dbname` is missing"),
        "{b:?}"
    );
    let r = door.run(&["heartbeat", "SITEB"]);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(r.stderr.contains("is malformed"), "{r}");

    assert!(door.heartbeats('a').await.is_empty(), "nothing routed to a");
    assert!(door.heartbeats('b').await.is_empty(), "nothing routed to b");
}

/// The TUI's appmap panel says it in words: `✖ malformed: …`.
#[test]
fn the_panel_shows_a_malformed_item_with_what_is_wrong() {
    let db = |side, port| DatabaseRef {
        side,
        engine: Engine::Postgresql,
        endpoint: "pg.example".into(),
        port,
        dbname: "orders".into(),
        username: "app".into(),
    };
    let dbs = PerDb {
        a: db(DbSide::A, 5432),
        b: db(DbSide::B, 5433),
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
    let mode = ModeInfo {
        name: "LIVE".into(),
        description: "test".into(),
        read_only: false,
    };
    let mut app = App::new(mode, dbs.clone(), Settings::default(), now);
    let items = routing::mark_problems(vec![
        AppMapItem::new("SITEA", &dbs.a),
        AppMapItem::new("SITEX", &dbs.a),
    ]);
    app.appmap.set(now, Ok(items));
    let screen = render_to_string(&app, &Theme::color(), 160, 48);
    let line = screen
        .lines()
        .find(|l| l.contains("SITEX"))
        .unwrap_or_else(|| panic!("SITEX shown:\n{screen}"));
    assert!(line.contains("✖ malformed"), "{line}");
    let good = screen
        .lines()
        .find(|l| l.contains("SITEA"))
        .unwrap_or_else(|| panic!("SITEA shown:\n{screen}"));
    assert!(!good.contains("malformed"), "{good}");
    // Its full text: Enter on the focused appmap panel.
    app.focus = Focus::AppMap;
    app.update(now, Action::OpenDetail);
    let Some(Popup::Detail { text, .. }) = &app.popup else {
        panic!("no detail: {:?}", app.popup)
    };
    assert!(
        text.contains("✖ SITEX is malformed: unknown site `SITEX`: expected SITEA or SITEB"),
        "{text}"
    );
}
