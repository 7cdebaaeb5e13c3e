//! Making, listing, revoking and using join links. Using one goes through
//! the same steps as an organization invitation (`super::super::join`):
//! the creator's authority as it is now, the membership limit, the member
//! with its roles and team; what is the link's own is here: its domains,
//! its uses, once per person.

use serde_json::json;

use super::{
    CreateJoinLinkBody, CreatedJoinLink, JoinLinkPage, JoinLinkPreview, JoinLinkUse, JoinLinkView,
    JoinResponse, SignUpWithJoinLinkBody, SignUpWithJoinLinkResponse,
};
use crate::{
    accounts::{
        domain::{Email, Password, PersonName},
        required,
        sessions::Current,
        sign_in::{hash_for_new_account, sign_up_in, Address, Client, NewPerson},
        verification_required_before,
    },
    audit,
    config::Config,
    error::{ApiError, ApiResult, Code},
    invitations::{
        accept::{account_exists, inviter_lost_rights},
        domains,
        next_step::{next_step, Facts, Viewer},
        secret::{self, Hashes, SecretKind},
        status::Status,
        store::{
            self as invitations,
            join_link::{self as store, Described, JoinLinkRow, NewJoinLink, UseRow},
        },
        Kind, OneOrMany,
    },
    organizations::{
        invitations::join::{admit, admitted, check_grantor, grantor_still_allowed, Grant},
        members::{
            allows, authority, check_grant, known_roles, member_not_found, member_view, refused,
        },
        requests,
        service::{acting_member, acting_member_of, membership_or, named_or_active, not_found},
        store as organizations, teams,
    },
    server::{
        clock, crypto,
        db::{Db, Tx},
    },
};

const DAY_SECS: i64 = 86_400;
/// How long a link lasts unless its creator says otherwise.
const DEFAULT_EXPIRY_SECS: i64 = 7 * DAY_SECS;
const MAX_EXPIRY_SECS: i64 = 30 * DAY_SECS;
const MIN_EXPIRY_SECS: i64 = 60;
const MAX_USES: i64 = 100_000;
const MAX_NAME_CHARS: usize = 80;
/// Open links per organization: enough for every cohort, few enough that
/// the list stays readable and a leaked session cannot mint thousands.
pub const OPEN_LINK_LIMIT: i64 = 50;

/// A link's settings as asked for, checked: valid by construction.
#[derive(Debug, PartialEq)]
struct Settings {
    name: String,
    expires_in_ms: i64,
    max_uses: Option<i64>,
    allowed_domains: Vec<String>,
    require_approval: bool,
}

impl Settings {
    /// Everything but the roles and the team, which need the database.
    fn parse(body: &CreateJoinLinkBody) -> ApiResult<Self> {
        let allowed_domains = domains::parse_list(body.allowed_domains.as_deref().unwrap_or(&[]))?;
        let name = body.name.as_deref().map(str::trim).unwrap_or("");
        let name = if name.is_empty() { "Join link" } else { name };
        if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(ApiError::new(
                Code::InvalidName,
                format!("A link's name has at most {MAX_NAME_CHARS} characters, on one line."),
            ));
        }
        let expires_in = body.expires_in.unwrap_or(DEFAULT_EXPIRY_SECS);
        if !(MIN_EXPIRY_SECS..=MAX_EXPIRY_SECS).contains(&expires_in) {
            return Err(ApiError::new(
                Code::InvalidExpiry,
                "A join link lasts between one minute and 30 days (`expiresIn` in seconds, at most 2592000).",
            ));
        }
        if body.max_uses.is_some_and(|m| !(1..=MAX_USES).contains(&m)) {
            return Err(ApiError::new(
                Code::InvalidMaxUses,
                format!("`maxUses` is between 1 and {MAX_USES}, or left out for no limit."),
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            expires_in_ms: expires_in * 1000,
            max_uses: body.max_uses,
            allowed_domains,
            require_approval: body.require_approval.unwrap_or(false),
        })
    }
}

fn link_not_found() -> ApiError {
    ApiError::new(
        Code::JoinLinkNotFound,
        "There is no join link behind this address. Check that the whole link was copied.",
    )
}

fn domain_not_allowed(domains: &[String]) -> ApiError {
    ApiError::new(
        Code::EmailDomainNotAllowed,
        format!("This link is for addresses at {}.", domains.join(", ")),
    )
}

