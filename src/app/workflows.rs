//! Loading workflow definitions from a folder, deploying them as versions, and the registry
//! of every version ever deployed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};

use super::Clock;
use crate::engine::Definition;
use crate::store;

/// One definition file, parsed.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub file: String,
    pub source: String,
    pub content_hash: String,
    pub definition: Definition,
}

pub fn content_hash(source: &str) -> String {
    hex::encode(Sha256::digest(source.as_bytes()))
}

/// The `*.toml` files directly in `dir`, sorted by name.
pub fn toml_files(dir: &Path) -> Result<Vec<std::path::PathBuf>, Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return Err(vec![format!("{}: {e}", dir.display())]),
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// Reads and validates every `*.toml` directly in `dir`. Returns every problem found, each
/// naming its file, or the definitions.
pub fn load_dir(dir: &Path) -> Result<Vec<Loaded>, Vec<String>> {
    let paths = toml_files(dir)?;
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let source = match std::fs::read_to_string(&path) {
            Ok(s) => s,
            Err(e) => {
                errors.push(format!("{file}: {e}"));
                continue;
            }
        };
        match Definition::parse(&file, &source) {
            Ok(definition) => loaded.push(Loaded {
                file,
                content_hash: content_hash(&source),
                source,
                definition,
            }),
            Err(e) => errors.extend(e.messages),
        }
    }
    let mut seen: HashMap<(&str, u32), &str> = HashMap::new();
    for l in &loaded {
        let id = (l.definition.key.as_str(), l.definition.version);
        if let Some(other) = seen.insert(id, &l.file) {
            errors.push(format!(
                "{}: workflow `{}` version {} is also defined in {other}",
                l.file, id.0, id.1
            ));
        }
    }
    if loaded.is_empty() && errors.is_empty() {
        errors.push(format!(
            "{}: no workflow definitions (*.toml)",
            dir.display()
        ));
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(errors)
    }
}

/// Every deployed version, by key and version; new cases take the newest.
#[derive(Debug, Default)]
pub struct Registry {
    versions: HashMap<String, BTreeMap<u32, Arc<Definition>>>,
    /// Every action whose steps some deployed version's rules look at: what a case's context is
    /// read with before its workflow is known (see `load::opened_with_context`).
    looked_at: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub key: String,
    pub version: u32,
    /// The English title (`titles` has both).
    pub title: String,
    pub titles: crate::engine::Title,
    pub versions: Vec<u32>,
}

impl Registry {
    pub fn get(&self, key: &str, version: u32) -> Option<Arc<Definition>> {
        self.versions.get(key)?.get(&version).cloned()
    }

    pub fn newest(&self, key: &str) -> Option<Arc<Definition>> {
        self.versions.get(key)?.values().next_back().cloned()
    }

    pub fn summaries(&self) -> Vec<Summary> {
        let mut out: Vec<Summary> = self
            .versions
            .iter()
            .filter_map(|(key, versions)| {
                let newest = versions.values().next_back()?;
                Some(Summary {
                    key: key.clone(),
                    version: newest.version,
                    title: newest.title.en().to_string(),
                    titles: newest.title.clone(),
                    versions: versions.keys().copied().collect(),
                })
            })
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }

    /// Every notification kind any deployed version names (actions, and warnings of clocks).
    pub fn notification_kinds(&self) -> Vec<String> {
        let mut kinds = std::collections::BTreeSet::new();
        for versions in self.versions.values() {
            for def in versions.values() {
                for a in &def.actions {
                    if let Some(n) = &a.notify {
                        kinds.insert(n.kind.clone());
                    }
                }
                if def
                    .clocks
                    .iter()
                    .any(|c| !c.notify.is_empty() && !c.warn_at.is_empty())
                {
                    kinds.insert("deadline_warning".to_string());
                }
            }
        }
        kinds.into_iter().collect()
    }

    /// Every action whose steps some deployed version's rules look at, sorted.
    pub fn looked_at_anywhere(&self) -> &[String] {
        &self.looked_at
    }

    fn insert(&mut self, def: Definition) {
        self.looked_at.extend(def.looked_at.iter().cloned());
        self.looked_at.sort();
        self.looked_at.dedup();
        self.versions
            .entry(def.key.clone())
            .or_default()
            .insert(def.version, Arc::new(def));
    }
}

/// Deploys the definitions in `dir`: a new (key, version) is stored; a known one must have the
/// same content, or start is refused naming the file. Then loads every version ever stored.
pub async fn deploy(
    db: &DatabaseConnection,
    dir: &Path,
    clock: &dyn Clock,
) -> anyhow::Result<Registry> {
    let loaded = load_dir(dir).map_err(|errors| anyhow::anyhow!(errors.join("\n")))?;
    let mut refused = Vec::new();
    for l in &loaded {
        let (key, version) = (&l.definition.key, l.definition.version);
        match store::workflows::find(db, key, version).await? {
            Some(existing) if existing.content_hash != l.content_hash => refused.push(format!(
                "{}: workflow `{key}` version {version} was deployed before with other content \
                 (from {}, hash {}); give the changed definition a new version number",
                l.file, existing.file, existing.content_hash
            )),
            Some(_) => {}
            None => {
                let row = store::workflows::Deployed {
                    key: key.clone(),
                    version,
                    content_hash: l.content_hash.clone(),
                    file: l.file.clone(),
                    source: l.source.clone(),
                    deployed_at: clock.now(),
                };
                if let Err(e) = store::workflows::insert(db, &row).await {
                    // Another instance deployed the same version at the same moment: compare again.
                    if !store::is_unique_violation(&e) {
                        return Err(e.into());
                    }
                    let same = store::workflows::find(db, key, version)
                        .await?
                        .is_some_and(|d| d.content_hash == l.content_hash);
                    if !same {
                        refused.push(format!(
                            "{}: workflow `{key}` version {version} was deployed concurrently with other content",
                            l.file
                        ));
                    }
                } else {
                    tracing::info!(workflow = %key, version, file = %l.file, "deployed workflow version");
                }
            }
        }
    }
    if !refused.is_empty() {
        anyhow::bail!(refused.join("\n"));
    }
    let mut registry = Registry::default();
    for d in store::workflows::all(db).await? {
        let name = format!("{} (stored {} v{})", d.file, d.key, d.version);
        let def = Definition::parse_stored(&name, &d.source)?;
        registry.insert(def);
    }
    Ok(registry)
}

/// A deployed version as stored: its file name, source, hash and when it was deployed.
pub async fn deployed(
    app: &super::App,
    key: &str,
    version: u32,
) -> Result<Option<store::workflows::Deployed>, super::AppError> {
    Ok(store::workflows::find(&app.db, key, version).await?)
}
