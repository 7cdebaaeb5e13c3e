//! Using a role invitation: finding it by its secret (with the budget on
//! codes), its preview, accepting it signed in or at sign-up, and
//! declining it. The recipient check and the closing are the core's
//! (`invitations::accept`), shared with every kind.

use serde_json::json;

use super::{ActivateResponse, InvitePreview, InviterView, PreviewInvitation};
use crate::{
    access::ranks::{self, InviterNow},
    accounts::{
        sessions::Current,
        sign_in::{hash_for_new_account, sign_up_in, Address, Client, NewPerson, SignedUp},
        store::{self as accounts, UserRow},
        SignUpBody, StatusResponse,
    },
    audit,
    config::Config,
    error::{ApiError, ApiResult, Code},
    invitations::{
        accept::{self, inviter_lost_rights, not_the_recipient, User},
        next_step::{next_step, Facts, NextStep, Viewer},
        secret::{Hashes, Secret, SecretKind},
        status::{expiry_words, Status},
        store::role::{self as store, InviteRow},
        Kind,
    },
    server::{
        clock,
        db::{is_unique_violation, Db, Tx},
        rate_limit,
    },
};

pub fn invalid_token() -> ApiError {
    ApiError::new(
        Code::InvalidInvitationToken,
        "This invitation link or code is not valid.",
    )
}

fn status_of(row: &InviteRow, now: i64) -> Status {
    Status::at(&row.status, row.expires_at, row.uses, row.max_uses, now)
}

