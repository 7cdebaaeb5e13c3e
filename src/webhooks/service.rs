//! The endpoints over webhooks, for roles with `webhook:manage`: list, add,
//! change, pause, rotate the secret, remove, read deliveries and replay one;
//! and the plain HTML forms of `/admin/webhooks`, which call the same code.
//! Every change is audited (and so is itself a webhook event).

use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use serde_json::json;

use super::{
    domain::{parse_url, Events, EventsError, Secret, UrlError},
    store::{self, Delivery, Webhook, FROM_ADMIN},
    CreateWebhookBody, DeliveriesQuery, DeliveryCounts, DeliveryIdBody, DeliveryList, DeliveryView,
    Flash, UpdateWebhookBody, WebhookIdBody, WebhookList, WebhookView, WebhookWithSecret,
    PAGE_SIZE, STATUSES,
};
use crate::{
    accounts::{required, StatusResponse},
    audit,
    audit::{domain::ACTIONS, service::origin},
    context::{AppState, RequestContext},
    error::{ApiError, ApiResult, Code},
    roles::Permission,
    server::{clock, db::Tx},
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
async fn checked_url(cx: &RequestContext, text: &str) -> ApiResult<url::Url> {
    let allow = cx.config().webhooks.allow_private_networks;
    let url = parse_url(text, allow).map_err(bad_url)?;
    if let (false, Some(url::Host::Domain(name))) = (allow, url.host()) {
        let port = url.port_or_known_default().unwrap_or(443);
        if let Ok(found) = tokio::net::lookup_host((name, port)).await {
            let found: Vec<_> = found.collect();
            if !found.is_empty() && !found.iter().any(|a| super::domain::is_public(a.ip())) {
                return Err(bad_url(UrlError::Private(name.to_owned())));
            }
        }
    }
    Ok(url)
}

async fn load(tx: &mut Tx, id: &str) -> ApiResult<WebhookView> {
    store::get(tx, id).await?.map(view).ok_or_else(not_found)
}

pub async fn list() -> ApiResult<WebhookList> {
    let cx = RequestContext::current()?;
    cx.require(Permission::WebhookManage).await?;
    Ok(WebhookList {
        webhooks: store::list(cx.db()).await?.into_iter().map(view).collect(),
        event_types: ACTIONS.iter().map(|a| (*a).to_owned()).collect(),
    })
}

pub async fn get(id: String) -> ApiResult<WebhookView> {
    let cx = RequestContext::current()?;
    cx.require(Permission::WebhookManage).await?;
    store::find(cx.db(), &id)
        .await?
        .map(view)
        .ok_or_else(not_found)
}

pub async fn create(cx: &RequestContext, body: CreateWebhookBody) -> ApiResult<WebhookWithSecret> {
    let owner = cx.require(Permission::WebhookManage).await?;
    let url = checked_url(cx, required(&body.url, "url")?).await?;
    let events = events(body.events.as_deref())?;
    let description = description(body.description.as_deref())?.unwrap_or("");
    let (_, secret) = Secret::generate();
    let id = crate::server::crypto::new_id();
    let mut tx = cx.db().begin().await?;
    store::insert(
        &mut tx,
        &cx.config().secret_key,
        &id,
        store::NewWebhook {
            url: url.as_str(),
            description,
            events: &events,
            secret: &secret,
            source: FROM_ADMIN,
            created_by: Some(&owner.user.id),
        },
    )
    .await?;
    let webhook = load(&mut tx, &id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("webhook.create")
            .actor(&owner.user.id)
            .target(&id)
            .after(audited(&webhook))
            .ip(&cx.ip()),
    )
    .await?;
    tx.commit().await?;
    Ok(WebhookWithSecret { webhook, secret })
}

pub async fn update(cx: &RequestContext, body: UpdateWebhookBody) -> ApiResult<WebhookView> {
    let owner = cx.require(Permission::WebhookManage).await?;
    let id = required(&body.webhook_id, "webhookId")?;
    let url = match body.url.as_deref() {
        Some(text) => Some(checked_url(cx, text).await?),
        None => None,
    };
    let events = body
        .events
        .as_deref()
        .map(|e| events(Some(e)))
        .transpose()?;
    let description = description(body.description.as_deref())?;
    let mut tx = cx.db().begin().await?;
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
            .actor(&owner.user.id)
            .target(id)
            .before(audited(&before))
            .after(audited(&after))
            .ip(&cx.ip()),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn rotate(cx: &RequestContext, body: WebhookIdBody) -> ApiResult<WebhookWithSecret> {
    let owner = cx.require(Permission::WebhookManage).await?;
    let id = required(&body.webhook_id, "webhookId")?;
    let mut tx = cx.db().begin().await?;
    let webhook = load(&mut tx, id).await?;
    if webhook.source != FROM_ADMIN {
        return Err(from_config());
    }
    let (_, secret) = Secret::generate();
    let until = clock::now_ms() + clock::ms(ROTATION_GRACE);
    store::rotate_secret(&mut tx, &cx.config().secret_key, id, &secret, until).await?;
    let webhook = load(&mut tx, id).await?;
    // Every delivery from now on carries a signature with each secret until
    // the old one's grace ends, so receivers can switch without a gap.
    audit::record(
        &mut tx,
        audit::Event::new("webhook.rotate-secret")
            .actor(&owner.user.id)
            .target(id)
            .after(json!({ "endpoint": origin(&webhook.url) }))
            .ip(&cx.ip()),
    )
    .await?;
    tx.commit().await?;
    Ok(WebhookWithSecret { webhook, secret })
}

pub async fn delete(cx: &RequestContext, body: WebhookIdBody) -> ApiResult<StatusResponse> {
    let owner = cx.require(Permission::WebhookManage).await?;
    let id = required(&body.webhook_id, "webhookId")?;
    let mut tx = cx.db().begin().await?;
    let webhook = load(&mut tx, id).await?;
    if webhook.source != FROM_ADMIN {
        return Err(from_config());
    }
    store::delete(&mut tx, id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("webhook.delete")
            .actor(&owner.user.id)
            .target(id)
            .before(audited(&webhook))
            .ip(&cx.ip()),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusResponse {
        status: true,
        message: Some(format!("The webhook to {} is removed.", webhook.url)),
    })
}

pub async fn deliveries(query: DeliveriesQuery) -> ApiResult<DeliveryList> {
    let DeliveriesQuery {
        webhook_id,
        status,
        limit,
        offset,
    } = query;
    let cx = RequestContext::current()?;
    cx.require(Permission::WebhookManage).await?;
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
        cx.db(),
        &webhook_id,
        status,
        limit,
        i64::from(offset.unwrap_or(0)),
    )
    .await?;
    if total == 0 {
        // Tell a wrong id from an endpoint with nothing (of this status) yet.
        store::find(cx.db(), &webhook_id)
            .await?
            .ok_or_else(not_found)?;
    }
    Ok(DeliveryList {
        deliveries: rows.into_iter().map(delivery_view).collect(),
        total,
    })
}

pub async fn replay(cx: &RequestContext, body: DeliveryIdBody) -> ApiResult<DeliveryView> {
    let owner = cx.require(Permission::WebhookManage).await?;
    let id = required(&body.delivery_id, "deliveryId")?;
    let mut tx = cx.db().begin().await?;
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
            .actor(&owner.user.id)
            .target(&original.webhook_id)
            .after(json!({ "deliveryId": new_id, "replayOf": original.id, "eventId": original.event_id, "eventType": original.event_type }))
            .ip(&cx.ip()),
    )
    .await?;
    let replayed = store::delivery_in(&mut tx, &new_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(delivery_view(replayed))
}

const FLASH_COOKIE: &str = "gatehouse_webhook_flash";
const FLASH_PATH: &str = "/admin/webhooks";
/// How long a flash can be read: the redirect follows at once.
const FLASH_MS: i64 = 5 * 60 * 1000;

/// A flash as sealed into its cookie: bound to the person it was made for
/// and to a deadline, so a copied cookie (a shared browser, a captured
/// request) shows no one else a secret, and not later either.
#[derive(serde::Serialize, serde::Deserialize)]
struct Sealed {
    user_id: String,
    expires_at: i64,
    flash: Flash,
}

fn flash_cookie(cx: &RequestContext, value: &str, max_age: u32) -> String {
    let secure = if cx.config().secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    format!("{FLASH_COOKIE}={value}; Path={FLASH_PATH}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}")
}

/// The flash the last form left for this owner, if any; it is cleared as
/// it is read. The pages that show it are never stored by a browser or a
/// proxy: one may hold a new secret.
pub async fn take_flash(cx: &RequestContext) -> ApiResult<Option<Flash>> {
    cx.set_header(http::header::CACHE_CONTROL, "no-store");
    let Some(sealed) = cx
        .parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(FLASH_COOKIE)?.strip_prefix('='))
        .map(str::to_owned)
    else {
        return Ok(None);
    };
    cx.set_cookie(&flash_cookie(cx, "", 0));
    let owner = cx.require(Permission::WebhookManage).await?;
    Ok(cx
        .config()
        .secret_key
        .open(&sealed)
        .and_then(|bytes| serde_json::from_slice::<Sealed>(&bytes).ok())
        .filter(|s| s.user_id == owner.user.id && s.expires_at > clock::now_ms())
        .map(|s| s.flash))
}

