//! Every shipped workflow exported as BPMN 2.0: valid against the OMG schema (`xmllint
//! --schema`, Debian's libxml2-utils), drawn with a shape for every node and an edge for every
//! flow, and kept as a snapshot. Without xmllint the schema check says so and skips; with
//! `GREENLANE_REQUIRE_XMLLINT=1` (as in CI) a missing xmllint fails it.

use std::io::Write;
use std::process::Command;

use greenlane::app::workflows;
use greenlane::web::i18n::Lang;
use greenlane::web::pages::workflows::bpmn;

use crate::helpers::*;

fn newest() -> Vec<greenlane::engine::Definition> {
    let mut loaded = workflows::load_dir(std::path::Path::new("workflows")).expect("workflows");
    loaded.sort_by(|a, b| {
        (a.definition.key.as_str(), b.definition.version)
            .cmp(&(b.definition.key.as_str(), a.definition.version))
    });
    let mut out: Vec<greenlane::engine::Definition> = Vec::new();
    for l in loaded {
        if out.last().map(|d| d.key.as_str()) != Some(l.definition.key.as_str()) {
            out.push(l.definition);
        }
    }
    out
}

fn xmllint() -> bool {
    let required = std::env::var("GREENLANE_REQUIRE_XMLLINT").is_ok_and(|v| v == "1");
    let found = Command::new("xmllint").arg("--version").output().is_ok();
    if !found {
        assert!(
            !required,
            "GREENLANE_REQUIRE_XMLLINT=1 but xmllint is missing (Debian: libxml2-utils)"
        );
        let _ = writeln!(
            std::io::stderr(),
            "xmllint not found: BPMN schema validation skipped"
        );
    }
    found
}

#[test]
fn every_workflow_exports_as_valid_bpmn_with_its_diagram() {
    let defs = newest();
    assert!(defs.len() >= 10, "{} workflows", defs.len());
    let dir = std::env::temp_dir().join(format!("greenlane-bpmn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let lint = xmllint();
    for def in &defs {
        for lang in [Lang::En, Lang::Zh] {
            let xml = bpmn(def, lang);
            // Every node has a shape, every flow an edge with at least two points.
            let nodes = xml.matches("<bpmn:userTask ").count()
                + xml.matches("<bpmn:endEvent ").count()
                + xml.matches("<bpmn:boundaryEvent ").count()
                + xml.matches("<bpmn:startEvent ").count();
            let lanes = xml.matches("<bpmn:lane ").count();
            let shapes = xml.matches("<bpmndi:BPMNShape ").count();
            assert_eq!(
                shapes,
                nodes + lanes + 1,
                "{}: a shape per node, lane and the pool",
                def.key
            );
            let flows = xml.matches("<bpmn:sequenceFlow ").count();
            assert_eq!(
                xml.matches("<bpmndi:BPMNEdge ").count(),
                flows,
                "{}",
                def.key
            );
            assert!(
                flows >= def.actions.len(),
                "{}: a flow per action at least",
                def.key
            );
            assert_eq!(
                xml.matches("<bpmn:userTask ").count() + xml.matches("<bpmn:endEvent ").count(),
                def.states.len(),
                "{}: a node per state",
                def.key
            );
            if lint {
                let file = dir.join(format!("{}-{lang:?}.bpmn", def.key));
                std::fs::write(&file, &xml).expect("write");
                let out = Command::new("xmllint")
                    .args(["--noout", "--schema", "tests/data/bpmn20/BPMN20.xsd"])
                    .arg(&file)
                    .output()
                    .expect("xmllint runs");
                assert!(
                    out.status.success(),
                    "{} ({lang:?}) is not valid BPMN 2.0:\n{}",
                    def.key,
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        if let Some(clock) = def
            .clocks
            .iter()
            .find(|c| c.hours_from.is_none() && c.limit_days > 0)
        {
            let xml = bpmn(def, Lang::En);
            if xml.contains(&format!("Timer_{}_", clock.name)) {
                assert!(
                    xml.contains(&format!(">P{}D<", clock.limit_days)),
                    "{}: {}",
                    def.key,
                    clock.name
                );
            }
        }
    }
    for def in &defs {
        insta::assert_snapshot!(format!("bpmn_{}", def.key), bpmn(def, Lang::En));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_procedures_are_readable_in_the_browser_and_downloadable() {
    let db = TestDb::sqlite().await;
    let app = spawn_app(&db).await;
    seed_directory(&app).await;
    let browser = crate::web::Browser::new(&app, "en");
    browser
        .sign_in("rui@bureau.example", "correct horse battery")
        .await;
    let page = browser.get("/workflows").await;
    assert_eq!(page.status, 200);
    assert!(
        page.html.contains("/workflows/eia_report_form"),
        "{}",
        page.html
    );
    let page = browser.get("/workflows/eia_report_form").await;
    assert_eq!(page.status, 200);
    for shown in [
        "Acceptance check",
        "working days",
        "Not the person who did",
        "<svg",
        "Acceptance notice",
    ] {
        assert!(
            page.html.contains(shown),
            "`{shown}` missing:\n{}",
            page.html
        );
    }
    let bpmn = browser.get("/workflows/eia_report_form.bpmn?lang=zh").await;
    assert_eq!(bpmn.status, 200);
    assert!(
        bpmn.html.starts_with("<?xml") && bpmn.html.contains("受理"),
        "{}",
        bpmn.html
    );
    let toml = browser.get("/workflows/eia_report_form.toml").await;
    assert_eq!(toml.status, 200);
    assert!(toml.html.contains("key = \"eia_report_form\""));
    assert_eq!(browser.get("/workflows/nothing").await.status, 404);
    assert_eq!(
        browser.get("/operator").await.status,
        403,
        "the operator's desk is the market's"
    );
    assert_eq!(
        browser
            .get("/workflows/eia_report_form?version=99")
            .await
            .status,
        404
    );
    db.drop_it().await;
}
