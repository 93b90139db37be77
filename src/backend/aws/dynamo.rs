//! The [`AppMapStore`] port on DynamoDB: the appmap table that tells each
//! application site which database to write to.
//!
//! Two key shapes exist in the field: the original scripts' partition key
//! `site` with sort key `dbengine`, and `site` alone. The shape is read
//! once with `DescribeTable`. With `dbengine` in the key, pointing a site at
//! the other engine is a delete of one item and a put of another; both go
//! into one `TransactWriteItems` with conditions, so a site never has zero
//! or two mappings and a change made by someone else in between makes the
//! flip fail instead of being overwritten.
//!
//! Attributes other than the six routing ones are carried over on a flip,
//! whatever their type; only string ones are shown in [`AppMapItem::extra`].
//! A same-key flip is an `Update` of the routing attributes, so attributes
//! added meanwhile survive too; a key-moving flip copies the attributes read
//! just before the transaction (its condition covers the routing attributes
//! only, so an extra attribute written in that instant is not carried over).

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{BuildError, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, KeySchemaElement, KeyType, Put,
    ScalarAttributeType, TableStatus, TransactWriteItem, Update,
};
use tokio::sync::OnceCell;

use super::{CallContext, endpoint_label, env_endpoint_label, map_sdk_error, region_label};
use crate::backend::ops::same_mapping;
use crate::backend::{AppMapItem, AppMapStore, BackendError, BackendResult, DatabaseRef};

type RawItem = HashMap<String, AttributeValue>;

/// The routing attributes, in the order messages list them.
const ROUTING: [&str; 5] = ["dbengine", "endpoint", "port", "dbname", "username"];

/// How long [`DynamoAppMap::ensure_table`] waits for a new table to turn
/// ACTIVE (on-demand tables usually take seconds).
const ACTIVE_WAIT: Duration = Duration::from_secs(120);

/// The appmap table's primary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyShape {
    /// Partition key `site` only.
    Site,
    /// Partition key `site`, sort key `dbengine` (the original scripts).
    SiteAndEngine,
}

/// What [`DynamoAppMap::ensure_table`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ensured {
    Created,
    /// The table was there already, with this key (which may differ from
    /// the one asked for: both work).
    Existed(KeyShape),
}

/// What [`DynamoAppMap::put_if_different`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    /// Written: a new item, or one repaired (conditionally on what was read).
    Changed,
    Unchanged,
    /// The site points at the other configured database, as a flip leaves
    /// it: reported and left alone.
    Flipped(AppMapItem),
}

/// The appmap table, reached through one SDK client.
pub struct DynamoAppMap {
    client: Client,
    table: String,
    region: String,
    endpoint: String,
    shape: OnceCell<KeyShape>,
    /// To name the account in "table not found".
    identity: Option<std::sync::Arc<dyn crate::backend::Identity>>,
}

