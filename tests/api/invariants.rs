//! Architecture invariants, checked cheaply so that a break shows up as a failing test.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

fn src(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(sub)
}

#[test]
fn the_engine_and_the_domain_are_pure() {
    let forbidden = [
        "sea_orm",
        "actix",
        "tokio",
        "lettre",
        "reqwest",
        "Utc::now",
        "SystemTime",
        "std::fs",
        "std::net",
        "rand::",
        "getrandom",
    ];
    for dir in ["engine", "domain"] {
        let files = rust_files(&src(dir));
        assert!(!files.is_empty());
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read");
            for word in forbidden {
                assert!(!text.contains(word), "{} mentions `{word}`", file.display());
            }
        }
    }
}

#[test]
fn only_the_store_touches_entities_and_only_the_app_opens_transactions() {
    for file in rust_files(&src("")) {
        let text = std::fs::read_to_string(&file).expect("read");
        let rel = file
            .strip_prefix(src(""))
            .expect("under src")
            .to_string_lossy()
            .into_owned();
        if !rel.starts_with("store") {
            assert!(!text.contains("entity::"), "{rel} uses entities directly");
        }
        if !rel.starts_with("app") {
            assert!(!text.contains(".begin()"), "{rel} opens a transaction");
        }
        if rel.starts_with("http") {
            // The HTTP layer talks to the app layer; `startup` connects the store.
            let uses: Vec<&str> = text.lines().filter(|l| l.contains("store::")).collect();
            assert!(uses.is_empty(), "{rel} reaches into the store: {uses:?}");
        }
        if rel.starts_with("app") {
            // Arrows point down: the use cases know nothing of the layers above them.
            for word in ["crate::http", "crate::web", "crate::startup", "crate::cli"] {
                assert!(!text.contains(word), "{rel} reaches up to `{word}`");
            }
        }
        if rel.starts_with("web") {
            // Pages call the same use cases as the API: no store, no SQL, no audit of their own.
            for word in ["store::", "sea_orm", "audit::append", "validate_new_case"] {
                assert!(
                    !text.contains(word),
                    "{rel} uses `{word}`: pages go through the app layer"
                );
            }
        }
    }
}
