//! Rendered public pages kept for a second: the bulletin, a notice and the feeds are the same
//! for every reader of a language and are what the public loads most. A page is kept under its
//! path and query, the reader's language, the day (Beijing time: a period's days left change at
//! midnight) and the generation of public changes (`publish::CountCache::generation`, moved by
//! every publication and comment on this instance). Only for readers without a session (a
//! signed-in person's header shows their name) and only answers 200. Another instance's change
//! shows here within the second.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;

use crate::app::App;
use crate::domain::calendar::local_date;
use crate::web::i18n::Lang;
use crate::web::session;

/// How long a page is kept.
const FRESH_FOR: Duration = Duration::from_secs(1);
/// Past this many pages, the oldest half is dropped.
const MOST: usize = 4096;

type Key = (String, Lang, chrono::NaiveDate, u64);

struct Kept {
    at: Instant,
    content_type: header::HeaderValue,
    body: Bytes,
}

/// The pages kept, for one server (its workers share it).
#[derive(Default)]
pub struct PageCache {
    pages: Mutex<HashMap<Key, Kept>>,
}

/// The public pages this cache serves: the bulletin, notice pages and feeds.
fn cacheable(path: &str) -> bool {
    path == "/public"
        || path == "/public/feed.atom"
        || path.starts_with("/public/feeds/")
        || (path.starts_with("/public/notices/") && path.matches('/').count() == 3)
}

fn answer(kept: &Kept) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, kept.content_type.clone()))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::VARY, "Accept-Language, Cookie"))
        .body(kept.body.clone())
}

/// The middleware: a kept page if there is a fresh one, else the page, kept.
pub async fn public_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let eligible = req.method() == Method::GET
        && cacheable(req.path())
        && req.cookie(session::SESSION_COOKIE).is_none();
    let (Some(cache), Some(app)) = (
        req.app_data::<web::Data<PageCache>>().cloned(),
        req.app_data::<web::Data<App>>().cloned(),
    ) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if !eligible {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let key: Key = (
        req.uri()
            .path_and_query()
            .map_or_else(|| req.path().to_string(), |p| p.as_str().to_string()),
        session::lang_of(req.request()),
        local_date(app.clock.now()),
        app.bulletin_counts.generation(),
    );
    if let Ok(pages) = cache.pages.lock() {
        if let Some(kept) = pages.get(&key).filter(|k| k.at.elapsed() < FRESH_FOR) {
            let r = answer(kept);
            return Ok(req.into_response(r));
        }
    }
    let res = next.call(req).await?.map_into_boxed_body();
    if res.status() != StatusCode::OK {
        return Ok(res);
    }
    let (req, r) = res.into_parts();
    let content_type = r
        .headers()
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or_else(|| header::HeaderValue::from_static("text/html; charset=utf-8"));
    let body = actix_web::body::to_bytes(r.into_body())
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("page body"))?;
    let kept = Kept {
        at: Instant::now(),
        content_type,
        body,
    };
    let r = answer(&kept);
    if let Ok(mut pages) = cache.pages.lock() {
        if pages.len() >= MOST {
            let mut ages: Vec<(Instant, Key)> =
                pages.iter().map(|(k, v)| (v.at, k.clone())).collect();
            ages.sort_by_key(|(at, _)| *at);
            for (_, k) in ages.into_iter().take(MOST / 2) {
                pages.remove(&k);
            }
        }
        pages.insert(key, kept);
    }
    Ok(ServiceResponse::new(req, r))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_bulletin_notices_and_feeds_are_kept() {
        for p in [
            "/public",
            "/public/notices/0190f5a0-0000-7000-8000-000000000000",
            "/public/feed.atom",
            "/public/feeds/acceptance.atom",
        ] {
            assert!(super::cacheable(p), "{p}");
        }
        for p in [
            "/public/notices/x/verify",
            "/public/notices/x/documents/public_version",
            "/public/notices.csv",
            "/public/reform",
            "/public/market",
            "/inbox",
        ] {
            assert!(!super::cacheable(p), "{p}");
        }
    }
}
