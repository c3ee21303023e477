//! Two CLI processes writing the same database at once both succeed: writers wait for each other
//! (busy timeout, IMMEDIATE transactions) instead of failing with "database is locked".

use std::process::{Command, Stdio};

use crate::support::{binary, code, TestDb};

#[test]
fn two_processes_creating_tokens_at_once_all_succeed() {
    let db = TestDb::new();
    // One command first, so the test is about concurrent writes rather than concurrent creation
    // of the file.
    assert_eq!(code(&db.run(&["list"])), 0);
    let children: Vec<_> = ["a", "b"]
        .iter()
        .map(|prefix| {
            // Each shell runs 20 creates one after the other; the two shells run side by side.
            let body = format!(
                "for i in $(seq 10 29); do \"$0\" --db \"$1\" create --name {prefix}-$i --allow CI:OM:MERCHANT >/dev/null || exit 1; done"
            );
            Command::new("sh")
                .arg("-c")
                .arg(body)
                .arg(binary())
                .arg(&db.path)
                .env_remove("CLAPAY_TOKENS_DB")
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("wait");
        let errors = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "every create succeeds: {errors}");
        assert!(
            !errors.contains("locked"),
            "no 'database is locked': {errors}"
        );
    }
    let output = db.run(&["--json", "list", "--limit", "100"]);
    let page: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(page["total"], 40, "2 x 20 tokens were created");
}
