//! The transparency log over HTTP, with no sign-in: the signed checkpoint and the static tiles of
//! C2SP `tlog-tiles` at `/log/…`, and inclusion and consistency proofs in the public API.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiError;
use super::openapi::ErrorBody;
use crate::app::tlog::{self, TILE_WIDTH};
use crate::app::App;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body("not found\n")
}

/// `GET /log/checkpoint`: the latest signed checkpoint (C2SP tlog-checkpoint, a signed note).
pub async fn checkpoint(app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    Ok(match tlog::checkpoint(&app).await? {
        Some(c) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(c.note),
        None => not_found(),
    })
}

/// A tile's path after `/log/tile/`: `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`, the index `N`
/// written in groups of three digits, all but the last prefixed with `x`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TilePath {
    /// `None` for an entry tile.
    pub level: Option<u8>,
    pub index: u64,
    /// `None` for a full tile.
    pub width: Option<u64>,
}

pub fn parse_tile(path: &str) -> Option<TilePath> {
    let (head, rest) = path.split_once('/')?;
    let level = if head == "entries" {
        None
    } else {
        if head.is_empty() || head.len() > 2 || !head.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let l: u8 = head.parse().ok()?;
        if head.len() > 1 && head.starts_with('0') || l > 7 {
            return None;
        }
        Some(l)
    };
    let (index_part, width) = match rest.split_once(".p/") {
        Some((i, w)) => {
            if w.is_empty()
                || w.len() > 3
                || !w.bytes().all(|b| b.is_ascii_digit())
                || w.starts_with('0')
            {
                return None;
            }
            let w: u64 = w.parse().ok()?;
            if w == 0 || w >= TILE_WIDTH {
                return None;
            }
            (i, Some(w))
        }
        None => (rest, None),
    };
    let groups: Vec<&str> = index_part.split('/').collect();
    let last = groups.len() - 1;
    let mut index: u64 = 0;
    for (i, g) in groups.iter().enumerate() {
        let digits = if i < last { g.strip_prefix('x')? } else { g };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // No leading group of zeros: each index has one path.
        if i == 0 && i < last && digits == "000" {
            return None;
        }
        index = index
            .checked_mul(1000)?
            .checked_add(digits.parse::<u64>().ok()?)?;
    }
    Some(TilePath {
        level,
        index,
        width,
    })
}

/// `GET /log/tile/{path}`: a hash tile or an entry tile. Every tile, full or partial, is
/// immutable: a partial tile's path names its width.
pub async fn tile(app: web::Data<App>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let Some(t) = parse_tile(&path) else {
        return Ok(not_found());
    };
    let width = t.width.unwrap_or(TILE_WIDTH);
    let bytes = match t.level {
        Some(level) => tlog::tile(&app, level, t.index, width).await?,
        None => tlog::entries_tile(&app, t.index, width).await?,
    };
    Ok(match bytes {
        Some(b) => HttpResponse::Ok()
            .content_type("application/octet-stream")
            .insert_header((header::CACHE_CONTROL, IMMUTABLE))
            .body(b),
        None => not_found(),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProofQuery {
    /// The leaf index, from 0.
    #[param(minimum = 0)]
    index: u64,
    /// The tree size, from 1 to the log's size (a signed checkpoint's size, to check against it).
    #[param(minimum = 1)]
    size: u64,
}

#[utoipa::path(get, path = "/api/v1/public/log/proof", tag = "public", params(ProofQuery), responses((status = 200, description = "The inclusion proof of a leaf: `{index, size, root, proof}`, hashes in hex, the proof from the leaf's sibling up (RFC 6962)", body = tlog::InclusionProof), (status = 422, description = "An index or size the log does not hold", body = ErrorBody)))]
pub async fn proof(
    app: web::Data<App>,
    q: web::Query<ProofQuery>,
) -> Result<HttpResponse, ApiError> {
    let p = tlog::inclusion(&app, q.index, q.size).await?;
    Ok(HttpResponse::Ok().json(p))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyQuery {
    /// The older tree's size, from 1: there is no proof from the empty tree, which every tree
    /// extends.
    #[param(minimum = 1)]
    from: u64,
    /// The newer tree's size, at least `from` and at most the log's size.
    #[param(minimum = 1)]
    to: u64,
}

#[utoipa::path(get, path = "/api/v1/public/log/consistency", tag = "public", params(ConsistencyQuery), responses((status = 200, description = "`{proof}`: the consistency proof between the trees of `from` and `to` leaves, hashes in hex (RFC 6962); empty when they are equal"), (status = 422, description = "`from` of 0, above `to`, or `to` beyond the log", body = ErrorBody)))]
pub async fn consistency(
    app: web::Data<App>,
    q: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse, ApiError> {
    let proof = tlog::consistency(&app, q.from, q.to).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "proof": proof })))
}

#[utoipa::path(get, path = "/api/v1/public/log", tag = "public", responses((status = 200, description = "`{origin, key, checkpoint}`: the log's origin, the key that verifies its checkpoints (`name+hexid+base64`), and the latest signed checkpoint (`size`, `root` in hex, `note`)")))]
pub async fn about(app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let c = tlog::checkpoint(&app).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "origin": app.log.origin,
        "key": app.log.verifier_key(),
        "checkpoint": c.map(|c| serde_json::json!({"size": c.size, "root": c.root, "note": c.note, "signed_at": c.signed_at})),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// C2SP tlog-tiles paths (`tile/<L>/<N>[.p/<W>]`; Go's sumdb adds the height first).
    #[test]
    fn tile_paths_read_as_the_spec_writes_them() {
        let t = |level, index, width| TilePath {
            level,
            index,
            width,
        };
        assert_eq!(
            parse_tile("0/x001/x234/067"),
            Some(t(Some(0), 1_234_067, None))
        );
        assert_eq!(
            parse_tile("3/x123/x456/078"),
            Some(t(Some(3), 123_456_078, None))
        );
        assert_eq!(
            parse_tile("3/x123/x456/078.p/2"),
            Some(t(Some(3), 123_456_078, Some(2)))
        );
        assert_eq!(parse_tile("0/001.p/5"), Some(t(Some(0), 1, Some(5))));
        assert_eq!(parse_tile("1/000"), Some(t(Some(1), 0, None)));
        assert_eq!(parse_tile("entries/x001/234"), Some(t(None, 1234, None)));
        assert_eq!(parse_tile("entries/000.p/7"), Some(t(None, 0, Some(7))));
        for bad in [
            "4/0/001",
            "3/123/456/078",
            "3/-1/078",
            "data/x003/x057/500",
            "0/x000/001",
            "0/1",
            "0/001.p/0",
            "0/001.p/256",
            "0/001.p/05",
            "08/001",
            "9/001",
            "0/",
            "",
        ] {
            assert_eq!(parse_tile(bad), None, "{bad}");
        }
    }
}
