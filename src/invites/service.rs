//! The server side of role invitations. Each endpoint reads the request
//! context, checks the policy, and makes its change in one transaction with
//! an audit event (and, for private invitations, the email).

use std::collections::HashMap;

use rand::{rngs::OsRng, RngCore};
use serde_json::json;

use super::{
    domain::{
        code_from_bytes, display_code, expiry_words, next_step, InviteStatus, NextStep, Secret,
        SecretKind,
    },
    policy::{self, InviterNow},
    store::{self, InviteRow, ListFilter, NewInvite, UseRow},
    ActivateResponse, CreateInviteBody, CreateInviteResponse, IdBody, InviteList, InviteOptions,
    InvitePreview, InviteUseView, InviteView, InviterView, OneOrMany, PersonView,
    PreviewInvitation, RoleInfo, TokenBody, Welcome, PAGE_SIZE,
};
use crate::{
    accounts::{
        domain::Email,
        required,
        store::{self as accounts, UserRow},
        StatusResponse,
    },
    audit,
    config::Config,
    context::RequestContext,
    email::{self, outbox, templates, Cause},
    error::{ApiError, ApiResult, Code},
    roles::{Permission, Role},
    server::{
        clock, crypto,
        db::{is_unique_violation, Backend, Db, Tx},
        rate_limit,
    },
};

/// At most this many addresses per request: one form, not a mailing list.
const MAX_EMAILS: usize = 50;

fn invalid_token() -> ApiError {
    ApiError::new(
        Code::InvalidInvitationToken,
        "This invitation link or code is not valid.",
    )
}

fn role_info(role: &Role) -> RoleInfo {
    RoleInfo {
        name: role.name.clone(),
        description: role.description.clone(),
        abilities: role.abilities.clone(),
    }
}

pub async fn options() -> ApiResult<InviteOptions> {
    let cx = RequestContext::current()?;
    let me = cx.require(Permission::InviteCreate).await?;
    let config = cx.config();
    let rule = config.invitations.rank_rule;
    Ok(InviteOptions {
        roles: policy::grantable(&config.roles, rule, &me.user.role)
            .into_iter()
            .map(role_info)
            .collect(),
        default_expires_in: config.invitations.default_expiry.as_secs(),
        max_expires_in: config.invitations.max_expiry.as_secs(),
        default_token_type: config.invitations.default_kind,
    })
}

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
fn checked_redirect(config: &Config, r: String) -> ApiResult<String> {
    match config.redirect_target(&r) {
        Some(_) => Ok(r),
        None => Err(ApiError::new(
            Code::InvalidRedirectUrl,
            "The redirect must be a path on this site or a page of a trusted origin.",
        )),
    }
}

fn new_secret(kind: SecretKind) -> String {
    match kind {
        SecretKind::Link => crypto::new_token(),
        SecretKind::Code => {
            let mut bytes = [0u8; 5];
            OsRng.fill_bytes(&mut bytes);
            code_from_bytes(bytes)
        }
    }
}

/// What the database keeps of an invitation secret. A link token (256
/// bits) is safe under plain SHA-256; a code (40 bits) could be found from
/// a plain hash by trying them all, so it is an HMAC under the instance key,
/// which is not in the database.
pub struct SecretHashes {
    pub current: String,
    /// Codes made before keyed hashing was stored as plain SHA-256; they are
    /// still found until they expire (at most `invitations.max_expiry`).
    pub legacy: Option<String>,
}

fn secret_hashes(config: &Config, kind: SecretKind, secret: &str) -> SecretHashes {
    match kind {
        SecretKind::Link => SecretHashes {
            current: crypto::hash_token(secret),
            legacy: None,
        },
        SecretKind::Code => SecretHashes {
            current: config.secret_key.hash_code(secret),
            legacy: Some(crypto::hash_token(secret)),
        },
    }
}

