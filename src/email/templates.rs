//! Email templates: each renders a subject, a plain-text body and a simple,
//! table-free HTML body. Every value that a person typed is escaped for HTML,
//! and the subject never carries a line break (no header injection).

use super::{Kind, Message};

pub struct AccountLink<'a> {
    pub to: &'a str,
    pub name: &'a str,
    pub link: &'a str,
    /// The token inside `link`.
    pub token: &'a str,
    pub expires_in: &'a str,
    pub user_id: &'a str,
}

pub fn password_reset(p: AccountLink<'_>) -> Message {
    account_link(
        p,
        Kind::PasswordReset,
        "Reset your Gatehouse password",
        "Someone asked to reset the password of your Gatehouse account.\n\
         To choose a new password, open this link",
        "Someone asked to reset the password of your Gatehouse account.",
        "Choose a new password",
        "If this wasn't you, ignore this email: your password stays as it is.",
    )
}

/// Proves that the person who signed up reads this mailbox (SPEC §3
/// "Accounts" 2).
pub fn email_verification(p: AccountLink<'_>) -> Message {
    account_link(
        p,
        Kind::EmailVerification,
        "Confirm your email address for Gatehouse",
        "Please confirm that this is your email address by opening this link",
        "Please confirm that this is your email address.",
        "Confirm my email",
        "If you did not create a Gatehouse account, ignore this email.",
    )
}

/// Confirms a new address: following the link moves the account there.
pub fn email_change(p: AccountLink<'_>) -> Message {
    account_link(
        p,
        Kind::EmailVerification,
        "Confirm your new email address for Gatehouse",
        "You asked to use this address for your Gatehouse account. To confirm it, open this link",
        "You asked to use this address for your Gatehouse account.",
        "Use this address",
        "If this wasn't you, ignore this email: nothing changes without it.",
    )
}

/// Confirms "delete my account": the page behind the link asks once more.
pub fn account_deletion(p: AccountLink<'_>) -> Message {
    account_link(
        p,
        Kind::AccountDeletion,
        "Confirm the deletion of your Gatehouse account",
        "You asked to delete your Gatehouse account. To confirm, open this link",
        "You asked to delete your Gatehouse account. Deleting it cannot be undone.",
        "Delete my account",
        "If this wasn't you, ignore this email and change your password: nothing is deleted without this link.",
    )
}

pub struct EmailChangeNotice<'a> {
    pub to: &'a str,
    pub name: &'a str,
    pub new_email: &'a str,
    pub user_id: &'a str,
}

/// Tells the old address that a change to another one was asked for: no
/// link, only the news, so a stolen session is noticed.
pub fn email_change_notice(p: EmailChangeNotice<'_>) -> Message {
    let subject = "Your Gatehouse email address is being changed".to_owned();
    let (name, new_email) = (single_line(p.name), single_line(p.new_email));
    let text = format!(
        "Hello {name},\n\nSomeone signed in to your Gatehouse account asked to move it to {new_email}. \
         It moves once that address confirms.\n\n\
         If this wasn't you, sign in, sign your other devices out on your account page and change your password.\n"
    );
    let html = layout(
        &subject,
        &format!(
            "<p>Hello {name},</p><p>Someone signed in to your Gatehouse account asked to move it to <strong>{new_email}</strong>. It moves once that address confirms.</p>{footer}",
            name = escape(&name),
            new_email = escape(&new_email),
            footer = footnote("If this wasn't you, sign in, sign your other devices out on your account page and change your password."),
        ),
    );
    Message {
        to: p.to.to_owned(),
        subject,
        text,
        html,
        kind: Kind::EmailChangeNotice,
        related_id: Some(p.user_id.to_owned()),
        secret: None,
        secret_expires_at: None,
    }
}

