//! The bearer-token extractor: every `/api/v1` handler that takes a [`Caller`] is authenticated.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use super::error::ApiError;
use crate::engine::Actor;
use crate::token::{TokenError, Verifier};

/// The authenticated person making the request.
pub struct Caller(pub Actor);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
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
    match verifier.verify(token.trim()) {
        Ok(actor) => Ok(Caller(actor)),
        Err(TokenError::Expired) => Err(ApiError::unauthorized("the token has expired")),
        Err(TokenError::Invalid(_)) => Err(ApiError::unauthorized("the token is not valid here")),
    }
}