/// A secret no invitation has yet. Link tokens never collide; a code (40
/// bits) could, so a taken one is redrawn. The unique index on the hash
/// stands behind this check.
async fn unused_secret(
    tx: &mut Tx,
    config: &Config,
    kind: SecretKind,
) -> ApiResult<(String, String)> {
    for _ in 0..5 {
        let secret = new_secret(kind);
        let hashes = secret_hashes(config, kind, &secret);
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
async fn create_invitations_in(
    tx: &mut Tx,
    config: &Config,
    spec: &NewInvites,
    creator: Option<&UserRow>,
    ip: Option<&str>,
) -> ApiResult<Vec<Created>> {
    let role = config
        .roles
        .get(&spec.role)
        .ok_or_else(|| ApiError::from(policy::GrantRefusal::UnknownRole(spec.role.clone())))?;
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
fn invitation_email(
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

pub async fn create(body: CreateInviteBody) -> ApiResult<CreateInviteResponse> {
    let cx = RequestContext::current()?;
    let me = cx.signed_in().await?;
    let config = cx.config();
    let spec = NewInvites::from_body(config, body)?;
    policy::may_grant(
        &config.roles,
        config.invitations.rank_rule,
        &me.user.role,
        &spec.role,
    )?;
    let created =
        create_invitations(cx.db(), config, &spec, Some(&me.user), Some(&cx.ip())).await?;
    if !spec.emails.is_empty() {
        cx.state.mail.wake();
    }
    Ok(created_response(
        created,
        Some(&me.user),
        spec.emails.is_empty(),
    ))
}

fn created_response(
    created: Vec<Created>,
    creator: Option<&UserRow>,
    public: bool,
) -> CreateInviteResponse {
    let now = clock::now_ms();
    let views = created
        .iter()
        .map(|c| InviteView {
            created_by: creator.map(person),
            ..view_without_creator(&c.row, &[], now)
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

fn person(u: &UserRow) -> PersonView {
    PersonView {
        id: u.id.clone(),
        name: u.name.clone(),
        email: u.email.clone(),
    }
}

/// Finds the invitation a secret belongs to. Codes are short enough to
/// guess at, so each address has a budget of failed code lookups: a miss
/// spends from it, and once it is spent every code lookup, right or wrong,
/// gets the same refusal. An unknown code, an expired one and a canceled one
/// get the very same answer, so a guesser learns nothing; someone holding a
/// good code never spends anything.
async fn find_by_secret(cx: &RequestContext, raw: &str) -> ApiResult<(Secret, InviteRow)> {
    let secret = Secret::parse(raw).map_err(|e| match e.code {
        // A malformed code is worth explaining; anything else is just invalid.
        Code::InvalidCode if raw.trim().len() <= 12 => e,
        _ => invalid_token(),
    })?;
    let config = cx.config();
    let hashes = secret_hashes(config, secret.kind(), secret.as_str());
    let found = store::find_by_hash(cx.db().pool(), &hashes).await?;
    if secret.kind() == SecretKind::Link {
        return found.map(|row| (secret, row)).ok_or_else(invalid_token);
    }
    // Two budgets of failed lookups: this address's (so one guesser is
    // stopped) and everyone's together (so many addresses cannot add up to
    // a brute-force pass; when it is spent, codes wait for a while, links
    // keep working).
    let now = clock::now_ms();
    let budgets = [
        (
            format!("invite-code:{}", cx.bucket()),
            config.rate_limits.invite_code,
        ),
        (
            "invite-code-all".to_owned(),
            config.rate_limits.invite_code_global,
        ),
    ];
    let usable = found.filter(|row| {
        InviteStatus::at(&row.status, row.expires_at, row.uses, row.max_uses, now)
            == InviteStatus::Pending
    });
    // Every lookup takes its slots first, so that a burst of guesses
    // cannot all pass a check made before any of them spent; a good code
    // gives them back.
    for (key, limit) in &budgets {
        if rate_limit::spend(cx.db().pool(), key, *limit, now)
            .await?
            .is_some()
        {
            tracing::info!(key = %key, "invitation code budget spent");
            return Err(too_many_code_attempts());
        }
    }
    match usable {
        Some(row) => {
            for (key, _) in &budgets {
                rate_limit::refund(cx.db(), key).await?;
            }
            Ok((secret, row))
        }
        None => Err(invalid_token()),
    }
}

fn too_many_code_attempts() -> ApiError {
    ApiError {
        message: "Too many invitation codes were tried from here. Please wait a few minutes."
            .into(),
        ..ApiError::too_many_requests()
    }
}

async fn inviter_of(db: &Db, row: &InviteRow) -> ApiResult<Option<UserRow>> {
    Ok(match &row.created_by {
        Some(id) => accounts::get_user(db, id).await?,
        None => None,
    })
}

fn secret_kind_is_code(row: &InviteRow) -> bool {
    SecretKind::from_stored(&row.secret_kind) == SecretKind::Code
}

fn inviter_now(u: &UserRow) -> InviterNow<'_> {
    InviterNow {
        role: &u.role,
        disabled: u.disabled,
    }
}

/// SPEC §3 "Accounts" 3: an invitation acts with its creator's authority as
/// it is now. One made by the instance stands while its role exists; one
/// whose creator is gone (`creator` None) is void.
fn authority_holds(config: &Config, row: &InviteRow, creator: Option<&UserRow>) -> bool {
    let now = match (row.by_instance, creator) {
        (true, _) => None,
        (false, Some(creator)) => Some(inviter_now(creator)),
        (false, None) => return false,
    };
    policy::inviter_still_allowed(&config.roles, config.invitations.rank_rule, now, &row.role)
}

/// The 410 of an invitation (role or organization) whose inviter can no
/// longer grant it.
pub(crate) fn inviter_lost_rights() -> ApiError {
    ApiError::new(
        Code::InviterNoLongerAllowed,
        "The person who sent this invitation can no longer grant this role.",
    )
}

pub async fn preview(token: String) -> ApiResult<InvitePreview> {
    let cx = RequestContext::current()?;
    let config = cx.config();
    let (secret, row) = find_by_secret(&cx, &token).await?;
    let now = clock::now_ms();
    let status = InviteStatus::at(&row.status, row.expires_at, row.uses, row.max_uses, now);
    let inviter = inviter_of(cx.db(), &row).await?;
    let inviter_ok = authority_holds(config, &row, inviter.as_ref());
    let reason = match status.refusal() {
        Some(e) => Some(e.message),
        None if !inviter_ok => Some(inviter_lost_rights().message),
        None => None,
    };
    let viewer = cx.session().await?;
    let has_account = match &row.email {
        Some(e) => accounts::find_by_email(cx.db(), e).await?.is_some(),
        None => false,
    };
    let viewer_outranks = viewer
        .as_ref()
        .is_some_and(|v| policy::outranks_or_equals(&config.roles, &v.user.role, &row.role));
    let step = next_step(
        reason.is_none(),
        row.email.as_deref(),
        has_account,
        viewer.as_ref().map(|v| v.user.email.as_str()),
        viewer_outranks,
        // A private invitation's link proves its addressee's mailbox
        // (SPEC §3 "Accounts" 2): no second verification email.
        viewer.as_ref().is_some_and(|v| v.user.email_verified) || proves_mailbox(&secret),
    );
    // Someone else signed in learns only that the invitation is not theirs:
    // not the address, nor whether it has an account.
    let for_someone_else = step == NextStep::SwitchAccount;
    let is_code = secret_kind_is_code(&row);
    let role = config.roles.get(&row.role);
    Ok(InvitePreview {
        status: true,
        inviter: inviter
            .filter(|_| row.share_inviter_name)
            .map(|u| InviterView {
                name: u.name,
                // A code can be guessed; its holder gets the inviter's name only.
                email: if is_code { String::new() } else { u.email },
                image: u.image,
            }),
        invitation: PreviewInvitation {
            id: row.id.clone(),
            email: row.email.clone().filter(|_| !for_someone_else),
            emails: row
                .email
                .iter()
                .filter(|_| !for_someone_else)
                .cloned()
                .collect(),
            role: row.role.clone(),
            role_description: role.map(|r| r.description.clone()).unwrap_or_default(),
            abilities: role.map(|r| r.abilities.clone()).unwrap_or_default(),
            created_at: clock::rfc3339(row.created_at),
            expires_at: clock::rfc3339(row.expires_at),
            expires_in: expiry_words(row.expires_at, now),
            status,
            redirect_to: row.redirect_after_accept.clone(),
            new_account: match (&row.email, &viewer) {
                (Some(_), _) if for_someone_else => None,
                (Some(_), _) => Some(!has_account),
                (None, Some(_)) => Some(false),
                (None, None) => None,
            },
            token_type: SecretKind::from_stored(&row.secret_kind),
        },
        next_step: step,
        reason,
        viewer_email: viewer.as_ref().map(|v| v.user.email.clone()),
        viewer_role: viewer.map(|v| v.user.role),
    })
}

/// Checks and takes one use of an invitation inside `tx`, for `email`;
/// returns the invitation. Everything that can refuse is checked here, so
/// sign-up and acceptance share one gate.
async fn redeem(
    tx: &mut Tx,
    config: &Config,
    secret: &Secret,
    email: &str,
) -> ApiResult<InviteRow> {
    let row = store::find_by_hash(
        &mut **tx,
        &secret_hashes(config, secret.kind(), secret.as_str()),
    )
    .await?
    .ok_or_else(invalid_token)?;
    let now = clock::now_ms();
    let status = InviteStatus::at(&row.status, row.expires_at, row.uses, row.max_uses, now);
    if let Some(refusal) = status.refusal() {
        return Err(if secret.kind() == SecretKind::Code {
            invalid_token()
        } else {
            refusal
        });
    }
    if row.email.as_deref().is_some_and(|to| to != email) {
        return Err(ApiError::new(
            Code::YouAreNotTheRecipientOfTheInvitation,
            "This invitation is for another email address.",
        ));
    }
    let inviter = match &row.created_by {
        Some(id) => accounts::find_by_id(tx, id).await?,
        None => None,
    };
    if !authority_holds(config, &row, inviter.as_ref()) {
        return Err(inviter_lost_rights());
    }
    if !store::take_use(tx, &row.id, now).await? {
        // Another acceptance took the last use between our read and now.
        return Err(InviteStatus::Used.refusal().unwrap_or_else(invalid_token));
    }
    // A private invitation is used once, by its addressee: the copy of its
    // link waiting in the outbox is spent with it.
    if row.email.is_some() || row.max_uses == Some(row.uses + 1) {
        outbox::forget_secret(
            tx,
            outbox::INVITATION_KINDS,
            &row.id,
            "The invitation was used; its link no longer works.",
        )
        .await?;
    }
    Ok(row)
}

/// Whether using the invitation by this secret proves the addressee's
/// mailbox: a link (long, sent only there) does; a short code, which can
/// be guessed, does not.
fn proves_mailbox(secret: &Secret) -> bool {
    secret.kind() == SecretKind::Link
}

/// What an invitation gives a new account made with it.
pub struct Grant {
    pub invite_id: String,
    pub role: String,
    /// A private link reached its addressee's mailbox: the email is proven.
    pub verifies_email: bool,
}

/// The invitation part of `sign-up/email` with `inviteToken`: runs inside the
/// sign-up transaction, before the user is inserted.
pub async fn redeem_for_sign_up(
    tx: &mut Tx,
    config: &Config,
    secret: &Secret,
    email: &str,
) -> ApiResult<Grant> {
    let row = redeem(tx, config, secret, email).await?;
    Ok(Grant {
        verifies_email: row.email.is_some() && proves_mailbox(secret),
        invite_id: row.id,
        role: row.role,
    })
}

/// Checks a sign-up's invitation before any work is done, for the rate limit
/// on codes and a clear early error.
pub async fn precheck_sign_up(cx: &RequestContext, raw: &str) -> ApiResult<Secret> {
    find_by_secret(cx, raw).await.map(|(secret, _)| secret)
}

pub async fn activate(body: TokenBody) -> ApiResult<ActivateResponse> {
    let cx = RequestContext::current()?;
    let me = cx.signed_in().await?;
    let config = cx.config();
    let (secret, found) = find_by_secret(&cx, required(&body.token, "token")?).await?;
    if policy::outranks_or_equals(&config.roles, &me.user.role, &found.role) {
        return Err(policy::keeps_role_error(&me.user.role, &found.role));
    }
    let ip = cx.ip();
    let mut tx = cx.db().begin().await?;
    let row = redeem(&mut tx, config, &secret, &me.user.email).await?;
    // The role may have changed since the session was read.
    let current = accounts::find_by_id(&mut tx, &me.user.id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    // SPEC §3 "Accounts" 2: someone else may have signed up with this
    // address (open sign-up does not prove it), so a private invitation
    // goes only to an account whose owner proved the mailbox. Its emailed
    // link is such a proof: accepting by it verifies the address.
    let verifies_email = row.email.is_some() && !current.email_verified;
    if verifies_email {
        if !proves_mailbox(&secret) {
            return Err(crate::accounts::verification_required());
        }
        accounts::mark_email_verified(&mut tx, &current.id).await?;
    }
    if policy::outranks_or_equals(&config.roles, &current.role, &row.role) {
        return Err(policy::keeps_role_error(&current.role, &row.role));
    }
    match store::record_use(
        &mut tx,
        &row.id,
        &current.id,
        Some(&current.role),
        &row.role,
    )
    .await
    {
        Err(e) if is_unique_violation(&e) => {
            return Err(ApiError::new(
                Code::InvitationAlreadyUsedByYou,
                "You have already used this invitation.",
            ))
        }
        other => other?,
    }
    if !accounts::change_role(&mut tx, &current.id, &current.role, &row.role).await? {
        return Err(crate::roles::changed_meanwhile());
    }
    audit::record(
        &mut tx,
        audit::Event::new("invite.accept")
            .actor(&current.id)
            .target(&row.id)
            .before(json!({ "role": current.role }))
            .after(json!({ "role": row.role, "emailVerified": verifies_email }))
            .ip(&ip),
    )
    .await?;
    tx.commit().await?;
    Ok(ActivateResponse {
        status: true,
        previous_role: current.role,
        redirect_to: row
            .redirect_after_accept
            .unwrap_or_else(|| "/dashboard".to_owned()),
        role: row.role,
    })
}

pub async fn reject(body: TokenBody) -> ApiResult<StatusResponse> {
    let cx = RequestContext::current()?;
    let (_, row) = find_by_secret(&cx, required(&body.token, "token")?).await?;
    let Some(addressee) = &row.email else {
        return Err(ApiError::new(
            Code::CannotRejectPublicInvitation,
            "A public invitation cannot be declined; simply don't use it.",
        ));
    };
    // The secret of a private invitation went only to its addressee, so
    // holding it is enough, unless someone else is signed in.
    let viewer = cx.session().await?;
    if viewer.as_ref().is_some_and(|v| &v.user.email != addressee) {
        return Err(ApiError::new(
            Code::YouAreNotTheRecipientOfTheInvitation,
            "This invitation is for another email address.",
        ));
    }
    let now = clock::now_ms();
    if let Some(refusal) =
        InviteStatus::at(&row.status, row.expires_at, row.uses, row.max_uses, now).refusal()
    {
        return Err(refusal);
    }
    let ip = cx.ip();
    let mut tx = cx.db().begin().await?;
    if !store::close(&mut tx, &row.id, "rejected").await? {
        return Err(ApiError::new(
            Code::InvitationNotPending,
            "This invitation is no longer pending.",
        ));
    }
    outbox::forget_secret(
        &mut tx,
        outbox::INVITATION_KINDS,
        &row.id,
        "The invitation was declined.",
    )
    .await?;
    let mut event = audit::Event::new("invite.reject").target(&row.id).ip(&ip);
    event.actor_id = viewer.as_ref().map(|v| v.user.id.as_str());
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    Ok(StatusResponse {
        status: true,
        message: Some("The invitation was declined.".into()),
    })
}

/// The invitation `id`, when the caller may manage it: its creator, or
/// anyone whose role has `invite:cancel`.
async fn managed(cx: &RequestContext, tx: &mut Tx, me: &UserRow, id: &str) -> ApiResult<InviteRow> {
    let row = store::find_by_id(tx, id)
        .await?
        .ok_or_else(|| ApiError::new(Code::InvitationNotFound, "There is no such invitation."))?;
    let own = row.created_by.as_deref() == Some(me.id.as_str());
    if own || cx.config().roles.allows(&me.role, Permission::InviteCancel) {
        Ok(row)
    } else {
        Err(ApiError::new(
            Code::Forbidden,
            "Only the person who created this invitation, or an admin, can change it.",
        ))
    }
}

fn not_pending(status: InviteStatus) -> ApiError {
    ApiError::new(
        Code::InvitationNotPending,
        format!(
            "This invitation is {} and can no longer be changed.",
            status.as_str()
        ),
    )
}

pub async fn cancel(body: IdBody) -> ApiResult<StatusResponse> {
    let cx = RequestContext::current()?;
    let me = cx.signed_in().await?;
    let id = required(&body.id, "id")?;
    let ip = cx.ip();
    let mut tx = cx.db().begin().await?;
    let row = managed(&cx, &mut tx, &me.user, id).await?;
    let status = InviteStatus::at(
        &row.status,
        row.expires_at,
        row.uses,
        row.max_uses,
        clock::now_ms(),
    );
    if !matches!(status, InviteStatus::Pending | InviteStatus::Expired)
        || !store::close(&mut tx, &row.id, "canceled").await?
    {
        return Err(not_pending(status));
    }
    outbox::forget_secret(
        &mut tx,
        outbox::INVITATION_KINDS,
        &row.id,
        "The invitation was canceled.",
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Event::new("invite.cancel")
            .actor(&me.user.id)
            .target(&row.id)
            .ip(&ip),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusResponse {
        status: true,
        message: Some("The invitation was canceled.".into()),
    })
}

/// A fresh secret and expiry for a pending (or expired) invitation; the old
/// secret dies at once. A private one is emailed again; a public one's new
/// secret is in the answer, as at creation.
pub async fn resend(body: IdBody) -> ApiResult<CreateInviteResponse> {
    let cx = RequestContext::current()?;
    let me = cx.signed_in().await?;
    let config = cx.config();
    let id = required(&body.id, "id")?;
    let ip = cx.ip();
    let mut tx = cx.db().begin().await?;
    let row = managed(&cx, &mut tx, &me.user, id).await?;
    let now = clock::now_ms();
    let status = InviteStatus::at(&row.status, row.expires_at, row.uses, row.max_uses, now);
    if !matches!(status, InviteStatus::Pending | InviteStatus::Expired) {
        return Err(not_pending(status));
    }
    // Resending is creating again: the same rank rules apply today.
    policy::may_grant(
        &config.roles,
        config.invitations.rank_rule,
        &me.user.role,
        &row.role,
    )?;
    let kind = SecretKind::from_stored(&row.secret_kind);
    let expires_in_ms = clock::ms(config.invitations.default_expiry);
    let (secret, hash) = unused_secret(&mut tx, config, kind).await?;
    if !store::replace_secret(&mut tx, &row.id, &hash, now + expires_in_ms, &me.user.id).await? {
        return Err(not_pending(status));
    }
    outbox::forget_secret(
        &mut tx,
        outbox::INVITATION_KINDS,
        &row.id,
        "The invitation was sent again with a new link; this one no longer works.",
    )
    .await?;
    let url = config.link(&format!("/invite/{secret}"));
    if let Some(to) = &row.email {
        let role = config
            .roles
            .get(&row.role)
            .ok_or_else(|| ApiError::from(policy::GrantRefusal::UnknownRole(row.role.clone())))?;
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
            Some(&me.user),
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
            .actor(&me.user.id)
            .target(&row.id)
            .before(json!({ "createdBy": row.created_by, "byInstance": row.by_instance }))
            .after(json!({ "createdBy": me.user.id }))
            .ip(&ip),
    )
    .await?;
    let fresh = store::find_by_id(&mut tx, &row.id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    let public = fresh.email.is_none();
    if !public {
        cx.state.mail.wake();
    }
    Ok(created_response(
        vec![Created {
            row: fresh,
            secret,
            url,
        }],
        Some(&me.user),
        public,
    ))
}

pub async fn list(
    status: Option<String>,
    search: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
) -> ApiResult<InviteList> {
    let cx = RequestContext::current()?;
    cx.require(Permission::InviteList).await?;
    let status = match status.as_deref().map(str::trim) {
        None | Some("") | Some("all") => None,
        Some(s) => Some(InviteStatus::parse(s).ok_or_else(|| {
            ApiError::new(
                Code::InvalidStatus,
                format!("`{s}` is not a status; use pending, used, canceled, rejected or expired."),
            )
        })?),
    };
    let now = clock::now_ms();
    let limit = i64::from(limit.unwrap_or(PAGE_SIZE).clamp(1, 100));
    let (rows, total, uses) = store::list(
        cx.db(),
        ListFilter {
            status: status.map(InviteStatus::as_str),
            search: search.as_deref().unwrap_or_default(),
        },
        limit,
        i64::from(offset.unwrap_or(0)),
        now,
    )
    .await?;
    let mut creators: HashMap<String, Option<PersonView>> = HashMap::new();
    let mut invitations = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut v = view_without_creator(row, &uses, now);
        if let Some(id) = &row.created_by {
            if !creators.contains_key(id) {
                let user = accounts::get_user(cx.db(), id).await?;
                creators.insert(id.clone(), user.as_ref().map(person));
            }
            v.created_by = creators[id].clone();
        }
        invitations.push(v);
    }
    Ok(InviteList { invitations, total })
}

fn view_without_creator(row: &InviteRow, uses: &[UseRow], now: i64) -> InviteView {
    InviteView {
        id: row.id.clone(),
        role: row.role.clone(),
        email: row.email.clone(),
        token_type: SecretKind::from_stored(&row.secret_kind),
        status: InviteStatus::at(&row.status, row.expires_at, row.uses, row.max_uses, now),
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

pub async fn welcome(next: Option<String>) -> ApiResult<Welcome> {
    let cx = RequestContext::current()?;
    let me = cx.signed_in().await?;
    let config = cx.config();
    let role = config
        .roles
        .get(&me.user.role)
        .map(role_info)
        .unwrap_or_else(|| RoleInfo {
            name: me.user.role.clone(),
            description: String::new(),
            abilities: vec![],
        });
    let next = next
        .filter(|n| checked_redirect(config, n.clone()).is_ok())
        .unwrap_or_else(|| "/dashboard".to_owned());
    Ok(Welcome {
        role,
        next,
        name: me.user.name,
    })
}

/// First run (SPEC §7): with no users at all, a one-time invitation for the
/// highest role goes to the log, so the first owner arrives through the same
/// flow as everyone else. Each start makes a new one and retires the last.
///
/// All of it is one transaction under a lock (SQLite's write lock, a
/// PostgreSQL advisory lock), so nodes starting together on one empty
/// database cannot both print a working link or retire each other's: a node
/// that finds a link made moments ago by another leaves it standing.
pub async fn first_run(db: &Db, config: &Config) -> anyhow::Result<()> {
    /// A link younger than this was printed by a node starting beside us.
    const FRESH_MS: i64 = 60_000;
    let mut tx = db.begin().await?;
    if db.backend() == Backend::Postgres {
        sqlx::query("select pg_advisory_xact_lock(7164029345)")
            .execute(&mut *tx)
            .await?;
    }
    if store::count_users(&mut tx).await? > 0 {
        // Someone arrived (perhaps by `gatehouse invite`): a setup link still
        // in an old log must not let in one more owner.
        store::cancel_setup_links(&mut tx).await?;
        tx.commit().await?;
        return Ok(());
    }
    let now = clock::now_ms();
    if store::newest_pending_setup_link(&mut tx)
        .await?
        .is_some_and(|at| now - at < FRESH_MS)
    {
        tx.commit().await?;
        tracing::warn!("No accounts yet. Another node printed the one-time setup link moments ago: use the link in its log.");
        return Ok(());
    }
    store::cancel_setup_links(&mut tx).await?;
    let role = config.roles.highest().name.clone();
    let spec = NewInvites {
        setup: true,
        role: role.clone(),
        emails: vec![],
        kind: SecretKind::Link,
        max_uses: Some(1),
        expires_in_ms: clock::ms(config.invitations.default_expiry),
        redirect: None,
        share_inviter_name: false,
    };
    let created = create_invitations_in(&mut tx, config, &spec, None, None)
        .await
        .map_err(|e| anyhow::anyhow!("{} ({})", e.message, e.code))?;
    tx.commit().await?;
    for c in created {
        // The one secret Gatehouse ever writes to its log, on purpose: there
        // is no one to send it to yet (SPEC §8).
        tracing::warn!(
            "No accounts yet. SECRET one-time setup link: whoever opens it becomes the {role} (valid for {}). Do not share this log line:\n\n    {}\n",
            templates::spoken(config.invitations.default_expiry),
            c.url
        );
    }
    Ok(())
}
