//! One module per page or group of pages.

pub mod admin;
pub mod audit;
pub mod case;
pub mod cases;
pub mod home;
pub mod inbox;
pub mod login;
pub mod new_case;
pub mod public;