/// Finds the invitation a secret belongs to. Codes are short enough to
/// guess at, so each address (`bucket`) has a budget of failed code
/// lookups: a miss spends from it, and once it is spent every code lookup,
/// right or wrong, gets the same refusal. An unknown code, an expired one
/// and a canceled one get the very same answer, so a guesser learns
/// nothing; someone holding a good code never spends anything.
pub async fn find_by_secret(
    db: &Db,
    config: &Config,
    bucket: &str,
    raw: &str,
) -> ApiResult<(Secret, InviteRow)> {
    let secret = Secret::parse(raw).map_err(|e| match e.code {
        // A malformed code is worth explaining; anything else is just invalid.
        Code::InvalidCode if raw.trim().len() <= 12 => e,
        _ => invalid_token(),
    })?;
    let hashes = Hashes::of(&config.secret_key, secret.kind(), secret.as_str());
    let found = store::find_by_hash(db.pool(), &hashes).await?;
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
            format!("invite-code:{bucket}"),
            config.rate_limits.invite_code,
        ),
        (
            "invite-code-all".to_owned(),
            config.rate_limits.invite_code_global,
        ),
    ];
    let usable = found.filter(|row| status_of(row, now) == Status::Pending);
    // Every lookup takes its slots first, so that a burst of guesses
    // cannot all pass a check made before any of them spent; a good code
    // gives them back.
    for (key, limit) in &budgets {
        if rate_limit::spend(db.pool(), key, *limit, now)
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
                rate_limit::refund(db, key).await?;
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

/// SPEC §3 "Accounts" 3: an invitation acts with its creator's authority as
/// it is now. One made by the instance stands while its role exists; one
/// whose creator is gone (`creator` None) is void.
fn authority_holds(config: &Config, row: &InviteRow, creator: Option<&UserRow>) -> bool {
    let now = match (row.by_instance, creator) {
        (true, _) => None,
        (false, Some(creator)) => Some(InviterNow {
            role: &creator.role,
            disabled: creator.disabled,
        }),
        (false, None) => return false,
    };
    ranks::inviter_still_allowed(&config.roles, config.invitations.rank_rule, now, &row.role)
}

/// `invite/get`: what the holder of a secret sees, and their one next step.
pub async fn preview(
    db: &Db,
    config: &Config,
    viewer: Option<&Current>,
    bucket: &str,
    token: &str,
) -> ApiResult<InvitePreview> {
    let (secret, row) = find_by_secret(db, config, bucket, token).await?;
    preview_of(db, config, viewer, &secret, row).await
}

/// The preview of an invitation already found by `secret`.
pub async fn preview_of(
    db: &Db,
    config: &Config,
    viewer: Option<&Current>,
    secret: &Secret,
    row: InviteRow,
) -> ApiResult<InvitePreview> {
    let now = clock::now_ms();
    let status = status_of(&row, now);
    let inviter = match &row.created_by {
        Some(id) => accounts::get_user(db, id).await?,
        None => None,
    };
    let reason = match status.reason(Kind::Role) {
        Some(why) => Some(why.to_owned()),
        None if !authority_holds(config, &row, inviter.as_ref()) => {
            Some(inviter_lost_rights().message)
        }
        None => None,
    };
    let viewer = viewer.map(|v| &v.user);
    let has_account = match &row.email {
        Some(e) => accounts::find_by_email(db, e).await?.is_some(),
        None => false,
    };
    let step = next_step(Facts {
        kind: Kind::Role,
        usable: reason.is_none(),
        addressee: row.email.as_deref(),
        addressee_has_account: has_account,
        allowed_domains: &[],
        viewer: viewer.map(|v| Viewer {
            email: &v.email,
            // A private invitation's link proves its addressee's mailbox
            // (SPEC §3 "Accounts" 2): no second verification email.
            mailbox_proven: v.email_verified || secret.proves_mailbox(),
            has_it: ranks::outranks_or_equals(&config.roles, &v.role, &row.role),
        }),
    });
    // Someone else signed in learns only that the invitation is not theirs:
    // not the address, nor whether it has an account.
    let for_someone_else = step == NextStep::SwitchAccount;
    let kind = SecretKind::from_stored(&row.secret_kind);
    let role = config.roles.get(&row.role);
    let email = row.email.clone().filter(|_| !for_someone_else);
    Ok(InvitePreview {
        status: true,
        inviter: inviter
            .filter(|_| row.share_inviter_name)
            .map(|u| InviterView {
                name: u.name,
                // A code can be guessed; its holder gets the inviter's name only.
                email: if kind == SecretKind::Code {
                    String::new()
                } else {
                    u.email
                },
                image: u.image,
            }),
        invitation: PreviewInvitation {
            id: row.id.clone(),
            emails: email.iter().cloned().collect(),
            email,
            role: row.role.clone(),
            role_description: role.map(|r| r.description.clone()).unwrap_or_default(),
            abilities: role.map(|r| r.abilities.clone()).unwrap_or_default(),
            created_at: clock::rfc3339(row.created_at),
            expires_at: clock::rfc3339(row.expires_at),
            expires_in: expiry_words(row.expires_at, now),
            status,
            redirect_to: row.redirect_after_accept.clone(),
            new_account: match (&row.email, viewer) {
                (Some(_), _) if for_someone_else => None,
                (Some(_), _) => Some(!has_account),
                (None, Some(_)) => Some(false),
                (None, None) => None,
            },
            token_type: kind,
        },
        next_step: step,
        reason,
        viewer_email: viewer.map(|v| v.email.clone()),
        viewer_role: viewer.map(|v| v.role.clone()),
    })
}

/// Checks and takes one use of an invitation inside `tx`, for `user`;
/// returns the invitation and whether using it verifies the address.
/// Everything that can refuse is checked here, so sign-up and acceptance
/// share one gate.
async fn redeem(
    tx: &mut Tx,
    config: &Config,
    secret: &Secret,
    user: User<'_>,
) -> ApiResult<(InviteRow, bool)> {
    let hashes = Hashes::of(&config.secret_key, secret.kind(), secret.as_str());
    let row = store::find_by_hash(&mut **tx, &hashes)
        .await?
        .ok_or_else(invalid_token)?;
    let now = clock::now_ms();
    if let Some(refusal) = status_of(&row, now).refusal(Kind::Role) {
        // A code's holder learns nothing they could guess with.
        return Err(if secret.kind() == SecretKind::Code {
            invalid_token()
        } else {
            refusal
        });
    }
    let verifies_email = accept::check_recipient(
        row.email.as_deref(),
        user,
        secret.proves_mailbox(),
        "accepting",
    )?;
    let inviter = match &row.created_by {
        Some(id) => accounts::find_by_id(tx, id).await?,
        None => None,
    };
    if !authority_holds(config, &row, inviter.as_ref()) {
        return Err(inviter_lost_rights());
    }
    if !store::take_use(tx, &row.id, now).await? {
        // Another acceptance took the last use between our read and now.
        return Err(Status::Used
            .refusal(Kind::Role)
            .unwrap_or_else(invalid_token));
    }
    // A private invitation is used once, by its addressee: the copy of its
    // link waiting in the outbox is spent with it.
    if row.email.is_some() || row.max_uses == Some(row.uses + 1) {
        accept::forget_secret(
            tx,
            Kind::Role,
            &row.id,
            "The invitation was used; its link no longer works.",
        )
        .await?;
    }
    Ok((row, verifies_email))
}

/// What an invitation gives a new account made with it.
struct Grant {
    invite_id: String,
    role: String,
    /// A private link reached its addressee's mailbox: the email is proven.
    verifies_email: bool,
}

/// The invitation part of `sign-up/email` with `inviteToken`: runs inside the
/// sign-up transaction, before the user is inserted.
async fn redeem_for_sign_up(
    tx: &mut Tx,
    config: &Config,
    secret: &Secret,
    email: &str,
) -> ApiResult<Grant> {
    let user = User {
        email,
        email_verified: false,
    };
    let (row, verifies_email) = redeem(tx, config, secret, user).await?;
    Ok(Grant {
        verifies_email,
        invite_id: row.id,
        role: row.role,
    })
}

/// After the account exists: its use of the invitation and the audit
/// event, in the sign-up's transaction.
async fn record_sign_up(tx: &mut Tx, grant: &Grant, user_id: &str, ip: &str) -> ApiResult<()> {
    store::record_use(tx, &grant.invite_id, user_id, None, &grant.role).await?;
    audit::record(
        tx,
        audit::Event::new("invite.accept")
            .actor(user_id)
            .target(&grant.invite_id)
            .after(json!({ "role": grant.role, "newAccount": true }))
            .ip(ip),
    )
    .await?;
    Ok(())
}

/// `invite/activate`: the signed-in person takes the invitation's role.
pub async fn activate(
    db: &Db,
    config: &Config,
    me: &UserRow,
    bucket: &str,
    token: &str,
    ip: &str,
) -> ApiResult<ActivateResponse> {
    let (secret, found) = find_by_secret(db, config, bucket, token).await?;
    if ranks::outranks_or_equals(&config.roles, &me.role, &found.role) {
        return Err(ranks::keeps_role_error(&me.role, &found.role));
    }
    let mut tx = db.begin().await?;
    // The role, and whether the address is verified, may have changed
    // since the session was read.
    let current = accounts::find_by_id(&mut tx, &me.id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let user = User {
        email: &current.email,
        email_verified: current.email_verified,
    };
    // SPEC §3 "Accounts" 2: someone else may have signed up with this
    // address (open sign-up does not prove it), so a private invitation
    // goes only to an account whose owner proved the mailbox. Its emailed
    // link is such a proof: accepting by it verifies the address.
    let (row, verifies_email) = redeem(&mut tx, config, &secret, user).await?;
    let newly_verified =
        verifies_email && accounts::mark_email_verified(&mut tx, &current.id).await?;
    if ranks::outranks_or_equals(&config.roles, &current.role, &row.role) {
        return Err(ranks::keeps_role_error(&current.role, &row.role));
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
        return Err(crate::access::roles::changed_meanwhile());
    }
    audit::record(
        &mut tx,
        audit::Event::new("invite.accept")
            .actor(&current.id)
            .target(&row.id)
            .before(json!({ "role": current.role }))
            .after(json!({ "role": row.role, "emailVerified": verifies_email }))
            .ip(ip),
    )
    .await?;
    if newly_verified {
        crate::accounts::email_verified(&mut tx, config, &current.id).await?;
    }
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

/// `invite/reject`: a private invitation declined by its addressee. Its
/// secret went only to them, so holding it is enough, unless someone else
/// is signed in.
pub async fn reject(
    db: &Db,
    config: &Config,
    viewer: Option<&UserRow>,
    bucket: &str,
    token: &str,
    ip: &str,
) -> ApiResult<StatusResponse> {
    let (_, row) = find_by_secret(db, config, bucket, token).await?;
    let Some(addressee) = &row.email else {
        return Err(ApiError::new(
            Code::CannotRejectPublicInvitation,
            "A public invitation cannot be declined; simply don't use it.",
        ));
    };
    if viewer.is_some_and(|v| !v.email.eq_ignore_ascii_case(addressee)) {
        return Err(not_the_recipient());
    }
    if let Some(refusal) = status_of(&row, clock::now_ms()).refusal(Kind::Role) {
        return Err(refusal);
    }
    let mut tx = db.begin().await?;
    let why = "The invitation was declined.";
    if !accept::close(&mut tx, Kind::Role, &row.id, Status::Rejected, why).await? {
        return Err(ApiError::new(
            Code::InvitationNotPending,
            "This invitation is no longer pending.",
        ));
    }
    let mut event = audit::Event::new("invite.reject").target(&row.id).ip(ip);
    event.actor_id = viewer.map(|v| v.id.as_str());
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    Ok(StatusResponse {
        status: true,
        message: Some(why.into()),
    })
}

/// `sign-up/email` with better-invite's `inviteToken`: the invitation is
/// looked up first (spending from the code budget, and for a clear early
/// error), then redeemed inside the sign-up's transaction, so that if
/// anything fails its use is given back with everything else.
pub async fn sign_up(
    db: &Db,
    config: &Config,
    body: &SignUpBody,
    token: &str,
    bucket: &str,
    client: Client<'_>,
) -> ApiResult<SignedUp> {
    let (secret, _) = find_by_secret(db, config, bucket, token).await?;
    let person = NewPerson::parse(body)?;
    let phc = hash_for_new_account(db, &person, accept::account_exists).await?;
    let mut tx = db.begin().await?;
    let grant = redeem_for_sign_up(&mut tx, config, &secret, person.email.as_str()).await?;
    let done = sign_up_in(
        &mut tx,
        config,
        &person,
        &phc,
        &grant.role,
        if grant.verifies_email {
            Address::Proven
        } else {
            Address::ToVerify { then: None }
        },
        client,
        accept::account_exists,
    )
    .await?;
    record_sign_up(&mut tx, &grant, &done.user.id, client.ip).await?;
    if grant.verifies_email {
        crate::accounts::email_verified(&mut tx, config, &done.user.id).await?;
    }
    tx.commit().await?;
    Ok(done)
}
