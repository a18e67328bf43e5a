//! What every page shares: the language, the person, the navigation, the form token, and the
//! helpers templates use to say things (translations, dates in Asia/Shanghai, money).

use chrono::{DateTime, NaiveDate, Utc};
use fluent_bundle::FluentValue;

use super::assets;
use super::i18n::{self, Lang};
use super::session::Ctx;
use crate::domain::calendar;
use crate::domain::Role;

/// The signed-in person, as the header shows them.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub email: String,
    pub org: String,
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// The frame of a page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub lang: Lang,
    pub title: String,
    pub person: Option<Person>,
    pub csrf: String,
    pub here: String,
    pub nav: Vec<NavItem>,
    /// A confirmation after a change (`?done=...` on the page it led to).
    pub notice: Option<String>,
}

fn has(roles: &[Role], any: &[Role]) -> bool {
    roles.iter().any(|r| any.contains(r))
}

impl Chrome {
    /// The frame for a page titled by the translation `title_id`.
    pub fn new(ctx: &Ctx, title_id: &str) -> Chrome {
        let lang = ctx.lang;
        let person = ctx.session.as_ref().map(|s| Person {
            name: s.user.name.clone(),
            email: s.user.email.clone(),
            org: s.user.organisation.clone(),
            roles: s
                .user
                .roles
                .iter()
                .filter_map(|r| r.parse::<Role>().ok())
                .collect(),
        });
        let path = ctx.here.split('?').next().unwrap_or("/").to_string();
        let mut nav = Vec::new();
        if let Some(p) = &person {
            let r = &p.roles;
            let mut item = |href: &'static str, id: &str| {
                let current = if href == "/" {
                    path == "/"
                } else {
                    path == href || path.starts_with(&format!("{href}/"))
                };
                nav.push(NavItem {
                    href,
                    label: i18n::t(lang, id),
                    current,
                });
            };
            item("/", "nav-home");
            if has(
                r,
                &[
                    Role::Applicant,
                    Role::Agency,
                    Role::Reviewer,
                    Role::Approver,
                    Role::MarketOperator,
                ],
            ) {
                item("/inbox", "nav-inbox");
            }
            item("/cases", "nav-cases");
            if has(r, &[Role::Applicant, Role::Agency]) {
                item("/cases/new", "nav-new-case");
            }
            if has(
                r,
                &[
                    Role::Applicant,
                    Role::MarketOperator,
                    Role::Auditor,
                    Role::Admin,
                ],
            ) {
                item("/market", "nav-market");
            }
            if has(r, &[Role::MarketOperator]) {
                item("/operator", "nav-operator");
            }
            item("/stats", "nav-stats");
            item("/workflows", "nav-workflows");
            if has(r, &[Role::Auditor, Role::Admin]) {
                item("/audit", "nav-audit");
            }
            if has(r, &[Role::Admin]) {
                item("/admin", "nav-admin");
            }
            // The catalogue and the siting check are under "Figures".
            if path == "/catalogue" || path == "/siting" {
                for n in nav.iter_mut().filter(|n| n.href == "/stats") {
                    n.current = true;
                }
            }
            // "New application" is under "Cases" by its path; mark only the most specific.
            if nav.iter().any(|n| n.current && n.href == "/cases/new") {
                for n in nav.iter_mut().filter(|n| n.href == "/cases") {
                    n.current = false;
                }
            }
        }
        // The public notices, for everyone.
        nav.push(NavItem {
            href: "/public",
            label: i18n::t(lang, "nav-public"),
            current: path == "/public" || path.starts_with("/public/"),
        });
        let notice = ctx
            .here
            .split_once('?')
            .and_then(|(_, q)| {
                q.split('&')
                    .find_map(|kv| kv.strip_prefix("done="))
                    .map(str::to_string)
            })
            .filter(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
            .and_then(|k| i18n::lookup(lang, &format!("done-{k}"), None));
        Chrome {
            lang,
            title: i18n::t(lang, title_id),
            person,
            csrf: ctx
                .session
                .as_ref()
                .map(|s| s.csrf.clone())
                .unwrap_or_default(),
            here: ctx.here.clone(),
            nav,
            notice,
        }
    }

    /// The frame with a title given as text (a case's project name).
    pub fn titled(mut self, title: impl Into<String>) -> Chrome {
        self.title = title.into();
        self
    }

    pub fn has_role(&self, role: &str) -> bool {
        let Ok(role) = role.parse::<Role>() else {
            return false;
        };
        self.person
            .as_ref()
            .is_some_and(|p| p.roles.contains(&role))
    }

    pub fn t(&self, id: &str) -> String {
        i18n::t(self.lang, id)
    }

    /// A message with one argument.
    pub fn t1(&self, id: &str, name: &str, value: impl ToString) -> String {
        i18n::t_args(
            self.lang,
            id,
            &[(name, FluentValue::from(value.to_string()))],
        )
    }

