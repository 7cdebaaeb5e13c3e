//! The server side of the organization endpoints. Each takes what it needs
//! as plain values (the server function reads the request), checks the
//! rules and makes its change in one transaction with an audit event.

use serde_json::{json, Value};

use super::{
    domain::{MemberRoles, OrganizationName, Slug, TeamName},
    invitations, roles,
    store::{self, MemberRow, OrganizationRow},
    teams, AddMemberBody, CheckSlugBody, CheckSlugResponse, CreateOrganizationBody,
    ListMembersQuery, MemberList, MemberUser, MemberView, Membership, MyOrganizations,
    OrganizationIdBody, OrganizationPage, OrganizationPermissionBody, OrganizationView,
    OrganizationWithMembers, PermissionResponse, RemoveMemberBody, RemovedMember, SetActiveBody,
    UpdateMemberRoleBody, UpdateOrganizationBody, MEMBERS_PAGE,
};
use crate::{
    access::roles::Permission,
    access::{
        grant::{self, Authority, Refusal},
        statements::{
            authorizes, built_in_organization_role, Statements, BUILT_IN_ORGANIZATION_ROLES,
            ORGANIZATION,
        },
    },
    accounts::sessions::Current,
    accounts::{domain::Email, required, store as accounts},
    audit,
    config::Config,
    error::{ApiError, ApiResult, Code},
    invitations::Kind,
    server::{
        clock, crypto,
        db::{is_unique_violation, Db, Tx},
    },
};

fn slug_taken() -> ApiError {
    ApiError::new(
        Code::OrganizationSlugAlreadyTaken,
        "This slug is taken; pick another.",
    )
}

pub(super) fn not_found() -> ApiError {
    ApiError::new(Code::OrganizationNotFound, "There is no such organization.")
}

fn not_a_member() -> ApiError {
    ApiError::new(
        Code::NotAMemberOfThisOrganization,
        "You are not a member of this organization.",
    )
}

/// `metadata` is an object (or absent, which is `{}`); anything else is
/// refused rather than stored as Better Auth sometimes does.
fn metadata(value: Option<Value>) -> ApiResult<String> {
    match value {
        None | Some(Value::Null) => Ok("{}".to_owned()),
        Some(Value::Object(map)) => Ok(Value::Object(map).to_string()),
        Some(_) => Err(ApiError::new(
            Code::InvalidMetadata,
            "`metadata` must be a JSON object.",
        )),
    }
}

