//! Webhooks and their deliveries in the database: the endpoints, what they
//! listen to, and the durable outbox of deliveries (queued inside the
//! transaction of the audit event, claimed once across nodes).

use sqlx::{any::AnyRow, Row};

use crate::audit::endpoint::{Events, Secret};
use crate::{
    config::ConfiguredWebhook,
    server::{
        clock,
        db::{Backend, Db, Tx},
        queue,
        secret_key::SecretKey,
    },
};
use secrecy::ExposeSecret;

/// Where an endpoint comes from.
pub const FROM_CONFIG: &str = "config";
pub const FROM_ADMIN: &str = "admin";

#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub paused: bool,
    pub source: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub queued: i64,
    pub delivered: i64,
    pub failed: i64,
}

const WEBHOOK_COLUMNS: &str = "w.id, w.url, w.description, w.paused, w.source, w.created_at, w.updated_at,
     (select count(*) from webhook_deliveries d where d.webhook_id = w.id and d.status = 'queued') as queued,
     (select count(*) from webhook_deliveries d where d.webhook_id = w.id and d.status = 'delivered') as delivered,
     (select count(*) from webhook_deliveries d where d.webhook_id = w.id and d.status = 'failed') as failed";

fn webhook(row: &AnyRow, events: Vec<String>) -> sqlx::Result<Webhook> {
    Ok(Webhook {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        description: row.try_get("description")?,
        events,
        paused: row.try_get::<i64, _>("paused")? == 1,
        source: row.try_get("source")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        queued: row.try_get("queued")?,
        delivered: row.try_get("delivered")?,
        failed: row.try_get("failed")?,
    })
}

async fn events_of<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    id: &str,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("select event from webhook_events where webhook_id = $1 order by event")
        .bind(id)
        .fetch_all(db)
        .await
}

/// Every endpoint: those from the configuration first, then by age.
pub async fn list(db: &Db) -> sqlx::Result<Vec<Webhook>> {
    let rows = sqlx::query(&format!(
        "select {WEBHOOK_COLUMNS} from webhooks w order by w.source desc, w.created_at, w.id"
    ))
    .fetch_all(db.pool())
    .await?;
    let events: Vec<(String, String)> =
        sqlx::query_as("select webhook_id, event from webhook_events order by event")
            .fetch_all(db.pool())
            .await?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            let mine = events
                .iter()
                .filter(|(w, _)| *w == id)
                .map(|(_, e)| e.clone())
                .collect();
            webhook(row, mine)
        })
        .collect()
}

/// One endpoint, on a connection of the pool or a transaction's.
pub async fn get(conn: &mut sqlx::AnyConnection, id: &str) -> sqlx::Result<Option<Webhook>> {
    let row = sqlx::query(&format!(
        "select {WEBHOOK_COLUMNS} from webhooks w where w.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Ok(None),
        Some(row) => {
            let events = events_of(&mut *conn, id).await?;
            webhook(&row, events).map(Some)
        }
    }
}

/// One endpoint, read through the pool.
pub async fn find(db: &Db, id: &str) -> sqlx::Result<Option<Webhook>> {
    get(&mut *db.pool().acquire().await?, id).await
}

pub struct NewWebhook<'a> {
    pub url: &'a str,
    pub description: &'a str,
    pub events: &'a Events,
    /// The secret's text, sealed here under the instance key.
    pub secret: &'a str,
    pub source: &'a str,
    pub created_by: Option<&'a str>,
}

pub async fn insert(tx: &mut Tx, key: &SecretKey, id: &str, w: NewWebhook<'_>) -> sqlx::Result<()> {
    let now = clock::now_ms();
    sqlx::query(
        "insert into webhooks (id, url, description, sealed_secret, paused, source, created_by, created_at, updated_at)
         values ($1, $2, $3, $4, 0, $5, $6, $7, $7)",
    )
    .bind(id)
    .bind(w.url)
    .bind(w.description)
    .bind(key.seal(w.secret.as_bytes()))
    .bind(w.source)
    .bind(w.created_by)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    set_events(tx, id, w.events).await
}