/// A message about the recipient's own account that carries one link:
/// `text_lead` ends where the text says how long the link works,
/// `html_lead` is the HTML's first paragraph, and `footer` closes both.
fn account_link(
    p: AccountLink<'_>,
    kind: Kind,
    subject: &str,
    text_lead: &str,
    html_lead: &str,
    button_label: &str,
    footer: &str,
) -> Message {
    let text = format!(
        "Hello {name},\n\n{text_lead} (it works once, for {exp}):\n\n{link}\n\n{footer}\n",
        name = single_line(p.name),
        exp = p.expires_in,
        link = p.link,
    );
    let html = layout(
        subject,
        &format!(
            "<p>Hello {name},</p><p>{html_lead} This link works once, for {exp}.</p>{button}{footer}",
            name = escape(p.name),
            exp = escape(p.expires_in),
            button = button(p.link, button_label),
            footer = footnote(footer),
        ),
    );
    Message {
        to: p.to.to_owned(),
        subject: subject.to_owned(),
        text,
        html,
        kind,
        related_id: Some(p.user_id.to_owned()),
        secret: Some(p.token.to_owned()),
        secret_expires_at: None,
    }
}

/// A role invitation (SPEC §3.8): "create your account" for a new person,
/// "your role is being upgraded" for someone who already has an account.
pub struct RoleInvitation<'a> {
    pub to: &'a str,
    /// Shown only when the inviter chose to share their name.
    pub inviter: Option<&'a str>,
    pub role: &'a str,
    pub role_description: &'a str,
    pub link: &'a str,
    pub token: &'a str,
    pub expires_in: &'a str,
    pub invite_id: &'a str,
    pub new_account: bool,
}

pub fn role_invitation(p: RoleInvitation<'_>) -> Message {
    let who = p.inviter.map(single_line);
    let role = single_line(p.role);
    let (subject, lead, action, kind) = if p.new_account {
        (
            match &who {
                Some(who) => format!("{who} invited you to Gatehouse as {role}"),
                None => format!("You're invited to Gatehouse as {role}"),
            },
            "You have been invited to create an account",
            "Create your account",
            Kind::RoleInvitation,
        )
    } else {
        (
            format!("Your Gatehouse role is being upgraded to {role}"),
            "Your account has been offered a new role",
            "Accept the new role",
            Kind::RoleUpgrade,
        )
    };
    let by = who
        .as_deref()
        .map(|w| format!(" by {w}"))
        .unwrap_or_default();
    let text = format!(
        "Hello,\n\n{lead}{by}, with the role {role}: {desc}\n\n\
         {action} here (the link expires in {exp}):\n\n{link}\n\n\
         If you did not expect this, you can ignore this email.\n",
        desc = single_line(p.role_description),
        exp = p.expires_in,
        link = p.link,
    );
    let html = layout(
        &subject,
        &format!(
            "<p>Hello,</p><p>{lead}{by}, with the role <strong>{role}</strong>.</p>\
             <p style=\"color:#374151\">{desc}</p>{button}{footer}",
            lead = escape(lead),
            by = escape(&by),
            role = escape(&role),
            desc = escape(p.role_description),
            button = button(p.link, action),
            footer = footnote(&format!(
                "The link expires in {}. If you did not expect this, you can ignore this email.",
                p.expires_in
            )),
        ),
    );
    Message {
        to: p.to.to_owned(),
        subject,
        text,
        html,
        kind,
        related_id: Some(p.invite_id.to_owned()),
        secret: Some(p.token.to_owned()),
        secret_expires_at: None,
    }
}

/// An account an admin created: the person chooses their password.
pub struct Enrollment<'a> {
    pub to: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub link: &'a str,
    pub token: &'a str,
    pub expires_in: &'a str,
    pub user_id: &'a str,
}

