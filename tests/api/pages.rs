//! Every page of the demo, as each of its people and the public reach it by following links, in
//! both languages: no page shows machine text. A locale id shown as text, a back-quoted name, a
//! snake_case code, or a yuan label followed by a bare (fen) number fails the test, naming the
//! page and the words around it.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use crate::browser::seed_demo;
use crate::helpers::*;
use crate::web::Browser;

/// The text a person reads: no scripts, styles, text areas (what they typed), source shown as
/// source (`pre`, `code`), or tags.
fn visible_text(html: &str) -> String {
    let hidden = Regex::new(
        r"(?s)<(script|style|textarea|template|pre|code)\b.*?</(script|style|textarea|template|pre|code)>",
    )
    .expect("regex");
    let tags = Regex::new(r#"(?s)<(?:[^>"']|"[^"]*"|'[^']*')*>"#).expect("regex");
    let text = hidden.replace_all(html, " ");
    let text = tags.replace_all(&text, " ");
    text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
}

/// Hyphenated English words that are also locale ids.
const ENGLISH: &[&str] = &["sign-in"];

/// The codes of the workflows' fixed values (grounds and the like), which a Chinese page shows by
/// their labels only.
fn value_codes() -> BTreeSet<String> {
    let loaded = greenlane::app::workflows::load_dir(std::path::Path::new("workflows"))
        .expect("the workflows load");
    loaded
        .iter()
        .flat_map(|l| l.definition.actions.iter())
        .flat_map(|a| a.payload.iter())
        .flat_map(|(_, spec)| spec.allowed.iter().cloned())
        .collect()
}

/// What is wrong with a page's words, each with the words around it.
fn machine_text(text: &str, ids: &BTreeSet<String>, codes: &BTreeSet<String>) -> Vec<String> {
    let word = Regex::new(r"[A-Za-z0-9_`.@:/-]+").expect("regex");
    let snake = Regex::new(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$").expect("regex");
    let yuan =
        Regex::new(r"(\(yuan\)|（元）|\(yuan/kg\)|（元/千克）)\s*[:：]?\s*(-?\d[\d,]*)(\.\d+)?")
            .expect("regex");
    let mut problems = Vec::new();
    let around = |at: usize| {
        let start = text[..at]
            .char_indices()
            .rev()
            .nth(30)
            .map_or(0, |(i, _)| i);
        let end = text[at..]
            .char_indices()
            .nth(40)
            .map_or(text.len(), |(i, _)| at + i);
        text[start..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    for m in word.find_iter(text) {
        let w = m.as_str().trim_matches(|c: char| ".:/".contains(c));
        let why = if w.contains('`') {
            "a back quote"
        } else if w.contains('-') && ids.contains(w) && !ENGLISH.contains(&w) {
            "a locale id"
        } else if snake.is_match(w) && !w.contains('@') {
            "a snake_case code"
        } else if codes.contains(w) {
            "a value's code"
        } else {
            continue;
        };
        problems.push(format!("{why}: «{w}» in «{}»", around(m.start())));
    }
    for c in yuan.captures_iter(text) {
        if c.get(3).is_none() {
            let at = c.get(0).map_or(0, |m| m.start());
            problems.push(format!(
                "a yuan label before a bare number: «{}»",
                around(at)
            ));
        }
    }
    problems
}

/// A page's links to other pages of the desk (no downloads, no sign-out, no language switch).
fn links(html: &str) -> Vec<String> {
    let href = Regex::new(r##"href="(/[^"#]*)"##).expect("regex");
    href.captures_iter(html)
        .map(|c| c[1].replace("&amp;", "&"))
        .filter(|p| {
            !(p.starts_with("/static/")
                || p.starts_with("/api/")
                || p.starts_with("/log")
                || p.starts_with("/lang")
                || p.starts_with("/logout")
                || p.contains("/download")
                || p.contains("/documents/")
                || [
                    ".csv", ".json", ".xml", ".bpmn", ".svg", ".png", ".atom", ".rss", ".pdf",
                    ".txt", ".toml",
                ]
                .iter()
                .any(|x| p.split('?').next().unwrap_or(p).ends_with(x)))
        })
        .collect()
}

/// A path with its ids and numbers replaced, so that one of each kind of page is enough.
fn kind_of(path: &str) -> String {
    let id = Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+")
        .expect("regex");
    let path = path.split('?').next().unwrap_or(path);
    id.replace_all(path, "#").into_owned()
}

/// Follows links from the home page, up to `per_kind` pages of each kind.
async fn crawl(b: &Browser, ids: &BTreeSet<String>, who: &str, found: &mut Vec<String>) -> usize {
    // On an English page a code may be an English word (`emissions`); on a Chinese one it is not.
    let codes = if b.lang == "zh" {
        value_codes()
    } else {
        BTreeSet::new()
    };
    let mut queue = vec!["/".to_string(), "/public".to_string()];
    let mut seen = BTreeSet::new();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut pages = 0;
    while let Some(path) = queue.pop() {
        if !seen.insert(path.clone()) || pages >= 400 {
            continue;
        }
        let n = kinds.entry(kind_of(&path)).or_default();
        if *n >= 2 {
            continue;
        }
        *n += 1;
        let page = b.get(&path).await;
        if page.status != 200 {
            assert!(
                page.status < 500,
                "{who} ({}) {path}: {}",
                b.lang,
                page.status
            );
            continue;
        }
        pages += 1;
        for p in machine_text(&visible_text(&page.html), ids, &codes) {
            found.push(format!("{who} ({}) {path}: {p}", b.lang));
        }
        queue.extend(links(&page.html));
    }
    pages
}

#[tokio::test]
async fn no_page_of_the_demo_shows_machine_text_in_either_language() {
    let db = TestDb::sqlite().await;
    let app = spawn_app(&db).await;
    seed_demo(&app).await;
    let ids: BTreeSet<String> = greenlane::i18n::message_ids(greenlane::i18n::EN_FTL);
    let people = [
        "admin@bureau.example",
        "rui@bureau.example",
        "ben@bureau.example",
        "amy@bureau.example",
        "audrey@bureau.example",
        "ann@acme.example",
        "li@yangtze.example",
        "gus@green.example",
        "mo@exchange.example",
        "jia@jiangbei.example",
    ];
    let mut found = Vec::new();
    let mut pages = 0;
    for lang in ["zh", "en"] {
        let public = Browser::new(&app, lang);
        pages += crawl(&public, &ids, "the public", &mut found).await;
        for email in people {
            let b = Browser::new(&app, lang);
            b.sign_in(email, greenlane::app::demo::PASSWORD).await;
            pages += crawl(&b, &ids, email, &mut found).await;
        }
    }
    println!("{pages} pages read");
    db.drop_it().await;
    assert!(pages > 200, "only {pages} pages were reached");
    found.dedup();
    assert!(
        found.is_empty(),
        "{} problems:\n{}",
        found.len(),
        found.join("\n")
    );
}

/// The value of the first `name="csrf"` input.
fn csrf_of(html: &str) -> String {
    crate::web::hidden(html, "csrf")
}

#[tokio::test]
async fn the_operator_desk_names_each_error_at_its_field_in_the_readers_language() {
    let db = TestDb::sqlite().await;
    let app = spawn_app(&db).await;
    seed_demo(&app).await;
    let b = Browser::new(&app, "zh");
    b.sign_in("mo@exchange.example", greenlane::app::demo::PASSWORD)
        .await;
    let desk = b.get("/operator").await;
    let csrf = csrf_of(&desk.html);
    let deposits = Regex::new(r#"action="(/operator/lots/[0-9a-f-]+/deposits)""#)
        .expect("regex")
        .captures(&desk.html)
        .map(|c| c[1].to_string())
        .expect("the demo's open auction takes deposits");

    // A deposit without the payer's reference: refused at that field, in Chinese, nothing recorded.
    let r = b
        .post(
            &deposits,
            &[("csrf", &csrf), ("org", "JIANGBEI"), ("reference", "")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.html);
    assert!(r.html.contains(r#"id="f-reference-error""#), "{}", r.html);
    assert!(
        r.html.contains("href=\"#f-reference\""),
        "the summary links to the field"
    );
    assert!(r.html.contains("必填：付款参考号"), "{}", r.html);
    assert!(!r.html.contains("required"), "no English on a Chinese page");

    // A permit without its basin and last day: each named where it is typed.
    let r = b
        .post(
            "/operator/participants",
            &[
                ("csrf", &csrf),
                ("org", "JIANGBEI"),
                ("permit_no", "500102-JB-2026"),
                ("permit_basin", ""),
                ("permit_valid_to", ""),
                ("group", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.html);
    assert!(r.html.contains(r#"id="f-permit-no-error""#), "{}", r.html);
    assert!(
        r.html
            .contains("排污许可证须同时填写编号、流域和有效期最后一天"),
        "{}",
        r.html
    );
    assert!(
        r.html.contains("value=\"500102-JB-2026\""),
        "what was typed stays"
    );
    let again = b.get("/operator").await;
    assert!(
        !again.html.contains("500102-JB-2026"),
        "nothing was recorded"
    );
    db.drop_it().await;
}
