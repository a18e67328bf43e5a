//! Organisations and users: codes, e-mail addresses, languages. Parsed, not validated.

use std::fmt;

use super::Msg;

/// An organisation's short code, as carried in a token's `org` claim: 2-32 characters of
/// upper-case letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct OrgCode(String);

impl OrgCode {
    pub fn parse(s: &str) -> Result<OrgCode, Msg> {
        let ok = (2..=32).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(OrgCode(s.to_string()))
        } else {
            Err(crate::msg!("err-org-code"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, lower-cased. Checked for shape only (one `@`, a dotted domain).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Email, Msg> {
        let s = s.trim().to_lowercase();
        let valid = match s.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && s.len() <= 254
                    && !s.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if valid {
            Ok(Email(s))
        } else {
            Err(crate::msg!("err-email"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Result<Lang, Msg> {
        match s {
            "zh" => Ok(Lang::Zh),
            "en" => Ok(Lang::En),
            _ => Err(crate::msg!("err-lang")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Enterprise,
    Bureau,
    Agency,
}

impl OrgKind {
    pub fn parse(s: &str) -> Result<OrgKind, Msg> {
        match s {
            "enterprise" => Ok(OrgKind::Enterprise),
            "bureau" => Ok(OrgKind::Bureau),
            "agency" => Ok(OrgKind::Agency),
            _ => Err(crate::msg!("err-org-kind")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Enterprise => "enterprise",
            OrgKind::Bureau => "bureau",
            OrgKind::Agency => "agency",
        }
    }

    /// True if a stored kind is this one.
    pub fn is(self, stored: &str) -> bool {
        stored == self.as_str()
    }
}

/// How long to refuse sign-in attempts after `failures` consecutive failures: nothing for the
/// first three, then 1 s, 2 s, 4 s ... up to 5 minutes.
pub fn login_delay_seconds(failures: i32) -> i64 {
    if failures < 3 {
        0
    } else {
        let exp = u32::try_from(failures - 3).unwrap_or(0).min(16);
        (1i64 << exp).min(300)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_addresses() {
        assert!(OrgCode::parse("ACME").is_ok());
        assert!(OrgCode::parse("CQ-EEB_2").is_ok());
        for bad in ["a", "acme", "AC ME", "", &"X".repeat(33)] {
            assert!(OrgCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Email::parse(" Ann@Acme.Example ").map(|e| e.as_str().to_string()),
            Ok("ann@acme.example".into())
        );
        for bad in [
            "ann",
            "ann@",
            "@acme.example",
            "ann@acme",
            "ann@@acme.example",
            "a b@acme.example",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sign_in_slows_down_after_repeated_failures() {
        let delays: Vec<i64> = (0..8).map(login_delay_seconds).collect();
        assert_eq!(delays, vec![0, 0, 0, 1, 2, 4, 8, 16]);
        assert_eq!(login_delay_seconds(40), 300);
    }
}
