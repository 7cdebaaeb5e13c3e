//! The server side of the custom role endpoints (SPEC §3 "Organizations"
//! 10): each checks its rules and makes its change in one transaction with
//! an audit event.

use serde_json::json;

use super::{
    store::{self, RoleRow},
    CreateRoleBody, CreatedRole, PermissionMap, RoleKeyBody, RoleView, Success, UpdateRoleBody,
    UpdatedRole,
};
use crate::{
    access::statements::{built_in_organization_role, Statements, Unknown, ORGANIZATION},
    accounts::required,
    accounts::sessions::Current,
    audit,
    config::{Config, CustomRoleSettings},
    error::{ApiError, ApiResult, Code},
    organizations::{
        domain::{MemberRoles, RoleName},
        members::allows,
        service::{acting_member_of, membership_or, named_or_active, not_found},
        store as organizations,
        store::MemberRow,
    },
    server::{
        clock, crypto,
        db::{is_unique_violation, Db, Tx},
    },
};

fn view(r: RoleRow) -> RoleView {
    RoleView {
        permission: serde_json::from_str(&r.permission).unwrap_or_default(),
        id: r.id,
        organization_id: r.organization_id,
        role: r.name,
        created_at: clock::rfc3339(r.created_at),
        updated_at: r.updated_at.map(clock::rfc3339),
    }
}

fn role_not_found() -> ApiError {
    ApiError::new(Code::RoleNotFound, "Role not found")
}

fn name_taken() -> ApiError {
    ApiError::new(
        Code::RoleNameIsAlreadyTaken,
        "That role name is already taken",
    )
}

fn not_a_member() -> ApiError {
    ApiError::new(
        Code::YouAreNotAMemberOfThisOrganization,
        "You are not a member of this organization",
    )
}

fn enabled(config: &Config) -> ApiResult<&CustomRoleSettings> {
    let settings = &config.organizations.custom_roles;
    if settings.enabled {
        Ok(settings)
    } else {
        Err(ApiError::new(
            Code::CustomRolesDisabled,
            "Custom organization roles are turned off on this instance.",
        ))
    }
}

/// The statements asked for, each drawn from the organization catalog.
pub fn statements(permission: &PermissionMap) -> ApiResult<Statements> {
    let asked = crate::access::statements::requested(permission)?;
    if asked.is_empty() {
        return Err(ApiError::new(
            Code::MissingField,
            "Give the role at least one permission.",
        ));
    }
    ORGANIZATION.check(&asked).map_err(|unknown| {
        let detail = match unknown {
            Unknown::Resource { resource, known } => {
                format!("`{resource}` is not a resource; the resources are {known}.")
            }
            Unknown::Action {
                resource,
                action,
                known,
            } => format!("`{resource}` has no action `{action}`; its actions are {known}."),
        };
        ApiError::new(
            Code::InvalidResource,
            format!("The provided permission includes an invalid resource: {detail}"),
        )
    })?;
    Ok(asked)
}

/// Nobody grants what they do not hold: what `asked` needs beyond all of
/// the caller's roles together, as `resource:action`.
pub fn missing(actor_grants: &[Statements], asked: &Statements) -> Vec<String> {
    Statements::union(actor_grants)
        .missing(asked)
        .pairs()
        .map(|(r, a)| format!("{r}:{a}"))
        .collect()
}

fn refused(code: Code, what: &str, missing: Vec<String>) -> ApiError {
    let mut e = if missing.is_empty() {
        ApiError::new(code, format!("You are not allowed to {what}"))
    } else {
        ApiError::new(
            code,
            format!(
                "You are not allowed to {what} with permissions you do not hold: {}",
                missing.join(", ")
            ),
        )
    };
    e.missing_permissions = (!missing.is_empty()).then_some(missing);
    e
}

/// Inside `tx`: the organization (named, else the active one) and the
/// caller's membership of it.
async fn acting_in(
    tx: &mut Tx,
    me: &Current,
    named: Option<String>,
) -> ApiResult<(String, MemberRow)> {
    let key = named_or_active(me, named)?;
    let o = organizations::find(&mut **tx, &key)
        .await?
        .ok_or_else(not_found)?;
    // Before any role or member row (`organizations::store::lock`).
    organizations::lock(tx, &o.id).await?;
    let member = acting_member_of(tx, &o, &me.user, not_a_member).await?;
    Ok((o.id, member))
}