    /// How and when a person last signed in on the web desk, or that they never have.
    pub fn last_sign_in(
        &self,
        last: &Option<(DateTime<Utc>, crate::app::directory::SignInMethod)>,
    ) -> String {
        match last {
            Some((at, method)) => self.t2(
                "admin-last-sign-in-at",
                "method",
                self.t(method.message_id()),
                "at",
                local_time(*at),
            ),
            None => self.t("admin-last-sign-in-never"),
        }
    }

    /// A message with two arguments.
    pub fn t2(&self, id: &str, a: &str, av: impl ToString, b: &str, bv: impl ToString) -> String {
        i18n::t_args(
            self.lang,
            id,
            &[
                (a, FluentValue::from(av.to_string())),
                (b, FluentValue::from(bv.to_string())),
            ],
        )
    }

    /// A message with a number (for plural forms).
    pub fn tn(&self, id: &str, name: &str, n: impl Num) -> String {
        i18n::t_args(self.lang, id, &[(name, FluentValue::from(n.num()))])
    }

    /// "3 working days left", "2 calendar days overdue": `days` left on a clock that counts
    /// `kind` (`working` or `calendar`) days, negative when overdue.
    pub fn days(&self, days: impl Num, kind: &str) -> String {
        let d = days.num();
        let calendar = kind == "calendar";
        let id = match (d < 0, calendar) {
            (false, false) => "days-left-working",
            (false, true) => "days-left-calendar",
            (true, false) => "days-over-working",
            (true, true) => "days-over-calendar",
        };
        self.tn(id, "n", d.abs())
    }

    /// A validation message from a use case, in this page's language.
    pub fn msg(&self, m: &crate::domain::Msg) -> String {
        i18n::msg(self.lang, m)
    }

    pub fn role(&self, role: &str) -> String {
        self.t(&format!("role-{}", role.replace('_', "-")))
    }

    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }

    pub fn lang_code(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The link that switches to the other language and comes back here.
    pub fn other_lang_href(&self) -> String {
        let other = match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh",
        };
        format!(
            "/lang/{other}?next={}",
            percent_encoding::utf8_percent_encode(&self.here, percent_encoding::NON_ALPHANUMERIC)
        )
    }

    /// The other language's name, in that language (`English`, `中文`).
    pub fn other_lang_name(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "English",
            Lang::En => "中文",
        }
    }

    pub fn other_lang_code(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh-CN",
        }
    }

    /// A moment in Asia/Shanghai: `2026-03-02 09:00`.
    pub fn when(&self, t: &DateTime<Utc>) -> String {
        local_time(*t)
    }

    /// The same, for an optional moment (`-` when absent).
    pub fn when_opt(&self, t: &Option<DateTime<Utc>>) -> String {
        t.map_or_else(|| "-".to_string(), local_time)
    }

    pub fn day(&self, d: &NaiveDate) -> String {
        d.format("%Y-%m-%d").to_string()
    }

    /// An amount of fen as yuan: `¥1,250,000.00`.
    pub fn yuan(&self, fen: i64) -> String {
        yuan(fen)
    }

    /// Kilograms with thousands separators.
    pub fn kg(&self, kg: &i64) -> String {
        let grouped = thousands(kg.unsigned_abs());
        if *kg < 0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    }

    /// A basin's name in the page's language.
    pub fn basin(&self, code: &str) -> String {
        basin_name(self.lang, code)
    }

    /// The basins a form offers, by name (code, name).
    pub fn basins(&self) -> Vec<(&'static str, String)> {
        crate::domain::ledger::NAMED_BASINS
            .iter()
            .map(|b| (*b, basin_name(self.lang, b)))
            .collect()
    }
}

/// A number a template passes to a message (by value or by reference).
pub trait Num {
    fn num(&self) -> i64;
}

macro_rules! num {
    ($($t:ty),*) => {$(
        impl Num for $t {
            fn num(&self) -> i64 {
                i64::try_from(*self).unwrap_or(i64::MAX)
            }
        }
    )*};
}
num!(i64, i32, u32, u64, usize);

impl<T: Num> Num for &T {
    fn num(&self) -> i64 {
        (*self).num()
    }
}

/// A moment in Asia/Shanghai, to the minute.
pub fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&calendar::shanghai())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A basin's name in `lang` (its code when the translations have none).
pub fn basin_name(lang: Lang, code: &str) -> String {
    i18n::lookup(lang, &format!("basin-{}", code.replace('_', "-")), None)
        .unwrap_or_else(|| code.to_string())
}

pub use crate::domain::money::{thousands, yuan};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_time_read_as_people_write_them() {
        assert_eq!(yuan(125_000_000_000), "¥1,250,000,000.00");
        assert_eq!(yuan(5), "¥0.05");
        assert_eq!(yuan(-123_456), "-¥1,234.56");
        let t = chrono::DateTime::parse_from_rfc3339("2026-03-02T01:30:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(local_time(t), "2026-03-02 09:30");
    }
}