impl DynamoAppMap {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        let region = region_label(client.config().region());
        let endpoint = env_endpoint_label("DYNAMODB", "dynamodb", &region);
        DynamoAppMap {
            client,
            table: table.into(),
            region,
            endpoint,
            shape: OnceCell::new(),
            identity: None,
        }
    }

    /// Lets "table not found" name the account it looked in.
    pub fn with_identity(mut self, identity: std::sync::Arc<dyn crate::backend::Identity>) -> Self {
        self.identity = Some(identity);
        self
    }

    /// A missing table, said with where it was looked for (account,
    /// region, endpoint) and to check those before creating one: a fresh
    /// appmap on the wrong account mid-cutover would send every site to
    /// whatever `setup appmap` loads.
    async fn missing_table(&self, e: BackendError) -> BackendError {
        if !matches!(e, BackendError::NotFound(_)) {
            return e;
        }
        let account = match &self.identity {
            Some(identity) => match identity.caller().await {
                Ok(who) => format!("account {}", who.account),
                Err(e) => format!("an account STS would not name ({e})"),
            },
            None => "the account of the credentials in use".to_string(),
        };
        BackendError::NotFound(format!(
            "appmap table {} not found in {account}, region {}, endpoint {}: check that these are the ones you mean \
             (profile and credentials, the config's region, AWS_ENDPOINT_URL) before creating anything; \
             creating a fresh appmap on the wrong account or region mid-cutover is dangerous. \
             Only when they are right: dms-cockpit setup appmap",
            self.table, self.region, self.endpoint
        ))
    }

    /// Builds the client from `sdk` and names its endpoint in messages.
    pub fn from_sdk_config(sdk: &SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(sdk), table)
            .with_endpoint_label(endpoint_label(sdk, "DYNAMODB", "dynamodb"))
    }

    /// How error messages name the endpoint.
    pub fn with_endpoint_label(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn map_err<E>(&self, err: &SdkError<E>, action: &'static str) -> BackendError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let subject = format!("appmap table {}", self.table);
        map_sdk_error(
            err,
            &CallContext {
                service: "DynamoDB",
                endpoint: &self.endpoint,
                region: &self.region,
                action,
                subject: &subject,
                not_found_hint: "create it with dms-cockpit setup appmap",
            },
        )
    }

    /// The table's key shape and status, or NotFound.
    async fn describe(&self) -> BackendResult<(KeyShape, Option<TableStatus>)> {
        let out = self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|e| self.map_err(&e, "dynamodb:DescribeTable"));
        let out = match out {
            Ok(out) => out,
            Err(e) => return Err(self.missing_table(e).await),
        };
        let table = out.table().ok_or_else(|| {
            BackendError::Malformed(format!(
                "DynamoDB described appmap table {} without a table description",
                self.table
            ))
        })?;
        let key_of = |kind: KeyType| {
            table
                .key_schema()
                .iter()
                .find(|k| k.key_type() == &kind)
                .map(|k| k.attribute_name().to_string())
        };
        let shape = match (key_of(KeyType::Hash), key_of(KeyType::Range)) {
            (Some(h), None) if h == "site" => KeyShape::Site,
            (Some(h), Some(r)) if h == "site" && r == "dbengine" => KeyShape::SiteAndEngine,
            (h, r) => {
                return Err(BackendError::Malformed(format!(
                    "appmap table {} has partition key {} and sort key {}: expected partition \
                     key `site` (S), with or without sort key `dbengine` (S)",
                    self.table,
                    h.as_deref().unwrap_or("(none)"),
                    r.as_deref().unwrap_or("(none)")
                )));
            }
        };
        Ok((shape, table.table_status().cloned()))
    }

    async fn shape(&self) -> BackendResult<KeyShape> {
        self.shape
            .get_or_try_init(|| async { self.describe().await.map(|(shape, _)| shape) })
            .await
            .copied()
    }

    /// Creates the table with `key` (on-demand billing) unless it exists,
    /// and waits until it is ACTIVE. An existing table is left as it is.
    pub async fn ensure_table(&self, key: KeyShape) -> BackendResult<Ensured> {
        let ensured = match self.describe().await {
            Ok((shape, _)) => Ensured::Existed(shape),
            Err(BackendError::NotFound(_)) => self.create_table(key).await?,
            Err(e) => return Err(e),
        };
        let deadline = tokio::time::Instant::now() + ACTIVE_WAIT;
        loop {
            let (shape, status) = self.describe().await?;
            if status == Some(TableStatus::Active) {
                let _ = self.shape.set(shape);
                return Ok(ensured);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(BackendError::Unavailable(format!(
                    "appmap table {} is still {} after {}: look at it in the DynamoDB console",
                    self.table,
                    status
                        .as_ref()
                        .map(|s| s.as_str())
                        .unwrap_or("without a status"),
                    humantime::format_duration(ACTIVE_WAIT)
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn create_table(&self, key: KeyShape) -> BackendResult<Ensured> {
        let mut names = vec![("site", KeyType::Hash)];
        if key == KeyShape::SiteAndEngine {
            names.push(("dbengine", KeyType::Range));
        }
        let mut request = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest);
        for (name, kind) in names {
            request = request
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name(name)
                        .attribute_type(ScalarAttributeType::S)
                        .build()
                        .map_err(build_err)?,
                )
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name(name)
                        .key_type(kind)
                        .build()
                        .map_err(build_err)?,
                );
        }
        match request.send().await {
            Ok(_) => Ok(Ensured::Created),
            // Someone created it at the same moment: it exists, which is
            // what was asked for.
            Err(e) if e.code() == Some("ResourceInUseException") => {
                Ok(Ensured::Existed(self.describe().await?.0))
            }
            Err(e) => Err(self.map_err(&e, "dynamodb:CreateTable")),
        }
    }

    /// Every stored item of `site`, with consistent reads: a flip made a
    /// moment ago must be seen.
    async fn items_for_site(&self, site: &str) -> BackendResult<Vec<RawItem>> {
        let mut items = Vec::new();
        let mut start: Option<RawItem> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("#site = :site")
                .expression_attribute_names("#site", "site")
                .expression_attribute_values(":site", s(site))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.map_err(&e, "dynamodb:Query"))?;
            items.extend(out.items().iter().cloned());
            match out.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return Ok(items),
            }
        }
    }

    /// Writes `item` (the six attributes and its extras) unless the stored
    /// item already says the same; attributes the stored item has beyond
    /// those are kept. This is what `setup appmap` does, and it must be safe
    /// to re-run at any moment of a cutover:
    ///
    /// * an item that points at `flipped_to` (the other configured
    ///   database) is a flip, not damage: it is returned as
    ///   [`PutOutcome::Flipped`] and left alone;
    /// * every write is conditional on what was read (a new item on the key
    ///   being absent, a repaired one on each attribute still holding the
    ///   value read), so a flip made meanwhile makes this fail with
    ///   [`BackendError::Conflict`] instead of being overwritten;
    /// * it refuses to add a second mapping for a site that already points
    ///   at another engine: that is what a flip (or `setup appmap --reset`)
    ///   is for.
    pub async fn put_if_different(
        &self,
        item: &AppMapItem,
        flipped_to: Option<&DatabaseRef>,
    ) -> BackendResult<PutOutcome> {
        let shape = self.shape().await?;
        let existing = self.items_for_site(&item.site).await?;
        if existing.len() > 1 {
            let seen: Vec<String> = existing
                .iter()
                .map(|raw| match item_from_raw(raw) {
                    Ok(i) => i.describe(),
                    Err(e) => e.to_string(),
                })
                .collect();
            return Err(BackendError::InvalidState(format!(
                "{} has {} items in appmap table {} ({}): a site must have exactly one;                  delete the wrong one by hand, then re-run setup appmap",
                item.site,
                existing.len(),
                self.table,
                seen.join(" and ")
            )));
        }
        let stored = existing.into_iter().next();
        if let Some(raw) = &stored
            && let Ok(found) = item_from_raw(raw)
            && flipped_to.is_some_and(|other| found.matches(other))
        {
            return Ok(PutOutcome::Flipped(found));
        }
        if let Some(raw) = &stored {
            let engine = string_attr(raw, "dbengine");
            if shape == KeyShape::SiteAndEngine && engine != Some(item.dbengine.as_str()) {
                return Err(BackendError::InvalidState(format!(
                    "{} is already mapped to {} in appmap table {}: setup does not add a second \
                     mapping; use flip to move the site, or setup appmap --reset to restore the \
                     configured mapping",
                    item.site,
                    item_from_raw(raw)
                        .map(|i| i.describe())
                        .unwrap_or_else(|_| format!("engine {}", engine.unwrap_or("(none)"))),
                    self.table
                )));
            }
            if let Ok(found) = item_from_raw(raw) {
                let extras_kept = item
                    .extra
                    .iter()
                    .all(|(k, v)| found.extra.get(k) == Some(v));
                if same_mapping(&found, item) && extras_kept {
                    return Ok(PutOutcome::Unchanged);
                }
            }
        }
        let mut raw = stored.clone().unwrap_or_default();
        set_strings(&mut raw, item);
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(raw));
        request = match &stored {
            None => request
                .condition_expression("attribute_not_exists(#site)")
                .expression_attribute_names("#site", "site"),
            Some(read) => {
                let condition = Self::unchanged_condition(read);
                request
                    .condition_expression(condition.expression)
                    .set_expression_attribute_names(Some(condition.names))
                    .set_expression_attribute_values(Some(condition.values))
            }
        };
        match request.send().await {
            Ok(_) => Ok(PutOutcome::Changed),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Err(self
                .conflict(
                    item,
                    "it was written by someone else while setup read it (ConditionalCheckFailed)",
                )
                .await),
            Err(e) => Err(self.map_err(&e, "dynamodb:PutItem")),
        }
    }

    /// The condition that a stored item still holds every attribute (and
    /// value) it held when read: what a repair is conditional on.
    fn unchanged_condition(read: &RawItem) -> Condition {
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut clauses = Vec::new();
        // Sorted, so the expression is the same for the same item.
        let mut attributes: Vec<(&String, &AttributeValue)> = read.iter().collect();
        attributes.sort_by(|x, y| x.0.cmp(y.0));
        for (i, (name, value)) in attributes.into_iter().enumerate() {
            names.insert(format!("#a{i}"), name.clone());
            values.insert(format!(":a{i}"), value.clone());
            clauses.push(format!("#a{i} = :a{i}"));
        }
        Condition {
            expression: clauses.join(" AND "),
            names,
            values,
        }
    }

    /// The conflict message, with what the store says now when it can be
    /// read (best effort: the conflict is the news either way).
    async fn conflict(&self, expected: &AppMapItem, why: &str) -> BackendError {
        let now = match self.items_for_site(&expected.site).await {
            Ok(items) if items.is_empty() => "the appmap has no item for it now".to_string(),
            Ok(items) => {
                let seen: Vec<String> = items
                    .iter()
                    .map(|raw| match item_from_raw(raw) {
                        Ok(i) => i.describe(),
                        Err(e) => e.to_string(),
                    })
                    .collect();
                format!("the appmap now says {}", seen.join(" and "))
            }
            Err(_) => "the current item could not be read".to_string(),
        };
        BackendError::Conflict(format!(
            "{}'s mapping changed underneath: {why}; you expected {}, {now}; nothing was changed; \
             look again and retry",
            expected.site,
            expected.describe()
        ))
    }

    /// The condition that the stored item still routes as `expected`.
    fn expected_condition(expected: &AppMapItem) -> Condition {
        let mut names = HashMap::from([("#site".to_string(), "site".to_string())]);
        let mut values = HashMap::from([(":old_site".to_string(), s(&expected.site))]);
        let mut clauses = vec!["#site = :old_site".to_string()];
        for (name, value) in ROUTING.iter().zip(routing_values(expected)) {
            names.insert(format!("#{name}"), name.to_string());
            values.insert(format!(":old_{name}"), s(value));
            clauses.push(format!("#{name} = :old_{name}"));
        }
        Condition {
            expression: clauses.join(" AND "),
            names,
            values,
        }
    }
}

