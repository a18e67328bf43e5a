//! Notification templates: parsed once, checked, and rendered to subject, text and HTML. Pure.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::directory::Lang;

pub const PLACEHOLDERS: [&str; 12] = [
    "project", "case_id", "workflow", "stage", "state", "actor", "comment", "details", "deadline",
    "link", "clock", "due",
];

/// The payload of an action as lines a person can read: `- Missing items: site plan; noise survey`.
/// `label` names a field in the reader's language (the field's name with spaces if it has no title).
pub fn details(
    payload: &serde_json::Value,
    label: impl Fn(&str) -> Option<String>,
    words: impl Fn(&str) -> Option<String>,
) -> String {
    let Some(map) = payload.as_object() else {
        return String::new();
    };
    let mut lines = Vec::new();
    for (key, value) in map {
        // An id means nothing to a reader; the message links to the case.
        if value
            .as_str()
            .is_some_and(|s| uuid::Uuid::parse_str(s).is_ok())
        {
            continue;
        }
        let label = label(key).unwrap_or_else(|| key.replace('_', " "));
        let text = match value {
            serde_json::Value::String(s) => words(s).unwrap_or_else(|| s.clone()),
            serde_json::Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join("; "),
            serde_json::Value::Object(_) => continue,
            // Money is read in yuan.
            serde_json::Value::Number(n) if super::money::is_fen_field(key) => match n.as_i64() {
                Some(fen) => super::money::yuan(fen),
                None => n.to_string(),
            },
            other => other.to_string(),
        };
        lines.push(format!("- {label}: {text}"));
    }
    lines.join("\n")
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    subject: String,
    body: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKind {
    en: RawText,
    zh: RawText,
}

/// A word in both languages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Words {
    en: String,
    zh: String,
}

