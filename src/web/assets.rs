//! Static files compiled into the binary and served at content-hashed URLs, so that a browser
//! keeps them for a year and a new release is fetched at once.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const FILES: [Asset; 4] = [
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/app.js"),
    },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/htmx.min.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../assets/favicon.svg"),
    },
];

/// Each file with its hashed URL path (`app.3f2a9c1b.css`).
fn hashed() -> &'static [(String, &'static Asset)] {
    static HASHED: OnceLock<Vec<(String, &'static Asset)>> = OnceLock::new();
    HASHED.get_or_init(|| {
        FILES
            .iter()
            .map(|a| {
                let digest = hex::encode(Sha256::digest(a.bytes));
                let hashed = match a.name.split_once('.') {
                    Some((stem, ext)) => format!("{stem}.{}.{ext}", &digest[..12]),
                    None => format!("{}.{}", a.name, &digest[..12]),
                };
                (hashed, a)
            })
            .collect()
    })
}

/// The URL of a static file, by its plain name.
pub fn url(name: &str) -> String {
    hashed().iter().find(|(_, a)| a.name == name).map_or_else(
        || format!("/static/{name}"),
        |(h, _)| format!("/static/{h}"),
    )
}

/// The total size of what a page may load, in bytes.
pub fn total_bytes() -> usize {
    FILES.iter().map(|a| a.bytes.len()).sum()
}

/// `GET /static/{file}`: only hashed names are served (cached for a year).
pub async fn serve(path: web::Path<String>) -> HttpResponse {
    let file = path.into_inner();
    match hashed().iter().find(|(h, _)| *h == file) {
        Some((_, a)) => HttpResponse::Ok()
            .content_type(a.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(a.bytes),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such file"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_carry_the_content_hash() {
        let u = super::url("app.css");
        assert!(u.starts_with("/static/app.") && u.ends_with(".css"), "{u}");
        assert_eq!(u.len(), "/static/app..css".len() + 12);
    }
}
