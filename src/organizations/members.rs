//! An organization's members and their authority (SPEC §3 "Organizations"
//! 1–3): listing and filtering members, adding one, changing roles,
//! removing and leaving, and what a member may do and grant there (the
//! granting rule is `access::grant`'s; this reads the member's roles).

use serde_json::json;

use super::{
    domain::MemberRoles,
    roles,
    service::{check_two_factor, membership, named_or_active, not_a_member, not_found},
    store::{self, MemberRow, OrganizationRow},
    AddMemberBody, ListMembersQuery, MemberList, MemberUser, MemberView, OrganizationIdBody,
    OrganizationPermissionBody, PermissionResponse, RemoveMemberBody, RemovedMember,
    UpdateMemberRoleBody,
};
use crate::{
    access::{
        grant::{self, Authority, Refusal},
        statements::{authorizes, built_in_organization_role, Statements, ORGANIZATION},
    },
    accounts::sessions::Current,
    accounts::{domain::Email, required, store as accounts},
    audit,
    config::Config,
    error::{ApiError, ApiResult, Code},
    server::{
        clock, crypto,
        db::{is_unique_violation, Db, Tx},
    },
};

pub(super) fn member_view(m: MemberRow, with_user: bool) -> MemberView {
    MemberView {
        role: m.roles.join(","),
        created_at: clock::rfc3339(m.created_at),
        user: with_user.then(|| MemberUser {
            id: m.user_id.clone(),
            name: m.user_name,
            email: m.user_email,
            image: m.user_image,
            two_factor_enabled: None,
        }),
        id: m.id,
        organization_id: m.organization_id,
        user_id: m.user_id,
    }
}

pub async fn active_member(db: &Db, me: &Current) -> ApiResult<MemberView> {
    let (_, member) = membership(db, &named_or_active(me, None)?, &me.user).await?;
    Ok(member_view(member, true))
}

pub async fn list_members(db: &Db, me: &Current, q: ListMembersQuery) -> ApiResult<MemberList> {
    let named = named_or_active(
        me,
        q.organization_id.clone().or(q.organization_slug.clone()),
    )?;
    // Better Auth's code for this one endpoint.
    let (o, mine) = membership(db, &named, &me.user)
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
    let shows_two_factor = allows(&mine, "organization", "update");
    let mut all = filtered(all, &q)?;
    sort(&mut all, &q)?;
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    Ok(MemberList {
        members: all
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|m| {
                let on = m.user_two_factor;
                let mut view = member_view(m, true);
                if shows_two_factor {
                    if let Some(user) = view.user.as_mut() {
                        user.two_factor_enabled = Some(on);
                    }
                }
                view
            })
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
    let (_, member) = membership(db, &named_or_active(me, body.organization_id)?, &me.user).await?;
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
/// `store::lock`), its owners (locked), and the caller's membership, under
/// the organization's two-factor rule.
pub(super) async fn acting_in(
    tx: &mut Tx,
    me: &Current,
    named: Option<String>,
) -> ApiResult<(OrganizationRow, Vec<String>, MemberRow)> {
    let found = present_in(tx, me, named).await?;
    check_two_factor(&found.0, &me.user)?;
    Ok(found)
}

/// `acting_in` without the two-factor rule: for leaving, which nobody is
/// kept from.
async fn present_in(
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

/// Plugged into `config::Hooks::account_removing`: an account that is the
/// only owner of an organization is not deleted (SPEC §3 "Organizations"
/// 3: the last owner stays one), and the person is told where.
pub fn on_account_removing<'a>(
    tx: &'a mut Tx,
    _config: &'a crate::config::Config,
    user_id: &'a str,
) -> crate::config::HookFuture<'a> {
    Box::pin(async move {
        let names = store::solely_owned(tx, user_id).await?;
        if names.is_empty() {
            return Ok(());
        }
        Err(ApiError::new(
            Code::LastOwnerOfOrganization,
            format!(
                "This account is the only owner of {}: make someone else owner there, or delete the organization, first.",
                names.join(", ")
            ),
        ))
    })
}

/// Whether `member` is the only owner among `owners`.
fn is_last_owner(owners: &[String], member: &MemberRow) -> bool {
    member.roles.iter().any(|r| r == "owner") && owners.iter().all(|id| *id == member.id)
}

pub(super) fn is_owner(member: &MemberRow) -> bool {
    member.roles.iter().any(|r| r == "owner")
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
        present_in(&mut tx, me, Some(named))
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
    // A membership the organization's two-factor rule holds back adds
    // nothing to what the instance role allows.
    let mine = store::membership_of(&mut tx, &o.id, &me.user.id)
        .await?
        .filter(|_| check_two_factor(&o, &me.user).is_ok());
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
