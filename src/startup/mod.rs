//! Starting Gatehouse: connect and migrate, bring configured state into the
//! database, start the email and webhook senders and the maintenance job,
//! build the router and serve; and stop it all again. `main` and the tests
//! call `start`.

pub mod retention;
mod scrape;

use std::{
    future::Future,
    net::SocketAddr,
    path::Path,
    sync::{Arc, LazyLock},
    time::Duration,
};

use anyhow::Context;
use axum::{
    body::Body,
    extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State},
    handler::Handler,
    middleware::{self, map_response},
    response::Response,
    routing::get,
    serve::ListenerExt,
    Router,
};
use http::{header, request::Parts, HeaderValue};
use leptos::{
    prelude::{provide_context, use_context, LeptosOptions, Owner},
    reactive::computed::ScopedFuture,
};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes, ResponseOptions};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};
use tower_http::{
    compression::CompressionLayer,
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    services::ServeDir,
    trace::TraceLayer,
};

use crate::{
    accounts::sessions,
    app::{shell, App},
    config::{Config, RetentionSettings},
    context::{AppState, RequestContext},
    email,
    pages::{self, PageData},
    server::{
        clock, crypto, db::Db, metrics, rate_limit, secret_key, security, shutdown::stop_requested,
    },
};

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    server: JoinHandle<std::io::Result<()>>,
    sender: JoinHandle<()>,
    webhooks: JoinHandle<()>,
    stop: watch::Sender<bool>,
}

impl Running {
    /// Resolves only if the server stops by itself, which is a failure.
    pub async fn failed(&mut self) -> anyhow::Result<()> {
        (&mut self.server)
            .await
            .context("The server task panicked")?
            .context("The server stopped")?;
        anyhow::bail!("The server stopped without being asked to")
    }

    /// Stops accepting connections, lets every request in flight finish and
    /// the email sender finish the message in hand, all within `grace`.
    /// Connections left open then are cut, and that is an error.
    pub async fn shutdown(self, grace: Duration) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        let drained = async {
            let server = self.server.await;
            let sender = self.sender.await;
            let webhooks = self.webhooks.await;
            (server, sender, webhooks)
        };
        match tokio::time::timeout(grace, drained).await {
            Ok((server, sender, webhooks)) => {
                server
                    .context("The server task panicked")?
                    .context("The server failed while stopping")?;
                sender.context("The email sender panicked")?;
                webhooks.context("The webhook sender panicked")?;
                Ok(())
            }
            Err(_) => anyhow::bail!(
                "Requests were still running {}s after the shutdown began (shutdown_timeout); they were cut off",
                grace.as_secs()
            ),
        }
    }
}

/// Connects to the database, applies migrations (any failure is fatal),
/// and serves on `listener` in the background.
pub async fn start(
    mut config: Config,
    leptos_options: LeptosOptions,
    listener: TcpListener,
) -> anyhow::Result<Running> {
    metrics::init();
    // A verified address may bring its owner into an organization whose
    // verified domain it is at.
    config.hooks.email_verified = Some(crate::organizations::domains::service::on_email_verified);
    config.hooks.account_removing = Some(crate::organizations::members::on_account_removing);
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    secret_key::check(&db, &config.secret_key).await?;
    crate::accounts::store::normalize_stored_emails(&db)
        .await
        .context("Failed to bring stored email addresses to their ASCII form")?;
    crypto::warm_up()
        .await
        .context("Failed to prepare password hashing")?;
    crate::invitations::role::setup::first_run(&db, &config)
        .await
        .context("Failed to create the first-run setup link")?;
    crate::webhooks::store::sync_configured(&db, &config.secret_key, &config.webhooks.endpoints)
        .await
        .context("Failed to bring the configured webhooks (gatehouse.toml) into the database")?;
    let (stop, stopping) = watch::channel(false);
    let mail = email::sender::Wake::default();
    let sender = email::sender::spawn(&config, db.clone(), mail.clone(), stopping.clone())
        .context("Failed to set up email delivery")?;
    let webhooks = crate::webhooks::sender::spawn(
        config.webhooks.clone(),
        config.secret_key.clone(),
        db.clone(),
        stopping.clone(),
    )
    .context("Failed to set up webhook delivery")?;
    let state = AppState {
        leptos_options,
        config: Arc::new(config),
        db,
        mail,
    };
    let addr = listener
        .local_addr()
        .context("Failed to read the listening address")?;
    let app = router(state.clone());
    // Pages and answers go out as soon as they are written: with Nagle's
    // algorithm a response's last small chunk waited for the client's
    // delayed ACK, some 40 ms per request on a kept-alive connection.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "failed to set TCP_NODELAY");
        }
    });
    let stopped = stopping.clone();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop_requested(stopped))
        .await
    });
    tokio::spawn(maintenance(
        state.db.clone(),
        state.config.retention.clone(),
        stopping,
    ));
    Ok(Running {
        addr,
        state,
        server,
        sender,
        webhooks,
        stop,
    })
}