pub fn enrollment(p: Enrollment<'_>) -> Message {
    let subject = "Your Gatehouse account is ready: choose a password".to_owned();
    let text = format!(
        "Hello {name},\n\nAn account with the role {role} has been created for you on Gatehouse.\n\
         Choose your password to finish setting it up (the link works once, for {exp}):\n\n{link}\n",
        name = single_line(p.name),
        role = single_line(p.role),
        exp = p.expires_in,
        link = p.link,
    );
    let html = layout(
        &subject,
        &format!(
            "<p>Hello {name},</p><p>An account with the role <strong>{role}</strong> has been created \
             for you on Gatehouse. Choose your password to finish setting it up.</p>{button}{footer}",
            name = escape(p.name),
            role = escape(p.role),
            button = button(p.link, "Choose your password"),
            footer = footnote(&format!("The link works once, for {}.", p.expires_in)),
        ),
    );
    Message {
        to: p.to.to_owned(),
        subject,
        text,
        html,
        kind: Kind::Enrollment,
        related_id: Some(p.user_id.to_owned()),
        secret: Some(p.token.to_owned()),
        secret_expires_at: None,
    }
}

pub struct OrganizationInvitation<'a> {
    pub to: &'a str,
    pub inviter: &'a str,
    pub organization: &'a str,
    pub role: &'a str,
    pub link: &'a str,
    pub token: &'a str,
    pub expires_in: &'a str,
    pub invitation_id: &'a str,
    /// The address has no account yet: the link creates one.
    pub new_account: bool,
}

pub fn organization_invitation(p: OrganizationInvitation<'_>) -> Message {
    let (who, org, role) = (
        single_line(p.inviter),
        single_line(p.organization),
        single_line(p.role),
    );
    let subject = format!("{who} invited you to join {org} on Gatehouse");
    let next = if p.new_account {
        "Create your account and join".to_owned()
    } else {
        format!("Join {org}")
    };
    let text = format!(
        "Hello,\n\n{who} invited you to join {org} as {role}.\n\n\
         {next} here (the link expires in {exp}):\n\n{link}\n\n\
         If you did not expect this, you can ignore this email.\n",
        exp = p.expires_in,
        link = p.link,
    );
    let html = layout(
        &subject,
        &format!(
            "<p>Hello,</p><p>{who} invited you to join <strong>{org}</strong> as <strong>{role}</strong>.</p>{button}{footer}",
            who = escape(&who),
            org = escape(&org),
            role = escape(&role),
            button = button(p.link, &next),
            footer = footnote(&format!(
                "The invitation expires in {}. If you did not expect this, you can ignore this email.",
                p.expires_in
            )),
        ),
    );
    Message {
        to: p.to.to_owned(),
        subject,
        text,
        html,
        kind: Kind::OrganizationInvitation,
        related_id: Some(p.invitation_id.to_owned()),
        secret: Some(p.token.to_owned()),
        secret_expires_at: None,
    }
}

/// What an organization's admins answered a request to join.
#[derive(Debug, Clone, Copy)]
pub enum JoinRequestAnswer<'a> {
    Approved { role: &'a str },
    Declined { message: Option<&'a str> },
}

pub struct JoinRequestAnswered<'a> {
    pub to: &'a str,
    pub organization: &'a str,
    pub answer: JoinRequestAnswer<'a>,
    /// The organization's page, for an approved request.
    pub link: &'a str,
    pub request_id: &'a str,
}

/// The answer to a request to join: no secret, only the news (and, when
/// approved, where the organization is).
pub fn join_request_answered(p: JoinRequestAnswered<'_>) -> Message {
    let org = single_line(p.organization);
    let (subject, text, html) = match p.answer {
        JoinRequestAnswer::Approved { role } => {
            let role = single_line(role).replace(',', " and ");
            let subject = format!("You joined {org} on Gatehouse");
            let text = format!(
                "Hello,\n\nYour request to join {org} was approved: you are a member, as {role}.\n\n\
                 Open it here:\n\n{link}\n",
                link = p.link,
            );
            let html = layout(
                &subject,
                &format!(
                    "<p>Hello,</p><p>Your request to join <strong>{org}</strong> was approved: you are a member, as <strong>{role}</strong>.</p>{button}",
                    org = escape(&org),
                    role = escape(&role),
                    button = button(p.link, &format!("Open {org}")),
                ),
            );
            (subject, text, html)
        }
        JoinRequestAnswer::Declined { message } => {
            let subject = format!("Your request to join {org}");
            let said = message
                .map(|m| format!("\n\nThey wrote:\n\n{m}"))
                .unwrap_or_default();
            let text =
                format!("Hello,\n\nThe admins of {org} declined your request to join.{said}\n");
            let said_html = message
                .map(|m| format!("<p>They wrote:</p><blockquote>{}</blockquote>", escape(m)))
                .unwrap_or_default();
            let html = layout(
                &subject,
                &format!(
                    "<p>Hello,</p><p>The admins of <strong>{org}</strong> declined your request to join.</p>{said_html}",
                    org = escape(&org),
                ),
            );
            (subject, text, html)
        }
    };
    Message {
        to: p.to.to_owned(),
        subject,
        text,
        html,
        kind: Kind::JoinRequest,
        related_id: Some(p.request_id.to_owned()),
        secret: None,
        secret_expires_at: None,
    }
}

