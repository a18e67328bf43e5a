use std::process::Command;

use crate::helpers::*;

fn greenlane(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_greenlane"))
        .args(args)
        .current_dir(dir)
        .env_remove("GREENLANE_JWT_SECRET")
        .env_remove("DATABASE_URL")
        .env_remove("GREENLANE_WORKFLOWS")
        .env_remove("GREENLANE_CONFIG")
        .output()
        .expect("run greenlane")
}

#[test]
fn workflows_check_accepts_the_shipped_folder_and_names_every_problem_otherwise() {
    let here = tempfile::tempdir().expect("dir");
    let shipped = workflows_dir();
    let out = greenlane(
        &["workflows", "check", shipped.to_str().expect("path")],
        here.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("eia_report_form.toml: eia_report_form v5")
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(
        "ok  classification: edition 2021 in force from 2021-01-01 (55 sections, 173 items,"
    ));

    let bad = tempfile::tempdir().expect("dir");
    std::fs::write(
        bad.path().join("broken.toml"),
        r#"
key = "broken"
version = 1
title = "Broken"
initial = "start"
[clocks.limit]
limit_days = 5
[states.start]
run = ["limit"]
[states.orphan]
[states.end]
terminal = true
[[actions]]
name = "finish"
from = ["start"]
to = "end"
roles = ["inspector"]
"#,
    )
    .expect("write");
    // A catalogue edition with a gap in its numbering and a bracket left open: each named with
    // its line.
    let catalogue =
        std::fs::read_to_string(shipped.join("classification").join("2021.toml")).expect("edition");
    let broken =
        catalogue
            .replacen("no = 5\n", "no = 6\n", 1)
            .replacen("手工纸制造；", "手工纸制造（；", 1);
    let line_of = |needle: &str| {
        broken
            .lines()
            .position(|l| l.starts_with(needle))
            .map(|i| i + 1)
            .expect("line")
    };
    let gap = line_of("no = 6");
    let open = line_of("report_form = \"手工纸制造（");
    std::fs::create_dir_all(bad.path().join("classification")).expect("dir");
    std::fs::write(bad.path().join("classification").join("2021.toml"), &broken).expect("write");
    let out = greenlane(
        &["workflows", "check", bad.path().to_str().expect("path")],
        here.path(),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        format!("classification/2021.toml, line {gap}: item 5 is numbered 6"),
        format!(
            "classification/2021.toml, line {open}: item 37: `report_form` has unbalanced brackets"
        ),
    ] {
        assert!(err.contains(&expected), "missing `{expected}` in:\n{err}");
    }
    for expected in [
        "broken.toml: action `finish` (entry 1): unknown role `inspector`",
        "broken.toml: clock `limit` has no expiry action",
        "broken.toml: state `orphan` is unreachable from `start`",
        "broken.toml: state `orphan` is not terminal but has no way out",
        "broken.toml: workflow: title needs both languages",
        "broken.toml: clock `limit`: title is missing",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
    }
}

#[test]
fn workflows_graph_prints_mermaid() {
    let here = tempfile::tempdir().expect("dir");
    let shipped = workflows_dir();
    let out = greenlane(
        &[
            "workflows",
            "graph",
            "eia_report_form",
            "--dir",
            shipped.to_str().expect("path"),
        ],
        here.path(),
    );
    assert!(out.status.success());
    let graph = String::from_utf8_lossy(&out.stdout);
    assert!(graph.starts_with("stateDiagram-v2"));
    assert!(graph.contains("decision --> approved: approve"));
    let out = greenlane(
        &[
            "workflows",
            "graph",
            "nope",
            "--dir",
            shipped.to_str().expect("path"),
        ],
        here.path(),
    );
    assert!(!out.status.success());
}

/// With no secret configured, `greenlane token` and the server share the one generated beside
/// the SQLite database.
#[tokio::test]
async fn a_token_from_the_cli_works_against_a_server_with_the_same_settings() {
    let here = tempfile::tempdir().expect("dir");
    let out = greenlane(
        &[
            "token",
            "--sub",
            "ann@acme.example",
            "--role",
            "applicant",
            "--org",
            "ACME",
            "--ttl",
            "10m",
        ],
        here.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let secret_file = here.path().join("data").join("jwt_secret");
    assert!(
        secret_file.exists(),
        "the secret is kept beside the default SQLite file"
    );

    let db_file = here.path().join("data").join("greenlane.db");
    let settings = greenlane::settings::Settings {
        bind: "127.0.0.1:0".into(),
        database_url: format!("sqlite://{}", db_file.display()),
        jwt_secret: None,
        jwt_issuer: "greenlane".into(),
        jwt_audience: "greenlane-api".into(),
        workflows_dir: workflows_dir(),
        clock: greenlane::settings::ClockMode::System,
        mail: greenlane::settings::MailConfig::files(
            here.path().join("mail"),
            "http://greenlane.test",
        ),
        worker: true,
        documents_dir: here.path().join("documents"),
        max_upload_bytes: 1 << 20,
        cors_origins: Vec::new(),
        oidc: Vec::new(),
        timer_workers: 2,
        trusted_proxies: Vec::new(),
        log_origin: "greenlane.test/log".into(),
        password_sign_in: true,
        group_commit: true,
        log_key_file: std::env::temp_dir().join(format!(
            "greenlane-log-{}.key",
            uuid::Uuid::now_v7().simple()
        )),
    };
    let app = spawn_app_with(settings).await;
    let ann = User { token };
    let r = app.create_case(&ann, project()).await;
    assert_eq!(r.status, 201, "{}", r.body);

    let out = greenlane(&["token", "--sub", "x", "--role", "applicant"], here.path());
    assert!(!out.status.success(), "an applicant token needs --org");
    let out = greenlane(
        &["token", "--sub", "x", "--role", "janitor", "--org", "A"],
        here.path(),
    );
    assert!(!out.status.success(), "unknown roles are refused");
}

/// `greenlane catalogue import FILE`: all rows or none; the count is then answered.
#[test]
fn the_catalogue_imports_from_the_command_line_all_or_nothing() {
    let here = tempfile::tempdir().expect("dir");
    let shipped = workflows_dir();
    let file = shipped
        .join("catalogue")
        .join("pre_licence_illustrative.csv");
    let with_workflows = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_greenlane"))
            .args(args)
            .current_dir(here.path())
            .env_remove("GREENLANE_JWT_SECRET")
            .env_remove("DATABASE_URL")
            .env_remove("GREENLANE_CONFIG")
            .env("GREENLANE_WORKFLOWS", &shipped)
            .output()
            .expect("run greenlane")
    };
    let bad = here.path().join("bad.csv");
    std::fs::write(
        &bad,
        "code,name,authority,legal_basis,business_kinds,status,effective_from,merged_into\nA-1,n,a,b,*,pre_licence,2014-01-01,\nA-2,n,a,b,*,gone,2014-01-01,\n",
    )
    .expect("write");
    let out = with_workflows(&["catalogue", "import", bad.to_str().expect("path")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nothing imported") && err.contains("line 3: status"),
        "{err}"
    );

    let out = with_workflows(&["catalogue", "import", file.to_str().expect("path")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("190 items added"));
    let out = with_workflows(&["catalogue", "items", "--on", "2019-01-01"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("32 pre-licence items on 2019-01-01"));
    let out = with_workflows(&["catalogue", "items", "--on", "2014-01-01"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("190 pre-licence items on 2014-01-01"),
        "A-1 was never imported"
    );
}
