//! `setup dms --test` and `--delete` with the real binary against moto
//! (and two PostgreSQL databases forming the door). Run with
//! `bash tests/run-all.sh`.

#[path = "support/live.rs"]
mod live;

use aws_sdk_databasemigration::types::ReplicationEndpointTypeValue;
use live::Door;

/// The door's instance, endpoints and tasks in moto, and the manual
/// endpoint's count.
async fn counts(door: &Door, manual: &str) -> (usize, usize, usize, usize) {
    let dms = door.dms().await;
    let instances = dms.describe_replication_instances().send().await.unwrap();
    let endpoints = dms.describe_endpoints().send().await.unwrap();
    // Filtered: moto answers at most 100 tasks, and moto is shared.
    let tasks = dms
        .describe_replication_tasks()
        .filters(
            aws_sdk_databasemigration::types::Filter::builder()
                .name("replication-task-id")
                .values(&door.forward)
                .values(&door.backward)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let ours = |id: Option<&str>| id.is_some_and(|id| id.starts_with(&door.instance));
    (
        instances
            .replication_instances()
            .iter()
            .filter(|i| i.replication_instance_identifier() == Some(door.instance.as_str()))
            .count(),
        endpoints
            .endpoints()
            .iter()
            .filter(|e| ours(e.endpoint_identifier()))
            .count(),
        tasks
            .replication_tasks()
            .iter()
            .filter(|t| {
                [door.forward.as_str(), door.backward.as_str()]
                    .contains(&t.replication_task_identifier().unwrap_or(""))
            })
            .count(),
        endpoints
            .endpoints()
            .iter()
            .filter(|e| e.endpoint_identifier() == Some(manual))
            .count(),
    )
}

#[tokio::test]
#[ignore = "needs PostgreSQL and moto; run bash tests/run-all.sh"]
async fn test_reports_every_endpoint_and_delete_removes_only_what_setup_made() {
    let door = Door::new().await;
    // An endpoint made by hand for database a as a source, under another
    // name: setup adopts it, and --delete must leave it alone.
    let manual = format!("manual{}", door.id);
    door.dms()
        .await
        .create_endpoint()
        .endpoint_identifier(&manual)
        .endpoint_type(ReplicationEndpointTypeValue::Source)
        .engine_name("postgres")
        .server_name(&door.host)
        .port(i32::from(door.a.port))
        .database_name(&door.a.dbname)
        .username("dms_user")
        .password("by-hand")
        .send()
        .await
        .unwrap();
    // --dry-run says what would be adopted and what created, sending nothing.
    let dry = door.ok(&["setup", "dms", "--dry-run"]);
    let requests: serde_json::Value = serde_json::from_str(&dry.stdout).expect("JSON");
    let plans: Vec<(String, String)> = requests
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["identifier"].as_str().unwrap().to_string(),
                r["plan"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let adopted: Vec<&(String, String)> = plans.iter().filter(|(_, p)| p == "adopted").collect();
    assert_eq!(adopted.len(), 1, "{plans:?}");
    assert_eq!(adopted[0].0, format!("{}-a-source", door.instance));
    assert_eq!(
        requests[1]["existing"]["identifier"],
        manual.as_str(),
        "{dry}"
    );
    assert_eq!(
        plans.iter().filter(|(_, p)| p == "create").count(),
        6,
        "{plans:?}"
    );
    assert_eq!(
        counts(&door, &manual).await,
        (0, 0, 0, 1),
        "dry-run sent nothing"
    );

    let made = door.ok(&["setup", "dms", "--write-config"]);
    assert!(
        made.stdout.contains(&format!("adopted  endpoint {manual}")),
        "{made}"
    );
    assert_eq!(counts(&door, &manual).await, (1, 3, 2, 1), "{made}");

    let tested = door.ok(&["setup", "dms", "--test"]);
    let lines: Vec<&str> = tested.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "one line per endpoint: {tested}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("ok ") && l.ends_with(" successful")),
        "{tested}"
    );
    assert!(tested.stdout.contains(&manual), "{tested}");

    // A running task blocks the teardown; nothing is deleted.
    // --force: the start checklist cannot read the heartbeat table this
    // door never created; this test is about the teardown.
    door.ok(&["task", "start", "forward", "--yes", "--force"]);
    let refused = door.run(&["setup", "dms", "--delete", "--yes"]);
    assert_eq!(refused.code, Some(1), "{refused}");
    assert!(
        refused.stderr.contains("is running: stop it first"),
        "{refused}"
    );
    assert_eq!(counts(&door, &manual).await, (1, 3, 2, 1));
    door.ok(&["task", "stop", "forward", "--yes"]);

    // Without --yes and without a terminal: refused, nothing deleted.
    let unconfirmed = door.run(&["setup", "dms", "--delete"]);
    assert_eq!(unconfirmed.code, Some(2), "{unconfirmed}");
    assert_eq!(counts(&door, &manual).await, (1, 3, 2, 1));

    let deleted = door.ok(&["setup", "dms", "--delete", "--yes"]);
    assert!(
        deleted.stdout.contains(&format!("endpoint {manual}")),
        "{deleted}"
    );
    assert!(deleted.stdout.contains("left alone"), "{deleted}");
    let order: Vec<&str> = deleted
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("deleted  "))
        .collect();
    assert_eq!(order.len(), 6, "{deleted}");
    assert!(order[0].starts_with("replication task") && order[1].starts_with("replication task"));
    assert!(
        order[2..5].iter().all(|l| l.starts_with("endpoint")),
        "{order:?}"
    );
    assert!(order[5].starts_with("replication instance"), "{order:?}");
    assert_eq!(
        counts(&door, &manual).await,
        (0, 0, 0, 1),
        "only the manual endpoint stays"
    );
    assert!(!deleted.all().contains(&door.password));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and moto; run bash tests/run-all.sh"]
async fn a_silent_aws_endpoint_cannot_hang_setup() {
    let door = Door::new().await;
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    for args in [
        vec!["setup", "dms", "--dry-run"],
        vec!["setup", "dms", "--test"],
        vec!["setup", "appmap"],
    ] {
        let mut command = door.command();
        command
            .args(&args)
            .env("AWS_ENDPOINT_URL", &silent)
            .stdin(std::process::Stdio::null());
        let out = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        // It ends on its own (the test would hang otherwise), as a failure
        // that says the endpoint did not answer.
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("in time")
                || stderr.contains("did not answer")
                || stderr.contains("timeout"),
            "{args:?}: {stderr}"
        );
    }
}
