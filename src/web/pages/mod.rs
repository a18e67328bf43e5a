//! One module per page or group of pages.

pub mod admin;
pub mod audit;
pub mod case;
pub mod cases;
pub mod catalogue;
pub mod classification;
pub mod figures;
pub mod home;
pub mod inbox;
pub mod login;
pub mod market;
pub mod market_public;
pub mod new_case;
pub mod operator;
pub mod public;
pub mod reform;
pub mod siting;
pub mod workflows;
