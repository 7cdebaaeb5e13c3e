//! Making role invitations: the request checked into `NewInvites`, then
//! each invitation, its secret, its email and its audit event written in
//! one transaction.

use serde_json::json;

use super::{
    manage::{person, view_of},
    CreateBulkBody, CreateInviteBody, CreateInviteResponse, OneOrMany,
};
use crate::{
    access::{
        ranks::{self, GrantRefusal},
        roles::Role,
    },
    accounts::{
        domain::Email,
        required,
        store::{self as accounts, UserRow},
    },
    audit,
    config::Config,
    email::{self, templates, Cause},
    error::{ApiError, ApiResult, Code},
    invitations::{
        bulk::{self, BulkResponse, BulkResult, BulkRow},
        secret::{self, display_code, Hashes, SecretKind},
        store::role::{self as store, InviteRow, NewInvite},
    },
    server::{
        clock, crypto,
        db::{Db, Tx},
    },
};

/// At most this many addresses per request: one form, not a mailing list.
const MAX_EMAILS: usize = 50;

/// A request for invitations, checked: what `create` and the CLI share.
pub struct NewInvites {
    pub role: String,
    /// Empty: one public invitation.
    pub emails: Vec<Email>,
    pub kind: SecretKind,
    pub max_uses: Option<i64>,
    pub expires_in_ms: i64,
    pub redirect: Option<String>,
    pub share_inviter_name: bool,
    /// A first-run setup link.
    pub setup: bool,
}

/// An invitation just made, with its secret (shown once, never stored).
pub struct Created {
    pub row: InviteRow,
    pub secret: String,
    pub url: String,
}

impl NewInvites {
    /// Checks a body against the configuration: bad input gets a specific
    /// error before anything is written.
    pub fn from_body(config: &Config, body: CreateInviteBody) -> ApiResult<Self> {
        let role = required(&body.role, "role")?.trim().to_owned();
        let raw_emails = match body.email {
            None => vec![],
            Some(OneOrMany::One(e)) if e.trim().is_empty() => vec![],
            Some(OneOrMany::One(e)) => vec![e],
            Some(OneOrMany::Many(list)) => list,
        };
        // The cap comes first, counting repeats, so a huge list is refused
        // before any address is read; then repeats go through a set.
        let given: Vec<&String> = raw_emails.iter().filter(|e| !e.trim().is_empty()).collect();
        if given.len() > MAX_EMAILS {
            return Err(ApiError::new(
                Code::TooManyEmails,
                format!("Invite at most {MAX_EMAILS} addresses at a time."),
            ));
        }
        let mut seen = std::collections::HashSet::with_capacity(given.len());
        let mut emails: Vec<Email> = Vec::with_capacity(given.len());
        for raw in given {
            let email = Email::parse(raw)?;
            if seen.insert(email.as_str().to_owned()) {
                emails.push(email);
            }
        }
        let body_asked_code = body.token_type.as_deref().map(str::trim) == Some("code");
        let kind = match body.token_type.as_deref().map(str::trim) {
            None | Some("") => config.invitations.default_kind,
            Some("token" | "link") => SecretKind::Link,
            Some("code") => SecretKind::Code,
            Some(other) => {
                return Err(ApiError::new(
                    Code::InvalidTokenType,
                    format!("`{other}` is not a token type; use `token` (a link) or `code`."),
                ))
            }
        };
        // A code is short enough to guess, and whoever uses a private
        // invitation gets its address's account: those travel as links.
        if body_asked_code && !emails.is_empty() {
            return Err(ApiError::new(
                Code::InvalidTokenType,
                "Codes are for public invitations; an invitation sent to an email address carries a link.",
            ));
        }
        let kind = if emails.is_empty() {
            kind
        } else {
            SecretKind::Link
        };
        let max_ms = clock::ms(config.invitations.max_expiry);
        let expires_in_ms = match body.expires_in {
            None => clock::ms(config.invitations.default_expiry),
            Some(secs) if secs > 0 && secs.saturating_mul(1000) <= max_ms => secs * 1000,
            Some(_) => {
                return Err(ApiError::new(
                    Code::InvalidExpiry,
                    format!(
                        "An invitation expires between 1 second and {} from now.",
                        templates::spoken(config.invitations.max_expiry)
                    ),
                ))
            }
        };
        let max_uses = match (body.max_uses, emails.is_empty()) {
            (Some(n), _) if n < 1 => {
                return Err(ApiError::new(
                    Code::InvalidMaxUses,
                    "Max uses must be at least 1.",
                ))
            }
            // A private invitation is for one person, once.
            (Some(n), false) if n != 1 => {
                return Err(ApiError::new(
                    Code::InvalidMaxUses,
                    "An invitation for an email address is used once, by that person.",
                ))
            }
            (_, false) => Some(1),
            (n, true) => n,
        };
        let redirect = body
            .redirect_to_after_upgrade
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .map(|r| checked_redirect(config, r))
            .transpose()?;
        Ok(Self {
            role,
            emails,
            kind,
            max_uses,
            expires_in_ms,
            redirect,
            share_inviter_name: body.share_inviter_name.unwrap_or(true),
            setup: false,
        })
    }
}

