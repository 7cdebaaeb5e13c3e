//! The server side of the organization endpoints: creating, reading,
//! changing and deleting organizations, and the active one. Members and
//! their authority are `members`. Each takes what it needs as plain values
//! (the server function reads the request), checks the rules and makes its
//! change in one transaction with an audit event.

use serde_json::{json, Value};

use super::{
    domain::{OrganizationName, Slug, TeamName},
    invitations,
    members::{acting_in, allows, authority, is_owner, member_view, refused, statements_of},
    roles,
    store::{self, MemberRow, OrganizationRow},
    teams, CheckSlugBody, CheckSlugResponse, CreateOrganizationBody, Membership, MyOrganizations,
    OrganizationIdBody, OrganizationPage, OrganizationView, OrganizationWithMembers, SetActiveBody,
    UpdateOrganizationBody, MEMBERS_PAGE,
};
use crate::{
    access::roles::Permission,
    access::{
        grant,
        statements::{
            authorizes, built_in_organization_role, Statements, BUILT_IN_ORGANIZATION_ROLES,
            ORGANIZATION,
        },
    },
    accounts::sessions::Current,
    accounts::{
        required,
        store::{self as accounts, UserRow},
    },
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

pub(super) fn not_a_member() -> ApiError {
    ApiError::new(
        Code::NotAMemberOfThisOrganization,
        "You are not a member of this organization.",
    )
}

fn two_factor_required(organization: &str) -> ApiError {
    ApiError::new(
        Code::TwoFactorRequired,
        format!(
            "{organization} requires two-factor authentication: turn it on for your account at /account, then come back."
        ),
    )
}

/// Issue 27: an organization that requires two-factor authentication lets
/// a member act in it, or read it, only once their own account uses it.
/// Leaving it is never refused.
pub(super) fn check_two_factor(o: &OrganizationRow, me: &UserRow) -> ApiResult<()> {
    if o.require_two_factor && !me.two_factor_enabled {
        return Err(two_factor_required(&o.name));
    }
    Ok(())
}

/// Inside `tx`: the caller's own membership of `organization_id` (else
/// `absent`), under the organization's two-factor rule. Every action a
/// member takes finds its actor here, in `acting_member_of`, or in
/// `members::acting_in`.
pub(super) async fn acting_member(
    tx: &mut Tx,
    organization_id: &str,
    me: &UserRow,
    absent: fn() -> ApiError,
) -> ApiResult<MemberRow> {
    let member = store::membership_of(tx, organization_id, &me.id)
        .await?
        .ok_or_else(absent)?;
    check_two_factor_of(&mut **tx, organization_id, me).await?;
    Ok(member)
}

/// `acting_member` with the organization's row at hand, whose flag says
/// already whether the rule holds: no second read.
pub(super) async fn acting_member_of(
    tx: &mut Tx,
    o: &OrganizationRow,
    me: &UserRow,
    absent: fn() -> ApiError,
) -> ApiResult<MemberRow> {
    let member = store::membership_of(tx, &o.id, &me.id)
        .await?
        .ok_or_else(absent)?;
    check_two_factor(o, me)?;
    Ok(member)
}

/// `check_two_factor` when only the organization's id is at hand (a team's
/// reads); only an account without two-factor pays for the read.
pub(super) async fn check_two_factor_of<'e, E>(
    executor: E,
    organization_id: &str,
    me: &UserRow,
) -> ApiResult<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    if me.two_factor_enabled {
        return Ok(());
    }
    match store::requiring_two_factor(executor, organization_id).await? {
        Some(name) => Err(two_factor_required(&name)),
        None => Ok(()),
    }
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
        require_two_factor: o.require_two_factor,
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

/// The organization `id_or_slug` names, when `me` is a member of it who
/// may read it (`check_two_factor`).
pub(super) async fn membership(
    db: &Db,
    id_or_slug: &str,
    me: &UserRow,
) -> ApiResult<(OrganizationRow, MemberRow)> {
    membership_or(db, id_or_slug, me, not_a_member).await
}

/// `membership`, answering `absent` to someone outside it (each endpoint
/// keeps Better Auth's refusal for that). Reads only: no transaction.
pub(super) async fn membership_or(
    db: &Db,
    id_or_slug: &str,
    me: &UserRow,
    absent: fn() -> ApiError,
) -> ApiResult<(OrganizationRow, MemberRow)> {
    let o = store::find(db.pool(), id_or_slug)
        .await?
        .ok_or_else(not_found)?;
    let member = store::members(db, &o.id, Some(&me.id))
        .await?
        .pop()
        .ok_or_else(absent)?;
    check_two_factor(&o, me)?;
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
    let (o, _) = membership(db, &named, &me.user).await?;
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
    let (o, mine) = membership(db, &named, &me.user).await?;
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
    let (o, _) = membership(db, &named_or_active(me, named)?, &me.user).await?;
    Ok(view(o))
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
    let require_two_factor = data.require_two_factor.unwrap_or(o.require_two_factor);
    if require_two_factor != o.require_two_factor {
        check_two_factor_change(&actor, &me.user, require_two_factor)?;
    }
    let change = store::OrganizationChange {
        name: &name,
        slug: &slug,
        logo: logo.as_deref(),
        metadata: &metadata,
        require_two_factor,
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
            .before(json!({
                "name": o.name, "slug": o.slug, "logo": o.logo,
                "requireTwoFactor": o.require_two_factor,
            }))
            .after(json!({
                "name": name, "slug": slug, "logo": logo,
                "requireTwoFactor": require_two_factor,
            }))
            .ip(ip),
    )
    .await?;
    let updated = store::find(&mut *tx, &o.id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(view(updated))
}

/// Issue 27: only an owner turns the two-factor rule on or off, and
/// turning it on needs two-factor on the owner's own account first, so it
/// never locks out the person who sets it.
fn check_two_factor_change(actor: &MemberRow, me: &UserRow, on: bool) -> ApiResult<()> {
    if !is_owner(actor) {
        return Err(ApiError::new(
            Code::YouAreNotAllowedToUpdateThisOrganization,
            "Only an owner decides whether members must use two-factor authentication.",
        ));
    }
    if on && !me.two_factor_enabled {
        return Err(ApiError::new(
            Code::TwoFactorRequired,
            "Turn on two-factor authentication for your own account first, at /account.",
        ));
    }
    Ok(())
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

pub async fn my_organizations(
    db: &Db,
    config: &Config,
    me: &Current,
) -> ApiResult<MyOrganizations> {
    let organizations = store::memberships_of(db, &me.user.id)
        .await?
        .into_iter()
        .map(|(o, roles)| Membership {
            two_factor_needed: o.require_two_factor && !me.user.two_factor_enabled,
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
    let (o, mine) = membership(db, slug, &me.user).await.map_err(|e| {
        // A member held back by the two-factor rule is told what to do.
        if e.status() < 500 && e.code != Code::TwoFactorRequired {
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
    let without_two_factor = if allows(&mine, "organization", "update") {
        all.iter()
            .filter(|m| !m.user_two_factor)
            .filter_map(|m| member_view(m.clone(), true).user)
            .collect()
    } else {
        Vec::new()
    };
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
        without_two_factor,
        my_two_factor: me.user.two_factor_enabled,
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