/// `POST /admin/webhooks`: the page's forms, which work without
/// JavaScript. Each does what its endpoint does, then sends the browser
/// back (303) with the outcome in a sealed cookie, read once, by the same
/// person, within five minutes.
pub async fn form_route(
    State(state): State<AppState>,
    parts: http::request::Parts,
    body: axum::body::Bytes,
) -> Response {
    let cx = RequestContext { state, parts };
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form_field(&fields, name);
    let webhook_id = field("webhookId");
    let back = webhook_page(webhook_id.as_deref());
    let (to, flash) = match field("action").as_deref().unwrap_or("") {
        "create" => create_from_form(&cx, &fields).await,
        action @ ("pause" | "resume") => {
            let body = UpdateWebhookBody {
                webhook_id,
                paused: Some(action == "pause"),
                ..Default::default()
            };
            let flash = match update(&cx, body).await {
                Ok(w) if w.paused => Flash::ok(
                    "Paused: nothing is sent to this webhook, and events that happen meanwhile are not queued for it.",
                ),
                Ok(_) => Flash::ok(
                    "Resumed: new events are delivered again, and deliveries that were waiting go out.",
                ),
                Err(e) => Flash::error(e),
            };
            (back, flash)
        }
        "rotate" => {
            let flash = match rotate(&cx, WebhookIdBody { webhook_id }).await {
                Ok(made) => Flash {
                    secret: Some(made.secret),
                    ..Flash::ok("New signing secret made. For the next 24 hours every delivery carries a signature with the old secret too, so put the new one in your receiver within a day.")
                },
                Err(e) => Flash::error(e),
            };
            (back, flash)
        }
        "delete" => match delete(&cx, WebhookIdBody { webhook_id }).await {
            Ok(done) => (
                FLASH_PATH.to_owned(),
                Flash::ok(&done.message.unwrap_or_default()),
            ),
            Err(e) => (back, Flash::error(e)),
        },
        "replay" => {
            let body = DeliveryIdBody {
                delivery_id: field("deliveryId"),
            };
            let flash = match replay(&cx, body).await {
                Ok(d) => Flash::ok(&format!(
                    "{} is queued again, as a new delivery.",
                    d.event_type
                )),
                Err(e) => Flash::error(e),
            };
            (back, flash)
        }
        _ => (
            FLASH_PATH.to_owned(),
            Flash::error(ApiError::new(
                Code::UnknownAction,
                "That form sent no action this page knows.",
            )),
        ),
    };
    let mut response = Redirect::to(&to).into_response();
    // Only someone signed in gets a flash: it is theirs alone.
    if let Ok(Some(current)) = cx.session().await {
        let sealed = Sealed {
            user_id: current.user.id,
            expires_at: clock::now_ms() + FLASH_MS,
            flash,
        };
        let sealed = cx
            .config()
            .secret_key
            .seal(&serde_json::to_vec(&sealed).unwrap_or_default());
        if let Ok(cookie) = http::HeaderValue::from_str(&flash_cookie(&cx, &sealed, 300)) {
            response
                .headers_mut()
                .append(http::header::SET_COOKIE, cookie);
        }
    }
    response
}