pub struct DomainCode<'a> {
    pub to: &'a str,
    pub organization: &'a str,
    pub domain: &'a str,
    /// Six digits.
    pub code: &'a str,
    pub minutes: i64,
    pub domain_id: &'a str,
}

/// The code that proves an organization may speak for a domain: whoever
/// reads mail at it types the code on the organization's settings page.
pub fn domain_code(p: DomainCode<'_>) -> Message {
    let (org, domain) = (single_line(p.organization), single_line(p.domain));
    let subject = format!("Your code to verify {domain} for {org}");
    let text = format!(
        "Hello,\n\nSomeone is verifying that {org} may speak for {domain} on Gatehouse.\n\n\
         Your code (it works for {minutes} minutes):\n\n    {code}\n\n\
         If you did not expect this, ignore this email: nothing changes without the code.\n",
        minutes = p.minutes,
        code = p.code,
    );
    let html = layout(
        &subject,
        &format!(
            "<p>Hello,</p><p>Someone is verifying that <strong>{org}</strong> may speak for <strong>{domain}</strong> on Gatehouse.</p>\
             <p>Your code (it works for {minutes} minutes):</p><p style=\"font-size:28px;font-weight:600;letter-spacing:6px\">{code}</p>{footer}",
            org = escape(&org),
            domain = escape(&domain),
            minutes = p.minutes,
            code = p.code,
            footer = footnote("If you did not expect this, ignore this email: nothing changes without the code."),
        ),
    );
    Message {
        to: p.to.to_owned(),
        subject,
        text,
        html,
        kind: Kind::DomainCode,
        related_id: Some(p.domain_id.to_owned()),
        secret: Some(p.code.to_owned()),
        secret_expires_at: None,
    }
}

