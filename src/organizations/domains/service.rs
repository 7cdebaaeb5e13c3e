//! Claiming, proving and removing domains, their policies, what a policy
//! does when someone's address becomes verified (`on_email_verified`), and
//! asking to join through a `suggest` domain.

use rand::Rng;
use serde_json::json;

use super::{
    dns,
    store::{self, Challenge, DomainRow},
    AddDomainBody, DnsRecord, DomainIdBody, DomainPolicyResult, DomainSuggestion, DomainView,
    RequestToJoinBody, SetDomainPolicyBody, VerifyDomainBody,
};
use crate::{
    accounts::{domain::Email, required, sessions::Current, store as accounts},
    audit,
    config::{Config, HookFuture},
    email::{self, outbox, templates, Cause},
    error::{ApiError, ApiResult, Code},
    invitations::{
        domains::{self, Method, Mode},
        secret::Hashes,
        store::organization::{self as invitations, NewInvitation},
        OneOrMany,
    },
    organizations::{
        invitations::{
            issue::{check_invitation_room, invitation_room},
            join::{admit, check_grantor, Grant},
        },
        members::{
            acting_in, allows, authority, check_grant, is_owner, known_roles, member_not_found,
            refused,
        },
        requests::{
            self,
            service::{message, Via},
            JoinRequestView,
        },
        service::{acting_member, membership_or, named_or_active},
        store as organizations,
    },
    server::{
        clock, crypto,
        db::{is_unique_violation, Db, Tx},
    },
};

/// The most domains one organization claims.
const MAX_DOMAINS: usize = 20;
/// How long an invitation a domain's policy issues stays open: the policy
/// stands, so its invitations last as long as a join link may.
const INVITATION_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;

fn view(d: DomainRow) -> DomainView {
    let pending = !d.is_verified();
    DomainView {
        dns_record: pending.then(|| DnsRecord {
            kind: "TXT".into(),
            name: domains::challenge_name(&d.domain),
            value: domains::challenge_value(&d.dns_token),
        }),
        code_sent_to: d.code_email.filter(|_| pending && d.method == "email"),
        id: d.id,
        organization_id: d.organization_id,
        domain: d.domain,
        status: d.status,
        method: d.method,
        mode: d.mode,
        role: d.role,
        verified_at: d.verified_at.map(clock::rfc3339),
        created_at: clock::rfc3339(d.created_at),
    }
}

fn domain_not_found() -> ApiError {
    ApiError::new(
        Code::DomainNotFound,
        "This organization has no such domain.",
    )
}

fn owners_only() -> ApiError {
    ApiError::new(
        Code::OnlyOwnersManageDomains,
        "Only an owner of this organization can add, verify or remove domains and set their policy.",
    )
}

fn already_verified(domain: &str) -> ApiError {
    ApiError::new(
        Code::DomainAlreadyVerified,
        format!("{domain} is verified for this organization already."),
    )
}

fn claimed_elsewhere(domain: &str) -> ApiError {
    ApiError::new(
        Code::DomainClaimedByAnotherOrganization,
        format!("{domain} is verified by another organization on this instance."),
    )
}

/// Inside `tx`: the domain `id` names, its organization locked first (the
/// one lock order), and the acting member, who must be an owner.
async fn owned(tx: &mut Tx, me: &Current, id: &str) -> ApiResult<DomainRow> {
    let found = store::find(&mut **tx, id)
        .await?
        .ok_or_else(domain_not_found)?;
    let (_, _, actor) = acting_in(tx, me, Some(found.organization_id.clone()))
        .await
        .map_err(|e| match e.code {
            Code::TwoFactorRequired => e,
            _ => domain_not_found(),
        })?;
    if !is_owner(&actor) {
        return Err(owners_only());
    }
    store::find_for_update(tx, id)
        .await?
        .ok_or_else(domain_not_found)
}

/// A fresh 6-digit code, kept only as a hash keyed by the instance's secret
/// key and bound to its claim.
fn new_code(config: &Config, domain_id: &str) -> (String, String) {
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
    let hash = code_hash(config, domain_id, &code);
    (code, hash)
}

fn code_hash(config: &Config, domain_id: &str, code: &str) -> String {
    config
        .secret_key
        .hash_code(&format!("domain:{domain_id}:{code}"))
}

