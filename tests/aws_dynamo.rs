//! The DynamoDB appmap adapter with the real AWS SDK client against moto
//! server over HTTP: both key shapes, conditional flips, malformed items,
//! extra attributes, and items that plain scripts can still read.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use dms_cockpit::backend::aws::dynamo::{DynamoAppMap, Ensured, KeyShape, PutOutcome};
#[path = "support/moto.rs"]
mod moto;
use moto::{moto_url, sdk_config, unique};

use dms_cockpit::backend::{AppMapItem, AppMapStore, BackendError, DatabaseRef, DbSide, Engine};

fn oracle() -> DatabaseRef {
    DatabaseRef {
        side: DbSide::A,
        engine: Engine::Oracle,
        endpoint: "ora.example".into(),
        port: 1521,
        dbname: "ORCL".into(),
        username: "app".into(),
    }
}

fn postgres() -> DatabaseRef {
    DatabaseRef {
        side: DbSide::B,
        engine: Engine::Postgresql,
        endpoint: "pg.example".into(),
        port: 5432,
        dbname: "orders".into(),
        username: "app_pg".into(),
    }
}

fn item(site: &str, db: &DatabaseRef) -> AppMapItem {
    AppMapItem::new(site, db)
}

/// A fresh table of `shape` holding SITEA -> oracle and SITEB -> postgres.
async fn seeded(shape: KeyShape) -> (DynamoAppMap, Client, String) {
    let sdk = sdk_config(&moto_url()).await;
    let table = unique("appmap");
    let appmap = DynamoAppMap::from_sdk_config(&sdk, &table);
    assert_eq!(appmap.ensure_table(shape).await.unwrap(), Ensured::Created);
    for it in [item("SITEA", &oracle()), item("SITEB", &postgres())] {
        assert_eq!(
            appmap.put_if_different(&it, None).await.unwrap(),
            PutOutcome::Changed
        );
    }
    (appmap, Client::new(&sdk), table)
}

/// What a plain script sees: `Query site = :s`.
async fn query_site(
    client: &Client,
    table: &str,
    site: &str,
) -> Vec<HashMap<String, AttributeValue>> {
    client
        .query()
        .table_name(table)
        .consistent_read(true)
        .key_condition_expression("site = :s")
        .expression_attribute_values(":s", AttributeValue::S(site.into()))
        .send()
        .await
        .unwrap()
        .items()
        .to_vec()
}

fn routing(i: &AppMapItem) -> (String, String, String, String, String) {
    (
        i.dbengine.clone(),
        i.endpoint.clone(),
        i.port.clone(),
        i.dbname.clone(),
        i.username.clone(),
    )
}

#[tokio::test]
#[ignore = "needs moto server, run tests/run-all.sh"]
async fn both_key_shapes_read_flip_and_flip_back() {
    for shape in [KeyShape::Site, KeyShape::SiteAndEngine] {
        let (appmap, client, table) = seeded(shape).await;
        assert_eq!(
            appmap.ensure_table(KeyShape::Site).await.unwrap(),
            Ensured::Existed(shape),
            "an existing table is left as it is"
        );
        assert_eq!(
            appmap
                .put_if_different(&item("SITEA", &oracle()), None)
                .await
                .unwrap(),
            PutOutcome::Unchanged
        );

        let items = appmap.read_all().await.unwrap();
        assert_eq!(
            items,
            vec![item("SITEA", &oracle()), item("SITEB", &postgres())],
            "{shape:?}"
        );

        let flipped = appmap
            .flip(&items[0], &postgres(), "alice@laptop")
            .await
            .unwrap();
        assert_eq!(routing(&flipped), routing(&item("SITEA", &postgres())));
        assert_eq!(flipped.extra["flipped_by"], "alice@laptop");
        let at = chrono::DateTime::parse_from_rfc3339(&flipped.extra["flipped_at"])
            .expect("flipped_at is RFC 3339");
        assert!((chrono::Utc::now() - at.to_utc()).num_minutes().abs() < 5);

        let items = appmap.read_all().await.unwrap();
        assert_eq!(items.len(), 2, "{shape:?}: exactly one item per site");
        assert_eq!(items[0], flipped);

        // A plain Query on `site` still reads it, every attribute a string.
        let raw = query_site(&client, &table, "SITEA").await;
        assert_eq!(raw.len(), 1, "{shape:?}");
        assert_eq!(raw[0]["dbengine"], AttributeValue::S("postgresql".into()));
        assert_eq!(raw[0]["port"], AttributeValue::S("5432".into()));
        assert!(raw[0].values().all(|v| v.is_s()), "{:?}", raw[0]);

        let back = appmap.flip(&flipped, &oracle(), "bob").await.unwrap();
        assert_eq!(routing(&back), routing(&item("SITEA", &oracle())));
        assert_eq!(back.extra["flipped_by"], "bob");
        let items = appmap.read_all().await.unwrap();
        assert_eq!(items[0], back);
        assert_eq!(items[1], item("SITEB", &postgres()), "SITEB untouched");
    }
}

