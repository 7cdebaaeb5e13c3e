//! The background sender: every node runs one. It claims due messages from
//! the outbox one at a time and hands them to the SMTP server, or, with none
//! configured, holds them and says in the log how an operator reads them
//! (never the link itself: SPEC §6). Requests never wait for mail: they
//! queue a message and wake the sender.

use std::time::Duration;

use lettre::{
    message::{Mailbox, MultiPart},
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
    },
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
};
use secrecy::ExposeSecret;

use super::{outbox, templates::single_line};
use crate::{
    config::{Config, EmailSettings, SmtpSettings, SmtpTls},
    server::{clock, db::Db, secret_key::SecretKey},
};

/// lettre's timeout covers only connecting; the whole conversation gets a
/// deadline of its own, well inside the claim lease, so a stalled server can
/// never let a second sender take over a message that is still going out.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
const SEND_DEADLINE: Duration = Duration::from_secs(120);
const CLAIM_LEASE: Duration = Duration::from_secs(300);
/// The longest wait between two attempts, however many have failed.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

pub const NOT_CONFIGURED: &str =
    "Not delivered: no SMTP server is configured. It waits here; `gatehouse outbox show` on the server prints it.";

pub use crate::server::shutdown::Wake;

enum Delivery {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Log,
}

/// Starts this node's sender. Fails only when the SMTP settings cannot be
/// turned into a transport (e.g. TLS set-up), which should stop the start.
/// Once `stopping` says so, the sender finishes the message in hand and
/// ends; whatever is still queued waits for the next start (or another node).
pub fn spawn(
    config: &Config,
    db: Db,
    wake: Wake,
    stopping: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let delivery = match &config.smtp {
        Some(smtp) => Delivery::Smtp {
            transport: transport(smtp)?,
            from: config.email.from.clone(),
        },
        None => {
            tracing::info!("no SMTP server configured (smtp_url): emails are kept in the outbox; read one with `gatehouse outbox show ID`");
            Delivery::Log
        }
    };
    let settings = config.email.clone();
    let key = config.secret_key.clone();
    let stop = crate::server::shutdown::stop_requested(stopping.clone());
    Ok(tokio::spawn(async move {
        tokio::pin!(stop);
        let stopped = || *stopping.borrow();
        while !stopped() {
            // Drain everything that is due, then sleep until woken or the
            // next poll (other nodes' messages and retries come due alone).
            while !stopped() {
                match outbox::claim_next(&db, clock::ms(CLAIM_LEASE)).await {
                    Ok(Some(message)) => deliver(&db, &delivery, &settings, &key, message).await,
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "failed to read the email outbox");
                        break;
                    }
                }
            }
            // A retry due before the next poll is not kept waiting for it.
            let due = outbox::next_due(&db).await.ok().flatten();
            let pause = clock::pause_until(due, settings.poll_interval);
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = &mut stop => {}
            }
        }
    }))
}

fn transport(smtp: &SmtpSettings) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let tls = || TlsParameters::new(smtp.host.clone());
    let tls = match smtp.tls {
        SmtpTls::StartTls => Tls::Required(tls()?),
        SmtpTls::Opportunistic => Tls::Opportunistic(tls()?),
        SmtpTls::Wrapper => Tls::Wrapper(tls()?),
        SmtpTls::None => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(SMTP_TIMEOUT));
    if let Some((user, password)) = &smtp.credentials {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose_secret().to_owned(),
        ));
    }
    Ok(builder.build())
}

async fn deliver(
    db: &Db,
    delivery: &Delivery,
    settings: &EmailSettings,
    key: &SecretKey,
    m: outbox::Claimed,
) {
    let (transport, from) = match delivery {
        Delivery::Smtp { transport, from } => (transport, from),
        Delivery::Log => {
            // The stored text has its link hidden; the log never holds one.
            tracing::info!(
                id = %m.id,
                to = %m.recipient,
                kind = %m.kind,
                "email not sent (no SMTP server configured). Read it, link included, with `gatehouse outbox show {}`; its text with the link hidden follows\n--- {}\n{}\n---",
                m.id,
                m.subject,
                m.text_body
            );
            if let Err(e) = outbox::hold(db, &m, NOT_CONFIGURED).await {
                tracing::warn!(id = %m.id, error = %e, "failed to record an undelivered email");
            }
            return;
        }
    };
    let outcome = match m
        .deliverable(key)
        .and_then(|bodies| build(&m, bodies, from))
    {
        Ok(email) => match tokio::time::timeout(SEND_DEADLINE, transport.send(email)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(Failure {
                permanent: refuses_recipient(e.status().map(u16::from)),
                reason: e.to_string(),
            }),
            Err(_) => Err(Failure {
                permanent: false,
                reason: format!(
                    "The mail server did not finish within {} seconds.",
                    SEND_DEADLINE.as_secs()
                ),
            }),
        },
        Err(reason) => Err(Failure {
            permanent: true,
            reason,
        }),
    };
    let recorded = match outcome {
        Ok(()) => {
            tracing::info!(id = %m.id, kind = %m.kind, "email sent");
            outbox::mark_sent(db, &m).await
        }
        Err(failure) => {
            let attempts = m.attempts.saturating_add(1);
            let retry_at = next_attempt_delay(settings, attempts, failure.permanent)
                .map(|wait| clock::now_ms().saturating_add(clock::ms(wait)));
            tracing::warn!(
                id = %m.id,
                attempts,
                gives_up = retry_at.is_none(),
                error = %failure.reason,
                "email delivery failed"
            );
            outbox::mark_attempt_failed(db, &m, &failure.reason, retry_at).await
        }
    };
    match recorded {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            id = %m.id,
            "the claim on this email expired before its outcome was recorded; it may go out twice"
        ),
        // The lease runs out and the message is tried again: at worst a
        // duplicate, never a loss.
        Err(e) => {
            tracing::error!(id = %m.id, error = %e, "failed to record an email delivery outcome")
        }
    }
}

