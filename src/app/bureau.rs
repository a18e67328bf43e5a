//! The bureau that publishes (`workflows/public/bureau.toml`): its name and its contact for the public,
//! in both languages, shown on every public notice and in the feeds.

use std::path::Path;

use serde::Deserialize;

use crate::engine::Title;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bureau {
    pub name: Title,
    pub contact: Title,
    /// Where winners and buyers pay for pollution rights: the exchange's settlement account, as
    /// its winners' pages show it.
    #[serde(default)]
    pub settlement_account: Option<Title>,
}

impl Default for Bureau {
    /// Without a file: a generic name and no contact (a warning is logged at start).
    fn default() -> Self {
        Bureau {
            name: Title::Both {
                en: "The ecology and environment bureau".into(),
                zh: "生态环境主管部门".into(),
            },
            contact: Title::Plain(String::new()),
            settlement_account: None,
        }
    }
}

impl Bureau {
    /// Reads `dir/public/bureau.toml`; without it, the default. A file that cannot be read is an error
    /// (the service does not start with a bureau it cannot name).
    pub fn load(dir: &Path) -> anyhow::Result<Bureau> {
        let file = dir.join("public").join("bureau.toml");
        let source = match std::fs::read_to_string(&file) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(
                    "no {}: public notices name no contact for the bureau",
                    file.display()
                );
                return Ok(Bureau::default());
            }
            Err(e) => anyhow::bail!("{}: {e}", file.display()),
        };
        toml::from_str(&source).map_err(|e| anyhow::anyhow!("bureau.toml: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::directory::Lang;

    #[test]
    fn the_shipped_file_names_the_bureau_in_both_languages() {
        let b = Bureau::load(Path::new("workflows")).expect("workflows/public/bureau.toml");
        assert_eq!(b.name.get(Lang::Zh), "重庆市生态环境局");
        assert!(b.contact.get(Lang::En).contains("023-8898 0000"));
        assert!(toml::from_str::<Bureau>("name = \"x\"\ncontact = \"y\"\nphone = 1").is_err());
    }
}
