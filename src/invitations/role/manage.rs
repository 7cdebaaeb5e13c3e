//! Looking after role invitations: the invite form's options, the list,
//! canceling and resending, and the welcome page after accepting.

use std::collections::HashMap;

use serde_json::json;

use super::{
    create::{
        checked_redirect, created_response, invitation_email, unused_secret, Created, NewInvites,
    },
    CreateInviteResponse, InviteList, InviteOptions, InviteUseView, InviteView, PersonView,
    RoleInfo, Welcome, PAGE_SIZE,
};
use crate::{
    access::{
        ranks::{self, GrantRefusal},
        roles::{Permission, Role},
    },
    accounts::{
        store::{self as accounts, UserRow},
        StatusResponse,
    },
    audit,
    config::Config,
    email::{self, Cause},
    error::{ApiError, ApiResult, Code},
    invitations::{
        accept,
        secret::SecretKind,
        status::{expiry_words, Status},
        store::role::{self as store, InviteRow, ListFilter, UseRow},
        Kind,
    },
    server::{
        clock,
        db::{Db, Tx},
    },
};

fn role_info(role: &Role) -> RoleInfo {
    RoleInfo {
        name: role.name.clone(),
        description: role.description.clone(),
        abilities: role.abilities.clone(),
    }
}

/// What the invite form offers `me`: the roles they may grant, and the
/// instance's limits.
pub fn options(config: &Config, me: &UserRow) -> InviteOptions {
    let rule = config.invitations.rank_rule;
    InviteOptions {
        roles: ranks::grantable(&config.roles, rule, &me.role)
            .into_iter()
            .map(role_info)
            .collect(),
        default_expires_in: config.invitations.default_expiry.as_secs(),
        max_expires_in: config.invitations.max_expiry.as_secs(),
        default_token_type: config.invitations.default_kind,
    }
}

pub(super) fn person(u: &UserRow) -> PersonView {
    PersonView {
        id: u.id.clone(),
        name: u.name.clone(),
        email: u.email.clone(),
    }
}

/// An invitation as admins see it, with the uses among `uses` that are its
/// own; its creator is filled in by the caller.
pub(super) fn view_of(row: &InviteRow, uses: &[UseRow], now: i64) -> InviteView {
    InviteView {
        id: row.id.clone(),
        role: row.role.clone(),
        email: row.email.clone(),
        token_type: SecretKind::from_stored(&row.secret_kind),
        status: Status::at(&row.status, row.expires_at, row.uses, row.max_uses, now),
        max_uses: row.max_uses,
        uses: row.uses,
        expires_at: clock::rfc3339(row.expires_at),
        expires_in: expiry_words(row.expires_at, now),
        created_at: clock::rfc3339(row.created_at),
        created_by: None,
        redirect_to_after_upgrade: row.redirect_after_accept.clone(),
        share_inviter_name: row.share_inviter_name,
        used_by: uses
            .iter()
            .filter(|u| u.invitation_id == row.id)
            .map(|u| InviteUseView {
                user: PersonView {
                    id: u.user_id.clone(),
                    name: u.name.clone(),
                    email: u.email.clone(),
                },
                previous_role: u.previous_role.clone(),
                new_role: u.new_role.clone(),
                used_at: clock::rfc3339(u.created_at),
            })
            .collect(),
    }
}

/// The invitation `id`, when `me` may manage it: its creator, or anyone
/// whose role has `invite:cancel`.
async fn managed(config: &Config, tx: &mut Tx, me: &UserRow, id: &str) -> ApiResult<InviteRow> {
    let row = store::find_by_id(tx, id)
        .await?
        .ok_or_else(|| ApiError::new(Code::InvitationNotFound, "There is no such invitation."))?;
    let own = row.created_by.as_deref() == Some(me.id.as_str());
    if own || config.roles.allows(&me.role, Permission::InviteCancel) {
        Ok(row)
    } else {
        Err(ApiError::new(
            Code::Forbidden,
            "Only the person who created this invitation, or an admin, can change it.",
        ))
    }
}

fn not_pending(status: Status) -> ApiError {
    ApiError::new(
        Code::InvitationNotPending,
        format!(
            "This invitation is {} and can no longer be changed.",
            status.as_str()
        ),
    )
}

/// `invite/cancel`: a pending (or expired) invitation stops working.
pub async fn cancel(
    db: &Db,
    config: &Config,
    me: &UserRow,
    id: &str,
    ip: &str,
) -> ApiResult<StatusResponse> {
    let mut tx = db.begin().await?;
    let row = managed(config, &mut tx, me, id).await?;
    let status = Status::at(
        &row.status,
        row.expires_at,
        row.uses,
        row.max_uses,
        clock::now_ms(),
    );
    let why = "The invitation was canceled.";
    if !matches!(status, Status::Pending | Status::Expired)
        || !accept::close(&mut tx, Kind::Role, &row.id, Status::Canceled, why).await?
    {
        return Err(not_pending(status));
    }
    audit::record(
        &mut tx,
        audit::Event::new("invite.cancel")
            .actor(&me.id)
            .target(&row.id)
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusResponse {
        status: true,
        message: Some(why.into()),
    })
}

