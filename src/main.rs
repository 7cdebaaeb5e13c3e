use std::process::ExitCode;

use gatehouse::{
    config::{Config, LogFormat},
    server, startup,
};
use tracing_subscriber::EnvFilter;

/// mimalloc rather than glibc's malloc: rendering a page allocates many
/// small, short-lived values, and with mimalloc the server renders about a
/// quarter more pages and sign-ins per second (scripts/bench.sh). Its
/// arenas are kept off transparent huge pages (`no_thp`, Cargo.toml), which
/// otherwise held 17 MB more at idle. Memory stays bounded either way, since
/// the large argon2 areas are reused rather than freed (`server::crypto`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // The format comes from the configuration; a configuration that does
    // not load is reported by the command itself, in text.
    let format = Config::load().map(|c| c.log_format).unwrap_or_default();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn,sqlx=warn")),
        )
        // Standard output is for what commands print (an invitation URL).
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        // One object a line, with the request's span (its id) on each.
        LogFormat::Json => logs.json().with_current_span(true).init(),
    }

    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => match serve().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("gatehouse: {e:#}");
                ExitCode::FAILURE
            }
        },
        Some("invite") => match invite(&args[1..]).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("gatehouse invite: {e:#}\n\n{INVITE_USAGE}");
                ExitCode::FAILURE
            }
        },
        Some("outbox") => match outbox(&args[1..]).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("gatehouse outbox: {e:#}\n\n{OUTBOX_USAGE}");
                ExitCode::FAILURE
            }
        },
        Some("backup") => match backup(&args[1..]).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("gatehouse backup: {e:#}\n\n{BACKUP_USAGE}");
                ExitCode::FAILURE
            }
        },
        Some("app") => match app(&args[1..]).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("gatehouse app: {e:#}\n\n{APP_USAGE}");
                ExitCode::FAILURE
            }
        },
        Some("keys") => match keys(&args[1..]).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("gatehouse keys: {e:#}\n\n{KEYS_USAGE}");
                ExitCode::FAILURE
            }
        },
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("gatehouse: unknown command `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

const USAGE: &str = "Usage: gatehouse [serve]\n       gatehouse invite --role ROLE [--email EMAIL]... [options]\n       gatehouse outbox list | show ID\n       gatehouse backup PATH\n       gatehouse app add --name NAME --redirect-uri URI [options]\n       gatehouse keys rotate\n\n\
    Configuration comes from gatehouse.toml (or the file named by GATEHOUSE_CONFIG)\n\
    and GATEHOUSE_* environment variables; see the README.";

const INVITE_USAGE: &str = "Usage: gatehouse invite --role ROLE [--email EMAIL]... [--max-uses N] [--expires-in 7d] [--code]\n\n\
    Creates a role invitation and prints its URL as the last line. With --email, the\n\
    invitation is private and its email is queued (a running Gatehouse sends it);\n\
    without, it is public, for one person unless --max-uses says more.";

const OUTBOX_USAGE: &str = "Usage: gatehouse outbox list\n       gatehouse outbox show ID\n\n\
    `list` prints the messages waiting for delivery (with no mail server, all of them).\n\
    `show` prints one message as it would be delivered, link included: for passing an\n\
    invitation on by hand. Anyone who can run this can read every waiting link.";

const BACKUP_USAGE: &str = "Usage: gatehouse backup PATH\n\n\
    Writes a consistent copy of the SQLite database to PATH, a new file, while the server\n\
    keeps running. Keep the key file with it: without the key, waiting emails and\n\
    invitation codes in the copy cannot be used. For PostgreSQL, use pg_dump.";

const APP_USAGE: &str =
    "Usage: gatehouse app add --name NAME --redirect-uri URI [--redirect-uri URI]... [options]\n\n\
    Registers an app that signs people in with Gatehouse (OpenID Connect) and prints its\n\
    client ID and, for a confidential app, its secret (shown this once).\n\n\
    Options:\n\
    \x20 --public                 no secret: PKCE only (single-page and mobile apps)\n\
    \x20 --auth-method METHOD     client_secret_basic (default) or client_secret_post\n\
    \x20 --logout-uri URI         where the app may send people after signing out\n\
    \x20 --scope \"openid ...\"     what it may ask for (default: openid email profile)\n\
    \x20 --first-party            people are not asked to allow it\n\
    \x20 --allow-role ROLE        only accounts with this role (repeatable)\n\
    \x20 --allow-org SLUG         only members of this organization (repeatable)\n\
    \x20 --allow-team SLUG/TEAM   only members of this team (repeatable)";

const KEYS_USAGE: &str = "Usage: gatehouse keys rotate\n\n\
    Makes a new key to sign apps' tokens with. The old key stays published until every\n\
    token it signed has expired, so apps keep verifying them.";

/// `gatehouse app add`: registers an app from a script or a terminal.
async fn app(args: &[String]) -> anyhow::Result<()> {
    use gatehouse::apps::{clients, ClientMetadata};
    let [cmd, rest @ ..] = args else {
        anyhow::bail!("expected `add`");
    };
    if cmd != "add" {
        anyhow::bail!("unknown command `{cmd}`, expected `add`");
    }
    let mut body = ClientMetadata::default();
    let (mut redirects, mut logouts, mut roles, mut orgs, mut teams) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut args = rest.iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--name" => body.client_name = Some(value()?),
            "--redirect-uri" => redirects.push(value()?),
            "--logout-uri" => logouts.push(value()?),
            "--public" => body.token_endpoint_auth_method = Some("none".into()),
            "--auth-method" => body.token_endpoint_auth_method = Some(value()?),
            "--scope" => body.scope = Some(value()?),
            "--first-party" => body.skip_consent = Some(true),
            "--allow-role" => roles.push(value()?),
            "--allow-org" => orgs.push(value()?),
            "--allow-team" => teams.push(value()?),
            other => anyhow::bail!("unknown option `{other}`"),
        }
    }
    body.redirect_uris = Some(redirects);
    body.post_logout_redirect_uris = Some(logouts);
    body.allowed_roles = Some(roles);
    body.allowed_organizations = Some(orgs);
    body.allowed_teams = Some(teams);
    let (config, db) = open_instance().await?;
    let app = clients::create(&db, &config, None, body, "")
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    eprintln!(
        "Registered {}. Issuer: {}",
        app.client_name,
        config.link("")
    );
    println!("client_id={}", app.client_id);
    if let Some(secret) = app.client_secret {
        println!("client_secret={secret}");
    }
    Ok(())
}

