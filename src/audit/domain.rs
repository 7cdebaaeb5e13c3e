//! The audit log's rules: which group an action belongs to, and what
//! changed between an event's before and after.

use serde_json::Value;

/// The groups the log is filtered by (SPEC §4 `/admin/audit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Accounts,
    Invitations,
    Users,
    Email,
    Organizations,
    Webhooks,
    Apps,
}

impl Group {
    pub const ALL: [Group; 7] = [
        Group::Accounts,
        Group::Invitations,
        Group::Users,
        Group::Email,
        Group::Organizations,
        Group::Webhooks,
        Group::Apps,
    ];

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Group::Accounts => "accounts",
            Group::Invitations => "invitations",
            Group::Users => "users",
            Group::Email => "email",
            Group::Organizations => "organizations",
            Group::Webhooks => "webhooks",
            Group::Apps => "apps",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Group::Accounts => "Accounts and sign-ins",
            Group::Invitations => "Invitations",
            Group::Users => "Users (admin changes)",
            Group::Email => "Email",
            Group::Organizations => "Organizations",
            Group::Webhooks => "Webhooks",
            Group::Apps => "Apps (sign-in with Gatehouse)",
        }
    }

    /// The group an action belongs to; every action has one.
    pub fn of(action: &str) -> Self {
        match action.split_once('.').map_or(action, |(head, _)| head) {
            "invite" => Group::Invitations,
            "email" => Group::Email,
            "organization" => Group::Organizations,
            "webhook" => Group::Webhooks,
            "app" => Group::Apps,
            "user" if USER_ADMIN_ACTIONS.contains(&action) => Group::Users,
            _ => Group::Accounts,
        }
    }

    /// The actions recorded today, in this group, for the filter's list.
    pub fn actions(self) -> impl Iterator<Item = &'static str> {
        ACTIONS
            .iter()
            .copied()
            .filter(move |a| Group::of(a) == self)
    }
}

/// What an administrator does to someone else's account.
const USER_ADMIN_ACTIONS: [&str; 12] = [
    "user.create",
    "user.set-role",
    "user.disable",
    "user.enable",
    "user.ban",
    "user.unban",
    "user.enrollment-resent",
    "user.admin-update",
    "user.remove",
    "user.sessions-revoke",
    "user.impersonate",
    "user.impersonate-stop",
];

/// Every action Gatehouse records.
pub const ACTIONS: [&str; 82] = [
    "session.sign-in",
    "session.sign-out",
    "session.revoke",
    "session.revoke-others",
    "session.revoke-all",
    "user.sign-up",
    "user.email-verified",
    "user.password-reset-requested",
    "user.password-reset",
    "user.password-change",
    "user.update",
    "user.email-change-requested",
    "user.email-change",
    "user.two-factor-enable",
    "user.two-factor-backup-codes",
    "user.two-factor-disable",
    "user.delete-requested",
    "user.delete",
    "user.enrollment-completed",
    "user.create",
    "user.set-role",
    "user.disable",
    "user.enable",
    "user.ban",
    "user.unban",
    "user.enrollment-resent",
    "user.admin-update",
    "user.remove",
    "user.sessions-revoke",
    "user.impersonate",
    "user.impersonate-stop",
    "invite.create",
    "invite.resend",
    "invite.accept",
    "invite.reject",
    "invite.cancel",
    "email.retry",
    "email.reveal",
    "organization.create",
    "organization.update",
    "organization.delete",
    "organization.member.add",
    "organization.member.update-role",
    "organization.member.remove",
    "organization.member.leave",
    "organization.invitation.create",
    "organization.invitation.resend",
    "organization.invitation.accept",
    "organization.invitation.reject",
    "organization.invitation.cancel",
    "organization.join-link.create",
    "organization.join-link.revoke",
    "organization.join-link.join",
    "organization.join-request.create",
    "organization.join-request.approve",
    "organization.join-request.decline",
    "organization.domain.add",
    "organization.domain.verify",
    "organization.domain.remove",
    "organization.domain.policy",
    "organization.domain.join",
    "organization.team.create",
    "organization.team.update",
    "organization.team.delete",
    "organization.team.member.add",
    "organization.team.member.remove",
    "organization.role.create",
    "organization.role.update",
    "organization.role.delete",
    "webhook.create",
    "webhook.update",
    "webhook.rotate-secret",
    "webhook.delete",
    "webhook.replay",
    "app.create",
    "app.update",
    "app.rotate-secret",
    "app.delete",
    "app.consent",
    "app.disconnect",
    "app.token-reuse",
    "app.keys-rotate",
];

/// One line of an event's change: a field, its value before and after
/// (none when absent), and whether it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl DiffLine {
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// The fields of `before` and `after` side by side, in order of first
/// appearance. Objects are compared field by field; anything else is one
/// line, `value`.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<DiffLine> {
    let fields = |v: Option<&Value>| -> Vec<(String, String)> {
        match v {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), shown(v))).collect(),
            Some(other) => vec![("value".to_owned(), shown(other))],
        }
    };
    let (before, after) = (fields(before), fields(after));
    let mut names: Vec<&String> = Vec::new();
    for (name, _) in before.iter().chain(after.iter()) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let find = |list: &[(String, String)], name: &str| {
        list.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    };
    names
        .into_iter()
        .map(|name| DiffLine {
            field: name.clone(),
            before: find(&before, name),
            after: find(&after, name),
        })
        .collect()
}

/// A value as a person reads it: strings without quotes.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_action_has_one_group_and_is_listed_in_it() {
        for action in ACTIONS {
            let group = Group::of(action);
            assert!(group.actions().any(|a| a == action), "{action}");
            assert_eq!(Group::parse(group.name()), Some(group));
        }
        assert_eq!(Group::of("user.set-role"), Group::Users);
        assert_eq!(Group::of("user.sign-up"), Group::Accounts);
        assert_eq!(Group::of("session.sign-in"), Group::Accounts);
        assert_eq!(Group::of("organization.team.create"), Group::Organizations);
        assert_eq!(Group::parse("nothing"), None);
    }

    #[test]
    fn a_diff_lines_up_fields_and_says_what_changed() {
        let lines = diff(
            Some(&json!({ "role": "user", "name": "Ada" })),
            Some(&json!({ "role": "admin", "name": "Ada", "banned": true })),
        );
        let shown: Vec<(&str, Option<&str>, Option<&str>, bool)> = lines
            .iter()
            .map(|l| {
                (
                    l.field.as_str(),
                    l.before.as_deref(),
                    l.after.as_deref(),
                    l.changed(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("name", Some("Ada"), Some("Ada"), false),
                ("role", Some("user"), Some("admin"), true),
                ("banned", None, Some("true"), true),
            ]
        );
        assert!(diff(None, None).is_empty());
        assert_eq!(diff(None, Some(&json!("x")))[0].after.as_deref(), Some("x"));
    }
}
