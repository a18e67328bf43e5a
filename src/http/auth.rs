//! The bearer-token extractor: every `/api/v1` handler that takes a [`Caller`] is authenticated.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use super::error::{ApiError, ErrorCode};
use crate::app::idempotency::Idempotency;
use crate::engine::Actor;
use crate::token::{TokenError, Verifier};

/// The authenticated person making the request.
pub struct Caller(pub Actor);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Caller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

async fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
    let verifier = req
        .app_data::<web::Data<Verifier>>()
        .ok_or_else(|| ApiError::unauthorized("authentication is not configured"))?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <token>"))?;
    let token = header.strip_prefix("Bearer ").ok_or_else(|| {
        ApiError::unauthorized("the Authorization header must be `Bearer <token>`")
    })?;
    match verifier.verify(token.trim()).await {
        Ok(checked) => {
            let app = req
                .app_data::<web::Data<crate::app::App>>()
                .ok_or_else(|| ApiError::unauthorized("authentication is not configured"))?;
            use crate::app::directory::{as_directory_says, Standing};
            match as_directory_says(app, checked.actor, checked.version).await? {
                Standing::Acts(actor) => {
                    Ok(Caller(actor.from_address(super::client::address(req))))
                }
                Standing::Ended => Err(ApiError::unauthorized(
                    "this token has been ended; sign in again",
                )),
                Standing::Deactivated => {
                    Err(ApiError::unauthorized("this account has been deactivated"))
                }
            }
        }
        Err(TokenError::Expired) => Err(ApiError::unauthorized("the token has expired")),
        Err(TokenError::Invalid(why)) => {
            tracing::debug!("refused a token: {why}");
            Err(ApiError::unauthorized("the token is not valid here"))
        }
        Err(TokenError::Unavailable(why)) => {
            tracing::warn!("could not check a token: {why}");
            Err(ApiError::unauthorized(
                "the token's identity provider cannot be reached to check it; try again shortly",
            ))
        }
    }
}

/// A fingerprint of a request's method, path and body, taken by the edge middleware when it
/// reads an API body.
#[derive(Debug, Clone)]
pub struct Fingerprint(pub String);

/// Hashes a request's method and path with `content` (its body, or what stands for it).
pub fn fingerprint(method: &str, path: &str, content: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(method);
    hasher.update(b" ");
    hasher.update(path);
    hasher.update(b"\n");
    hasher.update(content);
    hex::encode(hasher.finalize())
}

fn key_of(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .filter(|k| {
            !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| (0x21..=0x7e).contains(&b))
        })
        .map(|k| Some(k.to_string()))
        .ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::InvalidIdempotencyKey,
                "Idempotency-Key must be 1 to 200 visible characters",
            )
        })
}

/// The `Idempotency-Key` of a request whose body the handler reads itself (an upload), with a
/// fingerprint of `content`.
pub fn idempotency_of(req: &HttpRequest, content: &str) -> Result<Option<Idempotency>, ApiError> {
    Ok(key_of(req)?.map(|key| Idempotency {
        key,
        fingerprint: fingerprint(req.method().as_str(), req.path(), content.as_bytes()),
    }))
}

/// The request's `Idempotency-Key`, if it has one, with the fingerprint of the request.
pub struct Idem(pub Option<Idempotency>);

impl FromRequest for Idem {
    type Error = ApiError;
    type Future = Ready<Result<Idem, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Idem::extract_now(req))
    }
}

impl Idem {
    pub fn get(&self) -> Option<&Idempotency> {
        self.0.as_ref()
    }

    /// The same as the extractor, for a handler that holds the request.
    pub fn extract_now(req: &HttpRequest) -> Result<Idem, ApiError> {
        use actix_web::HttpMessage;
        let key = key_of(req)?;
        Ok(Idem(key.map(|key| {
            Idempotency {
                key,
                fingerprint: req
                    .extensions()
                    .get::<Fingerprint>()
                    .map(|f| f.0.clone())
                    .unwrap_or_else(|| fingerprint(req.method().as_str(), req.path(), b"")),
            }
        })))
    }
}
