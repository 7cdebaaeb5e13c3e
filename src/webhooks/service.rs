//! What the webhook endpoints and the forms of `/admin/webhooks` do, for
//! an `owner` whose role has `webhook:manage` (their callers checked it):
//! list, add, change, pause, rotate the secret, remove, read deliveries and
//! replay one. Every change is audited (and so is itself a webhook event).

use serde_json::json;

use super::{
    store::{self, Delivery, Webhook, FROM_ADMIN},
    CreateWebhookBody, DeliveriesQuery, DeliveryCounts, DeliveryIdBody, DeliveryList, DeliveryView,
    UpdateWebhookBody, WebhookIdBody, WebhookList, WebhookView, WebhookWithSecret, PAGE_SIZE,
    STATUSES,
};
use crate::{
    accounts::{required, store::UserRow, StatusResponse},
    audit,
    audit::{
        domain::ACTIONS,
        endpoint::{is_public, parse_url, Events, EventsError, Secret, UrlError},
        origin,
    },
    config::Config,
    error::{ApiError, ApiResult, Code},
    server::{
        clock,
        db::{Db, Tx},
    },
};

fn view(w: Webhook) -> WebhookView {
    WebhookView {
        id: w.id,
        url: w.url,
        description: w.description,
        events: w.events,
        paused: w.paused,
        source: w.source,
        deliveries: DeliveryCounts {
            queued: w.queued,
            delivered: w.delivered,
            failed: w.failed,
        },
        created_at: clock::rfc3339(w.created_at),
        updated_at: clock::rfc3339(w.updated_at),
    }
}

fn delivery_view(d: Delivery) -> DeliveryView {
    DeliveryView {
        // While a sender holds it, its due time is only the claim's lease.
        next_attempt_at: (d.status == "queued" && !d.sending)
            .then(|| clock::rfc3339(d.next_attempt_at)),
        sending: d.sending,
        id: d.id,
        webhook_id: d.webhook_id,
        event_id: d.event_id,
        event_type: d.event_type,
        status: d.status,
        attempts: d.attempts,
        response_status: d.response_status,
        last_error: d.last_error,
        replay_of: d.replay_of,
        payload: d.payload,
        created_at: clock::rfc3339(d.created_at),
        delivered_at: d.delivered_at.map(clock::rfc3339),
    }
}

/// What the audit log keeps of an endpoint: never its secret, and of its
/// URL only the origin. A receiver's path or query may hold a token of its
/// own (Slack-style URLs), and the log is read by admins who do not manage
/// webhooks and is itself sent to other webhooks.
fn audited(w: &WebhookView) -> serde_json::Value {
    json!({ "endpoint": origin(&w.url), "events": w.events, "paused": w.paused, "description": w.description })
}

/// A description of at most 200 characters, trimmed.
fn description(text: Option<&str>) -> ApiResult<Option<&str>> {
    let text = text.map(str::trim);
    if text.is_some_and(|d| d.chars().count() > 200) {
        return Err(ApiError::new(
            Code::InvalidDescription,
            "A description of at most 200 characters, please.",
        ));
    }
    Ok(text)
}

/// How long a replaced secret keeps signing beside the new one.
const ROTATION_GRACE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

fn not_found() -> ApiError {
    ApiError::new(Code::WebhookNotFound, "There is no such webhook.")
}

fn from_config() -> ApiError {
    ApiError::new(
        Code::WebhookFromConfig,
        "This webhook is set in gatehouse.toml: change or remove it there. It can be paused here.",
    )
}

fn bad_url(e: UrlError) -> ApiError {
    let code = match e {
        UrlError::Private(_) => Code::PrivateAddressNotAllowed,
        _ => Code::InvalidUrl,
    };
    ApiError::new(code, format!("The URL is refused: {e}."))
}