struct Condition {
    expression: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

#[async_trait]
impl AppMapStore for DynamoAppMap {
    async fn read_all(&self) -> BackendResult<Vec<AppMapItem>> {
        let mut items = Vec::new();
        let mut start: Option<RawItem> = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.map_err(&e, "dynamodb:Scan"));
            let out = match out {
                Ok(out) => out,
                Err(e) => return Err(self.missing_table(e).await),
            };
            // A malformed item is kept, with what is wrong: the other
            // sites still route, and the panel shows this one as malformed.
            items.extend(out.items().iter().map(item_or_malformed));
            match out.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => break,
            }
        }
        items.sort_by(|x, y| (&x.site, &x.dbengine).cmp(&(&y.site, &y.dbengine)));
        Ok(items)
    }

    async fn flip(
        &self,
        expected: &AppMapItem,
        to: &DatabaseRef,
        who: &str,
    ) -> BackendResult<AppMapItem> {
        let shape = self.shape().await?;
        let target = expected.pointing_at(to);
        let flipped_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let condition = Self::expected_condition(expected);
        let moves_key = shape == KeyShape::SiteAndEngine && target.dbengine != expected.dbengine;

        // The stored item, to carry its other attributes over (any type).
        let stored = self
            .items_for_site(&expected.site)
            .await?
            .into_iter()
            .find(|raw| string_attr(raw, "dbengine") == Some(expected.dbengine.as_str()));
        let Some(stored) = stored else {
            return Err(self
                .conflict(expected, "its item is gone or names another engine")
                .await);
        };
        let mut new_raw = stored.clone();
        set_strings(&mut new_raw, &target);
        new_raw.insert("flipped_by".into(), s(who));
        new_raw.insert("flipped_at".into(), s(&flipped_at));

        let mut old_key = HashMap::from([("site".to_string(), s(&expected.site))]);
        if shape == KeyShape::SiteAndEngine {
            old_key.insert("dbengine".into(), s(&expected.dbengine));
        }

        let writes = if moves_key {
            // Delete the old key only if it still routes as expected, and
            // put the new key only if nobody created it meanwhile.
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(old_key))
                .condition_expression(condition.expression)
                .set_expression_attribute_names(Some(condition.names))
                .set_expression_attribute_values(Some(condition.values))
                .build()
                .map_err(build_err)?;
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(new_raw.clone()))
                .condition_expression("attribute_not_exists(#site)")
                .expression_attribute_names("#site", "site")
                .build()
                .map_err(build_err)?;
            vec![
                TransactWriteItem::builder().delete(delete).build(),
                TransactWriteItem::builder().put(put).build(),
            ]
        } else {
            // Same key: update in place, which keeps every other attribute
            // even if one was added since the read above.
            let mut names = condition.names;
            let mut values = condition.values;
            // A key attribute cannot be SET; with the engine in the key and
            // unchanged there is nothing to set for it anyway.
            let mut assignments: Vec<(&str, &str)> = ROUTING
                .iter()
                .copied()
                .zip(routing_values(&target))
                .filter(|(name, _)| !(shape == KeyShape::SiteAndEngine && *name == "dbengine"))
                .collect();
            assignments.push(("flipped_by", who));
            assignments.push(("flipped_at", &flipped_at));
            let mut sets = Vec::new();
            for (name, value) in assignments {
                names.insert(format!("#{name}"), name.to_string());
                values.insert(format!(":new_{name}"), s(value));
                sets.push(format!("#{name} = :new_{name}"));
            }
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(old_key))
                .update_expression(format!("SET {}", sets.join(", ")))
                .condition_expression(condition.expression)
                .set_expression_attribute_names(Some(names))
                .set_expression_attribute_values(Some(values))
                .build()
                .map_err(build_err)?;
            vec![TransactWriteItem::builder().update(update).build()]
        };

        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            // Sent once: after a lost answer the cockpit reads back what is
            // true rather than letting the SDK send the flip again.
            .customize()
            .config_override(
                aws_sdk_dynamodb::config::Builder::default()
                    .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled()),
            )
            .send()
            .await;
        match result {
            Ok(_) => item_from_raw(&new_raw),
            Err(SdkError::ServiceError(e))
                if matches!(
                    e.err(),
                    TransactWriteItemsError::TransactionCanceledException(_)
                ) =>
            {
                let TransactWriteItemsError::TransactionCanceledException(cancel) = e.err() else {
                    unreachable!("matched above")
                };
                let codes: Vec<&str> = cancel
                    .cancellation_reasons()
                    .iter()
                    .filter_map(|r| r.code())
                    .filter(|c| *c != "None")
                    .collect();
                let why = if codes.contains(&"ConditionalCheckFailed") {
                    "the stored item no longer matches, or the new key exists already"
                } else if codes.contains(&"TransactionConflict") {
                    "another write to it was in progress"
                } else {
                    "DynamoDB cancelled the transaction"
                };
                let why = format!("{why} ({})", codes.join(", "));
                Err(self.conflict(expected, &why).await)
            }
            Err(e) => Err(self.map_err(&e, "dynamodb:TransactWriteItems")),
        }
    }
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