pub async fn set_events(tx: &mut Tx, id: &str, events: &Events) -> sqlx::Result<()> {
    sqlx::query("delete from webhook_events where webhook_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for event in events.as_slice() {
        sqlx::query("insert into webhook_events (webhook_id, event) values ($1, $2)")
            .bind(id)
            .bind(event)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Changes what an owner may change; None leaves a field as it is.
pub async fn update(
    tx: &mut Tx,
    id: &str,
    url: Option<&str>,
    description: Option<&str>,
    paused: Option<bool>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update webhooks set url = coalesce($1, url), description = coalesce($2, description),
             paused = coalesce($3, paused), updated_at = $4
         where id = $5",
    )
    .bind(url)
    .bind(description)
    .bind(paused.map(i64::from))
    .bind(clock::now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// A new secret; the one it replaces keeps signing too (a second
/// signature) until `previous_until`.
pub async fn rotate_secret(
    tx: &mut Tx,
    key: &SecretKey,
    id: &str,
    secret: &str,
    previous_until: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "update webhooks set previous_sealed_secret = sealed_secret, previous_secret_until = $1,
             sealed_secret = $2, updated_at = $3
         where id = $4",
    )
    .bind(previous_until)
    .bind(key.seal(secret.as_bytes()))
    .bind(clock::now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await
    .map(drop)
}

pub async fn delete(tx: &mut Tx, id: &str) -> sqlx::Result<()> {
    sqlx::query("delete from webhooks where id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// The id a configured endpoint keeps across restarts: from its URL.
pub fn config_id(url: &str) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(url.as_bytes());
    let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("config-{hex}")
}

/// Brings the configured endpoints into the table, in one transaction: new
/// ones are added, known ones get the secret and events written now (an
/// owner's pause stays), and ones no longer configured are removed.
pub async fn sync_configured(
    db: &Db,
    key: &SecretKey,
    endpoints: &[ConfiguredWebhook],
) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    // Nodes starting together take turns (SQLite's write lock does this by
    // itself), so they cannot insert the same endpoint twice.
    if db.backend() == Backend::Postgres {
        sqlx::query("select pg_advisory_xact_lock(7164029346)")
            .execute(&mut *tx)
            .await?;
    }
    let ids: Vec<String> = endpoints
        .iter()
        .map(|e| config_id(e.url.as_str()))
        .collect();
    let known: Vec<String> = sqlx::query_scalar("select id from webhooks where source = $1")
        .bind(FROM_CONFIG)
        .fetch_all(&mut *tx)
        .await?;
    for gone in known.iter().filter(|id| !ids.contains(id)) {
        delete(&mut tx, gone).await?;
    }
    for (e, id) in endpoints.iter().zip(&ids) {
        if known.contains(id) {
            sqlx::query(
                "update webhooks set url = $1, description = $2, sealed_secret = $3, updated_at = $4 where id = $5",
            )
            .bind(e.url.as_str())
            .bind(&e.description)
            .bind(key.seal(e.secret.expose_secret().as_bytes()))
            .bind(clock::now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            set_events(&mut tx, id, &e.events).await?;
        } else {
            insert(
                &mut tx,
                key,
                id,
                NewWebhook {
                    url: e.url.as_str(),
                    description: &e.description,
                    events: &e.events,
                    secret: e.secret.expose_secret(),
                    source: FROM_CONFIG,
                    created_by: None,
                },
            )
            .await?;
        }
    }
    tx.commit().await
}

/// A delivery one sender holds the claim on, with what it needs to sign.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub claim: String,
    pub webhook_id: String,
    pub url: String,
    pub event_id: String,
    pub payload: String,
    pub sealed_secret: String,
    /// The secret before the last rotation, while it still signs.
    pub previous_sealed_secret: Option<String>,
    /// Attempts made before this one.
    pub attempts: u32,
}

impl Claimed {
    /// The secrets to sign with: the current one, and the one before it
    /// during its grace period.
    pub fn secrets(&self, key: &SecretKey) -> Result<Vec<Secret>, String> {
        let open = |sealed: &str| {
            key.open(sealed)
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .and_then(|text| Secret::parse(&text).ok())
                .ok_or_else(|| {
                    "The signing secret does not open with this node's secret key: every node \
                     must share one (GATEHOUSE_SECRET_KEY)."
                        .to_owned()
                })
        };
        std::iter::once(self.sealed_secret.as_str())
            .chain(self.previous_sealed_secret.as_deref())
            .map(open)
            .collect()
    }
}

/// Claims the most overdue queued delivery of an endpoint that is not
/// paused and has none on its way already: one slow or hanging endpoint
/// holds one of a node's places, never all of them, and its events go out
/// in order. As for email: the claim pushes the due time out by `lease_ms`;
/// PostgreSQL skips rows another node is claiming, SQLite's write lock
/// makes the select-and-update atomic.
pub async fn claim_next(db: &Db, lease_ms: i64) -> sqlx::Result<Option<Claimed>> {
    let now = clock::now_ms();
    let next = queue::Next {
        table: "webhook_deliveries",
        pick: "select d.id from webhook_deliveries d join webhooks w on w.id = d.webhook_id
               where d.status = 'queued' and d.next_attempt_at <= $3 and w.paused = 0
                 and not exists (select 1 from webhook_deliveries c
                                 where c.webhook_id = d.webhook_id and c.status = 'queued'
                                   and c.claim_token is not null and c.next_attempt_at > $3)
               order by d.next_attempt_at, d.created_at limit 1 {lock}",
        lock: "for update of d skip locked",
        still: None,
        returning: "id, webhook_id, event_id, payload, attempts",
    };
    let mut tx = db.begin().await?;
    let row = queue::claim(&mut tx, next, lease_ms, now).await?;
    let Some((claim, row)) = row else {
        tx.commit().await?;
        return Ok(None);
    };
    let webhook_id: String = row.try_get("webhook_id")?;
    let (url, sealed_secret, previous_sealed_secret): (String, String, Option<String>) =
        sqlx::query_as(
            "select url, sealed_secret,
                    case when previous_secret_until > $2 then previous_sealed_secret end
             from webhooks where id = $1",
        )
        .bind(&webhook_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(Claimed {
        id: row.try_get("id")?,
        claim,
        webhook_id,
        url,
        event_id: row.try_get("event_id")?,
        payload: row.try_get("payload")?,
        sealed_secret,
        previous_sealed_secret,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
    }))
}

/// When the next queued delivery of an active endpoint comes due.
pub async fn next_due(db: &Db) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "select min(d.next_attempt_at) from webhook_deliveries d join webhooks w on w.id = d.webhook_id
         where d.status = 'queued' and w.paused = 0",
    )
    .fetch_one(db.pool())
    .await
}

/// Records a success. Answers whether the claim still held: only the holder
/// records, so a delivery succeeds once.
pub async fn mark_delivered(db: &Db, c: &Claimed, status: u16) -> sqlx::Result<bool> {
    let sql = queue::recording(
        "webhook_deliveries",
        "status = 'delivered', delivered_at = $3, updated_at = $3, attempts = attempts + 1,
         response_status = $4, last_error = null",
    );
    queue::record(db, &sql, (&c.id, &c.claim), |q| {
        q.bind(clock::now_ms()).bind(i64::from(status))
    })
    .await
}

/// Records a failed attempt: due again at `retry_at`, or `failed` for good.
pub async fn mark_attempt_failed(
    db: &Db,
    c: &Claimed,
    response_status: Option<u16>,
    error: &str,
    retry_at: Option<i64>,
) -> sqlx::Result<bool> {
    let sql = queue::failure(
        "webhook_deliveries",
        "response_status = $6, last_error = $7",
    );
    queue::record_failure(db, &sql, (&c.id, &c.claim), retry_at, |q| {
        q.bind(response_status.map(i64::from)).bind(error)
    })
    .await
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    pub event_id: String,
    pub event_type: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub response_status: Option<i64>,
    pub last_error: Option<String>,
    pub next_attempt_at: i64,
    /// A sender holds it right now.
    pub sending: bool,
    pub replay_of: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

const DELIVERY_COLUMNS: &str = "id, webhook_id, event_id, event_type, payload, status, attempts,
     response_status, last_error, next_attempt_at, claim_token, replay_of, created_at, delivered_at";

fn delivery(row: &AnyRow) -> sqlx::Result<Delivery> {
    Ok(Delivery {
        id: row.try_get("id")?,
        webhook_id: row.try_get("webhook_id")?,
        event_id: row.try_get("event_id")?,
        event_type: row.try_get("event_type")?,
        payload: row.try_get("payload")?,
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        response_status: row.try_get("response_status")?,
        last_error: row.try_get("last_error")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        sending: row.try_get::<Option<String>, _>("claim_token")?.is_some()
            && row.try_get::<i64, _>("next_attempt_at")? > clock::now_ms(),
        replay_of: row.try_get("replay_of")?,
        created_at: row.try_get("created_at")?,
        delivered_at: row.try_get("delivered_at")?,
    })
}

/// A page of an endpoint's deliveries, newest first, and how many match.
pub async fn deliveries(
    db: &Db,
    webhook_id: &str,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Delivery>, i64)> {
    let filter = "where webhook_id = $1 and ($2 = '' or status = $2)";
    let status = status.unwrap_or("");
    let rows = sqlx::query(&format!(
        "select {DELIVERY_COLUMNS} from webhook_deliveries {filter}
         order by created_at desc, id limit $3 offset $4"
    ))
    .bind(webhook_id)
    .bind(status)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    let total: i64 =
        sqlx::query_scalar(&format!("select count(*) from webhook_deliveries {filter}"))
            .bind(webhook_id)
            .bind(status)
            .fetch_one(db.pool())
            .await?;
    Ok((
        rows.iter().map(delivery).collect::<sqlx::Result<_>>()?,
        total,
    ))
}

pub async fn delivery_in(tx: &mut Tx, id: &str) -> sqlx::Result<Option<Delivery>> {
    sqlx::query(&format!(
        "select {DELIVERY_COLUMNS} from webhook_deliveries where id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .as_ref()
    .map(delivery)
    .transpose()
}

/// Sends a delivery's event again, as a new delivery due now (the same
/// payload and `webhook-id`, so a receiver can tell it is a repeat).
pub async fn replay(tx: &mut Tx, original: &Delivery) -> sqlx::Result<String> {
    crate::audit::publish::insert_delivery(
        tx,
        &original.webhook_id,
        &original.event_id,
        &original.event_type,
        &original.payload,
        Some(&original.id),
        clock::now_ms(),
    )
    .await
}

/// Deliveries by status, for `/metrics`.
pub async fn count_by_status(db: &Db) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as("select status, count(*) from webhook_deliveries group by status")
        .fetch_all(db.pool())
        .await
}