fn events(list: Option<&[String]>) -> ApiResult<Events> {
    match list {
        None => Ok(Events::all()),
        Some(list) => Events::parse(list).map_err(|e| {
            let code = match e {
                EventsError::TooMany => Code::TooManyEvents,
                _ => Code::InvalidEvents,
            };
            ApiError::new(code, format!("Events: {e}."))
        }),
    }
}

/// Checks a URL and, for a name, what it resolves to now (it is checked
/// again at every delivery). A name that does not resolve yet is accepted:
/// its deliveries fail, saying so, until it does.
async fn checked_url(config: &Config, text: &str) -> ApiResult<url::Url> {
    let allow = config.webhooks.allow_private_networks;
    let url = parse_url(text, allow).map_err(bad_url)?;
    if let (false, Some(url::Host::Domain(name))) = (allow, url.host()) {
        let port = url.port_or_known_default().unwrap_or(443);
        if let Ok(found) = tokio::net::lookup_host((name, port)).await {
            let found: Vec<_> = found.collect();
            if !found.is_empty() && !found.iter().any(|a| is_public(a.ip())) {
                return Err(bad_url(UrlError::Private(name.to_owned())));
            }
        }
    }
    Ok(url)
}

async fn load(tx: &mut Tx, id: &str) -> ApiResult<WebhookView> {
    store::get(tx, id).await?.map(view).ok_or_else(not_found)
}

pub async fn list(db: &Db) -> ApiResult<WebhookList> {
    Ok(WebhookList {
        webhooks: store::list(db).await?.into_iter().map(view).collect(),
        event_types: ACTIONS.iter().map(|a| (*a).to_owned()).collect(),
    })
}

pub async fn get(db: &Db, id: &str) -> ApiResult<WebhookView> {
    store::find(db, id).await?.map(view).ok_or_else(not_found)
}