fn routing_values(item: &AppMapItem) -> [&str; 5] {
    [
        &item.dbengine,
        &item.endpoint,
        &item.port,
        &item.dbname,
        &item.username,
    ]
}

fn string_attr<'a>(raw: &'a RawItem, name: &str) -> Option<&'a str> {
    match raw.get(name) {
        Some(AttributeValue::S(v)) => Some(v),
        _ => None,
    }
}

/// Writes `item`'s six attributes and string extras over `raw`.
fn set_strings(raw: &mut RawItem, item: &AppMapItem) {
    raw.insert("site".into(), s(&item.site));
    for (name, value) in ROUTING.iter().zip(routing_values(item)) {
        raw.insert(name.to_string(), s(value));
    }
    for (name, value) in &item.extra {
        raw.insert(name.clone(), s(value));
    }
}

/// The DynamoDB type letter of a value, for messages.
fn type_name(v: &AttributeValue) -> &'static str {
    match v {
        AttributeValue::S(_) => "S (string)",
        AttributeValue::N(_) => "N (number)",
        AttributeValue::B(_) => "B (binary)",
        AttributeValue::Bool(_) => "BOOL",
        AttributeValue::Null(_) => "NULL",
        AttributeValue::M(_) => "M (map)",
        AttributeValue::L(_) => "L (list)",
        AttributeValue::Ss(_) => "SS (string set)",
        AttributeValue::Ns(_) => "NS (number set)",
        AttributeValue::Bs(_) => "BS (binary set)",
        _ => "an unknown type",
    }
}

