//! The server side of the organization endpoints. Each takes what it needs
//! as plain values (the server function reads the request), checks the
//! rules and makes its change in one transaction with an audit event.

use serde_json::{json, Value};

use super::{
    domain::{OrganizationName, Slug},
    store::{self, MemberRow, OrganizationRow},
    CheckSlugBody, CheckSlugResponse, CreateOrganizationBody, ListMembersQuery, MemberList,
    MemberUser, MemberView, OrganizationPermissionBody, OrganizationView, OrganizationWithMembers,
    PermissionResponse, SetActiveBody,
};
use crate::{
    access::statements::{authorizes, built_in_organization_role, Statements},
    accounts::required,
    error::{ApiError, ApiResult},
    server::{
        audit, clock, crypto,
        db::{is_unique_violation, Db},
        sessions::Current,
    },
};

fn slug_taken() -> ApiError {
    ApiError::bad_request(
        "ORGANIZATION_SLUG_ALREADY_TAKEN",
        "This slug is taken; pick another.",
    )
}

fn not_found() -> ApiError {
    ApiError::bad_request("ORGANIZATION_NOT_FOUND", "There is no such organization.")
}

fn not_a_member() -> ApiError {
    ApiError::forbidden(
        "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION",
        "You are not a member of this organization.",
    )
}

/// `metadata` is an object (or absent, which is `{}`); anything else is
/// refused rather than stored as Better Auth sometimes does.
fn metadata(value: Option<Value>) -> ApiResult<String> {
    match value {
        None | Some(Value::Null) => Ok("{}".to_owned()),
        Some(Value::Object(map)) => Ok(Value::Object(map).to_string()),
        Some(_) => Err(ApiError::bad_request(
            "INVALID_METADATA",
            "`metadata` must be a JSON object.",
        )),
    }
}

fn view(o: OrganizationRow) -> OrganizationView {
    OrganizationView {
        metadata: serde_json::from_str(&o.metadata).unwrap_or_else(|_| json!({})),
        id: o.id,
        name: o.name,
        slug: o.slug,
        logo: o.logo,
        created_at: clock::rfc3339(o.created_at),
    }
}

fn member_view(m: MemberRow, with_user: bool) -> MemberView {
    MemberView {
        role: m.roles.join(","),
        created_at: clock::rfc3339(m.created_at),
        user: with_user.then(|| MemberUser {
            id: m.user_id.clone(),
            name: m.user_name,
            email: m.user_email,
            image: m.user_image,
        }),
        id: m.id,
        organization_id: m.organization_id,
        user_id: m.user_id,
    }
}

