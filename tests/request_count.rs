//! What one snapshot asks of AWS (issue 11). moto answers one request at a
//! time, and real AWS bills and throttles by request, so `status` must not
//! ask the same thing twice: the tasks are described by one
//! `DescribeReplicationTasks` for both task panels and for CloudWatch's
//! dimensions, and both tasks' latency is one `GetMetricData`. The real
//! binary runs against moto through a proxy that counts each operation.

#[path = "support/live.rs"]
mod live;

#[path = "support/proxy.rs"]
mod proxy;

use live::Door;
use proxy::{HoldingProxy, Lost};

const OPS: &[&str] = &[
    "AmazonDMSv20160101.DescribeReplicationTasks",
    "AmazonDMSv20160101.DescribeReplicationInstances",
    "AmazonDMSv20160101.DescribeTableStatistics",
    "DynamoDB_20120810.Scan",
    "GetCallerIdentity",
    "GetMetricData",
];

/// `status --json` with every AWS service behind the counting proxy.
async fn snapshot_through_proxy(door: &Door) -> (serde_json::Value, HoldingProxy) {
    let proxy =
        HoldingProxy::start(proxy::moto_addr(&live::moto_url()), OPS, &[], Lost::Held).await;
    let started = std::time::Instant::now();
    let out = door
        .command()
        .env("AWS_ENDPOINT_URL", proxy.url())
        .args(["status", "--json"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run dms-cockpit");
    let r = live::Run::new(&["status", "--json"], out, started.elapsed());
    // moto has no table statistics: status reads everything else and
    // exits 1 for that.
    assert!(matches!(r.code, Some(0 | 1)), "{r}");
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("status JSON");
    for role in ["forward", "backward"] {
        let task = &json["tasks"][role];
        assert!(task["status"].is_string(), "{role} described: {r}");
        assert!(
            task["cdc_latency"].is_object(),
            "{role} latency read from CloudWatch: {r}"
        );
    }
    assert!(json["identity"]["account"].is_string(), "{r}");
    (json, proxy)
}

fn assert_once_each(proxy: &HoldingProxy) {
    let seen = proxy.seen.lock().unwrap().clone();
    let count = |op: &str| seen.get(op).copied().unwrap_or(0);
    assert_eq!(
        count(OPS[0]),
        1,
        "one DescribeReplicationTasks for both tasks, the panels and CloudWatch: {seen:?}"
    );
    assert_eq!(count(OPS[1]), 1, "the instance looked up once: {seen:?}");
    assert_eq!(count(OPS[2]), 2, "each task's statistics: {seen:?}");
    assert_eq!(count(OPS[3]), 1, "the appmap: {seen:?}");
    assert_eq!(count(OPS[4]), 1, "the caller identity: {seen:?}");
    assert_eq!(count("GetMetricData"), 1, "both tasks' latency: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and moto; run bash tests/run-all.sh"]
async fn a_snapshot_of_tasks_named_by_arn_asks_each_thing_once() {
    let door = Door::new().await;
    // `--write-config` puts the tasks' ARNs into the config.
    door.setup_all();
    assert!(
        live::read(&door.config).contains("arn:aws:dms:"),
        "ARNs configured"
    );
    let (_, proxy) = snapshot_through_proxy(&door).await;
    assert_once_each(&proxy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and moto; run bash tests/run-all.sh"]
async fn a_snapshot_of_tasks_named_by_identifier_asks_each_thing_once() {
    let door = Door::new().await;
    door.ok(&["setup", "sql", "--database", "a", "--apply"]);
    door.ok(&["setup", "appmap"]);
    door.ok(&["setup", "dms"]);
    assert!(
        !live::read(&door.config).contains("arn:aws:dms:"),
        "identifiers configured"
    );
    let (json, proxy) = snapshot_through_proxy(&door).await;
    assert_eq!(json["tasks"]["forward"]["id"], door.forward.as_str());
    assert_once_each(&proxy);
}