#[tokio::test]
#[ignore = "needs moto server, run tests/run-all.sh"]
async fn a_stale_flip_is_a_conflict_and_changes_nothing() {
    for shape in [KeyShape::Site, KeyShape::SiteAndEngine] {
        let (appmap, _client, _table) = seeded(shape).await;
        let seen = appmap.read_all().await.unwrap()[0].clone();

        // Someone else flips first...
        appmap.flip(&seen, &postgres(), "someone").await.unwrap();
        let before = appmap.read_all().await.unwrap();

        // ...then a flip based on what was seen before must not overwrite.
        for to in [postgres(), oracle()] {
            let err = appmap.flip(&seen, &to, "late").await.unwrap_err();
            let BackendError::Conflict(msg) = &err else {
                panic!("{shape:?}: expected Conflict, got {err:?}");
            };
            assert!(
                msg.starts_with("SITEA's mapping changed underneath"),
                "{msg}"
            );
            assert!(msg.contains("look again and retry"), "{msg}");
            assert!(msg.contains("postgresql pg.example:5432/orders"), "{msg}");
            assert_eq!(appmap.read_all().await.unwrap(), before, "{shape:?}");
        }

        // With a changed endpoint under the same engine, too.
        let mut moved = seen.clone();
        moved.endpoint = "ora-old.example".into();
        let err = appmap.flip(&moved, &postgres(), "late").await.unwrap_err();
        assert!(matches!(err, BackendError::Conflict(_)), "{err:?}");
        assert_eq!(appmap.read_all().await.unwrap(), before);
    }
}

#[tokio::test]
#[ignore = "needs moto server, run tests/run-all.sh"]
async fn the_condition_is_checked_by_dynamodb_not_only_by_the_read() {
    // The adapter reads the item before writing; a change that lands
    // between that read and the transaction must still be caught. Make the
    // stored item differ from `expected` only in `username`, which the
    // adapter's own lookup (by site and engine) does not compare.
    for shape in [KeyShape::Site, KeyShape::SiteAndEngine] {
        let (appmap, client, table) = seeded(shape).await;
        let seen = appmap.read_all().await.unwrap()[0].clone();
        let mut key = HashMap::from([("site".to_string(), AttributeValue::S("SITEA".into()))]);
        if shape == KeyShape::SiteAndEngine {
            key.insert("dbengine".into(), AttributeValue::S("oracle".into()));
        }
        client
            .update_item()
            .table_name(&table)
            .set_key(Some(key))
            .update_expression("SET username = :u")
            .expression_attribute_values(":u", AttributeValue::S("other_user".into()))
            .send()
            .await
            .unwrap();
        let before = appmap.read_all().await.unwrap();
        let err = appmap.flip(&seen, &postgres(), "late").await.unwrap_err();
        let BackendError::Conflict(msg) = &err else {
            panic!("{shape:?}: expected Conflict, got {err:?}");
        };
        assert!(msg.contains("ConditionalCheckFailed"), "{msg}");
        assert_eq!(appmap.read_all().await.unwrap(), before, "{shape:?}");
    }
}

#[tokio::test]
#[ignore = "needs moto server, run tests/run-all.sh"]
async fn extra_attributes_survive_a_flip_whatever_their_type() {
    for shape in [KeyShape::Site, KeyShape::SiteAndEngine] {
        let (appmap, client, table) = seeded(shape).await;
        let mut key = HashMap::from([("site".to_string(), AttributeValue::S("SITEA".into()))]);
        if shape == KeyShape::SiteAndEngine {
            key.insert("dbengine".into(), AttributeValue::S("oracle".into()));
        }
        client
            .update_item()
            .table_name(&table)
            .set_key(Some(key))
            .update_expression("SET team = :t, version = :v, labels = :l")
            .expression_attribute_values(":t", AttributeValue::S("payments".into()))
            .expression_attribute_values(":v", AttributeValue::N("7".into()))
            .expression_attribute_values(
                ":l",
                AttributeValue::M(HashMap::from([(
                    "tier".to_string(),
                    AttributeValue::S("gold".into()),
                )])),
            )
            .send()
            .await
            .unwrap();

        let seen = appmap.read_all().await.unwrap()[0].clone();
        assert_eq!(seen.extra.get("team").map(String::as_str), Some("payments"));
        assert!(
            !seen.extra.contains_key("version"),
            "non-strings stay out of extra"
        );

        let flipped = appmap.flip(&seen, &postgres(), "carol").await.unwrap();
        assert_eq!(flipped.extra["team"], "payments");

        let raw = query_site(&client, &table, "SITEA").await;
        assert_eq!(raw.len(), 1, "{shape:?}");
        let raw = &raw[0];
        assert_eq!(raw["dbengine"], AttributeValue::S("postgresql".into()));
        assert_eq!(raw["team"], AttributeValue::S("payments".into()));
        assert_eq!(raw["version"], AttributeValue::N("7".into()), "{shape:?}");
        assert!(raw["labels"].is_m(), "{shape:?}: {raw:?}");
        assert_eq!(raw["flipped_by"], AttributeValue::S("carol".into()));
    }
}