/// A logo is an http or https address.
fn checked_logo(logo: &str) -> ApiResult<&str> {
    if url::Url::parse(logo).is_ok_and(|u| matches!(u.scheme(), "https" | "http")) {
        Ok(logo)
    } else {
        Err(ApiError::new(
            Code::InvalidLogo,
            "The logo must be an http or https address.",
        ))
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

pub(super) fn member_view(m: MemberRow, with_user: bool) -> MemberView {
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
    config: &Config,
    me: &Current,
    body: CreateOrganizationBody,
    ip: &str,
) -> ApiResult<OrganizationWithMembers> {
    if !config.organizations.may_create(&me.user.role) {
        return Err(ApiError::new(
            Code::YouAreNotAllowedToCreateANewOrganization,
            "On this instance, your role cannot create organizations.",
        ));
    }
    let name = OrganizationName::parse(required(&body.name, "name")?)?;
    let slug = Slug::parse(required(&body.slug, "slug")?)?;
    let metadata = metadata(body.metadata)?;
    let logo = body
        .logo
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(checked_logo)
        .transpose()?;
    let (id, member_id) = (crypto::new_id(), crypto::new_id());
    let mut tx = db.begin().await?;
    if let Some(limit) = config.organizations.limit_per_user {
        // The creator's row is locked first: ten creations at once count
        // one after another, and the cap holds.
        accounts::lock_user(&mut tx, &me.user.id).await?;
        if store::count_owned(&mut tx, &me.user.id).await? >= i64::from(limit) {
            return Err(ApiError::new(
                Code::YouHaveReachedTheMaximumNumberOfOrganizations,
                format!("You already own {limit} organizations, the most this instance allows."),
            ));
        }
    }
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
    // With teams on, an organization starts with a team named after it,
    // its creator in it, as Better Auth's does.
    let settings = &config.organizations.teams;
    let first_team = if settings.enabled {
        let team = teams::service::insert(&mut tx, settings, &id, &TeamName::first_of(&name), true)
            .await?;
        teams::store::insert_member(&mut tx, &team.id, &me.user.id).await?;
        Some(team)
    } else {
        None
    };
    if !body.keep_current_active_organization.unwrap_or(false) {
        store::set_active(&mut *tx, &me.session.id, Some(&id)).await?;
        if let Some(team) = &first_team {
            teams::store::set_active(&mut *tx, &me.session.id, Some(team)).await?;
        }
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
    full(db, &id, false).await?.ok_or_else(ApiError::internal)
}

/// The organization and its members, read after a change; with its
/// invitations for `get-full-organization`.
async fn full(
    db: &Db,
    id: &str,
    with_invitations: bool,
) -> ApiResult<Option<OrganizationWithMembers>> {
    let Some(o) = store::find(db.pool(), id).await? else {
        return Ok(None);
    };
    let members = store::members(db, &o.id, None).await?;
    let invitations = if with_invitations {
        Some(invitations::service::list_all(db, &o.id).await?)
    } else {
        None
    };
    Ok(Some(OrganizationWithMembers {
        organization: view(o),
        members: members.into_iter().map(|m| member_view(m, true)).collect(),
        invitations,
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
    let o = store::find(db.pool(), id_or_slug)
        .await?
        .ok_or_else(not_found)?;
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
    let (o, mine) = membership(db, &named, &me.user.id).await?;
    // Pending invitations and their addresses are for those who send or
    // cancel them; everyone else gets the list empty.
    let sees_invitations =
        allows(&mine, "invitation", "create") || allows(&mine, "invitation", "cancel");
    let mut found = full(db, &o.id, sees_invitations).await?;
    if let Some(f) = found.as_mut().filter(|f| f.invitations.is_none()) {
        f.invitations = Some(Vec::new());
    }
    Ok(found)
}

fn no_active_organization() -> ApiError {
    ApiError::new(
        Code::NoActiveOrganization,
        "No organization is active: name one, or set one active first.",
    )
}

/// The organization a request is about: the one it names, else the
/// session's active one.
pub(super) fn named_or_active(me: &Current, named: Option<String>) -> ApiResult<String> {
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
    let named = named_or_active(
        me,
        q.organization_id.clone().or(q.organization_slug.clone()),
    )?;
    // Better Auth's code for this one endpoint.
    let (o, _) = membership(db, &named, &me.user.id)
        .await
        .map_err(|e| match e.code {
            Code::NotAMemberOfThisOrganization => ApiError::new(
                Code::YouAreNotAMemberOfThisOrganization,
                "You are not a member of this organization.",
            ),
            _ => e,
        })?;
    let all = store::members(db, &o.id, None).await?;
    let number = |value: Option<&str>, field: &str, default: usize| match value {
        None | Some("") => Ok(default),
        Some(v) => v.parse::<usize>().map_err(|_| {
            ApiError::new(
                Code::InvalidQuery,
                format!("`{field}` must be a whole number, not `{v}`."),
            )
        }),
    };
    let limit = number(q.limit.as_deref(), "limit", 100)?.clamp(1, 100);
    let offset = number(q.offset.as_deref(), "offset", 0)?;
    let mut all = filtered(all, &q)?;
    sort(&mut all, &q)?;
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
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

fn invalid_query(what: String) -> ApiError {
    ApiError::new(Code::InvalidQuery, what)
}

/// The member fields `list-members` sorts and filters by.
const MEMBER_FIELDS: [&str; 4] = ["role", "userId", "name", "email"];

fn member_field(name: &str) -> ApiResult<&str> {
    MEMBER_FIELDS
        .into_iter()
        .find(|f| *f == name)
        .ok_or_else(|| {
            invalid_query(format!(
                "`{name}` is not a member field; use {}.",
                MEMBER_FIELDS.join(", ")
            ))
        })
}

/// A member's value of a field from `MEMBER_FIELDS`.
fn field_of(m: &MemberRow, name: &str) -> String {
    match name {
        "role" => m.roles.join(","),
        "userId" => m.user_id.clone(),
        "name" => m.user_name.clone(),
        _ => m.user_email.clone(),
    }
}

/// Better Auth's `filterField`, `filterValue` and `filterOperator`.
fn filtered(members: Vec<MemberRow>, q: &ListMembersQuery) -> ApiResult<Vec<MemberRow>> {
    let Some(name) = q.filter_field.as_deref().filter(|f| !f.is_empty()) else {
        return Ok(members);
    };
    let name = member_field(name)?;
    let value = q.filter_value.as_deref().unwrap_or_default();
    let op = q.filter_operator.as_deref().unwrap_or("eq");
    if !matches!(op, "eq" | "ne" | "contains") {
        return Err(invalid_query(format!(
            "`{op}` is not an operator; use eq, ne or contains."
        )));
    }
    Ok(members
        .into_iter()
        .filter(|m| {
            // A role filter matches any one of a member's roles.
            let equal = if name == "role" {
                m.roles.iter().any(|r| r == value)
            } else {
                field_of(m, name) == value
            };
            match op {
                "eq" => equal,
                "ne" => !equal,
                _ => field_of(m, name).contains(value),
            }
        })
        .collect())
}

/// Better Auth's `sortBy` and `sortDirection`; oldest first by default.
fn sort(members: &mut [MemberRow], q: &ListMembersQuery) -> ApiResult<()> {
    let descending = match q.sort_direction.as_deref() {
        None | Some("") | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(invalid_query(format!(
                "`{other}` is not a direction; use asc or desc."
            )))
        }
    };
    match q.sort_by.as_deref() {
        None | Some("") | Some("createdAt") => members.sort_by_key(|m| m.created_at),
        Some(name) => {
            let name = member_field(name)?;
            members.sort_by_cached_key(|m| field_of(m, name));
        }
    }
    if descending {
        members.reverse();
    }
    Ok(())
}

/// The statements each of a member's roles grants (built-in or custom).
pub(super) fn statements_of(member: &MemberRow) -> &[Statements] {
    &member.grants
}

pub async fn has_permission(
    db: &Db,
    me: &Current,
    body: OrganizationPermissionBody,
) -> ApiResult<PermissionResponse> {
    let asked = body
        .permissions
        .or(body.permission)
        .ok_or_else(|| ApiError::new(Code::MissingField, "The field `permissions` is required."))?;
    let request = crate::access::statements::requested(&asked)?;
    let (_, member) =
        membership(db, &named_or_active(me, body.organization_id)?, &me.user.id).await?;
    Ok(PermissionResponse {
        success: authorizes(statements_of(&member).iter(), &request),
        error: None,
    })
}

pub(super) fn refused(code: Code, what: &str) -> ApiError {
    ApiError::new(
        code,
        format!("Your role in this organization does not allow {what}."),
    )
}

pub(super) fn member_not_found() -> ApiError {
    ApiError::new(
        Code::MemberNotFound,
        "There is no such member in this organization.",
    )
}

fn only_owner() -> ApiError {
    ApiError::new(
        Code::YouCannotLeaveTheOrganizationAsTheOnlyOwner,
        "The only owner cannot leave or be removed: make someone else owner first.",
    )
}

pub(super) fn allows(member: &MemberRow, resource: &str, action: &str) -> bool {
    authorizes(
        statements_of(member).iter(),
        &Statements::of(&[(resource, &[action])]),
    )
}

/// What `member` may grant with (SPEC §3 "Organizations" 2, "Granting").
pub(super) fn authority(member: &MemberRow) -> Authority {
    Authority::of_member(
        member.roles.iter().map(String::as_str),
        member.grants.iter(),
    )
}

/// The 403 for a grant beyond the actor's authority, with Better Auth's
/// `missingPermissions`.
pub(super) fn grant_refused(code: Code, refusal: &Refusal) -> ApiError {
    let missing = refusal.missing_permissions();
    let message = match refusal {
        Refusal::OwnerOnly => "Only an owner of this organization can grant `owner`.".to_owned(),
        Refusal::Missing(_) => format!(
            "You cannot grant permissions you do not hold yourself: {}.",
            missing.join(", ")
        ),
    };
    ApiError {
        missing_permissions: Some(missing).filter(|m| !m.is_empty()),
        ..ApiError::new(code, message)
    }
}

/// Inside `tx`: every role of `roles` exists in the organization and
/// `authority` may grant them together; `code` names the refusal.
pub(super) async fn check_grant(
    tx: &mut Tx,
    organization_id: &str,
    authority: &Authority,
    roles: &MemberRoles,
    code: Code,
) -> ApiResult<()> {
    let resolved = roles::service::resolve(tx, organization_id, roles).await?;
    grant::check(authority, resolved.iter().map(|(n, s)| (n.as_str(), s)))
        .map_err(|refusal| grant_refused(code, &refusal))
}

/// Inside `tx`: the organization (its row locked first, see
/// `store::lock`), its owners (locked), and the caller's membership.
async fn acting_in(
    tx: &mut Tx,
    me: &Current,
    named: Option<String>,
) -> ApiResult<(OrganizationRow, Vec<String>, MemberRow)> {
    let key = named_or_active(me, named)?;
    let o = store::find(&mut **tx, &key).await?.ok_or_else(not_found)?;
    store::lock(tx, &o.id).await?;
    let owners = store::lock_owners(tx, &o.id).await?;
    let actor = store::membership_of(tx, &o.id, &me.user.id)
        .await?
        .ok_or_else(not_a_member)?;
    Ok((o, owners, actor))
}

/// Whether `member` is the only owner among `owners`.
fn is_last_owner(owners: &[String], member: &MemberRow) -> bool {
    member.roles.iter().any(|r| r == "owner") && owners.iter().all(|id| *id == member.id)
}

pub(super) fn is_owner(member: &MemberRow) -> bool {
    member.roles.iter().any(|r| r == "owner")
}

pub async fn update(
    db: &Db,
    me: &Current,
    body: UpdateOrganizationBody,
    ip: &str,
) -> ApiResult<OrganizationView> {
    let data = body
        .data
        .ok_or_else(|| ApiError::new(Code::MissingField, "The field `data` is required."))?;
    let mut tx = db.begin().await?;
    let (o, _, actor) = acting_in(&mut tx, me, body.organization_id).await?;
    if !allows(&actor, "organization", "update") {
        return Err(refused(
            Code::YouAreNotAllowedToUpdateThisOrganization,
            "changing its settings",
        ));
    }
    let name = match &data.name {
        Some(n) => OrganizationName::parse(n)?.as_str().to_owned(),
        None => o.name.clone(),
    };
    let slug = match &data.slug {
        Some(s) => Slug::parse(s)?.as_str().to_owned(),
        None => o.slug.clone(),
    };
    let logo = match data.logo.as_deref().map(str::trim) {
        None => o.logo.clone(),
        Some("") => None,
        Some(l) => Some(checked_logo(l)?.to_owned()),
    };
    let metadata = match data.metadata {
        None => o.metadata.clone(),
        Some(m) => metadata(Some(m))?,
    };
    let change = store::OrganizationChange {
        name: &name,
        slug: &slug,
        logo: logo.as_deref(),
        metadata: &metadata,
    };
    match store::update(&mut tx, &o.id, &change).await {
        Err(e) if is_unique_violation(&e) => return Err(slug_taken()),
        other => other?,
    }
    audit::record(
        &mut tx,
        audit::Event::new("organization.update")
            .actor(&me.user.id)
            .target(&o.id)
            .before(json!({ "name": o.name, "slug": o.slug, "logo": o.logo }))
            .after(json!({ "name": name, "slug": slug, "logo": logo }))
            .ip(ip),
    )
    .await?;
    let updated = store::find(&mut *tx, &o.id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(view(updated))
}

pub async fn delete(
    db: &Db,
    config: &Config,
    me: &Current,
    body: OrganizationIdBody,
    ip: &str,
) -> ApiResult<OrganizationView> {
    if config.organizations.disable_deletion {
        return Err(ApiError::new(
            Code::OrganizationDeletionDisabled,
            "Deleting organizations is turned off on this instance.",
        ));
    }
    let mut tx = db.begin().await?;
    let (o, _, actor) = acting_in(&mut tx, me, body.organization_id).await?;
    if !allows(&actor, "organization", "delete") {
        return Err(refused(
            Code::YouAreNotAllowedToDeleteThisOrganization,
            "deleting it",
        ));
    }
    // Invitations waiting in the outbox lose their links with it.
    for invitation in crate::invitations::store::organization::pending_ids(&mut tx, &o.id).await? {
        let why = "The organization was deleted.";
        crate::invitations::accept::forget_secret(&mut tx, Kind::Organization, &invitation, why)
            .await?;
    }
    store::delete(&mut tx, &o.id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.delete")
            .actor(&me.user.id)
            .target(&o.id)
            .before(json!({ "name": o.name, "slug": o.slug }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(view(o))
}

/// SPEC §3 "Organizations" 3: only an owner makes someone an owner or
/// changes an owner's roles, and the last owner stays one.
pub async fn update_member_role(
    db: &Db,
    me: &Current,
    body: UpdateMemberRoleBody,
    ip: &str,
) -> ApiResult<MemberView> {
    let member_id = required(&body.member_id, "memberId")?.to_owned();
    let roles = known_roles(body.role)?;
    let mut tx = db.begin().await?;
    let (o, owners, actor) = acting_in(&mut tx, me, body.organization_id).await?;
    let not_allowed = || {
        refused(
            Code::YouAreNotAllowedToUpdateThisMember,
            "changing this member's roles",
        )
    };
    if !allows(&actor, "member", "update") {
        return Err(not_allowed());
    }
    const CODE: Code = Code::YouAreNotAllowedToUpdateThisMember;
    check_grant(&mut tx, &o.id, &authority(&actor), &roles, CODE).await?;
    let target = store::member_in(&mut tx, &o.id, &member_id)
        .await?
        .filter(|m| m.id == member_id)
        .ok_or_else(member_not_found)?;
    if is_owner(&target) && !is_owner(&actor) {
        return Err(not_allowed());
    }
    if !roles.contains("owner") && is_last_owner(&owners, &target) {
        return Err(ApiError::new(
            Code::YouCannotLeaveTheOrganizationWithoutAnOwner,
            "This is the only owner: make someone else owner first.",
        ));
    }
    let new_roles: Vec<&str> = roles.iter().collect();
    store::set_member_roles(&mut tx, &target.id, &o.id, &new_roles).await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.member.update-role")
            .actor(&me.user.id)
            .target(&target.id)
            .before(json!({ "organizationId": o.id, "role": target.roles.join(",") }))
            .after(json!({ "organizationId": o.id, "role": roles.joined() }))
            .ip(ip),
    )
    .await?;
    let updated = store::member_in(&mut tx, &o.id, &target.id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(member_view(updated, false))
}

pub async fn remove_member(
    db: &Db,
    me: &Current,
    body: RemoveMemberBody,
    ip: &str,
) -> ApiResult<RemovedMember> {
    let key = required(&body.member_id_or_email, "memberIdOrEmail")?.to_owned();
    let mut tx = db.begin().await?;
    let (o, owners, actor) = acting_in(&mut tx, me, body.organization_id).await?;
    let target = store::member_in(&mut tx, &o.id, &key)
        .await?
        .ok_or_else(member_not_found)?;
    let not_allowed = || {
        refused(
            Code::YouAreNotAllowedToDeleteThisMember,
            "removing this member",
        )
    };
    if target.id != actor.id
        && (!allows(&actor, "member", "delete") || (is_owner(&target) && !is_owner(&actor)))
    {
        return Err(not_allowed());
    }
    if is_last_owner(&owners, &target) {
        return Err(only_owner());
    }
    store::delete_member(&mut tx, &target).await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.member.remove")
            .actor(&me.user.id)
            .target(&target.id)
            .before(json!({ "organizationId": o.id, "userId": target.user_id, "role": target.roles.join(",") }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(RemovedMember {
        member: member_view(target, true),
    })
}

pub async fn leave(
    db: &Db,
    me: &Current,
    body: OrganizationIdBody,
    ip: &str,
) -> ApiResult<MemberView> {
    let named = required(&body.organization_id, "organizationId")?.to_owned();
    let mut tx = db.begin().await?;
    let (o, owners, actor) =
        acting_in(&mut tx, me, Some(named))
            .await
            .map_err(|e| match e.code {
                Code::NotAMemberOfThisOrganization => member_not_found(),
                _ => e,
            })?;
    if is_last_owner(&owners, &actor) {
        return Err(only_owner());
    }
    store::delete_member(&mut tx, &actor).await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.member.leave")
            .actor(&me.user.id)
            .target(&actor.id)
            .before(json!({ "organizationId": o.id, "role": actor.roles.join(",") }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(member_view(actor, true))
}

/// Better Auth's `role: string | string[]`, each a role's name.
pub(super) fn known_roles(role: Option<crate::invitations::OneOrMany>) -> ApiResult<MemberRoles> {
    let asked: Vec<String> = match role {
        Some(crate::invitations::OneOrMany::One(r)) => vec![r],
        Some(crate::invitations::OneOrMany::Many(rs)) => rs,
        None => Vec::new(),
    };
    // Whether each exists in the organization is checked inside the
    // change's transaction (`check_grant`).
    MemberRoles::parse(asked.iter().map(String::as_str))
}

/// An instance admin adds an existing account, within the organization's
/// membership limit; one membership per person, by the database.
pub async fn add_member(
    db: &Db,
    config: &Config,
    me: &Current,
    body: AddMemberBody,
    ip: &str,
) -> ApiResult<MemberView> {
    let roles = known_roles(body.role)?;
    let key = named_or_active(me, body.organization_id)?;
    let mut tx = db.begin().await?;
    let o = store::find(&mut *tx, &key).await?.ok_or_else(not_found)?;
    let user = match (&body.user_id, &body.email) {
        (Some(id), _) if !id.trim().is_empty() => accounts::find_by_id(&mut tx, id.trim()).await?,
        (_, Some(email)) if !email.trim().is_empty() => {
            let email = Email::parse(email)?;
            accounts::find_by_email_tx(&mut tx, email.as_str()).await?
        }
        _ => {
            return Err(ApiError::new(
                Code::MissingField,
                "The field `userId` (or `email`) is required.",
            ))
        }
    }
    .ok_or_else(|| {
        ApiError::new(
            Code::NoAccountToAdd,
            "There is no account with this email or id.",
        )
    })?;
    if user.id == me.user.id {
        return Err(ApiError::new(
            Code::YouCannotAddYourselfToAnOrganization,
            "Nobody adds themselves to an organization: ask one of its admins to invite you.",
        ));
    }
    store::lock(&mut tx, &o.id).await?;
    // SPEC §3 "Organizations" 2: an instance admin adds people with roles
    // up to `admin`, and `owner` only as an owner there or as the
    // instance's owner; a member there adds with what they hold too.
    let instance_owner = me.user.role == config.roles.highest().name;
    let base = if instance_owner {
        ORGANIZATION.all()
    } else {
        built_in_organization_role("admin").unwrap_or_default()
    };
    let mine = store::membership_of(&mut tx, &o.id, &me.user.id).await?;
    let authority = Authority {
        held: Statements::union(
            std::iter::once(&base).chain(mine.iter().flat_map(|m| m.grants.iter())),
        ),
        grants_owner: instance_owner || mine.as_ref().is_some_and(is_owner),
    };
    check_grant(
        &mut tx,
        &o.id,
        &authority,
        &roles,
        Code::YouAreNotAllowedToInviteUserWithThisRole,
    )
    .await?;
    let already = || {
        ApiError::new(
            Code::UserIsAlreadyAMemberOfThisOrganization,
            format!("{} is already a member of {}.", user.email, o.name),
        )
    };
    if store::membership_of(&mut tx, &o.id, &user.id)
        .await?
        .is_some()
    {
        return Err(already());
    }
    let limit = config.organizations.membership_limit;
    if store::count_members(&mut tx, &o.id).await? >= i64::from(limit) {
        return Err(ApiError::new(
            Code::OrganizationMembershipLimitReached,
            format!("This organization has {limit} members, the most this instance allows."),
        ));
    }
    let member_id = crypto::new_id();
    let new_roles: Vec<&str> = roles.iter().collect();
    match store::insert_member(&mut tx, &member_id, &o.id, &user.id, &new_roles).await {
        Err(e) if is_unique_violation(&e) => return Err(already()),
        other => other?,
    }
    audit::record(
        &mut tx,
        audit::Event::new("organization.member.add")
            .actor(&me.user.id)
            .target(&member_id)
            .after(json!({ "organizationId": o.id, "userId": user.id, "role": roles.joined() }))
            .ip(ip),
    )
    .await?;
    let added = store::member_in(&mut tx, &o.id, &member_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(member_view(added, false))
}

pub async fn my_organizations(
    db: &Db,
    config: &Config,
    me: &Current,
) -> ApiResult<MyOrganizations> {
    let organizations = store::memberships_of(db, &me.user.id)
        .await?
        .into_iter()
        .map(|(o, roles)| Membership {
            id: o.id,
            name: o.name,
            slug: o.slug,
            roles,
        })
        .collect();
    let active_team = match &me.session.active_team_id {
        Some(id) => teams::store::find(db.pool(), id)
            .await?
            .map(teams::service::view),
        None => None,
    };
    Ok(MyOrganizations {
        organizations,
        active_organization_id: me.session.active_organization_id.clone(),
        active_team,
        may_create: config.organizations.may_create(&me.user.role),
    })
}

/// `/orgs/{slug}` for its viewer: one page of the members matching
/// `search` (in name or email), what the viewer may do, and the roles they
/// may give. A read: the session's active organization changes only
/// through `set-active` (the header's switcher posts it).
pub async fn page(
    db: &Db,
    config: &Config,
    me: &Current,
    slug: &str,
    search: &str,
    offset: usize,
) -> ApiResult<OrganizationPage> {
    // Whether it exists is not told to someone outside it.
    let (o, mine) = membership(db, slug, &me.user.id).await.map_err(|e| {
        if e.status() < 500 {
            ApiError::new(Code::NotFound, "There is no such organization.")
        } else {
            e
        }
    })?;
    let roles = statements_of(&mine);
    let permissions = ORGANIZATION
        .all()
        .pairs()
        .filter(|(r, a)| authorizes(roles.iter(), &Statements::of(&[(r, &[a])])))
        .map(|(r, a)| format!("{r}:{a}"))
        .collect();
    let all = store::members(db, &o.id, None).await?;
    let owners = all
        .iter()
        .filter(|m| is_owner(m))
        .map(|m| m.id.clone())
        .collect();
    let member_count = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let needle = search.trim().to_lowercase();
    let matching: Vec<MemberRow> = all
        .into_iter()
        .filter(|m| {
            needle.is_empty()
                || m.user_name.to_lowercase().contains(&needle)
                || m.user_email.contains(&needle)
        })
        .collect();
    let total = i64::try_from(matching.len()).unwrap_or(i64::MAX);
    let custom = if config.organizations.custom_roles.enabled {
        roles::store::for_organization(db, &o.id).await?
    } else {
        Vec::new()
    };
    // The roles the viewer may grant, one by one, under the rule every
    // change is checked by.
    let held = authority(&mine);
    let assignable_roles = BUILT_IN_ORGANIZATION_ROLES
        .into_iter()
        .map(|r| {
            (
                r.to_owned(),
                built_in_organization_role(r).unwrap_or_default(),
            )
        })
        .chain(custom.into_iter().map(|r| {
            let statements = roles::service::custom_statements(&r);
            (r.name, statements)
        }))
        .filter(|(name, statements)| grant::check(&held, [(name.as_str(), statements)]).is_ok())
        .map(|(name, _)| name)
        .collect();
    let may_add_accounts = config
        .roles
        .grants(&me.user.role, &Permission::UserCreate.request());
    let teams = if config.organizations.teams.enabled {
        teams::store::for_organization(db, &o.id)
            .await?
            .into_iter()
            .map(teams::service::view)
            .collect()
    } else {
        Vec::new()
    };
    Ok(OrganizationPage {
        teams,
        teams_enabled: config.organizations.teams.enabled,
        custom_roles_enabled: config.organizations.custom_roles.enabled,
        organization: view(o),
        me: member_view(mine, true),
        permissions,
        members: matching
            .into_iter()
            .skip(offset)
            .take(MEMBERS_PAGE)
            .map(|m| member_view(m, true))
            .collect(),
        total,
        member_count,
        owners,
        assignable_roles,
        may_add_accounts,
        deletion_disabled: config.organizations.disable_deletion,
    })
}