pub async fn create(
    db: &Db,
    config: &Config,
    owner: &UserRow,
    body: CreateWebhookBody,
    ip: &str,
) -> ApiResult<WebhookWithSecret> {
    let url = checked_url(config, required(&body.url, "url")?).await?;
    let events = events(body.events.as_deref())?;
    let description = description(body.description.as_deref())?.unwrap_or("");
    let (_, secret) = Secret::generate();
    let id = crate::server::crypto::new_id();
    let mut tx = db.begin().await?;
    store::insert(
        &mut tx,
        &config.secret_key,
        &id,
        store::NewWebhook {
            url: url.as_str(),
            description,
            events: &events,
            secret: &secret,
            source: FROM_ADMIN,
            created_by: Some(&owner.id),
        },
    )
    .await?;
    let webhook = load(&mut tx, &id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("webhook.create")
            .actor(&owner.id)
            .target(&id)
            .after(audited(&webhook))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(WebhookWithSecret {
        webhook,
        secret: secret.into(),
    })
}

pub async fn update(
    db: &Db,
    config: &Config,
    owner: &UserRow,
    body: UpdateWebhookBody,
    ip: &str,
) -> ApiResult<WebhookView> {
    let id = required(&body.webhook_id, "webhookId")?;
    let url = match body.url.as_deref() {
        Some(text) => Some(checked_url(config, text).await?),
        None => None,
    };
    let events = body
        .events
        .as_deref()
        .map(|e| events(Some(e)))
        .transpose()?;
    let description = description(body.description.as_deref())?;
    let mut tx = db.begin().await?;
    let before = load(&mut tx, id).await?;
    let changes_settings = url.is_some() || events.is_some() || description.is_some();
    if changes_settings && before.source != FROM_ADMIN {
        return Err(from_config());
    }
    store::update(
        &mut tx,
        id,
        url.as_ref().map(url::Url::as_str),
        description,
        body.paused,
    )
    .await?;
    if let Some(events) = &events {
        store::set_events(&mut tx, id, events).await?;
    }
    let after = load(&mut tx, id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("webhook.update")
            .actor(&owner.id)
            .target(id)
            .before(audited(&before))
            .after(audited(&after))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn rotate(
    db: &Db,
    config: &Config,
    owner: &UserRow,
    body: WebhookIdBody,
    ip: &str,
) -> ApiResult<WebhookWithSecret> {
    let id = required(&body.webhook_id, "webhookId")?;
    let mut tx = db.begin().await?;
    let webhook = load(&mut tx, id).await?;
    if webhook.source != FROM_ADMIN {
        return Err(from_config());
    }
    let (_, secret) = Secret::generate();
    let until = clock::now_ms() + clock::ms(ROTATION_GRACE);
    store::rotate_secret(&mut tx, &config.secret_key, id, &secret, until).await?;
    let webhook = load(&mut tx, id).await?;
    // Every delivery from now on carries a signature with each secret until
    // the old one's grace ends, so receivers can switch without a gap.
    audit::record(
        &mut tx,
        audit::Event::new("webhook.rotate-secret")
            .actor(&owner.id)
            .target(id)
            .after(json!({ "endpoint": origin(&webhook.url) }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(WebhookWithSecret {
        webhook,
        secret: secret.into(),
    })
}

pub async fn delete(
    db: &Db,
    owner: &UserRow,
    body: WebhookIdBody,
    ip: &str,
) -> ApiResult<StatusResponse> {
    let id = required(&body.webhook_id, "webhookId")?;
    let mut tx = db.begin().await?;
    let webhook = load(&mut tx, id).await?;
    if webhook.source != FROM_ADMIN {
        return Err(from_config());
    }
    store::delete(&mut tx, id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("webhook.delete")
            .actor(&owner.id)
            .target(id)
            .before(audited(&webhook))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusResponse {
        status: true,
        message: Some(format!("The webhook to {} is removed.", webhook.url)),
    })
}

pub async fn deliveries(db: &Db, query: DeliveriesQuery) -> ApiResult<DeliveryList> {
    let DeliveriesQuery {
        webhook_id,
        status,
        limit,
        offset,
    } = query;
    let status = match status.as_deref().map(str::trim) {
        None | Some("") | Some("all") => None,
        Some(s) if STATUSES.contains(&s) => Some(s),
        Some(other) => {
            return Err(ApiError::new(
                Code::InvalidStatus,
                format!(
                    "`{other}` is not a status; use one of {}.",
                    STATUSES.join(", ")
                ),
            ))
        }
    };
    let limit = i64::from(limit.unwrap_or(PAGE_SIZE).clamp(1, 100));
    let (rows, total) = store::deliveries(
        db,
        &webhook_id,
        status,
        limit,
        i64::from(offset.unwrap_or(0)),
    )
    .await?;
    if total == 0 {
        // Tell a wrong id from an endpoint with nothing (of this status) yet.
        store::find(db, &webhook_id).await?.ok_or_else(not_found)?;
    }
    Ok(DeliveryList {
        deliveries: rows.into_iter().map(delivery_view).collect(),
        total,
    })
}

pub async fn replay(
    db: &Db,
    owner: &UserRow,
    body: DeliveryIdBody,
    ip: &str,
) -> ApiResult<DeliveryView> {
    let id = required(&body.delivery_id, "deliveryId")?;
    let mut tx = db.begin().await?;
    let original = store::delivery_in(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::new(Code::DeliveryNotFound, "There is no such delivery."))?;
    if original.status == "queued" {
        return Err(ApiError::new(
            Code::DeliveryStillQueued,
            "This delivery is still being tried; replay it once it was delivered or failed.",
        ));
    }
    let new_id = store::replay(&mut tx, &original).await?;
    audit::record(
        &mut tx,
        audit::Event::new("webhook.replay")
            .actor(&owner.id)
            .target(&original.webhook_id)
            .after(json!({ "deliveryId": new_id, "replayOf": original.id, "eventId": original.event_id, "eventType": original.event_type }))
            .ip(ip),
    )
    .await?;
    let replayed = store::delivery_in(&mut tx, &new_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(delivery_view(replayed))
}
