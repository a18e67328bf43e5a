use std::path::Path;

use serde_json::json;

use crate::helpers::*;

fn copy_workflows(to: &Path, version: u32, title_suffix: &str) {
    let source = std::fs::read_to_string(workflows_dir().join("eia_report_form.toml"))
        .expect("shipped definition");
    let changed = source
        .replacen("version = 5", &format!("version = {version}"), 1)
        .replacen(
            "zh = \"环境影响报告表审批\"",
            &format!("zh = \"环境影响报告表审批{title_suffix}\""),
            1,
        );
    std::fs::write(to.join("eia_report_form.toml"), changed).expect("write");
    std::fs::create_dir_all(to.join("templates")).expect("dir");
    std::fs::copy(
        workflows_dir().join("templates").join("notifications.toml"),
        to.join("templates").join("notifications.toml"),
    )
    .expect("templates");
    std::fs::create_dir_all(to.join("classification")).expect("dir");
    std::fs::copy(
        workflows_dir().join("classification").join("2021.toml"),
        to.join("classification").join("2021.toml"),
    )
    .expect("catalogue");
}

#[tokio::test]
async fn a_running_case_keeps_its_version_and_a_changed_file_needs_a_new_number() {
    on_every_database(|db| async move {
        let dir = tempfile::tempdir().expect("dir");
        copy_workflows(dir.path(), 1, "");
        let app = spawn_app_with(settings(&db, dir.path().to_path_buf())).await;
        let ann = applicant();
        let old = app.new_case(&ann).await;

        // The file changes but keeps version 1: start is refused, naming the file.
        copy_workflows(dir.path(), 1, " edited");
        let err = greenlane::startup::Application::build(&settings(&db, dir.path().to_path_buf()))
            .await
            .err()
            .expect("refused");
        let message = format!("{err:#}");
        assert!(message.contains("eia_report_form.toml: workflow `eia_report_form` version 1 was deployed before with other content"), "{message}");

        // With a new number it deploys; new cases take it, the old case stays on version 1.
        copy_workflows(dir.path(), 2, " edited");
        let app2 = spawn_app_with(settings(&db, dir.path().to_path_buf())).await;
        let wf = app2.get(&ann, "/api/v1/workflows").await;
        assert_eq!(wf.body["workflows"][0]["version"], 2);
        assert_eq!(wf.body["workflows"][0]["versions"], json!([1, 2]));
        let new = app2.new_case(&ann).await;
        assert_eq!(app2.case(&ann, &new).await["workflow_version"], 2);
        assert_eq!(app2.case(&ann, &old).await["workflow_version"], 1);
        let r = app2.act(&ann, &old, "submit", 1, json!({})).await;
        assert_eq!((r.status, r.body["workflow_version"].as_i64()), (200, Some(1)), "{}", r.body);

        // Even if version 1's file is gone from the folder, its stored source keeps the case going.
        let r = app2.act(&ann, &old, "withdraw", 2, json!({})).await;
        assert_eq!(r.body["state"], "withdrawn");
        let _ = app;
        db
    })
    .await;
}
