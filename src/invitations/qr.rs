//! QR codes of shareable links (issue 26): `GET /invite/{token}/qr.svg`
//! for a role invitation's link or code, `GET /join/{token}/qr.svg` for a
//! join link's. The code encodes the link's address on this instance; it
//! is drawn from the path alone, without asking the database, so it tells
//! nobody whether a secret is real, and it is never stored by a cache.

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use qrcode::{render::svg, EcLevel, QrCode};

use super::secret::Secret;
use crate::context::AppState;

/// The SVG of a QR code for `text`: black modules on white with the quiet
/// zone the standard asks for, scaled by whoever shows it. Medium error
/// correction survives a smudged print.
pub fn svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(256, 256)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .quiet_zone(true)
            .build(),
    )
}

fn image(text: &str) -> Response {
    match svg(text) {
        Some(body) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                // The address holds the secret.
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `/invite/{token}/qr.svg`: a link token or a code, as the page reads it.
pub async fn invite_route(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match Secret::parse(&token) {
        Ok(secret) => image(&state.config.link(&format!("/invite/{}", secret.as_str()))),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `/join/{token}/qr.svg`: join links are links only, never codes.
pub async fn join_route(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match Secret::parse(&token) {
        Ok(Secret::Link(token)) => image(&state.config.link(&format!("/join/{token}"))),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_draws_as_an_svg() {
        let out = svg("https://gatehouse.example/join/abc").unwrap();
        assert!(out.contains("<svg"), "{out}");
        assert!(out.contains("#000000"));
        // Too long for any QR code.
        assert!(svg(&"x".repeat(5000)).is_none());
    }
}