/// The app's routes, found once per process by rendering the app with
/// resource loading switched off. That switch is process-wide in Leptos, so
/// a second discovery while another server in the process (a test's second
/// node, say) is rendering would leave that page's resources never loading
/// and its response stalled.
static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));

pub fn router(state: AppState) -> Router {
    crate::server::executor::install();
    let routes = ROUTES.clone();
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let render = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    let page = {
        let app = leptos_axum::render_app_async_with_context(
            {
                let context = context.clone();
                move || {
                    context();
                    // Put there by `page`, from the request's extensions.
                    if let Some(data) = use_context::<Parts>()
                        .and_then(|parts| parts.extensions.get::<PageData>().cloned())
                    {
                        provide_context(data);
                    }
                }
            },
            render.clone(),
        );
        move |State(state): State<AppState>, req: Request<Body>| page(state, req, app.clone())
    };
    let pkg = format!("/{}", state.leptos_options.site_pkg_dir);
    Router::new()
        .route("/healthz", get(security::healthz))
        .route(
            "/api/auth/admin/export-audit-events",
            get(crate::admin::audit::export_route),
        )
        .route(
            "/admin/webhooks",
            axum::routing::post(crate::webhooks::form::form_route),
        )
        .route(
            crate::apps::form::PATH,
            axum::routing::post(crate::apps::form::form_route),
        )
        .route("/invite/{token}/qr.svg", get(crate::invitations::qr::invite_route))
        .route("/join/{token}/qr.svg", get(crate::invitations::qr::join_route))
        .route(
            "/orgs/switch",
            axum::routing::post(crate::organizations::switch_route),
        )
        // Apps (SPEC §9): the OpenID Connect endpoints.
        .merge(crate::apps::routes::router())
        // The server functions (no pages: they are `page`'s).
        .leptos_routes_with_context(&state, Vec::new(), context.clone(), render.clone())
        .leptos_routes_with_handler(routes, page.clone())
        // Every route so far is counted by its pattern; the assets are not.
        .route_layer(middleware::from_fn(metrics::track))
        .route("/metrics", get(scrape::metrics))
        .nest_service(&pkg, assets(&state.leptos_options))
        // The files of `public/`, and "not found" for the rest.
        .fallback_service(
            ServeDir::new(&*state.leptos_options.site_root)
                .call_fallback_on_method_not_allowed(true)
                .fallback(page.with_state(state.clone())),
        )
        // Pages that show no island load no WebAssembly (the fallback's
        // "not found" included).
        .layer(middleware::from_fn(crate::app::without_unused_bundle))
        // Each request's slot for the admin behind an impersonation session.
        .layer(middleware::from_fn(crate::audit::acting::scope))
        // A page's form posted without JavaScript becomes its server
        // function's call (inside the origin guard, like every post).
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::pages::forms::adapt,
        ))
        // Pages and API answers; the assets come compressed already.
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(
            Arc::new(security::Origins {
                own: state.config.origin(),
                trusted: state.config.trusted_origins.clone(),
                secure: state.config.secure_cookies(),
            }),
            security::guard,
        ))
        // Outside the guard, so a trusted origin's preflight is answered.
        .layer(security::cors(&state.config.trusted_origins))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &http::Request<_>| {
            // Only the method and path: query strings and invitation paths
            // carry secrets, and no secret goes to the log.
            let id = req
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %loggable_path(req.uri().path()))
        }))
        // Outermost: every request gets an id first (its own, if a proxy
        // gave it one), which the log's span and the response carry.
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, RequestIds))
        .with_state(state)
}

const REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-request-id");

/// Request ids: 128 random bits, as every id here.
#[derive(Clone, Copy)]
struct RequestIds;

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&crypto::new_id())
            .ok()
            .map(RequestId::new)
    }
}