/// Only a refusal of this recipient is final: a bad mailbox (550, 551, 553)
/// fails the same way every time. Other 5xx replies (bad credentials, a
/// sender the server won't relay for) are configuration faults that an
/// admin fixes, after which the retries go through.
fn refuses_recipient(code: Option<u16>) -> bool {
    matches!(code, Some(550 | 551 | 553))
}

struct Failure {
    permanent: bool,
    reason: String,
}

/// The message as it goes on the wire: both bodies as
/// multipart/alternative, a Message-ID built from the outbox id (the same on
/// every attempt, so a receiving server can spot a repeat), and a subject
/// that cannot carry a line break into the headers.
fn build(
    m: &outbox::Claimed,
    (text, html): (String, String),
    from: &Mailbox,
) -> Result<lettre::Message, String> {
    let to: Mailbox = m
        .recipient
        .parse()
        .map_err(|e| format!("The recipient address is not valid: {e}"))?;
    lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(single_line(&m.subject))
        .message_id(Some(format!("<{}@{}>", m.id, from.email.domain())))
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| format!("The message could not be built: {e}"))
}

/// How long to wait before the next attempt, after `attempts` have failed;
/// None once the message should be given up (`failed`). A permanent refusal
/// (a 5xx reply) is not retried: it would fail the same way.
pub fn next_attempt_delay(
    settings: &EmailSettings,
    attempts: u32,
    permanent: bool,
) -> Option<Duration> {
    if permanent {
        return None;
    }
    backoff(settings.retry_backoff, settings.max_attempts, attempts)
}

/// The wait after `attempts` failed ones: `first`, doubling each time and
/// capped at an hour; None once `max_attempts` were made. Webhook
/// deliveries retry on the same schedule.
pub fn backoff(first: Duration, max_attempts: u32, attempts: u32) -> Option<Duration> {
    if attempts >= max_attempts {
        return None;
    }
    let factor = 2u32.saturating_pow(attempts.saturating_sub(1));
    Some(first.saturating_mul(factor).min(MAX_BACKOFF))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn settings(max_attempts: u32, backoff_secs: u64) -> EmailSettings {
        EmailSettings {
            from: "Gatehouse <id@example.com>".parse().unwrap(),
            max_attempts,
            retry_backoff: Duration::from_secs(backoff_secs),
            poll_interval: Duration::from_secs(5),
        }
    }

    #[test]
    fn backoff_doubles_then_gives_up() {
        let s = settings(5, 30);
        let waits: Vec<_> = (1..=5)
            .map(|n| next_attempt_delay(&s, n, false).map(|d| d.as_secs()))
            .collect();
        assert_eq!(waits, [Some(30), Some(60), Some(120), Some(240), None]);
    }

    #[test]
    fn permanent_failures_are_not_retried() {
        assert_eq!(next_attempt_delay(&settings(5, 30), 1, true), None);
    }

    #[test]
    fn only_a_refused_recipient_is_final() {
        for code in [550, 551, 553] {
            assert!(refuses_recipient(Some(code)), "{code}");
        }
        for code in [Some(535), Some(554), Some(421), Some(451), None] {
            assert!(!refuses_recipient(code), "{code:?}");
        }
    }

    #[test]
    fn one_attempt_means_no_retry() {
        assert_eq!(next_attempt_delay(&settings(1, 30), 1, false), None);
    }

    proptest! {
        #[test]
        fn waits_grow_and_stay_capped(max in 2u32..200, base in 1u64..7200, n in 1u32..199) {
            let s = settings(max, base);
            prop_assume!(n + 1 < max);
            let this = next_attempt_delay(&s, n, false).unwrap();
            let next = next_attempt_delay(&s, n + 1, false).unwrap();
            prop_assert!(next >= this);
            prop_assert!(next <= MAX_BACKOFF.max(s.retry_backoff));
        }
    }

    #[test]
    fn the_wire_message_has_both_bodies_and_a_clean_subject() {
        let m = outbox::Claimed {
            id: "abc".into(),
            claim: "c".into(),
            recipient: "ada@example.com".into(),
            subject: "Hi\r\nBcc: eve@example.com".into(),
            text_body: "plain words [hidden]".into(),
            html_body: "<p>html words [hidden]</p>".into(),
            sealed: None,
            kind: "password-reset".into(),
            attempts: 0,
        };
        let from: Mailbox = "Gatehouse <id@example.com>".parse().unwrap();
        let bodies = ("plain words".to_owned(), "<p>html words</p>".to_owned());
        let wire = String::from_utf8(build(&m, bodies, &from).unwrap().formatted()).unwrap();
        assert!(
            wire.contains("Subject: Hi  Bcc: eve@example.com\r\n"),
            "{wire}"
        );
        assert!(!wire.contains("\r\nBcc:"), "{wire}");
        assert!(wire.contains("Message-ID: <abc@example.com>"), "{wire}");
        assert!(wire.contains("multipart/alternative"));
        assert!(wire.contains("plain words") && wire.contains("<p>html words</p>"));
    }
}