/// Each role of `roles` with the statements it grants: a built-in one, or
/// a custom one whose row is locked for the rest of the transaction, so a
/// concurrent deletion waits and then sees it held. `ROLE_NOT_FOUND` names
/// the first that does not exist in the organization.
pub async fn resolve(
    tx: &mut Tx,
    organization_id: &str,
    roles: &MemberRoles,
) -> ApiResult<Vec<(String, Statements)>> {
    let mut resolved = Vec::new();
    for name in roles.iter() {
        let statements = match built_in_organization_role(name) {
            Some(s) => Some(s),
            None => store::find(tx, organization_id, name)
                .await?
                .map(|r| custom_statements(&r)),
        };
        let statements = statements.ok_or_else(|| {
            ApiError::new(
                Code::RoleNotFound,
                format!("There is no role called `{name}` in this organization."),
            )
        })?;
        resolved.push((name.to_owned(), statements));
    }
    Ok(resolved)
}

/// What a custom role grants: its stored permission.
pub fn custom_statements(role: &RoleRow) -> Statements {
    serde_json::from_str(&role.permission).unwrap_or_default()
}

pub async fn create(
    db: &Db,
    config: &Config,
    me: &Current,
    body: CreateRoleBody,
    ip: &str,
) -> ApiResult<CreatedRole> {
    let settings = enabled(config)?;
    let name = RoleName::parse(required(&body.role, "role")?)?;
    if built_in_organization_role(name.as_str()).is_some() {
        return Err(name_taken());
    }
    let asked = statements(body.permission.as_ref().ok_or_else(|| {
        ApiError::new(Code::MissingField, "The field `permission` is required.")
    })?)?;
    let mut tx = db.begin().await?;
    let (organization_id, actor) = acting_in(&mut tx, me, body.organization_id).await?;
    const CODE: Code = Code::YouAreNotAllowedToCreateARole;
    if !allows(&actor, "ac", "create") {
        return Err(refused(CODE, "create a role", Vec::new()));
    }
    let lacking = missing(&actor.grants, &asked);
    if !lacking.is_empty() {
        return Err(refused(CODE, "create a role", lacking));
    }
    // The organization's row is locked (`acting_in`), so its cap holds
    // under concurrent creations.
    if let Some(max) = settings.maximum_roles_per_organization {
        if store::count(&mut tx, &organization_id).await? >= i64::from(max) {
            return Err(ApiError::new(
                Code::TooManyRoles,
                format!("An organization has at most {max} custom roles on this instance."),
            ));
        }
    }
    let id = crypto::new_id();
    let permission = serde_json::to_string(&asked).map_err(|_| ApiError::internal())?;
    match store::insert(&mut tx, &id, &organization_id, name.as_str(), &permission).await {
        Err(e) if is_unique_violation(&e) => return Err(name_taken()),
        other => other?,
    }
    audit::record(
        &mut tx,
        audit::Event::new("organization.role.create")
            .actor(&me.user.id)
            .target(&id)
            .after(json!({ "organizationId": organization_id, "role": name.as_str(), "permission": asked }))
            .ip(ip),
    )
    .await?;
    let row = store::find(&mut tx, &organization_id, &id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(CreatedRole {
        success: true,
        statements: asked,
        role_data: view(row),
    })
}

fn key_of(body: &RoleKeyBody) -> ApiResult<String> {
    body.role_name
        .as_deref()
        .or(body.role_id.as_deref())
        .map(|k| k.trim().to_lowercase())
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::new(Code::MissingField, "The field `roleName` is required."))
}