/// Renders a page once what it reads is loaded (`pages::load`): the data
/// rides along in the request's extensions, and the page reads it from
/// context as plain values. Headers the loading set (a renewed session's
/// cookie) join the page's own.
async fn page<F>(
    state: AppState,
    req: Request<Body>,
    app: impl FnOnce(Request<Body>) -> F,
) -> Response
where
    F: Future<Output = Response>,
{
    let (mut parts, body) = req.into_parts();
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let params: Vec<(String, String)> = RawPathParams::from_request_parts(&mut parts, &())
        .await
        .map(|p| {
            p.iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let cx = RequestContext { state, parts };
    // The loading runs under an owner of its own, where setting a cookie
    // or header lands.
    let (owner, headers) = (Owner::new(), ResponseOptions::default());
    owner.with(|| provide_context(headers.clone()));
    let data = owner
        .with(|| ScopedFuture::new_untracked(pages::load(&cx, route.as_deref(), &params)))
        .await;
    let mut parts = cx.parts;
    parts.extensions.insert(data);
    let mut res = app(Request::from_parts(parts, body)).await;
    if let Ok(set) = headers.0.read() {
        for (name, value) in set.headers.iter() {
            res.headers_mut().append(name, value.clone());
        }
    }
    res
}

/// The browser's code and styles (`/pkg`): served in their build-time
/// brotli or gzip form, and, since their names carry a hash of their
/// content, cached for a year. Without hashed names (a dev build) the
/// browser must check back every time.
fn assets(options: &LeptosOptions) -> Router {
    let dir = Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let cache = HeaderValue::from_static(if options.hash_files {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    });
    Router::new()
        .fallback_service(ServeDir::new(dir).precompressed_br().precompressed_gzip())
        .layer(map_response(move |mut res: Response| {
            let cache = cache.clone();
            async move {
                if res.status().is_success() {
                    let headers = res.headers_mut();
                    headers.insert(header::CACHE_CONTROL, cache);
                    // The same name serves brotli, gzip or plain bytes.
                    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
                }
                res
            }
        }))
}

/// A request path fit for the log: secrets in paths (`/invite/{token}`)
/// are cut off.
fn loggable_path(path: &str) -> &str {
    match path.strip_prefix("/invite/") {
        Some(_) => "/invite/…",
        None => path,
    }
}

/// Clears expired sessions, spent rate-limit windows and the expired
/// secrets of waiting messages now and then.
async fn maintenance(db: Db, retention: RetentionSettings, stopping: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    let stop = stop_requested(stopping);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = &mut stop => return,
        }
        let now = clock::now_ms();
        if let Err(e) = sessions::prune_expired(&db, now).await {
            tracing::warn!(error = %e, "failed to prune expired sessions");
        }
        if let Err(e) = rate_limit::prune(&db, now).await {
            tracing::warn!(error = %e, "failed to prune rate limits");
        }
        if let Err(e) = crate::apps::store::prune(&db, now).await {
            tracing::warn!(error = %e, "failed to prune spent app codes and tokens");
        }
        if let Err(e) = crate::apps::keys::prune(&db, now).await {
            tracing::warn!(error = %e, "failed to prune retired signing keys");
        }
        // SPEC §6: a secret that expired while its message waited is not
        // kept, even sealed.
        if let Err(e) = email::outbox::forget_expired(&db, now).await {
            tracing::warn!(error = %e, "failed to wipe expired secrets from the outbox");
        }
        match retention::prune(&db, &retention, now).await {
            Ok(p) if p != retention::Pruned::default() => tracing::info!(
                emails = p.emails,
                tokens = p.tokens,
                webhook_deliveries = p.webhook_deliveries,
                audit_events = p.audit_events,
                "pruned what the retention settings no longer keep"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "failed to prune by the retention settings"),
        }
    }
}

/// Leptos settings for a binary started outside cargo-leptos: `Leptos.toml`
/// when present, else the defaults baked in at build time.
pub fn leptos_options() -> anyhow::Result<LeptosOptions> {
    let from_cargo_leptos = std::env::var_os("LEPTOS_OUTPUT_NAME").is_some();
    let file = (!from_cargo_leptos && std::path::Path::new("Leptos.toml").exists())
        .then_some("Leptos.toml");
    let conf =
        leptos::config::get_configuration(file).context("Failed to read the Leptos settings")?;
    Ok(conf.leptos_options)
}

#[cfg(test)]
mod tests {
    /// A page that loads its own data names its route as the router does.
    #[test]
    fn every_route_with_own_data_is_a_page() {
        let pages: Vec<&str> = super::ROUTES.iter().map(|r| r.path()).collect();
        for (route, _) in crate::pages::OWN_DATA {
            assert!(pages.contains(route), "{route} is not among {pages:?}");
        }
    }

    /// Leptos.toml (read by the deployed binary) and Cargo.toml (read by
    /// cargo-leptos) must describe the same site.
    #[test]
    fn leptos_settings_agree() {
        let runtime =
            leptos::config::get_config_from_file("Leptos.toml").expect("Leptos.toml parses");
        let build = leptos::config::get_config_from_file("Cargo.toml")
            .expect("Cargo.toml has Leptos metadata");
        let (r, b) = (runtime.leptos_options, build.leptos_options);
        assert_eq!(r.output_name, b.output_name);
        assert_eq!(r.site_root, b.site_root);
        assert_eq!(r.site_pkg_dir, b.site_pkg_dir);
        assert_eq!(r.site_addr, b.site_addr);
    }
}