/// SPEC §3 "Organizations" 1: the creator becomes its `owner`, and it
/// becomes the session's active organization unless asked otherwise; all
/// in one transaction, with its audit event.
pub async fn create(
    db: &Db,
    me: &Current,
    body: CreateOrganizationBody,
    ip: &str,
) -> ApiResult<OrganizationWithMembers> {
    let name = OrganizationName::parse(required(&body.name, "name")?)?;
    let slug = Slug::parse(required(&body.slug, "slug")?)?;
    let metadata = metadata(body.metadata)?;
    let logo = body
        .logo
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty());
    if let Some(logo) = logo {
        let ok = url::Url::parse(logo).is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
        if !ok {
            return Err(ApiError::bad_request(
                "INVALID_LOGO",
                "The logo must be an http or https address.",
            ));
        }
    }
    let (id, member_id) = (crypto::new_id(), crypto::new_id());
    let mut tx = db.begin().await?;
    match store::insert(
        &mut tx,
        &store::NewOrganization {
            id: &id,
            name: name.as_str(),
            slug: slug.as_str(),
            logo,
            metadata: &metadata,
        },
    )
    .await
    {
        Err(e) if is_unique_violation(&e) => return Err(slug_taken()),
        other => other?,
    }
    store::insert_member(&mut tx, &member_id, &id, &me.user.id, &["owner"]).await?;
    if !body.keep_current_active_organization.unwrap_or(false) {
        store::set_active(&mut *tx, &me.session.id, Some(&id)).await?;
    }
    audit::record(
        &mut tx,
        audit::Event::new("organization.create")
            .actor(&me.user.id)
            .target(&id)
            .after(json!({ "name": name.as_str(), "slug": slug.as_str() }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    full(db, &id).await?.ok_or_else(ApiError::internal)
}

/// The organization and its members, read after a change.
async fn full(db: &Db, id: &str) -> ApiResult<Option<OrganizationWithMembers>> {
    let Some(o) = store::find(db, id).await? else {
        return Ok(None);
    };
    let members = store::members(db, &o.id, None).await?;
    Ok(Some(OrganizationWithMembers {
        organization: view(o),
        members: members.into_iter().map(|m| member_view(m, true)).collect(),
    }))
}

pub async fn check_slug(db: &Db, body: CheckSlugBody) -> ApiResult<CheckSlugResponse> {
    let slug = Slug::parse(required(&body.slug, "slug")?)?;
    if store::slug_taken(db, slug.as_str()).await? {
        return Err(slug_taken());
    }
    Ok(CheckSlugResponse { status: true })
}

pub async fn list(db: &Db, user_id: &str) -> ApiResult<Vec<OrganizationView>> {
    Ok(store::list_for_user(db, user_id)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// The organization `id_or_slug` names, when `user_id` is a member of it.
async fn membership(
    db: &Db,
    id_or_slug: &str,
    user_id: &str,
) -> ApiResult<(OrganizationRow, MemberRow)> {
    let o = store::find(db, id_or_slug).await?.ok_or_else(not_found)?;
    let member = store::members(db, &o.id, Some(user_id))
        .await?
        .pop()
        .ok_or_else(not_a_member)?;
    Ok((o, member))
}

pub async fn set_active(
    db: &Db,
    me: &Current,
    body: SetActiveBody,
) -> ApiResult<Option<OrganizationView>> {
    let Some(named) = body.organization_id.or(body.organization_slug) else {
        store::set_active(db.pool(), &me.session.id, None).await?;
        return Ok(None);
    };
    let (o, _) = membership(db, &named, &me.user.id).await?;
    store::set_active(db.pool(), &me.session.id, Some(&o.id)).await?;
    Ok(Some(view(o)))
}

pub async fn get_full(
    db: &Db,
    me: &Current,
    named: Option<String>,
) -> ApiResult<Option<OrganizationWithMembers>> {
    let Some(named) = named.or_else(|| me.session.active_organization_id.clone()) else {
        return Ok(None);
    };
    let (o, _) = membership(db, &named, &me.user.id).await?;
    full(db, &o.id).await
}

fn no_active_organization() -> ApiError {
    ApiError::bad_request(
        "NO_ACTIVE_ORGANIZATION",
        "No organization is active: name one, or set one active first.",
    )
}

/// The organization a request is about: the one it names, else the
/// session's active one.
fn named_or_active(me: &Current, named: Option<String>) -> ApiResult<String> {
    named
        .filter(|n| !n.trim().is_empty())
        .or_else(|| me.session.active_organization_id.clone())
        .ok_or_else(no_active_organization)
}

pub async fn get(db: &Db, me: &Current, named: Option<String>) -> ApiResult<OrganizationView> {
    let (o, _) = membership(db, &named_or_active(me, named)?, &me.user.id).await?;
    Ok(view(o))
}

pub async fn active_member(db: &Db, me: &Current) -> ApiResult<MemberView> {
    let (_, member) = membership(db, &named_or_active(me, None)?, &me.user.id).await?;
    Ok(member_view(member, true))
}

pub async fn list_members(db: &Db, me: &Current, q: ListMembersQuery) -> ApiResult<MemberList> {
    let named = named_or_active(me, q.organization_id.or(q.organization_slug))?;
    // Better Auth's code for this one endpoint.
    let (o, _) = membership(db, &named, &me.user.id)
        .await
        .map_err(|e| match e.code.as_str() {
            "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION" => ApiError::forbidden(
                "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION",
                "You are not a member of this organization.",
            ),
            _ => e,
        })?;
    let all = store::members(db, &o.id, None).await?;
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let number = |value: Option<&str>, field: &str, default: usize| match value {
        None | Some("") => Ok(default),
        Some(v) => v.parse::<usize>().map_err(|_| {
            ApiError::bad_request(
                "INVALID_QUERY",
                format!("`{field}` must be a whole number, not `{v}`."),
            )
        }),
    };
    let limit = number(q.limit.as_deref(), "limit", 100)?.clamp(1, 100);
    let offset = number(q.offset.as_deref(), "offset", 0)?;
    Ok(MemberList {
        members: all
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|m| member_view(m, true))
            .collect(),
        total,
    })
}

/// The statements each of a member's roles grants. A role that is not a
/// built-in one (custom roles arrive with issue 13) grants nothing yet.
fn statements_of(member: &MemberRow) -> Vec<Statements> {
    member
        .roles
        .iter()
        .filter_map(|r| built_in_organization_role(r))
        .collect()
}

pub async fn has_permission(
    db: &Db,
    me: &Current,
    body: OrganizationPermissionBody,
) -> ApiResult<PermissionResponse> {
    let asked = body.permissions.or(body.permission).ok_or_else(|| {
        ApiError::bad_request("MISSING_FIELD", "The field `permissions` is required.")
    })?;
    let (_, member) =
        membership(db, &named_or_active(me, body.organization_id)?, &me.user.id).await?;
    let mut request = Statements::new();
    for (resource, actions) in &asked {
        for action in actions {
            request.insert(resource, action);
        }
    }
    Ok(PermissionResponse {
        success: authorizes(statements_of(&member).iter(), &request),
        error: None,
    })
}
