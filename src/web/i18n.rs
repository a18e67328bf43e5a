//! Languages: Chinese and English, from Fluent files (`locales/zh.ftl`, `locales/en.ftl`)
//! compiled into the binary. The language of a request is the `lang` cookie if set, else the
//! best match of `Accept-Language`, else Chinese.
//!
//! Validation messages come from the use cases in English (they are the API's contract). A page
//! shows them in its language through ids made from the message itself: `must be 1 to 200
//! characters` becomes `err-must-be-n-to-n-characters` with the numbers as `$n1`, `$n2` and
//! back-quoted names as `$q1`... A message without a translation is shown as it came.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

pub use crate::domain::directory::Lang;

pub const EN_FTL: &str = include_str!("../../locales/en.ftl");
pub const ZH_FTL: &str = include_str!("../../locales/zh.ftl");

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

/// The Fluent id and arguments a validation message maps to: digits become `$n1`..., text in
/// back quotes `$q1`..., the rest a lower-case slug.
pub fn message_key(message: &str) -> (String, Vec<(String, String)>) {
    let mut id = String::from("err-");
    let mut args = Vec::new();
    let mut numbers = 0;
    let mut quotes = 0;
    let mut chars = message.chars().peekable();
    let mut dash = true;
    let push = |id: &mut String, piece: &str| {
        if !id.ends_with('-') {
            id.push('-');
        }
        id.push_str(piece);
    };
    while let Some(c) = chars.next() {
        if c == '`' {
            let mut quoted = String::new();
            for q in chars.by_ref() {
                if q == '`' {
                    break;
                }
                quoted.push(q);
            }
            quotes += 1;
            args.push((format!("q{quotes}"), quoted));
            push(&mut id, "q");
            dash = true;
        } else if c.is_ascii_digit() {
            let mut n = String::from(c);
            while let Some(d) = chars.peek().copied() {
                if d.is_ascii_digit() || (d == '.' && n.chars().all(|x| x.is_ascii_digit())) {
                    n.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            let n = n.trim_end_matches('.').to_string();
            numbers += 1;
            args.push((format!("n{numbers}"), n));
            push(&mut id, "n");
            dash = true;
        } else if c.is_ascii_alphabetic() {
            if dash && !id.ends_with('-') {
                id.push('-');
            }
            id.push(c.to_ascii_lowercase());
            dash = false;
        } else {
            dash = true;
        }
    }
    let id = id.trim_end_matches('-').to_string();
    (id, args)
}

/// A validation message in `lang`: translated when the files know it, else as it came.
pub fn message(lang: Lang, text: &str) -> String {
    let (id, args) = message_key(text);
    let mut a = FluentArgs::new();
    for (k, v) in &args {
        a.set(k.clone(), FluentValue::from(v.clone()));
    }
    lookup(lang, &id, Some(&a)).unwrap_or_else(|| text.to_string())
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
    fn validation_messages_map_to_ids_with_their_numbers_and_names() {
        assert_eq!(
            message_key("must be 1 to 200 characters"),
            (
                "err-must-be-n-to-n-characters".to_string(),
                vec![("n1".into(), "1".into()), ("n2".into(), "200".into())]
            )
        );
        assert_eq!(
            message_key("no organisation `ACME`").0,
            "err-no-organisation-q"
        );
        assert_eq!(message(Lang::Zh, "required"), "必填");
        assert_eq!(
            message(Lang::Zh, "must be 1 to 200 characters"),
            "须为 1 至 200 个字符"
        );
        assert_eq!(
            message(Lang::En, "must be 1 to 200 characters"),
            "must be 1 to 200 characters"
        );
        assert_eq!(
            message(Lang::Zh, "something nobody wrote"),
            "something nobody wrote"
        );
    }
}