/// `gatehouse keys rotate`: a new signing key for apps' tokens.
async fn keys(args: &[String]) -> anyhow::Result<()> {
    if args.iter().map(String::as_str).ne(["rotate"]) {
        anyhow::bail!("expected `rotate`");
    }
    let (config, db) = open_instance().await?;
    let kid = gatehouse::apps::keys::rotate(&db, &config.secret_key)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    eprintln!("Apps' tokens are now signed with key {kid}; the previous key stays published until its tokens expire.");
    println!("{kid}");
    Ok(())
}

/// `gatehouse backup PATH`: a copy of the SQLite database, taken online.
async fn backup(args: &[String]) -> anyhow::Result<()> {
    let [path] = args else {
        anyhow::bail!("give one PATH to write the copy to");
    };
    let (_, db) = open_instance().await?;
    db.backup(std::path::Path::new(path)).await?;
    eprintln!("Wrote a copy of the database to {path}. Keep the key file with it.");
    Ok(())
}

/// The database and key a command works on, checked as a server start would.
async fn open_instance() -> anyhow::Result<(Config, server::db::Db)> {
    let config = Config::load()?;
    let db = server::db::Db::connect(&config.database_url).await?;
    db.migrate().await?;
    server::secret_key::check(&db, &config.secret_key).await?;
    Ok((config, db))
}

