//! Email templates: each renders a subject, a plain-text body and a simple,
//! table-free HTML body. Every value that a person typed is escaped for HTML,
//! and the subject never carries a line break (no header injection).

use super::{Kind, Message};

pub struct PasswordReset<'a> {
    pub to: &'a str,
    pub name: &'a str,
    pub link: &'a str,
    pub expires_in: &'a str,
    pub user_id: &'a str,
}

pub fn password_reset(p: PasswordReset<'_>) -> Message {
    let subject = "Reset your Gatehouse password".to_owned();
    let text = format!(
        "Hello {name},\n\nSomeone asked to reset the password of your Gatehouse account.\n\
         To choose a new password, open this link (it works once, for {exp}):\n\n{link}\n\n\
         If this wasn't you, ignore this email: your password stays as it is.\n",
        name = single_line(p.name),
        exp = p.expires_in,
        link = p.link,
    );
    let html = layout(
        &subject,
        &format!(
            "<p>Hello {name},</p><p>Someone asked to reset the password of your Gatehouse account. \
             This link works once, for {exp}.</p>{button}\
             <p style=\"color:#6b7280;font-size:13px\">If this wasn't you, ignore this email: your password stays as it is.</p>",
            name = escape(p.name),
            exp = escape(p.expires_in),
            button = button(p.link, "Choose a new password"),
        ),
    );
    Message {
        to: p.to.to_owned(),
        subject,
        text,
        html,
        kind: Kind::PasswordReset,
        related_id: Some(p.user_id.to_owned()),
    }
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

    #[test]
    fn reset_email_escapes_the_name_and_carries_the_link() {
        let m = password_reset(PasswordReset {
            to: "ada@example.com",
            name: "<script>alert(1)</script>\r\nBcc: evil@example.com",
            link: "https://id.example.com/reset-password?token=abc&x=1",
            expires_in: "1 hour",
            user_id: "u1",
        });
        assert!(!m.html.contains("<script>"));
        assert!(m.html.contains("&lt;script&gt;"));
        assert!(m.html.contains("token=abc&amp;x=1"));
        assert!(m
            .text
            .contains("https://id.example.com/reset-password?token=abc&x=1"));
        assert!(!m.text.contains("\r\nBcc"));
        assert!(!m.subject.contains('\n'));
    }
}