/// A duration as people say it: "1 hour", "2 days", "90 minutes".
pub fn spoken(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = match secs {
        s if s >= 86_400 && s % 86_400 == 0 => (s / 86_400, "day"),
        s if s >= 3_600 && s % 3_600 == 0 => (s / 3_600, "hour"),
        s if s >= 60 => (s.div_ceil(60), "minute"),
        s => (s.max(1), "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

fn footnote(text: &str) -> String {
    format!(
        "<p style=\"color:#6b7280;font-size:13px\">{}</p>",
        escape(text)
    )
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"margin:0;padding:24px;background:#f3f4f6;font-family:-apple-system,Segoe UI,Roboto,sans-serif;color:#111827\">\
         <div style=\"max-width:520px;margin:0 auto;background:#ffffff;border-radius:8px;padding:32px\">\
         <p style=\"font-weight:700;font-size:18px;margin:0 0 24px\">Gatehouse</p>{body}</div></body></html>",
        title = escape(title),
    )
}

fn button(href: &str, label: &str) -> String {
    format!(
        "<p style=\"margin:28px 0\"><a href=\"{href}\" style=\"background:#4f46e5;color:#ffffff;padding:12px 20px;\
         border-radius:6px;text-decoration:none;font-weight:600\">{label}</a></p>\
         <p style=\"color:#6b7280;font-size:13px;word-break:break-all\">Or paste this link into your browser: {href}</p>",
        href = escape(href),
        label = escape(label),
    )
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Folds line breaks and other control characters into spaces, for values
/// that end up in a subject line or on one line of text.
pub fn single_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVIL: &str = "<script>alert(1)</script>\r\nBcc: evil@example.com";

    fn all_with(evil: &str) -> Vec<Message> {
        let link = "https://id.example.com/invite/tok?x=1&y=2";
        vec![
            password_reset(AccountLink {
                to: "ada@example.com",
                name: evil,
                link,
                token: "tok",
                expires_in: "1h",
                user_id: "u1",
            }),
            role_invitation(RoleInvitation {
                to: "ada@example.com",
                inviter: Some(evil),
                role: evil,
                role_description: evil,
                link,
                token: "tok",
                expires_in: "2days",
                invite_id: "i1",
                new_account: true,
            }),
            role_invitation(RoleInvitation {
                to: "ada@example.com",
                inviter: Some(evil),
                role: evil,
                role_description: evil,
                link,
                token: "tok",
                expires_in: "2days",
                invite_id: "i1",
                new_account: false,
            }),
            enrollment(Enrollment {
                to: "ada@example.com",
                name: evil,
                role: evil,
                link,
                token: "tok",
                expires_in: "2days",
                user_id: "u1",
            }),
            organization_invitation(OrganizationInvitation {
                to: "ada@example.com",
                inviter: evil,
                organization: evil,
                role: evil,
                link,
                token: "tok",
                expires_in: "2days",
                invitation_id: "o1",
                // Its button then carries the organization's name.
                new_account: false,
            }),
        ]
    }

    #[test]
    fn every_template_escapes_and_keeps_headers_single_line() {
        for m in all_with(EVIL) {
            assert!(!m.html.contains("<script>"), "{:?}: {}", m.kind, m.html);
            assert!(
                !m.html.contains("&amp;lt;") && !m.html.contains("&amp;amp;"),
                "{:?}: escaped once, not twice: {}",
                m.kind,
                m.html
            );
            assert!(
                !m.subject.contains(['\r', '\n']),
                "{:?}: {}",
                m.kind,
                m.subject
            );
            assert!(!m.text.contains("\r\nBcc"), "{:?}", m.kind);
            assert!(
                m.html.contains("x=1&amp;y=2"),
                "{:?}: the link is escaped in HTML",
                m.kind
            );
            assert!(
                m.text.contains("https://id.example.com/invite/tok?x=1&y=2"),
                "{:?}",
                m.kind
            );
            assert_eq!(m.secret.as_deref(), Some("tok"));
        }
    }

    #[test]
    fn new_accounts_and_upgrades_read_differently() {
        let all = all_with("Grace");
        let (new, upgrade) = (&all[1], &all[2]);
        assert_eq!(new.kind, Kind::RoleInvitation);
        assert_eq!(upgrade.kind, Kind::RoleUpgrade);
        assert!(new.text.contains("Create your account"));
        assert_eq!(new.subject, "Grace invited you to Gatehouse as Grace");
        assert_eq!(
            upgrade.subject,
            "Your Gatehouse role is being upgraded to Grace"
        );
        assert!(upgrade.text.contains("Accept the new role"));
    }

    #[test]
    fn durations_read_as_spoken() {
        use std::time::Duration;
        let cases = [
            (3600, "1 hour"),
            (7200, "2 hours"),
            (86_400, "1 day"),
            (172_800, "2 days"),
            (5400, "90 minutes"),
            (900, "15 minutes"),
            (61, "2 minutes"),
            (1, "1 second"),
            (0, "1 second"),
        ];
        for (secs, words) in cases {
            assert_eq!(spoken(Duration::from_secs(secs)), words);
        }
    }

    #[test]
    fn an_unshared_inviter_is_not_named() {
        let m = role_invitation(RoleInvitation {
            to: "ada@example.com",
            inviter: None,
            role: "admin",
            role_description: "Runs things.",
            link: "https://x/invite/t",
            token: "t",
            expires_in: "1day",
            invite_id: "i",
            new_account: true,
        });
        assert_eq!(m.subject, "You're invited to Gatehouse as admin");
        assert!(!m.text.contains(" by "));
    }
}