/// Where to send people after they accept: a path here, or a page of this
/// instance or a trusted origin. Anything else would make invitations a way
/// to bounce people to a stranger's site.
pub(super) fn checked_redirect(config: &Config, r: String) -> ApiResult<String> {
    match config.redirect_target(&r) {
        Some(_) => Ok(r),
        None => Err(ApiError::new(
            Code::InvalidRedirectUrl,
            "The redirect must be a path on this site or a page of a trusted origin.",
        )),
    }
}

/// A secret no invitation has yet. Link tokens never collide; a code (40
/// bits) could, so a taken one is redrawn. The unique index on the hash
/// stands behind this check.
pub(super) async fn unused_secret(
    tx: &mut Tx,
    config: &Config,
    kind: SecretKind,
) -> ApiResult<(String, String)> {
    for _ in 0..5 {
        let secret = secret::draw(kind);
        let hashes = Hashes::of(&config.secret_key, kind, &secret);
        if store::find_by_hash(&mut **tx, &hashes).await?.is_none() {
            return Ok((secret, hashes.current));
        }
    }
    tracing::error!("five invitation secrets in a row were taken");
    Err(ApiError::internal())
}

/// Creates the invitations and queues their emails, in one transaction.
/// `creator` None is the instance itself (first run, CLI).
pub async fn create_invitations(
    db: &Db,
    config: &Config,
    spec: &NewInvites,
    creator: Option<&UserRow>,
    ip: Option<&str>,
) -> ApiResult<Vec<Created>> {
    let mut tx = db.begin().await?;
    let created = create_invitations_in(&mut tx, config, spec, creator, ip).await?;
    tx.commit().await?;
    Ok(created)
}