impl Words {
    fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

/// The file: one table per kind, and the words of the facts a message lists (`[fields.KEY]`:
/// a payload field's title; `[values.CODE]`: a coded value's words).
#[derive(Debug, Clone, Deserialize)]
struct RawFile {
    #[serde(default)]
    fields: BTreeMap<String, Words>,
    #[serde(default)]
    values: BTreeMap<String, Words>,
    #[serde(flatten)]
    kinds: BTreeMap<String, RawKind>,
}

#[derive(Debug, Clone, Default)]
pub struct Templates {
    kinds: BTreeMap<String, RawKind>,
    fields: BTreeMap<String, Words>,
    values: BTreeMap<String, Words>,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn placeholders(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

impl Templates {
    /// Parses the templates file; every kind needs both languages and only known placeholders.
    pub fn parse(file: &str, source: &str) -> Result<Templates, Vec<String>> {
        let raw: RawFile = toml::from_str(source)
            .map_err(|e| vec![format!("{file}: {}", e.to_string().trim_end())])?;
        let RawFile {
            fields,
            values,
            kinds,
        } = raw;
        let mut errors = Vec::new();
        for (kind, k) in &kinds {
            for (lang, t) in [("en", &k.en), ("zh", &k.zh)] {
                for text in [&t.subject, &t.body] {
                    for p in placeholders(text) {
                        if !PLACEHOLDERS.contains(&p) {
                            errors.push(format!(
                                "{file}: {kind}.{lang}: unknown placeholder {{{p}}}"
                            ));
                        }
                    }
                }
                if t.subject.trim().is_empty() || t.body.trim().is_empty() {
                    errors.push(format!(
                        "{file}: {kind}.{lang}: subject and body must not be empty"
                    ));
                }
            }
        }
        for (key, w) in fields.iter().chain(values.iter()) {
            if w.en.trim().is_empty() || w.zh.trim().is_empty() {
                errors.push(format!("{file}: `{key}` needs its words in en and zh"));
            }
        }
        if errors.is_empty() {
            Ok(Templates {
                kinds,
                fields,
                values,
            })
        } else {
            Err(errors)
        }
    }

    /// The title of a fact a message lists (`price_fen`: "Price per kg").
    pub fn field_title(&self, key: &str, lang: Lang) -> Option<String> {
        self.fields.get(key).map(|w| w.get(lang).to_string())
    }

    /// The words of a coded value (`defaulted`), if the file has them.
    pub fn value_words(&self, code: &str, lang: Lang) -> Option<String> {
        self.values.get(code).map(|w| w.get(lang).to_string())
    }

    pub fn has(&self, kind: &str) -> bool {
        self.kinds.contains_key(kind)
    }

    /// Renders `kind` in `lang`; placeholders without a value become empty.
    pub fn render(&self, kind: &str, lang: Lang, vars: &HashMap<&str, String>) -> Option<Rendered> {
        let k = self.kinds.get(kind)?;
        let t = match lang {
            Lang::En => &k.en,
            Lang::Zh => &k.zh,
        };
        let fill = |s: &str| {
            let mut out = s.to_string();
            for p in PLACEHOLDERS {
                out = out.replace(
                    &format!("{{{p}}}"),
                    vars.get(p).map(String::as_str).unwrap_or(""),
                );
            }
            out
        };
        let subject = fill(&t.subject)
            .replace(['\r', '\n'], " ")
            .trim()
            .to_string();
        let text = fill(t.body.trim());
        Some(Rendered {
            html: to_html(&text),
            subject,
            text,
        })
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One paragraph per block; lines kept; links made clickable.
fn to_html(text: &str) -> String {
    let mut html = String::from("<!DOCTYPE html><html><body>");
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let lines: Vec<String> = block
            .lines()
            .map(|line| {
                let e = escape(line.trim());
                if e.starts_with("http://") || e.starts_with("https://") {
                    format!("<a href=\"{e}\">{e}</a>")
                } else {
                    e
                }
            })
            .collect();
        html.push_str("<p>");
        html.push_str(&lines.join("<br>"));
        html.push_str("</p>");
    }
    html.push_str("</body></html>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../workflows/templates/notifications.toml");

    #[test]
    fn market_and_consultation_messages_name_no_rights_of_review() {
        let t = Templates::parse("n.toml", SHIPPED).expect("shipped");
        for kind in [
            "question_submitted",
            "lot_submitted",
            "transfer_submitted",
            "auction_approved",
            "transfer_approved",
            "market_refused",
            "auction_closed",
            "payment_defaulted",
        ] {
            for lang in [Lang::En, Lang::Zh] {
                let r = t.render(kind, lang, &vars()).expect(kind);
                for wrong in [
                    "administrative review",
                    "行政复议",
                    "acceptance check",
                    "受理审查",
                ] {
                    assert!(!r.text.contains(wrong), "{kind} {lang:?}: {}", r.text);
                }
            }
        }
    }

    #[test]
    fn an_awards_details_read_in_yuan_with_titles_and_without_ids() {
        let t = Templates::parse("n.toml", SHIPPED).expect("shipped");
        let award = serde_json::json!({
            "award": "0192f0c4-1b7e-7a3e-9a55-5d1f8f1d2a10",
            "amount_kg": 1200,
            "price_fen": 35,
            "value_fen": 42000,
            "status": "defaulted"
        });
        let zh = details(
            &award,
            |k| t.field_title(k, Lang::Zh),
            |v| t.value_words(v, Lang::Zh),
        );
        assert_eq!(
            zh,
            "- 数量（千克）: 1200\n- 每千克价格: ¥0.35\n- 状态: 已违约：成交份额顺延给其后的竞买人\n- 金额: ¥420.00"
        );
        let en = details(
            &award,
            |k| t.field_title(k, Lang::En),
            |v| t.value_words(v, Lang::En),
        );
        assert!(
            en.contains("- Price per kg: ¥0.35") && en.contains("- Value: ¥420.00"),
            "{en}"
        );
        assert!(!en.contains("fen") && !en.contains("0192f0c4"), "{en}");
    }

    fn vars() -> HashMap<&'static str, String> {
        HashMap::from([
            ("project", "Fuling <paper> mill".to_string()),
            ("stage", "Accepted".to_string()),
            ("deadline", "2026-03-16".to_string()),
            ("link", "http://127.0.0.1:8080/api/v1/cases/1".to_string()),
        ])
    }

    #[test]
    fn shipped_templates_render_in_both_languages() {
        let t = Templates::parse("notifications.toml", SHIPPED).expect("valid");
        for kind in [
            "submitted",
            "supplement_requested",
            "accepted",
            "deadline_warning",
            "overdue",
            "decision",
            "announcement",
            "filed",
            "answered",
            "listing_approved",
            "outbid",
            "award",
            "payment_due",
            "settled",
        ] {
            assert!(t.has(kind), "{kind}");
        }
        let en = t.render("accepted", Lang::En, &vars()).expect("kind");
        assert_eq!(en.subject, "Accepted: Fuling <paper> mill");
        assert!(en.text.contains("Next deadline: 2026-03-16"));
        assert!(en.html.contains("Fuling &lt;paper&gt; mill"), "{}", en.html);
        assert!(en
            .html
            .contains("<a href=\"http://127.0.0.1:8080/api/v1/cases/1\">"));
        let zh = t.render("accepted", Lang::Zh, &vars()).expect("kind");
        assert_eq!(zh.subject, "已受理：Fuling <paper> mill");
        assert!(t.render("nope", Lang::En, &vars()).is_none());
    }

    #[test]
    fn refuses_unknown_placeholders_and_missing_languages() {
        let bad = "[x.en]\nsubject = \"{nonsense}\"\nbody = \"b\"\n[x.zh]\nsubject = \"s\"\nbody = \"b\"\n";
        let e = Templates::parse("n.toml", bad).expect_err("refused");
        assert!(
            e[0].contains("x.en: unknown placeholder {nonsense}"),
            "{e:?}"
        );
        assert!(Templates::parse("n.toml", "[x.en]\nsubject = \"s\"\nbody = \"b\"\n").is_err());
    }
}
