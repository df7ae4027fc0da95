//! The embedded static assets (see `build.rs`): served under `/assets/<name>-<digest>.<ext>`
//! with a year-long immutable cache lifetime, since a changed file gets a new name, and in the
//! best precompressed variant the client accepts.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One embedded asset in its three encodings.
pub(crate) struct Asset {
    /// The name pages ask for (`app.css`).
    pub logical: &'static str,
    /// The name it is served under (`app-0123456789.css`).
    pub name: &'static str,
    pub content_type: &'static str,
    pub identity: &'static [u8],
    pub gzip: &'static [u8],
    pub brotli: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// `/assets/<digested name>` of the asset pages know as `logical`.
///
/// # Panics
/// When no asset has that name: a page names a file that is not under `assets/` (the pages'
/// tests render every page, so it cannot ship).
#[must_use]
pub fn url(logical: &str) -> String {
    let asset = ASSETS
        .iter()
        .find(|asset| asset.logical == logical)
        .unwrap_or_else(|| panic!("no asset `{logical}` under crates/web/assets"));
    format!("/assets/{}", asset.name)
}

/// `GET /favicon.ico`: the icon, for what a browser shows without a page of ours naming it
/// (the printable receipt, a PDF, a JSON answer), which it asks for there; a day's cache, since
/// this name does not change with the file.
pub(crate) async fn favicon() -> Response {
    let asset = ASSETS
        .iter()
        .find(|asset| asset.logical == "favicon.svg")
        .expect("crates/web/assets/static/favicon.svg is embedded");
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        asset.identity,
    )
        .into_response()
}

/// `GET /assets/{name}`.
pub(crate) async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|asset| asset.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let accepts = |coding: &str| {
        headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|entry| {
                let mut parts = entry.split(';');
                parts.next().is_some_and(|name| name.trim() == coding)
                    && !parts
                        .any(|part| matches!(part.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"))
            })
    };
    // Only where compression pays: a small file's gzip can be larger than itself.
    let (body, encoding) = if accepts("br") && asset.brotli.len() < asset.identity.len() {
        (asset.brotli, Some("br"))
    } else if accepts("gzip") && asset.gzip.len() < asset.identity.len() {
        (asset.gzip, Some("gzip"))
    } else {
        (asset.identity, None)
    };
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (header::VARY, HeaderValue::from_static("Accept-Encoding")),
        ],
        body,
    )
        .into_response();
    if let Some(encoding) = encoding {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    response
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[test]
    fn every_asset_has_a_digested_name_and_variants_that_decode_to_it() {
        for asset in ASSETS {
            let (stem, ext) = asset.logical.rsplit_once('.').unwrap();
            let digest = asset
                .name
                .strip_prefix(&format!("{stem}-"))
                .and_then(|rest| rest.strip_suffix(&format!(".{ext}")))
                .unwrap();
            assert_eq!(digest.len(), 10, "{}", asset.name);
            let mut gunzipped = Vec::new();
            flate2::read::GzDecoder::new(asset.gzip)
                .read_to_end(&mut gunzipped)
                .unwrap();
            assert_eq!(gunzipped, asset.identity, "{}", asset.name);
            let mut unbrotlied = Vec::new();
            brotli::Decompressor::new(asset.brotli, 4096)
                .read_to_end(&mut unbrotlied)
                .unwrap();
            assert_eq!(unbrotlied, asset.identity, "{}", asset.name);
        }
        assert!(url("app.css").starts_with("/assets/app-"));
        assert!(url("app.js").starts_with("/assets/app-"));
    }
}
