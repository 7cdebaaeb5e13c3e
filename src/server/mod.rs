//! The server half of Gatehouse: storage, security, and the HTTP app that
//! serves pages and the API. `start` is what `main` and the tests call.

pub mod audit;
pub mod clock;
pub mod context;
pub mod crypto;
pub mod db;
pub mod rate_limit;
pub mod security;
pub mod sessions;

use std::{
    net::SocketAddr,
    sync::{Arc, LazyLock},
    time::Duration,
};

use anyhow::Context;
use axum::{middleware, routing::get, Router};
use leptos::prelude::{provide_context, LeptosOptions};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tokio::{net::TcpListener, task::JoinHandle};
use tower_http::trace::TraceLayer;

use crate::{
    app::{shell, App},
    config::Config,
    email,
};

use self::{context::AppState, db::Db};

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    pub task: JoinHandle<std::io::Result<()>>,
}

/// Connects to the database, applies migrations (any failure is fatal),
/// and serves on `listener` in the background.
pub async fn start(
    config: Config,
    leptos_options: LeptosOptions,
    listener: TcpListener,
) -> anyhow::Result<Running> {
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    tokio::task::spawn_blocking(crypto::warm_up)
        .await
        .context("Failed to prepare password hashing")?;
    crate::invites::service::first_run(&db, &config)
        .await
        .context("Failed to create the first-run setup link")?;
    let mail = email::sender::Wake::default();
    email::sender::spawn(&config, db.clone(), mail.clone())
        .context("Failed to set up email delivery")?;
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
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    tokio::spawn(maintenance(state.db.clone()));
    Ok(Running { addr, state, task })
}

/// The app's routes, found once per process by rendering the app with
/// resource loading switched off. That switch is process-wide in Leptos, so
/// a second discovery while another server in the process (a test's second
/// node, say) is rendering would leave that page's resources never loading
/// and its response stalled.
static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));

pub fn router(state: AppState) -> Router {
    let routes = ROUTES.clone();
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let render = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    Router::new()
        .route("/healthz", get(security::healthz))
        .leptos_routes_with_context(&state, routes, context.clone(), render)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::guard,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &http::Request<_>| {
            // Only the method and path: query strings and invitation paths
            // carry secrets, and no secret goes to the log.
            tracing::info_span!("request", method = %req.method(), path = %loggable_path(req.uri().path()))
        }))
        .with_state(state)
}

/// A request path fit for the log: secrets in paths (`/invite/{token}`)
/// are cut off.
fn loggable_path(path: &str) -> &str {
    match path.strip_prefix("/invite/") {
        Some(_) => "/invite/…",
        None => path,
    }
}

/// Clears expired sessions and spent rate-limit windows now and then.
async fn maintenance(db: Db) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        let now = clock::now_ms();
        if let Err(e) = sessions::prune_expired(&db, now).await {
            tracing::warn!(error = %e, "failed to prune expired sessions");
        }
        if let Err(e) = rate_limit::prune(&db, now).await {
            tracing::warn!(error = %e, "failed to prune rate limits");
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