/// Reads one appmap item; every routing attribute must be a string.
fn item_from_raw(raw: &RawItem) -> BackendResult<AppMapItem> {
    let site = match raw.get("site") {
        Some(AttributeValue::S(site)) => site.clone(),
        Some(other) => {
            return Err(BackendError::Malformed(format!(
                "an appmap item has `site` of type {}: expected a string (S) such as SITEA",
                type_name(other)
            )));
        }
        None => {
            return Err(BackendError::Malformed(
                "an appmap item has no `site` attribute: expected a string (S) such as SITEA"
                    .into(),
            ));
        }
    };
    let get = |name: &str| -> BackendResult<String> {
        match raw.get(name) {
            Some(AttributeValue::S(v)) => Ok(v.clone()),
            Some(other) => Err(BackendError::Malformed(format!(
                "appmap item {site}: attribute `{name}` is of type {}: expected a string (S)",
                type_name(other)
            ))),
            None => Err(BackendError::Malformed(format!(
                "appmap item {site}: attribute `{name}` is missing: expected a string (S)"
            ))),
        }
    };
    let extra = raw
        .iter()
        .filter(|(k, _)| k.as_str() != "site" && !ROUTING.contains(&k.as_str()))
        .filter_map(|(k, v)| match v {
            AttributeValue::S(v) => Some((k.clone(), v.clone())),
            _ => None,
        })
        .collect();
    Ok(AppMapItem {
        dbengine: get("dbengine")?,
        endpoint: get("endpoint")?,
        port: get("port")?,
        dbname: get("dbname")?,
        username: get("username")?,
        site,
        extra,
        problem: None,
    })
}

