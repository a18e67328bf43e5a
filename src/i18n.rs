//! Languages: Chinese and English, from Fluent files (`locales/zh.ftl`, `locales/en.ftl`)
//! compiled into the binary. The language of a request is the `lang` cookie if set, else the
//! best match of `Accept-Language`, else Chinese.
//!
//! A message the use cases give a person (a validation error, a refusal) is a [`Msg`]: an id and
//! its arguments. A page words it in the reader's language, the API in English.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

pub use crate::domain::directory::Lang;
use crate::domain::Msg;

pub const EN_FTL: &str = include_str!("../locales/en.ftl");
pub const ZH_FTL: &str = include_str!("../locales/zh.ftl");

/// The cookie that remembers a chosen language.
pub const LANG_COOKIE: &str = "gl_lang";

struct Bundles {
    en: FluentBundle<FluentResource>,
    zh: FluentBundle<FluentResource>,
}

fn build(lang: &str, source: &str) -> FluentBundle<FluentResource> {
    let id: unic_langid::LanguageIdentifier = lang.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Plain text: no Unicode isolation marks around values (they would show in attributes).
    bundle.set_use_isolating(false);
    let resource = match FluentResource::try_new(source.to_string()) {
        Ok(r) => r,
        Err((r, errors)) => {
            tracing::error!(lang, ?errors, "translation file has errors");
            r
        }
    };
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(lang, ?errors, "translation file has duplicate messages");
    }
    bundle
}

fn bundles() -> &'static Bundles {
    static BUNDLES: OnceLock<Bundles> = OnceLock::new();
    BUNDLES.get_or_init(|| Bundles {
        en: build("en", EN_FTL),
        zh: build("zh-CN", ZH_FTL),
    })
}

fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
    match lang {
        Lang::En => &bundles().en,
        Lang::Zh => &bundles().zh,
    }
}

/// The message `id` in `lang` with its arguments, or `None` if there is no such message.
pub fn lookup(lang: Lang, id: &str, args: Option<&FluentArgs>) -> Option<String> {
    let b = bundle(lang);
    let pattern = b.get_message(id)?.value()?;
    let mut errors = Vec::new();
    let text = b.format_pattern(pattern, args, &mut errors);
    if !errors.is_empty() {
        tracing::warn!(id, ?errors, "translation needs other arguments");
    }
    Some(text.into_owned())
}

/// The message `id` in `lang`; the id itself if it is missing (a test keeps both files complete).
pub fn t(lang: Lang, id: &str) -> String {
    lookup(lang, id, None).unwrap_or_else(|| id.to_string())
}

/// The message `id` with arguments.
pub fn t_args(lang: Lang, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let mut a = FluentArgs::new();
    for (k, v) in args {
        a.set(*k, v.clone());
    }
    lookup(lang, id, Some(&a)).unwrap_or_else(|| id.to_string())
}

/// The message ids a Fluent file defines (for the test that both languages have the same).
pub fn message_ids(source: &str) -> BTreeSet<String> {
    let resource = match FluentResource::try_new(source.to_string()) {
        Ok(r) | Err((r, _)) => r,
    };
    resource
        .entries()
        .filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        })
        .collect()
}

/// The language of a request: a valid `lang` cookie, else the first of `Accept-Language` that we
/// speak (by quality), else Chinese.
pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
    if let Some(l) = cookie.and_then(|c| Lang::parse(c).ok()) {
        return l;
    }
    let mut best: Option<(f32, Lang)> = None;
    for part in accept_language.unwrap_or_default().split(',') {
        let mut pieces = part.trim().split(';');
        let tag = pieces
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let q = pieces
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|v| v.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let lang = if tag == "zh" || tag.starts_with("zh-") {
            Lang::Zh
        } else if tag == "en" || tag.starts_with("en-") {
            Lang::En
        } else {
            continue;
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map_or(Lang::Zh, |(_, l)| l)
}

/// A message for a person in `lang`. A missing id shows as itself (a test keeps every id used
/// in the code present in both files).
pub fn msg(lang: Lang, m: &Msg) -> String {
    let mut a = FluentArgs::new();
    for (k, v) in &m.args {
        a.set(*k, FluentValue::from(v.as_str()));
    }
    lookup(lang, &m.id, Some(&a)).unwrap_or_else(|| m.id.to_string())
}

/// A message as the API says it.
pub fn english(m: &Msg) -> String {
    msg(Lang::En, m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_messages() {
        let en = message_ids(EN_FTL);
        let zh = message_ids(ZH_FTL);
        let only_en: Vec<_> = en.difference(&zh).collect();
        let only_zh: Vec<_> = zh.difference(&en).collect();
        assert!(
            only_en.is_empty() && only_zh.is_empty(),
            "only in en.ftl: {only_en:?}\nonly in zh.ftl: {only_zh:?}"
        );
        assert!(en.len() > 100, "{}", en.len());
    }

    #[test]
    fn the_files_parse_without_errors() {
        for (name, source) in [("en", EN_FTL), ("zh", ZH_FTL)] {
            if let Err((_, errors)) = FluentResource::try_new(source.to_string()) {
                panic!("{name}.ftl: {errors:?}");
            }
        }
    }

    #[test]
    fn the_cookie_wins_then_the_best_accept_language() {
        assert_eq!(negotiate(Some("en"), Some("zh-CN")), Lang::En);
        assert_eq!(negotiate(Some("fr"), Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(negotiate(None, Some("fr-FR, en;q=0.5, zh;q=0.8")), Lang::Zh);
        assert_eq!(negotiate(None, Some("de")), Lang::Zh);
        assert_eq!(negotiate(None, None), Lang::Zh);
        assert_eq!(negotiate(None, Some("en;q=0")), Lang::Zh);
    }

    #[test]
    fn a_message_is_worded_from_its_id_in_each_language() {
        let m = crate::msg!("err-length", min = 1, max = 200);
        assert_eq!(msg(Lang::Zh, &m), "须为 1 至 200 个字符");
        assert_eq!(english(&m), "must be 1 to 200 characters");
        assert_eq!(m.to_string(), "must be 1 to 200 characters");
    }

    /// Every id the code and the templates ask for exists in both files: ids of `msg!`, `t`,
    /// `t_args`, `lookup` and the forms' `add(field, lang, id)`, read from the sources.
    #[test]
    fn every_id_used_exists_in_both_files() {
        let en = message_ids(EN_FTL);
        let zh = message_ids(ZH_FTL);
        let call = regex::Regex::new(
            r#"(?:msg!|\bt|t_args|lookup|\.add)\(\s*(?:[A-Za-z_.&"\[\]-]+,\s*)?(?:[A-Za-z_.&]+,\s*)?"([a-z][a-z0-9]*(?:-[a-z0-9]+)+)""#,
        )
        .expect("pattern");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut dirs = vec![root.join("src"), root.join("templates")];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).expect("folder").flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs" || x == "html") {
                    files.push(p);
                }
            }
        }
        let mut missing = Vec::new();
        let mut seen = 0;
        for f in &files {
            let text = std::fs::read_to_string(f).expect("source");
            for c in call.captures_iter(&text) {
                let id = &c[1];
                seen += 1;
                if !en.contains(id) || !zh.contains(id) {
                    missing.push(format!(
                        "{}: {id}",
                        f.strip_prefix(root).unwrap_or(f).display()
                    ));
                }
            }
        }
        assert!(
            seen > 500,
            "only {seen} uses found: the pattern no longer reads the code"
        );
        assert!(
            missing.is_empty(),
            "ids used but missing:\n{}",
            missing.join("\n")
        );
    }
}
