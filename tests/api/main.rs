//! Integration tests: the real HTTP app on port 0 against real databases.

mod auction;
mod audit;
mod auth;
mod bpmn;
mod browser;
mod cases;
mod cli;
mod deadlines;
mod directory;
mod eia;
mod faults;
mod hardening;
mod helpers;
mod idempotency;
mod invariants;
mod notifications;
mod oidc;
mod openapi;
mod plans;
mod public;
mod reform;
mod registry;
mod smtp;
mod trading;
mod versions;
mod web;