pub async fn add(
    db: &Db,
    config: &Config,
    me: &Current,
    body: AddDomainBody,
    ip: &str,
) -> ApiResult<DomainView> {
    let domain = domains::parse(required(&body.domain, "domain")?)?;
    let method = Method::parse(body.method.as_deref().unwrap_or("dns"))?;
    let code_email = match method {
        Method::Dns => None,
        Method::Email => {
            let email = Email::parse(required(&body.email, "email")?)?;
            if domains::of(email.as_str()) != domain {
                return Err(ApiError::new(
                    Code::EmailNotAtDomain,
                    format!("The code goes to an address at {domain}, such as it@{domain}."),
                ));
            }
            Some(email)
        }
    };
    if config.organizations.domains.is_free_mail(&domain) {
        return Err(ApiError::new(
            Code::FreeEmailDomain,
            format!("{domain} is a free email provider: anyone can have an address there, so no organization can claim it."),
        ));
    }
    let mut tx = db.begin().await?;
    let (o, _, actor) = acting_in(&mut tx, me, body.organization_id).await?;
    if !is_owner(&actor) {
        return Err(owners_only());
    }
    if store::verified(&mut *tx, &domain)
        .await?
        .is_some_and(|d| d.organization_id != o.id)
    {
        return Err(claimed_elsewhere(&domain));
    }
    let claims = store::of_organization(&mut *tx, &o.id).await?;
    let existing = claims.iter().find(|d| d.domain == domain);
    if existing.is_some_and(DomainRow::is_verified) {
        return Err(already_verified(&domain));
    }
    if existing.is_none() && claims.len() >= MAX_DOMAINS {
        return Err(ApiError::new(
            Code::DomainLimitReached,
            format!("An organization has at most {MAX_DOMAINS} domains: remove one first."),
        ));
    }
    let id = existing.map_or_else(crypto::new_id, |d| d.id.clone());
    let code = code_email.as_ref().map(|_| new_code(config, &id));
    let challenge = Challenge {
        method: method.as_str(),
        code_email: code_email.as_ref().map(Email::as_str),
        code_hash: code.as_ref().map(|(_, hash)| hash.as_str()),
        code_expires_at: code
            .as_ref()
            .map(|_| clock::now_ms() + domains::CODE_MINUTES * 60_000),
    };
    if existing.is_some() {
        // An earlier code stops working with the new challenge.
        let why = "A new challenge was sent.";
        outbox::forget_secret(&mut tx, &[email::Kind::DomainCode], &id, why).await?;
        store::restart(&mut tx, &id, &challenge).await?;
    } else {
        let token = crypto::new_token();
        match store::insert(
            &mut tx,
            (&id, &o.id, &domain),
            &token,
            &challenge,
            &me.user.id,
        )
        .await
        {
            Err(e) if is_unique_violation(&e) => {
                return Err(ApiError::new(
                    Code::DomainAlreadyAdded,
                    format!("{domain} was just added to this organization."),
                ))
            }
            other => other?,
        }
    }
    if let (Some(to), Some((code, _))) = (&code_email, &code) {
        let message = templates::domain_code(templates::DomainCode {
            to: to.as_str(),
            organization: &o.name,
            domain: &domain,
            code,
            minutes: domains::CODE_MINUTES,
            domain_id: &id,
        })
        .expiring_at(challenge.code_expires_at.unwrap_or_default());
        let cause = Cause::Organization {
            organization_id: &o.id,
            sender_id: &me.user.id,
        };
        email::enqueue(&mut tx, config, &message, cause).await?;
    }
    audit::record(
        &mut tx,
        audit::Event::new("organization.domain.add")
            .actor(&me.user.id)
            .target(&id)
            .after(json!({
                "organizationId": o.id,
                "domain": domain,
                "method": method.as_str(),
                "again": existing.is_some(),
            }))
            .ip(ip),
    )
    .await?;
    let row = store::find(&mut *tx, &id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(view(row))
}

/// What an owner offers for a pending domain: the emailed code, or the
/// TXT records found at its challenge name and the value expected there.
enum Proof {
    Code(String),
    Dns {
        found: Vec<String>,
        expected: String,
    },
}

pub async fn verify(
    db: &Db,
    config: &Config,
    me: &Current,
    body: VerifyDomainBody,
    ip: &str,
) -> ApiResult<DomainView> {
    let id = required(&body.domain_id, "domainId")?.trim().to_owned();
    // The DNS lookup happens before the transaction: no lock is held while
    // a name server takes its time.
    let proof = match body.code.as_deref().map(str::trim) {
        Some(typed) if !typed.is_empty() => Proof::Code(domains::parse_code(typed)?),
        _ => {
            let d = store::find(db.pool(), &id)
                .await?
                .ok_or_else(domain_not_found)?;
            let (_, member) =
                membership_or(db, &d.organization_id, &me.user, domain_not_found).await?;
            if !is_owner(&member) {
                return Err(owners_only());
            }
            if d.is_verified() {
                return Err(already_verified(&d.domain));
            }
            let name = domains::challenge_name(&d.domain);
            Proof::Dns {
                found: dns::txt(&config.organizations.domains, &name).await?,
                expected: domains::challenge_value(&d.dns_token),
            }
        }
    };
    let by = match proof {
        Proof::Code(_) => "email",
        Proof::Dns { .. } => "dns",
    };
    let mut tx = db.begin().await?;
    let d = owned(&mut tx, me, &id).await?;
    if d.is_verified() {
        return Err(already_verified(&d.domain));
    }
    if store::verified(&mut *tx, &d.domain).await?.is_some() {
        return Err(claimed_elsewhere(&d.domain));
    }
    match proof {
        Proof::Code(code) => {
            let now = clock::now_ms();
            let open = d.code_expires_at.is_some_and(|at| at > now)
                && d.code_attempts < domains::CODE_TRIES;
            let Some(hash) = d.code_hash.as_deref().filter(|_| open) else {
                return Err(ApiError::new(
                    Code::DomainCodeExpired,
                    "This code no longer works: send a new one.",
                ));
            };
            if code_hash(config, &d.id, &code) != hash {
                // The wrong try counts even though the answer is a refusal.
                store::add_attempt(&mut tx, &d.id).await?;
                tx.commit().await?;
                let left = domains::CODE_TRIES - d.code_attempts - 1;
                return Err(ApiError::new(
                    Code::InvalidCode,
                    if left > 0 {
                        format!("That is not the code we sent. {left} tries left.")
                    } else {
                        "That is not the code we sent, and it was the last try: send a new code."
                            .to_owned()
                    },
                ));
            }
        }
        Proof::Dns { found, expected } => {
            if !domains::challenge_found(&found, &expected) {
                return Err(ApiError::new(
                    Code::DomainRecordNotFound,
                    format!(
                        "The TXT record was not found yet at {}. DNS changes can take a few minutes (sometimes hours) to show: check again later.",
                        domains::challenge_name(&d.domain)
                    ),
                ));
            }
        }
    }
    match store::mark_verified(&mut tx, &d.id).await {
        Err(e) if is_unique_violation(&e) => return Err(claimed_elsewhere(&d.domain)),
        other => other?,
    }
    outbox::forget_secret(
        &mut tx,
        &[email::Kind::DomainCode],
        &d.id,
        "The domain was verified.",
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.domain.verify")
            .actor(&me.user.id)
            .target(&d.id)
            .after(json!({ "organizationId": d.organization_id, "domain": d.domain, "method": by }))
            .ip(ip),
    )
    .await?;
    let row = store::find(&mut *tx, &d.id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(view(row))
}

pub async fn list(db: &Db, me: &Current, named: Option<String>) -> ApiResult<Vec<DomainView>> {
    let key = named_or_active(me, named)?;
    let (o, member) = membership_or(db, &key, &me.user, member_not_found).await?;
    if !allows(&member, "organization", "update") {
        return Err(refused(
            Code::YouAreNotAllowedToUpdateThisOrganization,
            "seeing its domains",
        ));
    }
    Ok(store::of_organization(db.pool(), &o.id)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

pub async fn remove(db: &Db, me: &Current, body: DomainIdBody, ip: &str) -> ApiResult<DomainView> {
    let id = required(&body.domain_id, "domainId")?.trim().to_owned();
    let mut tx = db.begin().await?;
    let d = owned(&mut tx, me, &id).await?;
    let canceled = store::cancel_invitations(&mut tx, &d.id).await?;
    outbox::forget_secret(
        &mut tx,
        &[email::Kind::DomainCode],
        &d.id,
        "The domain was removed.",
    )
    .await?;
    store::delete(&mut tx, &d.id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.domain.remove")
            .actor(&me.user.id)
            .target(&d.id)
            .before(
                json!({ "organizationId": d.organization_id, "domain": d.domain, "mode": d.mode }),
            )
            .after(json!({ "invitationsCanceled": canceled }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(view(d))
}

pub async fn set_policy(
    db: &Db,
    config: &Config,
    me: &Current,
    body: SetDomainPolicyBody,
    ip: &str,
) -> ApiResult<DomainPolicyResult> {
    let id = required(&body.domain_id, "domainId")?.trim().to_owned();
    let mode = Mode::parse(required(&body.mode, "mode")?)?;
    let roles = known_roles(
        body.roles
            .clone()
            .or_else(|| Some(OneOrMany::One("member".into()))),
    )?;
    let mut tx = db.begin().await?;
    let d = owned(&mut tx, me, &id).await?;
    if !d.is_verified() {
        return Err(ApiError::new(
            Code::DomainNotVerified,
            format!("Verify {} before choosing what it does.", d.domain),
        ));
    }
    let actor = acting_member(&mut tx, &d.organization_id, &me.user, ApiError::internal).await?;
    check_grant(
        &mut tx,
        &d.organization_id,
        &authority(&actor),
        &roles,
        Code::YouAreNotAllowedToInviteUserWithThisRole,
    )
    .await?;
    let role = roles.joined();
    // The former policy's open invitations go; the new one issues its own.
    let canceled = store::cancel_invitations(&mut tx, &d.id).await?;
    store::set_policy(&mut tx, &d.id, mode.as_str(), &role, &me.user.id).await?;
    let invited = if mode.invites() {
        invite_people_here(&mut tx, config, &d, &role, &me.user.id, ip).await?
    } else {
        0
    };
    audit::record(
        &mut tx,
        audit::Event::new("organization.domain.policy")
            .actor(&me.user.id)
            .target(&d.id)
            .before(json!({ "mode": d.mode, "role": d.role }))
            .after(json!({
                "organizationId": d.organization_id,
                "domain": d.domain,
                "mode": mode.as_str(),
                "role": role,
                "invited": invited,
                "invitationsCanceled": canceled,
            }))
            .ip(ip),
    )
    .await?;
    let row = store::find(&mut *tx, &d.id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(DomainPolicyResult {
        domain: view(row),
        invited,
        canceled,
    })
}

/// One invitation of the domain's policy: for `email`, with its roles, on
/// the authority of `inviter`, and no email (the person finds it on their
/// dashboard). Inside the policy's transaction, with its audit event.
async fn issue_invitation(
    tx: &mut Tx,
    d: &DomainRow,
    (role, inviter): (&str, &str),
    (user_id, email): (&str, &str),
    ip: Option<&str>,
) -> ApiResult<()> {
    let id = crypto::new_id();
    // Nobody is sent this secret: the invitation is accepted from the
    // dashboard, by its id, with a verified address.
    let hash = Hashes::of_link(&crypto::new_token()).current;
    invitations::insert(
        tx,
        &NewInvitation {
            id: &id,
            organization_id: &d.organization_id,
            email,
            role,
            team_id: None,
            expires_at: clock::now_ms() + INVITATION_DAYS * DAY_MS,
            inviter_id: inviter,
            secret_hash: &hash,
            domain_id: Some(&d.id),
        },
    )
    .await?;
    let mut event = audit::Event::new("organization.invitation.create")
        .actor(inviter)
        .target(&id)
        .after(json!({
            "organizationId": d.organization_id,
            "email": email,
            "role": role,
            "domainId": d.id,
            "userId": user_id,
        }));
    if let Some(ip) = ip {
        event = event.ip(ip);
    }
    audit::record(tx, event).await?;
    Ok(())
}

/// Invites the people already here with a verified address at the domain,
/// within the organization's limit of pending invitations.
async fn invite_people_here(
    tx: &mut Tx,
    config: &Config,
    d: &DomainRow,
    role: &str,
    inviter: &str,
    ip: &str,
) -> ApiResult<u64> {
    let room = invitation_room(tx, config, &d.organization_id, clock::now_ms()).await?;
    let people = store::uninvited_people(tx, &d.organization_id, &d.domain, room).await?;
    for (user_id, email) in &people {
        issue_invitation(tx, d, (role, inviter), (user_id, email), Some(ip)).await?;
    }
    Ok(people.len() as u64)
}

/// The `email_verified` hook (`config::Hooks`), plugged in by `startup`:
/// inside the transaction that verified `user_id`'s address, a verified
/// domain's `auto_join` policy admits them and `auto_invite` invites them.
/// What the policy cannot do now (its setter lost the right to grant its
/// roles, a limit is reached) it leaves undone and logs: a person's
/// sign-up never fails because of someone else's organization.
pub fn on_email_verified<'a>(
    tx: &'a mut Tx,
    config: &'a Config,
    user_id: &'a str,
) -> HookFuture<'a> {
    Box::pin(async move {
        let Some(user) = accounts::find_by_id(tx, user_id).await? else {
            return Ok(());
        };
        if !user.email_verified {
            return Ok(());
        }
        let Some(d) = store::verified(&mut **tx, domains::of(&user.email)).await? else {
            return Ok(());
        };
        let Ok(mode) = Mode::parse(&d.mode) else {
            return Ok(());
        };
        if !mode.invites() {
            return Ok(());
        }
        organizations::lock(tx, &d.organization_id).await?;
        if organizations::membership_of(tx, &d.organization_id, &user.id)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let grantor = d.policy_by.clone().unwrap_or_default();
        let grant = Grant {
            organization_id: &d.organization_id,
            role: &d.role,
            team_id: None,
            grantor_id: &grantor,
        };
        let done = match check_grantor(tx, &grant).await {
            Err(e) => Err(e),
            Ok(()) if mode == Mode::AutoJoin => auto_join(tx, config, &d, &grant, &user.id).await,
            Ok(()) => auto_invite(tx, config, &d, &grant, (&user.id, &user.email)).await,
        };
        match done {
            Err(e) if e.status() < 500 => {
                tracing::info!(domain = %d.domain, organization = %d.organization_id, code = %e.code, "A domain's policy did not apply: {}", e.message);
                Ok(())
            }
            other => other,
        }
    })
}

async fn auto_join(
    tx: &mut Tx,
    config: &Config,
    d: &DomainRow,
    grant: &Grant<'_>,
    user_id: &str,
) -> ApiResult<()> {
    let member_id = admit(tx, config, grant, (user_id, None)).await?;
    audit::record(
        tx,
        audit::Event::new("organization.domain.join")
            .actor(user_id)
            .target(&d.id)
            .after(json!({
                "organizationId": d.organization_id,
                "domain": d.domain,
                "memberId": member_id,
                "role": d.role,
            })),
    )
    .await?;
    Ok(())
}

async fn auto_invite(
    tx: &mut Tx,
    config: &Config,
    d: &DomainRow,
    grant: &Grant<'_>,
    (user_id, email): (&str, &str),
) -> ApiResult<()> {
    if invitations::pending_for(tx, &d.organization_id, email)
        .await?
        .is_some()
    {
        return Ok(());
    }
    check_invitation_room(tx, config, &d.organization_id, clock::now_ms()).await?;
    issue_invitation(
        tx,
        d,
        (grant.role, grant.grantor_id),
        (user_id, email),
        None,
    )
    .await
}

/// The organization whose `suggest` domain matches the person's verified
/// address, unless they are a member or asked already.
pub async fn suggestion(db: &Db, me: &Current) -> ApiResult<Option<DomainSuggestion>> {
    if !me.user.email_verified {
        return Ok(None);
    }
    let Some(d) = store::verified(db.pool(), domains::of(&me.user.email)).await? else {
        return Ok(None);
    };
    if d.mode != Mode::Suggest.as_str() {
        return Ok(None);
    }
    let member = organizations::members(db, &d.organization_id, Some(&me.user.id))
        .await?
        .pop();
    let asked = requests::store::pending_of(db.pool(), &d.organization_id, &me.user.id).await?;
    Ok(
        (member.is_none() && asked.is_none()).then_some(DomainSuggestion {
            organization_id: d.organization_id,
            organization_name: d.organization_name,
            organization_slug: d.organization_slug,
            domain: d.domain,
        }),
    )
}

pub async fn request_to_join(
    db: &Db,
    me: &Current,
    body: RequestToJoinBody,
    ip: &str,
) -> ApiResult<JoinRequestView> {
    let key = required(&body.organization_id, "organizationId")?
        .trim()
        .to_owned();
    let note = message(body.message.as_deref())?;
    let o = organizations::find(db.pool(), &key).await?.ok_or_else(|| {
        ApiError::new(Code::OrganizationNotFound, "There is no such organization.")
    })?;
    let nobody = || {
        ApiError::new(
            Code::NoDomainInvitesYou,
            format!(
                "You can ask to join {} with a verified address at one of its domains that welcomes requests.",
                o.name
            ),
        )
    };
    if !me.user.email_verified {
        return Err(nobody());
    }
    let mut tx = db.begin().await?;
    organizations::lock(&mut tx, &o.id).await?;
    let d = store::verified(&mut *tx, domains::of(&me.user.email))
        .await?
        .filter(|d| d.organization_id == o.id && d.mode == Mode::Suggest.as_str())
        .ok_or_else(nobody)?;
    if organizations::membership_of(&mut tx, &o.id, &me.user.id)
        .await?
        .is_some()
    {
        return Err(ApiError::new(
            Code::UserIsAlreadyAMemberOfThisOrganization,
            "You are already a member of this organization.",
        ));
    }
    let asked = requests::service::ask(
        &mut tx,
        &o.id,
        Via::Domain(&d.id),
        &me.user.id,
        note.as_deref(),
        ip,
    )
    .await?;
    tx.commit().await?;
    Ok(asked)
}