fn form_field(fields: &[(String, String)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The add form: every ticked event, and what was typed back to the form
/// when adding fails.
async fn create_from_form(cx: &RequestContext, fields: &[(String, String)]) -> (String, Flash) {
    let events: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "events")
        .map(|(_, v)| v.clone())
        .collect();
    let (url, description) = (form_field(fields, "url"), form_field(fields, "description"));
    let result = if events.iter().any(|e| e == "*") && events.len() > 1 {
        // "All events" is ticked by default: events ticked besides it are
        // surely meant as the choice, which it would silently override.
        Err(ApiError::new(
            Code::InvalidEvents,
            "Untick All events to choose some of them, or keep it ticked alone.",
        ))
    } else {
        let body = CreateWebhookBody {
            url: url.clone(),
            // Nothing ticked is a mistake to point out, not "all": the form
            // has its own box for all events.
            events: Some(events),
            description: description.clone(),
        };
        create(cx, body).await
    };
    match result {
        Ok(made) => (
            webhook_page(Some(&made.webhook.id)),
            Flash {
                secret: Some(made.secret),
                ..Flash::ok(&format!(
                    "Webhook added. Deliveries to {} start with the next event.",
                    made.webhook.url
                ))
            },
        ),
        Err(e) => (
            FLASH_PATH.to_owned(),
            Flash {
                url,
                description,
                ..Flash::error(e)
            },
        ),
    }
}

/// The page of one webhook; the id is encoded, as it came from a form.
fn webhook_page(id: Option<&str>) -> String {
    format!(
        "{FLASH_PATH}/{}",
        percent_encoding::utf8_percent_encode(
            id.unwrap_or_default(),
            percent_encoding::NON_ALPHANUMERIC
        )
    )
}