/// `gatehouse outbox`: how an operator reads a message that waits for
/// delivery, since the log never holds its link (SPEC §6). Shell access is
/// the trust boundary here; each `show` still goes to the audit log.
async fn outbox(args: &[String]) -> anyhow::Result<()> {
    use gatehouse::{audit, email::review};
    match args {
        [cmd] if cmd == "list" => {
            let (_, db) = open_instance().await?;
            let (rows, total) = review::list(&db, Some("queued"), 100, 0).await?;
            if rows.is_empty() {
                eprintln!("No messages are waiting.");
            }
            for m in &rows {
                println!("{}  {}  {}  {}", m.id, m.kind, m.recipient, m.subject);
            }
            if total > 100 {
                eprintln!("(the newest 100 of {total})");
            }
            Ok(())
        }
        [cmd, id] if cmd == "show" => {
            let (config, db) = open_instance().await?;
            let shown = review::show(&db, &config.secret_key, id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("there is no message `{id}`"))?;
            let mut tx = db.begin().await?;
            audit::record(
                &mut tx,
                audit::Event::new("email.reveal")
                    .target(id)
                    .after(serde_json::json!({ "via": "gatehouse outbox show" })),
            )
            .await?;
            tx.commit().await?;
            println!("{shown}");
            Ok(())
        }
        _ => anyhow::bail!("expected `list` or `show ID`"),
    }
}

/// `gatehouse invite`: the setup link on demand, and invitations from scripts.
async fn invite(args: &[String]) -> anyhow::Result<()> {
    use gatehouse::invitations::{
        role::{create, CreateInviteBody},
        OneOrMany,
    };

    let mut body = CreateInviteBody {
        share_inviter_name: Some(false),
        ..Default::default()
    };
    let mut emails = Vec::new();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--role" => body.role = Some(value()?),
            "--email" => emails.push(value()?),
            "--max-uses" => {
                let v = value()?;
                body.max_uses = Some(
                    v.parse()
                        .map_err(|_| anyhow::anyhow!("--max-uses `{v}` is not a number"))?,
                );
            }
            "--expires-in" => {
                let v = value()?;
                let d = humantime::parse_duration(&v).map_err(|e| {
                    anyhow::anyhow!("--expires-in `{v}` is not a duration like 7d: {e}")
                })?;
                body.expires_in = Some(i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            }
            "--code" => body.token_type = Some("code".into()),
            other => anyhow::bail!("unknown option `{other}`"),
        }
    }
    if body.role.is_none() {
        anyhow::bail!("--role is required");
    }
    // A public link printed to a terminal is easily passed on: unless asked
    // otherwise, it lets in one person.
    if emails.is_empty() && body.max_uses.is_none() {
        body.max_uses = Some(1);
    }
    body.email = Some(OneOrMany::Many(emails));
    let (config, db) = open_instance().await?;
    let spec = create::NewInvites::from_body(&config, body)
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let created = create::create_invitations(&db, &config, &spec, None, None)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    for c in &created {
        match &c.row.email {
            Some(to) => eprintln!(
                "Invitation for {to} as {}; its email is queued.",
                c.row.role
            ),
            None => eprintln!(
                "Public invitation as {}, valid until {}.",
                c.row.role,
                gatehouse::server::clock::rfc3339(c.row.expires_at)
            ),
        }
        println!("{}", c.url);
    }
    Ok(())
}

async fn serve() -> anyhow::Result<()> {
    let config = Config::load()?;
    let leptos_options = startup::leptos_options()?;
    let listener = tokio::net::TcpListener::bind(&config.bind)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "Failed to listen on {} (configuration key `bind`): {e}",
                config.bind
            )
        })?;
    let grace = config.shutdown_timeout;
    let mut running = startup::start(config, leptos_options, listener).await?;
    tracing::info!(
        "Gatehouse is ready at {} (listening on {})",
        running.state.config.base_url,
        running.addr
    );
    tokio::select! {
        failed = running.failed() => return failed,
        signal = shutdown_signal() => {
            tracing::info!(
                "{signal}: no longer accepting connections; finishing the requests in flight (at most {}s)",
                grace.as_secs()
            );
        }
    }
    running.shutdown(grace).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Which of SIGTERM (service managers, containers) and Ctrl-C came first.
async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the server gracefully");
            let _ = tokio::signal::ctrl_c().await;
            return "Ctrl-C";
        }
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "Ctrl-C",
    }
}
