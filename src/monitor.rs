//! `greenlane log monitor`: checks a Greenlane transparency log from outside, as a newspaper, an
//! NGO or a court would, daily. It fetches the signed checkpoint, verifies its signature with the
//! log's key, proves it consistent with the checkpoint kept from the last run (a tree that shrank
//! or forked is refused, and both signed checkpoints are printed as evidence), and keeps the new
//! one.

use std::path::Path;
use std::process::ExitCode;

use crate::domain::note::{Checkpoint, Verifier};
use crate::domain::tlog;

fn hashes(values: &serde_json::Value) -> anyhow::Result<Vec<tlog::Hash>> {
    values
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("the proof is not a list"))?
        .iter()
        .map(|h| {
            h.as_str()
                .and_then(|h| hex::decode(h).ok())
                .and_then(|h| <[u8; 32]>::try_from(h).ok())
                .ok_or_else(|| anyhow::anyhow!("the proof holds something that is not a hash"))
        })
        .collect()
}

/// Reads and checks a signed checkpoint.
fn open(verifier: &Verifier, note: &str) -> anyhow::Result<Checkpoint> {
    let text = verifier
        .open(note)
        .map_err(|e| anyhow::anyhow!("the checkpoint's signature: {e}"))?;
    Checkpoint::parse(text).map_err(|e| anyhow::anyhow!("{e}"))
}

fn evidence(kept: &str, served: &str) {
    eprintln!("The checkpoint kept from the last run:\n{kept}");
    eprintln!("The checkpoint served now:\n{served}");
}

pub async fn run(url: &str, key: &str, state: &Path) -> anyhow::Result<ExitCode> {
    let verifier = Verifier::parse(key).map_err(|e| anyhow::anyhow!("--key: {e}"))?;
    let base = url.trim_end_matches('/');
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()?;
    let resp = client.get(format!("{base}/log/checkpoint")).send().await?;
    if !resp.status().is_success() {
        anyhow::bail!("{base}/log/checkpoint answered {}", resp.status());
    }
    let served = resp.text().await?;
    let now = open(&verifier, &served)?;
    let kept = match std::fs::read_to_string(state) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => anyhow::bail!("{}: {e}", state.display()),
    };
    if let Some(kept) = &kept {
        let before =
            open(&verifier, kept).map_err(|e| anyhow::anyhow!("{}: {e}", state.display()))?;
        if before.origin != now.origin {
            anyhow::bail!(
                "the log's origin changed from `{}` to `{}`",
                before.origin,
                now.origin
            );
        }
        if now.size < before.size {
            eprintln!(
                "REFUSED: the log shrank from {} to {} leaves",
                before.size, now.size
            );
            evidence(kept, &served);
            return Ok(ExitCode::FAILURE);
        }
        let consistent = if now.size == before.size {
            now.root == before.root
        } else {
            let resp = client
                .get(format!(
                    "{base}/api/v1/public/log/consistency?from={}&to={}",
                    before.size, now.size
                ))
                .send()
                .await?;
            if !resp.status().is_success() {
                anyhow::bail!("the consistency proof: {} answered {}", base, resp.status());
            }
            let body: serde_json::Value = resp.json().await?;
            let proof = hashes(&body["proof"])?;
            tlog::verify_consistency(before.size, now.size, &before.root, &now.root, &proof).is_ok()
        };
        if !consistent {
            eprintln!(
                "REFUSED: the log forked: the tree of {} leaves does not extend the tree of {} \
                 kept from the last run",
                now.size, before.size
            );
            evidence(kept, &served);
            return Ok(ExitCode::FAILURE);
        }
    }
    if let Some(dir) = state.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = state.with_extension("tmp");
    std::fs::write(&tmp, &served)?;
    std::fs::rename(&tmp, state)?;
    match kept {
        Some(_) => println!(
            "ok: {} at {} leaves, root {}, consistent with the checkpoint kept before",
            now.origin,
            now.size,
            hex::encode(now.root)
        ),
        None => println!(
            "ok: {} at {} leaves, root {}; kept as the first checkpoint",
            now.origin,
            now.size,
            hex::encode(now.root)
        ),
    }
    Ok(ExitCode::SUCCESS)
}