/// [`item_from_raw`], or, when the stored item is not an appmap item, the
/// attributes it does have (numbers as written, other types as `?`,
/// missing ones empty) with what is wrong as its problem.
fn item_or_malformed(raw: &RawItem) -> AppMapItem {
    match item_from_raw(raw) {
        Ok(item) => item,
        Err(e) => {
            let text = |name: &str| match raw.get(name) {
                Some(AttributeValue::S(v) | AttributeValue::N(v)) => v.clone(),
                Some(_) => "?".to_string(),
                None => String::new(),
            };
            let site = match raw.get("site") {
                Some(AttributeValue::S(v)) => v.clone(),
                _ => "(no site)".to_string(),
            };
            AppMapItem {
                site,
                dbengine: text("dbengine"),
                endpoint: text("endpoint"),
                port: text("port"),
                dbname: text("dbname"),
                username: text("username"),
                extra: Default::default(),
                problem: Some(e.to_string()),
            }
        }
    }
}

fn build_err(e: BuildError) -> BackendError {
    BackendError::Other(format!("cannot build the DynamoDB request: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, AttributeValue)]) -> RawItem {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn good() -> Vec<(&'static str, AttributeValue)> {
        vec![
            ("site", s("SITEA")),
            ("dbengine", s("oracle")),
            ("endpoint", s("ora.example")),
            ("port", s("1521")),
            ("dbname", s("ORCL")),
            ("username", s("app")),
        ]
    }

    #[test]
    fn reads_strings_and_keeps_string_extras_only() {
        let mut pairs = good();
        pairs.push(("owner", s("team-x")));
        pairs.push(("version", AttributeValue::N("3".into())));
        let item = item_from_raw(&raw(&pairs)).unwrap();
        assert_eq!(item.port, "1521");
        assert_eq!(item.extra.len(), 1);
        assert_eq!(item.extra["owner"], "team-x");
    }

    #[test]
    fn a_numeric_port_names_the_site_and_attribute() {
        let mut pairs = good();
        pairs[3] = ("port", AttributeValue::N("1521".into()));
        let err = item_from_raw(&raw(&pairs)).unwrap_err().to_string();
        assert!(err.contains("SITEA") && err.contains("`port`") && err.contains("N (number)"));
    }

    #[test]
    fn a_missing_attribute_names_the_site_and_attribute() {
        let mut pairs = good();
        pairs.remove(5);
        let err = item_from_raw(&raw(&pairs)).unwrap_err().to_string();
        assert!(err.contains("SITEA") && err.contains("`username` is missing"));
    }

    #[test]
    fn a_repair_is_conditional_on_every_attribute_read() {
        let mut pairs = good();
        pairs.push(("flipped_by", s("ops")));
        pairs.push(("version", AttributeValue::N("3".into())));
        let read = raw(&pairs);
        let c = DynamoAppMap::unchanged_condition(&read);
        assert_eq!(c.names.len(), read.len());
        for (name, value) in &read {
            let (alias, _) = c.names.iter().find(|(_, n)| *n == name).unwrap();
            let placeholder = alias.replace('#', ":");
            assert_eq!(&c.values[&placeholder], value, "{name}");
            assert!(c.expression.contains(&format!("{alias} = {placeholder}")));
        }
    }

    #[test]
    fn the_condition_covers_every_routing_attribute() {
        let item = item_from_raw(&raw(&good())).unwrap();
        let c = DynamoAppMap::expected_condition(&item);
        for name in ROUTING {
            assert!(c.expression.contains(&format!("#{name} = :old_{name}")));
        }
        assert_eq!(c.values[":old_port"], s("1521"));
    }
}
