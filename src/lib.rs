//! Greenlane: a workflow engine for environmental permitting and pollution-rights trading.
//!
//! Cases move through review stages that are defined as data (`workflows/*.toml`). The code is
//! layered, and the arrows point one way:
//!
//! - [`domain`]: values parsed from input (credit codes, project data, roles) and the audit
//!   hash chain. Pure.
//! - [`engine`]: workflow definitions (parse, validate, compile) and the decision of one action.
//!   Pure: time comes in as an argument, effects go out as data.
//! - [`store`]: sea-orm repositories; the only module that touches the sea-orm entities.
//! - [`app`]: one async function per use case; loads, calls the engine, and writes the new state
//!   with its audit entry in one transaction. The only layer that opens transactions.
//! - [`http`]: actix-web handlers, the bearer-token extractor, and the error-to-status mapping.
//! - [`web`]: the web interface, beside `http`: server-rendered pages in Chinese and English that
//!   call the same `app` use cases, with cookie sessions and CSRF-checked forms.
//! - [`i18n`]: the words, from the locale files: a message for a person is an id with arguments
//!   ([`domain::Msg`]), worded in the reader's language on a page and in English by the API.
//! - [`startup`]: builds the application from the settings (store, app, worker, HTTP server):
//!   the one place the layers are put together.
//! - [`cli`]: the `greenlane` command; [`monitor`]: its check of a transparency log from outside;
//!   [`bench_http`]: the benchmark's run against a real server.
//! - [`settings`], [`token`] and [`oidc`]: configuration, the server's own JWTs, tokens from
//!   external OpenID Connect issuers, and the web desk's sign-in through one of them.

pub mod app;
pub mod bench_http;
pub mod cli;
pub mod domain;
pub mod engine;
pub mod http;
pub mod i18n;
pub mod mail;
pub mod metrics;
pub mod monitor;
pub mod oidc;
pub mod settings;
pub mod sheet;
pub mod startup;
pub mod store;
pub mod token;
pub mod web;
pub mod worker;