fn view(l: &JoinLinkRow, uses: &[UseRow]) -> JoinLinkView {
    JoinLinkView {
        id: l.id.clone(),
        organization_id: l.organization_id.clone(),
        name: l.name.clone(),
        role: l.role.clone(),
        team_id: l.team_id.clone(),
        status: l.status_at(clock::now_ms()).word(Kind::JoinLink).to_owned(),
        expires_at: clock::rfc3339(l.expires_at),
        max_uses: l.max_uses,
        uses: l.uses,
        allowed_domains: l.allowed_domains.clone(),
        require_approval: l.require_approval,
        created_by: l.created_by.clone(),
        created_at: clock::rfc3339(l.created_at),
        used_by: uses
            .iter()
            .filter(|u| u.join_link_id == l.id)
            .map(|u| JoinLinkUse {
                user_id: u.user_id.clone(),
                name: u.name.clone(),
                email: u.email.clone(),
                joined_at: clock::rfc3339(u.created_at),
            })
            .collect(),
    }
}

fn grant(l: &JoinLinkRow) -> Grant<'_> {
    Grant {
        organization_id: &l.organization_id,
        role: &l.role,
        team_id: l.team_id.as_deref(),
        grantor_id: &l.created_by,
    }
}

pub async fn create(
    db: &Db,
    config: &Config,
    me: &Current,
    body: CreateJoinLinkBody,
    ip: &str,
) -> ApiResult<CreatedJoinLink> {
    let settings = Settings::parse(&body)?;
    let roles = known_roles(Some(body.role.unwrap_or(OneOrMany::One("member".into()))))?;
    let organization = named_or_active(me, body.organization_id)?;
    let now = clock::now_ms();
    let mut tx = db.begin().await?;
    let o = organizations::find(&mut *tx, &organization)
        .await?
        .ok_or_else(not_found)?;
    organizations::lock(&mut tx, &o.id).await?;
    let creator = acting_member_of(&mut tx, &o, &me.user, member_not_found).await?;
    if !allows(&creator, "invitation", "create") {
        return Err(refused(
            Code::YouAreNotAllowedToInviteUsersToThisOrganization,
            "making join links",
        ));
    }
    check_grant(
        &mut tx,
        &o.id,
        &authority(&creator),
        &roles,
        Code::YouAreNotAllowedToInviteUserWithThisRole,
    )
    .await?;
    let teams = &config.organizations.teams;
    let team_id =
        teams::service::of_organization(&mut tx, teams, &o.id, body.team_id.as_deref()).await?;
    if store::count_open(&mut tx, &o.id, now).await? >= OPEN_LINK_LIMIT {
        return Err(ApiError::new(
            Code::JoinLinkLimitReached,
            format!("This organization has {OPEN_LINK_LIMIT} open join links, the most allowed. Revoke one first."),
        ));
    }
    let token = secret::draw(SecretKind::Link);
    let id = crypto::new_id();
    let role = roles.joined();
    store::insert(
        &mut tx,
        &NewJoinLink {
            id: &id,
            organization_id: &o.id,
            name: &settings.name,
            role: &role,
            team_id: team_id.as_deref(),
            token_hash: &Hashes::of_link(&token).current,
            max_uses: settings.max_uses,
            allowed_domains: &settings.allowed_domains,
            require_approval: settings.require_approval,
            expires_at: now + settings.expires_in_ms,
            created_by: &me.user.id,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.join-link.create")
            .actor(&me.user.id)
            .target(&id)
            .after(json!({
                "organizationId": o.id,
                "name": settings.name,
                "role": role,
                "teamId": team_id,
                "maxUses": settings.max_uses,
                "allowedDomains": settings.allowed_domains,
                "requireApproval": settings.require_approval,
                "expiresAt": clock::rfc3339(now + settings.expires_in_ms),
            }))
            .ip(ip),
    )
    .await?;
    let row = store::find(&mut tx, &id, "")
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(CreatedJoinLink {
        link: view(&row, &[]),
        url: config.link(&format!("/join/{token}")),
        token: token.into(),
    })
}

/// The organization's member `me`, if they may see its links.
async fn may_list(db: &Db, me: &Current, named: Option<String>) -> ApiResult<String> {
    let key = named_or_active(me, named)?;
    let (o, member) = membership_or(db, &key, &me.user, member_not_found).await?;
    if !(allows(&member, "invitation", "create") || allows(&member, "invitation", "cancel")) {
        return Err(ApiError::new(
            Code::YouAreNotAllowedToListInvitations,
            "You are not allowed to list this organization's join links.",
        ));
    }
    Ok(o.id)
}

pub async fn list(db: &Db, me: &Current, named: Option<String>) -> ApiResult<Vec<JoinLinkView>> {
    let organization_id = may_list(db, me, named).await?;
    let links = store::for_organization(db.pool(), &organization_id).await?;
    let uses = store::uses_in(db.pool(), &organization_id).await?;
    Ok(links.iter().map(|l| view(l, &uses)).collect())
}

pub async fn revoke(db: &Db, me: &Current, id: &str, ip: &str) -> ApiResult<JoinLinkView> {
    let mut tx = db.begin().await?;
    let found = store::find(&mut tx, id, "")
        .await?
        .ok_or_else(link_not_found)?;
    organizations::lock(&mut tx, &found.organization_id).await?;
    let actor = acting_member(&mut tx, &found.organization_id, &me.user, link_not_found).await?;
    let own = found.created_by == me.user.id && allows(&actor, "invitation", "create");
    if !(own || allows(&actor, "invitation", "cancel")) {
        return Err(refused(
            Code::YouAreNotAllowedToCancelThisInvitation,
            "revoking join links",
        ));
    }
    if !invitations::close(&mut tx, Kind::JoinLink, &found.id, Status::Canceled).await? {
        return Err(ApiError::new(
            Code::InvitationNotPending,
            "This link was already revoked.",
        ));
    }
    audit::record(
        &mut tx,
        audit::Event::new("organization.join-link.revoke")
            .actor(&me.user.id)
            .target(&found.id)
            .before(json!({ "organizationId": found.organization_id, "name": found.name, "uses": found.uses }))
            .ip(ip),
    )
    .await?;
    let row = store::find(&mut tx, id, "")
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    let uses = store::uses_in(db.pool(), &row.organization_id).await?;
    Ok(view(&row, &uses))
}

async fn described(db: &Db, token: &str) -> ApiResult<Described> {
    store::find_described(db.pool(), "", &Hashes::of_link(token).current)
        .await?
        .ok_or_else(link_not_found)
}

fn preview_of(d: &Described) -> JoinLinkPreview {
    let l = &d.link;
    JoinLinkPreview {
        id: l.id.clone(),
        name: l.name.clone(),
        role: l.role.clone(),
        status: l.status_at(clock::now_ms()).word(Kind::JoinLink).to_owned(),
        expires_at: clock::rfc3339(l.expires_at),
        organization_name: d.organization_name.clone(),
        organization_slug: d.organization_slug.clone(),
        inviter_name: d.creator_name.clone(),
        team_name: d.team_name.clone(),
        allowed_domains: l.allowed_domains.clone(),
        require_approval: l.require_approval,
    }
}

pub async fn preview(db: &Db, token: &str) -> ApiResult<JoinLinkPreview> {
    Ok(preview_of(&described(db, token).await?))
}

pub async fn page(db: &Db, viewer: Option<&Current>, token: &str) -> ApiResult<JoinLinkPage> {
    page_of(db, viewer, described(db, token).await?).await
}

/// The page's view of a link already found by its secret.
pub async fn page_of(db: &Db, viewer: Option<&Current>, d: Described) -> ApiResult<JoinLinkPage> {
    let preview = preview_of(&d);
    let l = &d.link;
    let reason = match l.status_at(clock::now_ms()).reason(Kind::JoinLink) {
        Some(why) => Some(why.to_owned()),
        None if !grantor_still_allowed(db, &grant(l)).await? => Some(inviter_lost_rights().message),
        None => None,
    };
    let member = match viewer {
        Some(v) if reason.is_none() => {
            !organizations::members(db, &l.organization_id, Some(&v.user.id))
                .await?
                .is_empty()
        }
        _ => false,
    };
    let request = match viewer {
        Some(v) => requests::store::pending_of(db.pool(), &l.organization_id, &v.user.id)
            .await?
            .map(requests::service::view),
        None => None,
    };
    let step = next_step(Facts {
        kind: Kind::JoinLink,
        usable: reason.is_none(),
        addressee: None,
        addressee_has_account: false,
        allowed_domains: &l.allowed_domains,
        viewer: viewer.map(|v| Viewer {
            email: &v.user.email,
            // A shared link proves nothing about anyone's mailbox.
            mailbox_proven: v.user.email_verified,
            has_it: member,
        }),
    });
    Ok(JoinLinkPage {
        preview,
        step,
        viewer_email: viewer.map(|v| v.user.email.clone()),
        reason,
        request,
    })
}

/// Inside `tx`: the open link behind `token`, its organization locked
/// (the one lock order: the organization's row first), and its creator
/// still able to grant it.
async fn usable(tx: &mut Tx, token: &str) -> ApiResult<JoinLinkRow> {
    let hash = Hashes::of_link(token).current;
    let found = store::find(tx, "", &hash)
        .await?
        .ok_or_else(link_not_found)?;
    organizations::lock(tx, &found.organization_id).await?;
    let l = store::find(tx, "", &hash)
        .await?
        .ok_or_else(link_not_found)?;
    if let Some(refusal) = l.status_at(clock::now_ms()).refusal(Kind::JoinLink) {
        return Err(refusal);
    }
    check_grantor(tx, &grant(&l)).await?;
    Ok(l)
}

/// Inside `tx`, the link checked: one use taken and recorded for this
/// person, and their membership with its audit event, or, through a link
/// that needs approval, their request (`requests::service::ask`).
async fn use_link(
    tx: &mut Tx,
    config: &Config,
    l: &JoinLinkRow,
    (user_id, session_id): (&str, &str),
    new_account: bool,
    note: Option<&str>,
    ip: &str,
) -> ApiResult<JoinResponse> {
    let now = clock::now_ms();
    let request = match l.require_approval {
        true => Some(
            requests::service::ask(
                tx,
                &l.organization_id,
                requests::service::Via::Link(&l.id),
                user_id,
                note,
                ip,
            )
            .await?,
        ),
        false => None,
    };
    if !store::record_use(tx, &l.id, user_id, now).await? {
        return Err(ApiError::new(
            Code::InvitationAlreadyUsedByYou,
            "You used this link before: each person uses a link once.",
        ));
    }
    if !store::take_use(tx, &l.id, now).await? {
        // Taken by someone else since it was read.
        return Err(Status::Used
            .refusal(Kind::JoinLink)
            .unwrap_or_else(link_not_found));
    }
    if request.is_some() {
        return Ok(JoinResponse {
            member: None,
            request,
        });
    }
    let member_id = admit(tx, config, &grant(l), (user_id, Some(session_id))).await?;
    audit::record(
        tx,
        audit::Event::new("organization.join-link.join")
            .actor(user_id)
            .target(&l.id)
            .after(json!({
                "organizationId": l.organization_id,
                "memberId": member_id,
                "role": l.role,
                "newAccount": new_account,
            }))
            .ip(ip),
    )
    .await?;
    let member = admitted(tx, &l.organization_id, &member_id).await?;
    Ok(JoinResponse {
        member: Some(member_view(member, false)),
        request: None,
    })
}

/// Signed in: joins through the link. Its domains, if it names any, must
/// include the person's address, verified.
pub async fn join(
    db: &Db,
    config: &Config,
    me: &Current,
    token: &str,
    note: Option<String>,
    ip: &str,
) -> ApiResult<JoinResponse> {
    let note = requests::service::message(note.as_deref())?;
    let mut tx = db.begin().await?;
    let l = usable(&mut tx, token).await?;
    if !domains::allows(&l.allowed_domains, &me.user.email) {
        return Err(domain_not_allowed(&l.allowed_domains));
    }
    if !l.allowed_domains.is_empty() && !me.user.email_verified {
        return Err(verification_required_before("using"));
    }
    if organizations::membership_of(&mut tx, &l.organization_id, &me.user.id)
        .await?
        .is_some()
    {
        return Err(ApiError::new(
            Code::UserIsAlreadyAMemberOfThisOrganization,
            "You are already a member of this organization.",
        ));
    }
    let ids = (me.user.id.as_str(), me.session.id.as_str());
    let done = use_link(&mut tx, config, &l, ids, false, note.as_deref(), ip).await?;
    tx.commit().await?;
    Ok(done)
}

/// A new account through the link, signed in at the end, in one
/// transaction. With a link for some domains the address must be proven
/// first: the account is made and a verification link sent, and the
/// person joins by opening the link again once the address is verified.
/// Answers whether a verification email waits to be sent.
pub async fn sign_up(
    db: &Db,
    config: &Config,
    body: SignUpWithJoinLinkBody,
    client: Client<'_>,
) -> ApiResult<(SignUpWithJoinLinkResponse, bool)> {
    let token = required(&body.token, "token")?.trim().to_owned();
    let person = NewPerson {
        name: PersonName::parse(required(&body.name, "name")?)?,
        email: Email::parse(required(&body.email, "email")?)?,
        password: Password::parse(required(&body.password, "password")?)?,
    };
    // Refused before the password is hashed: a closed link or another
    // domain costs nothing.
    let found = described(db, &token).await?.link;
    if let Some(refusal) = found.status_at(clock::now_ms()).refusal(Kind::JoinLink) {
        return Err(refusal);
    }
    if !domains::allows(&found.allowed_domains, person.email.as_str()) {
        return Err(domain_not_allowed(&found.allowed_domains));
    }
    let phc = hash_for_new_account(db, &person, account_exists).await?;

    let mut tx = db.begin().await?;
    let l = usable(&mut tx, &token).await?;
    let lowest = &config.roles.lowest().name;
    // With domains, the verification link brings the person back to the
    // link to join (sealed, like every callback).
    let back = url::Url::parse(&config.link(&format!("/join/{token}")))
        .map_err(|_| ApiError::internal())?;
    let then = (!l.allowed_domains.is_empty()).then_some(&back);
    let address = Address::ToVerify { then };
    let done = sign_up_in(
        &mut tx,
        config,
        &person,
        &phc,
        lowest,
        address,
        client,
        account_exists,
    )
    .await?;
    let joined = if l.allowed_domains.is_empty() {
        let ids = (done.user.id.as_str(), done.session_id.as_str());
        use_link(&mut tx, config, &l, ids, true, None, client.ip).await?
    } else {
        JoinResponse {
            member: None,
            request: None,
        }
    };
    tx.commit().await?;
    Ok((
        SignUpWithJoinLinkResponse {
            token: done.token.into(),
            user: done.user.view(),
            member: joined.member,
            request: joined.request,
        },
        done.verification_sent,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> CreateJoinLinkBody {
        CreateJoinLinkBody::default()
    }

    #[test]
    fn a_link_lasts_a_week_unless_said_and_never_beyond_thirty_days() {
        let s = Settings::parse(&body()).unwrap();
        assert_eq!(s.expires_in_ms, 7 * 86_400_000);
        assert_eq!(s.name, "Join link");
        assert_eq!(s.max_uses, None);
        assert!(s.allowed_domains.is_empty());
        let at = |secs| {
            Settings::parse(&CreateJoinLinkBody {
                expires_in: Some(secs),
                ..body()
            })
        };
        assert!(at(30 * 86_400).is_ok());
        assert!(at(60).is_ok());
        for bad in [30 * 86_400 + 1, 59, 0, -5] {
            assert_eq!(at(bad).unwrap_err().code, "INVALID_EXPIRY", "{bad}");
        }
    }

    #[test]
    fn uses_names_and_domains_are_checked() {
        let uses = |n| {
            Settings::parse(&CreateJoinLinkBody {
                max_uses: Some(n),
                ..body()
            })
        };
        assert_eq!(uses(5).unwrap().max_uses, Some(5));
        for bad in [0, -1, MAX_USES + 1] {
            assert_eq!(uses(bad).unwrap_err().code, "INVALID_MAX_USES");
        }
        let named = |n: &str| {
            Settings::parse(&CreateJoinLinkBody {
                name: Some(n.into()),
                ..body()
            })
        };
        assert_eq!(named("  Spring cohort ").unwrap().name, "Spring cohort");
        assert_eq!(named("   ").unwrap().name, "Join link");
        assert_eq!(named(&"x".repeat(81)).unwrap_err().code, "INVALID_NAME");
        assert_eq!(named("a\nb").unwrap_err().code, "INVALID_NAME");
        let domains = |d: &[&str]| {
            Settings::parse(&CreateJoinLinkBody {
                allowed_domains: Some(d.iter().map(|s| s.to_string()).collect()),
                ..body()
            })
        };
        assert_eq!(
            domains(&["Acme.io", "@acme.io"]).unwrap().allowed_domains,
            ["acme.io"]
        );
        assert_eq!(domains(&["acme"]).unwrap_err().code, "INVALID_DOMAIN");
    }
}