/// `invite/resend`: a fresh secret and expiry for a pending (or expired)
/// invitation; the old secret dies at once. A private one is emailed
/// again; a public one's new secret is in the answer, as at creation.
pub async fn resend(
    db: &Db,
    config: &Config,
    me: &UserRow,
    id: &str,
    ip: &str,
) -> ApiResult<CreateInviteResponse> {
    let mut tx = db.begin().await?;
    let row = managed(config, &mut tx, me, id).await?;
    let now = clock::now_ms();
    let status = Status::at(&row.status, row.expires_at, row.uses, row.max_uses, now);
    if !matches!(status, Status::Pending | Status::Expired) {
        return Err(not_pending(status));
    }
    // Resending is creating again: the same rank rules apply today.
    ranks::may_grant(
        &config.roles,
        config.invitations.rank_rule,
        &me.role,
        &row.role,
    )?;
    let kind = SecretKind::from_stored(&row.secret_kind);
    let expires_in_ms = clock::ms(config.invitations.default_expiry);
    let (secret, hash) = unused_secret(&mut tx, config, kind).await?;
    if !store::replace_secret(&mut tx, &row.id, &hash, now + expires_in_ms, &me.id).await? {
        return Err(not_pending(status));
    }
    accept::forget_secret(
        &mut tx,
        Kind::Role,
        &row.id,
        "The invitation was sent again with a new link; this one no longer works.",
    )
    .await?;
    let url = config.link(&format!("/invite/{secret}"));
    if let Some(to) = &row.email {
        let role = config
            .roles
            .get(&row.role)
            .ok_or_else(|| ApiError::from(GrantRefusal::UnknownRole(row.role.clone())))?;
        let has_account = accounts::find_by_email_tx(&mut tx, to).await?.is_some();
        let spec = NewInvites {
            role: row.role.clone(),
            emails: vec![],
            kind,
            max_uses: row.max_uses,
            expires_in_ms,
            redirect: row.redirect_after_accept.clone(),
            share_inviter_name: row.share_inviter_name,
            setup: false,
        };
        let message = invitation_email(
            &spec,
            role,
            Some(me),
            to,
            &row.id,
            &secret,
            &url,
            !has_account,
        )
        .expiring_at(now + expires_in_ms);
        email::enqueue(&mut tx, config, &message, Cause::Admin).await?;
    }
    // The resender's authority replaces the creator's (SPEC §3 "Accounts" 3).
    audit::record(
        &mut tx,
        audit::Event::new("invite.resend")
            .actor(&me.id)
            .target(&row.id)
            .before(json!({ "createdBy": row.created_by, "byInstance": row.by_instance }))
            .after(json!({ "createdBy": me.id }))
            .ip(ip),
    )
    .await?;
    let fresh = store::find_by_id(&mut tx, &row.id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    let public = fresh.email.is_none();
    Ok(created_response(
        vec![Created {
            row: fresh,
            secret,
            url,
        }],
        Some(me),
        public,
    ))
}

/// The list's filter, checked: a status and an email fragment.
pub struct Filter {
    status: Option<Status>,
    search: String,
}

impl Filter {
    pub fn parse(status: Option<&str>, search: Option<&str>) -> ApiResult<Self> {
        let status = match status.map(str::trim) {
            None | Some("") | Some("all") => None,
            Some(s) => Some(Status::parse(s).ok_or_else(|| {
                ApiError::new(
                    Code::InvalidStatus,
                    format!(
                        "`{s}` is not a status; use pending, used, canceled, rejected or expired."
                    ),
                )
            })?),
        };
        Ok(Self {
            status,
            search: search.unwrap_or_default().to_owned(),
        })
    }
}

/// `invite/list`: a page of invitations, newest first, with their uses and
/// creators.
pub async fn list(
    db: &Db,
    filter: &Filter,
    limit: Option<u32>,
    offset: Option<u32>,
) -> ApiResult<InviteList> {
    let now = clock::now_ms();
    let limit = i64::from(limit.unwrap_or(PAGE_SIZE).clamp(1, 100));
    let (rows, total, uses) = store::list(
        db,
        ListFilter {
            status: filter.status.map(Status::as_str),
            search: &filter.search,
        },
        limit,
        i64::from(offset.unwrap_or(0)),
        now,
    )
    .await?;
    let mut creators: HashMap<String, Option<PersonView>> = HashMap::new();
    let mut invitations = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut v = view_of(row, &uses, now);
        if let Some(id) = &row.created_by {
            if !creators.contains_key(id) {
                let user = accounts::get_user(db, id).await?;
                creators.insert(id.clone(), user.as_ref().map(person));
            }
            v.created_by = creators[id].clone();
        }
        invitations.push(v);
    }
    Ok(InviteList { invitations, total })
}

/// The welcome page: `me`'s role in words, and where to go next (a
/// redirect only to this site or a trusted origin).
pub fn welcome(config: &Config, me: &UserRow, next: Option<String>) -> Welcome {
    let role = config
        .roles
        .get(&me.role)
        .map(role_info)
        .unwrap_or_else(|| RoleInfo {
            name: me.role.clone(),
            description: String::new(),
            abilities: vec![],
        });
    let next = next
        .filter(|n| checked_redirect(config, n.clone()).is_ok())
        .unwrap_or_else(|| "/dashboard".to_owned());
    Welcome {
        role,
        next,
        name: me.name.clone(),
    }
}
