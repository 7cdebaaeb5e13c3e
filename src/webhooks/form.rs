//! The plain HTML forms of `/admin/webhooks`, which work without
//! JavaScript: each does what its endpoint does (`service`), then sends the
//! browser back with the outcome in a sealed cookie, the flash, read once.
//! A request handler, so it reads the request itself.

use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};

use super::{
    service::{create, delete, replay, rotate, update},
    CreateWebhookBody, DeliveryIdBody, Flash, UpdateWebhookBody, WebhookIdBody,
};
use crate::{
    access::roles::Permission,
    accounts::store::UserRow,
    config::Config,
    context::{AppState, RequestContext},
    error::{ApiError, ApiResult, Code},
    server::db::Db,
};

const FLASH_PATH: &str = "/admin/webhooks";
const FLASH: crate::accounts::flash::Flash = crate::accounts::flash::Flash {
    cookie: "gatehouse_webhook_flash",
    path: FLASH_PATH,
};

/// The flash the last form left for this owner, if any (read once).
pub async fn take_flash(cx: &RequestContext) -> ApiResult<Option<Flash>> {
    let owner = cx.require(Permission::WebhookManage).await?;
    Ok(FLASH.take(cx, &owner.user.id))
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
    let (to, flash) = match cx.require(Permission::WebhookManage).await {
        Ok(owner) => act(&cx, &owner.user, &body).await,
        Err(e) => (FLASH_PATH.to_owned(), Flash::error(e)),
    };
    let mut response = Redirect::to(&to).into_response();
    // Only someone signed in gets a flash: it is theirs alone.
    if let Ok(Some(current)) = cx.session().await {
        if let Some(cookie) = FLASH.set(&cx, &current.user.id, flash) {
            response
                .headers_mut()
                .append(http::header::SET_COOKIE, cookie);
        }
    }
    response
}

/// What one form asks, done as `owner`: where to go back to, and what to
/// say there.
async fn act(cx: &RequestContext, owner: &UserRow, body: &[u8]) -> (String, Flash) {
    let (db, config, ip) = (cx.db(), cx.config(), cx.ip());
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| form_field(&fields, name);
    let webhook_id = field("webhookId");
    let back = webhook_page(webhook_id.as_deref());
    match field("action").as_deref().unwrap_or("") {
        "create" => create_from_form(db, config, owner, &fields, &ip).await,
        action @ ("pause" | "resume") => {
            let body = UpdateWebhookBody {
                webhook_id,
                paused: Some(action == "pause"),
                ..Default::default()
            };
            let flash = match update(db, config, owner, body, &ip).await {
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
            let flash = match rotate(db, config, owner, WebhookIdBody { webhook_id }, &ip).await {
                Ok(made) => Flash {
                    secret: Some(made.secret.expose().to_owned()),
                    ..Flash::ok("New signing secret made. For the next 24 hours every delivery carries a signature with the old secret too, so put the new one in your receiver within a day.")
                },
                Err(e) => Flash::error(e),
            };
            (back, flash)
        }
        "delete" => match delete(db, owner, WebhookIdBody { webhook_id }, &ip).await {
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
            let flash = match replay(db, owner, body, &ip).await {
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
    }
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
async fn create_from_form(
    db: &Db,
    config: &Config,
    owner: &UserRow,
    fields: &[(String, String)],
    ip: &str,
) -> (String, Flash) {
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
        create(db, config, owner, body, ip).await
    };
    match result {
        Ok(made) => (
            webhook_page(Some(&made.webhook.id)),
            Flash {
                secret: Some(made.secret.expose().to_owned()),
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