#[tokio::test]
#[ignore = "needs moto server, run tests/run-all.sh"]
async fn a_missing_table_is_not_found_with_the_way_to_create_it() {
    let sdk = sdk_config(&moto_url()).await;
    let table = unique("no-such-appmap");
    // Issue 8, item 11: the message names the account (from STS), the
    // region and the endpoint, and says to check them before creating.
    let identity =
        std::sync::Arc::new(dms_cockpit::backend::aws::sts::StsIdentity::from_sdk_config(&sdk));
    let appmap = DynamoAppMap::from_sdk_config(&sdk, &table).with_identity(identity);
    let err = appmap.read_all().await.unwrap_err();
    let BackendError::NotFound(msg) = &err else {
        panic!("expected NotFound, got {err:?}")
    };
    assert!(
        msg.starts_with(&format!(
            "appmap table {table} not found in account 123456789012, region us-east-1, endpoint {}",
            moto_url()
        )),
        "{msg}"
    );
    assert!(msg.contains("before creating anything"), "{msg}");
    assert!(
        msg.ends_with("Only when they are right: dms-cockpit setup appmap"),
        "{msg}"
    );
    let err = appmap
        .flip(&item("SITEA", &oracle()), &postgres(), "x")
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::NotFound(_)), "{err:?}");
}

#[tokio::test]
#[ignore = "needs moto server, run tests/run-all.sh"]
async fn a_malformed_item_names_the_site_and_the_attribute() {
    let (appmap, client, table) = seeded(KeyShape::Site).await;
    client
        .update_item()
        .table_name(&table)
        .key("site", AttributeValue::S("SITEB".into()))
        .update_expression("SET port = :p")
        .expression_attribute_values(":p", AttributeValue::N("5432".into()))
        .send()
        .await
        .unwrap();
    // The read goes on: the item is kept, marked with what is wrong, and
    // the other site is read as it is.
    let items = appmap.read_all().await.unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].problem, None);
    assert_eq!(items[1].port, "5432", "the number as written");
    let msg = items[1].problem.clone().expect("SITEB marked malformed");
    assert!(msg.contains("appmap item SITEB"), "{msg}");
    assert!(msg.contains("`port`"), "{msg}");
    assert!(msg.contains("expected a string (S)"), "{msg}");

    // Setup can repair it: the stored item differs, so it is rewritten.
    assert_eq!(
        appmap
            .put_if_different(&item("SITEB", &postgres()), None)
            .await
            .unwrap(),
        PutOutcome::Changed
    );
    assert_eq!(appmap.read_all().await.unwrap().len(), 2);

    client
        .update_item()
        .table_name(&table)
        .key("site", AttributeValue::S("SITEA".into()))
        .update_expression("REMOVE dbname")
        .send()
        .await
        .unwrap();
    let items = appmap.read_all().await.unwrap();
    let err = items[0].problem.clone().unwrap_or_default();
    assert!(
        err.contains("appmap item SITEA: attribute `dbname` is missing"),
        "{err}"
    );
}

#[tokio::test]
#[ignore = "needs moto server, run tests/run-all.sh"]
async fn setup_does_not_add_a_second_mapping_for_a_site() {
    let (appmap, _client, _table) = seeded(KeyShape::SiteAndEngine).await;
    let err = appmap
        .put_if_different(&item("SITEA", &postgres()), None)
        .await
        .unwrap_err();
    let BackendError::InvalidState(msg) = &err else {
        panic!("expected InvalidState, got {err:?}");
    };
    assert!(msg.contains("SITEA is already mapped to oracle"), "{msg}");
    assert!(msg.contains("use flip"), "{msg}");
    assert_eq!(appmap.read_all().await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto server, run tests/run-all.sh"]
async fn of_two_concurrent_flips_from_the_same_view_one_wins() {
    for shape in [KeyShape::Site, KeyShape::SiteAndEngine] {
        for _ in 0..5 {
            let (appmap, client, table) = seeded(shape).await;
            let seen = appmap.read_all().await.unwrap()[0].clone();
            let to = postgres();
            let (x, y) = tokio::join!(appmap.flip(&seen, &to, "x"), appmap.flip(&seen, &to, "y"));
            let wins = [&x, &y].iter().filter(|r| r.is_ok()).count();
            assert_eq!(wins, 1, "{shape:?}: {x:?} / {y:?}");
            let loser = if x.is_err() { x } else { y };
            assert!(matches!(loser, Err(BackendError::Conflict(_))), "{loser:?}");
            assert_eq!(query_site(&client, &table, "SITEA").await.len(), 1);
        }
    }
}