pub async fn update(
    db: &Db,
    config: &Config,
    me: &Current,
    body: UpdateRoleBody,
    ip: &str,
) -> ApiResult<UpdatedRole> {
    enabled(config)?;
    let key = key_of(&RoleKeyBody {
        organization_id: None,
        role_name: body.role_name.clone(),
        role_id: body.role_id.clone(),
    })?;
    let data = body
        .data
        .ok_or_else(|| ApiError::new(Code::MissingField, "The field `data` is required."))?;
    let asked = data.permission.as_ref().map(statements).transpose()?;
    let new_name = data.role_name.as_deref().map(RoleName::parse).transpose()?;
    let mut tx = db.begin().await?;
    let (organization_id, actor) = acting_in(&mut tx, me, body.organization_id).await?;
    const CODE: Code = Code::YouAreNotAllowedToUpdateARole;
    if !allows(&actor, "ac", "update") {
        return Err(refused(CODE, "update a role", Vec::new()));
    }
    if built_in_organization_role(&key).is_some() {
        return Err(ApiError::new(
            Code::CannotUpdateAPreDefinedRole,
            "Cannot update a pre-defined role",
        ));
    }
    let role = store::find(&mut tx, &organization_id, &key)
        .await?
        .ok_or_else(role_not_found)?;
    if let Some(asked) = &asked {
        let lacking = missing(&actor.grants, asked);
        if !lacking.is_empty() {
            return Err(refused(CODE, "update a role", lacking));
        }
    }
    let name = match &new_name {
        Some(n) if built_in_organization_role(n.as_str()).is_some() => return Err(name_taken()),
        Some(n) => n.as_str().to_owned(),
        None => role.name.clone(),
    };
    let permission = match &asked {
        Some(a) => serde_json::to_string(a).map_err(|_| ApiError::internal())?,
        None => role.permission.clone(),
    };
    match store::update(&mut tx, &role.id, &name, &permission).await {
        Err(e) if is_unique_violation(&e) => return Err(name_taken()),
        other => other?,
    }
    if name != role.name {
        // Renaming keeps the members who hold it, and the invitations that
        // offer it.
        store::rename_holders(&mut tx, &organization_id, &role.name, &name).await?;
        for (id, roles) in store::pending_offering(&mut tx, &organization_id, &role.name).await? {
            let renamed: Vec<&str> = roles
                .split(',')
                .map(|r| if r == role.name { name.as_str() } else { r })
                .collect();
            store::set_invitation_roles(&mut tx, &id, &renamed.join(",")).await?;
        }
    }
    audit::record(
        &mut tx,
        audit::Event::new("organization.role.update")
            .actor(&me.user.id)
            .target(&role.id)
            .before(json!({ "role": role.name, "permission": serde_json::from_str::<serde_json::Value>(&role.permission).unwrap_or_default() }))
            .after(json!({ "role": name, "permission": serde_json::from_str::<serde_json::Value>(&permission).unwrap_or_default() }))
            .ip(ip),
    )
    .await?;
    let row = store::find(&mut tx, &organization_id, &role.id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(UpdatedRole {
        success: true,
        role_data: view(row),
    })
}

pub async fn delete(
    db: &Db,
    config: &Config,
    me: &Current,
    body: RoleKeyBody,
    ip: &str,
) -> ApiResult<Success> {
    enabled(config)?;
    let key = key_of(&body)?;
    let mut tx = db.begin().await?;
    let (organization_id, actor) = acting_in(&mut tx, me, body.organization_id).await?;
    if !allows(&actor, "ac", "delete") {
        return Err(refused(
            Code::YouAreNotAllowedToDeleteARole,
            "delete a role",
            Vec::new(),
        ));
    }
    if built_in_organization_role(&key).is_some() {
        return Err(ApiError::new(
            Code::CannotDeleteAPreDefinedRole,
            "Cannot delete a pre-defined role",
        ));
    }
    // Locked: an assignment of this role waits for the deletion, or the
    // deletion sees the assignment.
    let role = store::find(&mut tx, &organization_id, &key)
        .await?
        .ok_or_else(role_not_found)?;
    if store::holders(&mut tx, &organization_id, &role.name).await? > 0 {
        return Err(ApiError::new(
            Code::RoleIsAssignedToMembers,
            "Cannot delete a role that is assigned to members. Please reassign the members to a different role first",
        ));
    }
    if !store::pending_offering(&mut tx, &organization_id, &role.name)
        .await?
        .is_empty()
    {
        return Err(ApiError::new(
            Code::RoleIsOfferedByInvitations,
            "Pending invitations offer this role: cancel them, or wait until they are answered, first.",
        ));
    }
    store::delete(&mut tx, &role.id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.role.delete")
            .actor(&me.user.id)
            .target(&role.id)
            .before(json!({ "organizationId": organization_id, "role": role.name }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(Success { success: true })
}

/// The organization, for members whose roles allow `ac:read`. Reads
/// only: no transaction, so it never waits for a writer.
async fn readable(db: &Db, me: &Current, named: Option<String>) -> ApiResult<String> {
    let key = named_or_active(me, named)?;
    let (o, actor) = membership_or(db, &key, &me.user, not_a_member).await?;
    if !allows(&actor, "ac", "read") {
        return Err(refused(
            Code::YouAreNotAllowedToListARole,
            "read this organization's roles",
            Vec::new(),
        ));
    }
    Ok(o.id)
}

pub async fn list(
    db: &Db,
    config: &Config,
    me: &Current,
    named: Option<String>,
) -> ApiResult<Vec<RoleView>> {
    enabled(config)?;
    let organization_id = readable(db, me, named).await?;
    Ok(store::for_organization(db, &organization_id)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

pub async fn get(
    db: &Db,
    config: &Config,
    me: &Current,
    query: RoleKeyBody,
) -> ApiResult<RoleView> {
    enabled(config)?;
    let key = key_of(&query)?;
    let organization_id = readable(db, me, query.organization_id).await?;
    store::get(db, &organization_id, &key)
        .await?
        .map(view)
        .ok_or_else(role_not_found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::statements::built_in_organization_role;

    #[test]
    fn nobody_grants_what_they_lack() {
        let admin = built_in_organization_role("admin").unwrap();
        let asked = Statements::of(&[("organization", &["delete"]), ("member", &["update"])]);
        assert_eq!(
            missing(std::slice::from_ref(&admin), &asked),
            ["organization:delete"]
        );
        let owner = built_in_organization_role("owner").unwrap();
        assert!(missing(&[admin, owner], &asked).is_empty());
        // Several roles together cover what none covers alone.
        let a = Statements::of(&[("member", &["update"])]);
        let b = Statements::of(&[("organization", &["delete"])]);
        assert!(missing(&[a, b], &asked).is_empty());
    }

    fn catalog_pairs() -> Vec<(&'static str, &'static str)> {
        ORGANIZATION
            .resources
            .iter()
            .flat_map(|(r, actions)| actions.iter().map(move |a| (*r, *a)))
            .collect()
    }

    fn set(pairs: &[(&str, &str)]) -> Statements {
        let mut s = Statements::new();
        for (r, a) in pairs {
            s.insert(r, a);
        }
        s
    }

    proptest::proptest! {
        /// Over every catalog permission: what is missing is exactly what
        /// the asked set holds and none of the caller's roles does.
        #[test]
        fn missing_is_exactly_what_no_role_holds(
            roles in proptest::collection::vec(proptest::sample::subsequence(catalog_pairs(), 0..=catalog_pairs().len()), 0..4),
            asked in proptest::sample::subsequence(catalog_pairs(), 0..=catalog_pairs().len()),
        ) {
            let grants: Vec<Statements> = roles.iter().map(|r| set(r)).collect();
            let lacking = missing(&grants, &set(&asked));
            for (r, a) in &asked {
                let held = grants.iter().any(|g| g.allows(r, a));
                proptest::prop_assert_eq!(!held, lacking.contains(&format!("{r}:{a}")));
            }
            proptest::prop_assert!(lacking.len() <= asked.len());
        }
    }

    #[test]
    fn permissions_come_from_the_catalog() {
        let ok: PermissionMap = [("member".to_owned(), vec!["update".to_owned()])].into();
        assert!(statements(&ok).is_ok());
        let ghost: PermissionMap = [("spaceship".to_owned(), vec!["fly".to_owned()])].into();
        assert_eq!(statements(&ghost).unwrap_err().code, "INVALID_RESOURCE");
        let bad_action: PermissionMap = [("member".to_owned(), vec!["fly".to_owned()])].into();
        assert_eq!(
            statements(&bad_action).unwrap_err().code,
            "INVALID_RESOURCE"
        );
        assert_eq!(
            statements(&PermissionMap::new()).unwrap_err().code,
            "MISSING_FIELD"
        );
    }
}