/// `create_invitations` inside the caller's transaction.
pub(super) async fn create_invitations_in(
    tx: &mut Tx,
    config: &Config,
    spec: &NewInvites,
    creator: Option<&UserRow>,
    ip: Option<&str>,
) -> ApiResult<Vec<Created>> {
    let role = config
        .roles
        .get(&spec.role)
        .ok_or_else(|| ApiError::from(GrantRefusal::UnknownRole(spec.role.clone())))?;
    let now = clock::now_ms();
    let mut created = Vec::new();
    let targets: Vec<Option<&Email>> = if spec.emails.is_empty() {
        vec![None]
    } else {
        spec.emails.iter().map(Some).collect()
    };
    for email in targets {
        let id = crypto::new_id();
        let (secret, hash) = unused_secret(tx, config, spec.kind).await?;
        let row = NewInvite {
            id: &id,
            token_hash: &hash,
            secret_kind: spec.kind.as_str(),
            role: &role.name,
            email: email.map(Email::as_str),
            max_uses: spec.max_uses,
            expires_at: now + spec.expires_in_ms,
            created_by: creator.map(|c| c.id.as_str()),
            redirect_after_accept: spec.redirect.as_deref(),
            share_inviter_name: spec.share_inviter_name,
            setup: spec.setup,
        };
        store::insert(tx, &row).await?;
        let url = config.link(&format!("/invite/{secret}"));
        if let Some(email) = email {
            let has_account = accounts::find_by_email_tx(tx, email.as_str())
                .await?
                .is_some();
            let message = invitation_email(
                spec,
                role,
                creator,
                email.as_str(),
                &id,
                &secret,
                &url,
                !has_account,
            )
            .expiring_at(now + spec.expires_in_ms);
            email::enqueue(tx, config, &message, Cause::Admin).await?;
        }
        let mut event = audit::Event::new("invite.create");
        event.actor_id = creator.map(|c| c.id.as_str());
        event.ip = ip;
        audit::record(
            tx,
            event.target(&id).after(json!({
                "role": role.name,
                "email": email.map(Email::as_str),
                "tokenType": spec.kind.as_str(),
                "maxUses": spec.max_uses,
                "expiresAt": clock::rfc3339(now + spec.expires_in_ms),
            })),
        )
        .await?;
        let row = store::find_by_id(tx, &id)
            .await?
            .ok_or_else(ApiError::internal)?;
        created.push(Created { row, secret, url });
    }
    Ok(created)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn invitation_email(
    spec: &NewInvites,
    role: &Role,
    creator: Option<&UserRow>,
    to: &str,
    id: &str,
    secret: &str,
    url: &str,
    new_account: bool,
) -> email::Message {
    templates::role_invitation(templates::RoleInvitation {
        to,
        inviter: creator
            .filter(|_| spec.share_inviter_name)
            .map(|c| c.name.as_str()),
        role: &role.name,
        role_description: &role.description,
        link: url,
        token: secret,
        expires_in: &templates::spoken(std::time::Duration::from_millis(
            u64::try_from(spec.expires_in_ms).unwrap_or(0),
        )),
        invite_id: id,
        new_account,
    })
}

/// `invite/create`: the invitations `me` asks for, within what their role
/// may grant.
pub async fn create(
    db: &Db,
    config: &Config,
    me: &UserRow,
    body: CreateInviteBody,
    ip: &str,
) -> ApiResult<CreateInviteResponse> {
    let spec = NewInvites::from_body(config, body)?;
    ranks::may_grant(
        &config.roles,
        config.invitations.rank_rule,
        &me.role,
        &spec.role,
    )?;
    let created = create_invitations(db, config, &spec, Some(me), Some(ip)).await?;
    Ok(created_response(created, Some(me), spec.emails.is_empty()))
}

/// `invite/create-bulk`: up to 500 people, each invited by email with
/// their own role and result. A person who already has the role (or a
/// higher one) or an open invitation is not invited again, unless
/// `resend` asks to send that invitation again.
pub async fn create_bulk(
    db: &Db,
    config: &Config,
    me: &UserRow,
    body: CreateBulkBody,
    ip: &str,
) -> ApiResult<BulkResponse> {
    let rows = bulk::checked(body.invitations)?;
    if ranks::grantable(&config.roles, config.invitations.rank_rule, &me.role).is_empty() {
        return Err(GrantRefusal::NoPermission.into());
    }
    let resend = body.resend.unwrap_or(false);
    bulk::each_row(rows, |row| async move {
        invite_row(db, config, me, &row, resend, ip).await
    })
    .await
}

async fn invite_row(
    db: &Db,
    config: &Config,
    me: &UserRow,
    row: &BulkRow,
    resend: bool,
    ip: &str,
) -> ApiResult<BulkResult> {
    let email = Email::parse(&row.email)?;
    if row.team_id.is_some() {
        return Err(ApiError::new(
            Code::TeamNotFound,
            "Invitations to the instance put nobody in a team: leave the team out.",
        ));
    }
    let role = match &row.role {
        Some(OneOrMany::One(r)) => r.trim(),
        Some(OneOrMany::Many(list)) if list.len() == 1 => list[0].trim(),
        _ => {
            return Err(ApiError::new(
                Code::InvalidRole,
                "Name one role for each person.",
            ))
        }
    };
    ranks::may_grant(&config.roles, config.invitations.rank_rule, &me.role, role)?;
    if let Some(user) = accounts::find_by_email(db, email.as_str()).await? {
        if ranks::outranks_or_equals(&config.roles, &user.role, role) {
            return Err(ApiError::new(
                Code::RoleAlreadyGranted,
                format!(
                    "{email} already has the role {} or a higher one.",
                    user.role
                ),
            ));
        }
    }
    let done = |id, resent| BulkResult::sent(email.as_str().to_owned(), id, resent);
    if let Some(id) = store::open_for_email(db, email.as_str(), clock::now_ms()).await? {
        if !resend {
            return Err(ApiError::new(
                Code::UserIsAlreadyInvitedToThisOrganization,
                format!("{email} has an open invitation already; send it again to renew its link."),
            ));
        }
        super::manage::resend(db, config, me, &id, ip).await?;
        return Ok(done(id, true));
    }
    let spec = NewInvites {
        role: role.to_owned(),
        emails: vec![email.clone()],
        kind: SecretKind::Link,
        max_uses: Some(1),
        expires_in_ms: clock::ms(config.invitations.default_expiry),
        redirect: None,
        share_inviter_name: true,
        setup: false,
    };
    let created = create_invitations(db, config, &spec, Some(me), Some(ip)).await?;
    let id = created
        .first()
        .map(|c| c.row.id.clone())
        .ok_or_else(ApiError::internal)?;
    Ok(done(id, false))
}

/// better-invite's answer: a public invitation's secret in `message`, or a
/// sentence for private ones, whose secrets go only by email.
pub(super) fn created_response(
    created: Vec<Created>,
    creator: Option<&UserRow>,
    public: bool,
) -> CreateInviteResponse {
    let now = clock::now_ms();
    let views = created
        .iter()
        .map(|c| super::InviteView {
            created_by: creator.map(person),
            ..view_of(&c.row, &[], now)
        })
        .collect();
    match (public, created.first()) {
        (true, Some(c)) => CreateInviteResponse {
            status: true,
            message: c.secret.clone(),
            url: Some(c.url.clone()),
            code: (c.row.secret_kind == "code").then(|| display_code(&c.secret)),
            invitations: views,
        },
        _ => CreateInviteResponse {
            status: true,
            message: match created.len() {
                1 => "The invitation was sent".to_owned(),
                n => format!("{n} invitations were sent"),
            },
            url: None,
            code: None,
            invitations: views,
        },
    }
}
