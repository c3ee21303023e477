//! Two CLI processes writing the same database at once both succeed: writers wait for each other
//! (busy timeout, IMMEDIATE transactions) instead of failing with "database is locked".

use std::process::{Command, Stdio};

use crate::support::{binary, code, json, stderr, TestDb};

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

/// Starts the CLI with these arguments; `wait_with_output` collects it.
fn spawn(db: &TestDb, args: &[&str]) -> std::process::Child {
    Command::new(binary())
        .env_remove("CLAPAY_TOKENS_DB")
        .arg("--db")
        .arg(&db.path)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

#[test]
fn two_processes_racing_for_one_number_exactly_one_wins() {
    let db = TestDb::new();
    db.create("left", &["--allow", "CI:OM:MERCHANT"]);
    db.create("right", &["--allow", "CI:MTN:MERCHANT"]);
    for round in 0..10 {
        let number = format!("+22507070707{round:02}");
        let children = [
            spawn(&db, &["numbers", "add", "left", "CI", &number]),
            spawn(&db, &["numbers", "add", "right", "CI", &number]),
        ];
        let outputs: Vec<_> = children
            .into_iter()
            .map(|child| child.wait_with_output().expect("wait"))
            .collect();
        let codes: Vec<i32> = outputs.iter().map(code).collect();
        let errors: Vec<String> = outputs.iter().map(stderr).collect();
        let winner = codes.iter().position(|&c| c == 0);
        let loser = codes.iter().position(|&c| c == 2);
        assert!(
            winner.is_some() && loser.is_some(),
            "round {round}: one exits 0 and the other 2, got {codes:?}: {errors:?}"
        );
        let (winner, loser) = (winner.unwrap_or(0), loser.unwrap_or(1));
        assert!(
            errors[loser].contains("is already whitelisted on token")
                && errors[loser].contains(["'left'", "'right'"][winner]),
            "round {round}: the loser names the winner: {}",
            errors[loser]
        );
        assert!(!errors.iter().any(|e| e.contains("locked")), "{errors:?}");
        let holders: Vec<bool> = ["left", "right"]
            .iter()
            .map(|name| {
                db.show(name)["numbers"]
                    .as_array()
                    .expect("numbers")
                    .iter()
                    .any(|entry| entry["number"] == number)
            })
            .collect();
        assert_eq!(
            holders,
            [winner == 0, winner == 1],
            "round {round}: the number is on the winner only"
        );
    }
}

#[test]
fn two_processes_doing_mixed_writes_lose_no_acknowledged_change() {
    let db = TestDb::new();
    assert_eq!(code(&db.run(&["list"])), 0);
    // Each script does 30 writes on its own tokens: 8 creates, 8 numbers add, 8 compose, 6 revoke.
    // Every write must succeed (`set -e`), and each acknowledgement is printed after its exit 0.
    let script = r#"set -e
p=$2; prefix=$3
for i in 1 2 3 4 5 6 7 8; do
  "$0" --db "$1" create --name $prefix-$i --allow CI:OM:MERCHANT >/dev/null
  echo "ACK create $prefix-$i"
  "$0" --db "$1" numbers add $prefix-$i CI 07${p}0${i}0${i}0${i}0 >/dev/null
  echo "ACK number $prefix-$i +22507${p}0${i}0${i}0${i}0"
  "$0" --db "$1" compose $prefix-$i --allow SN:WAVE:CASHIN >/dev/null
  echo "ACK compose $prefix-$i"
  if [ $i -le 6 ]; then
    "$0" --db "$1" revoke $prefix-$i >/dev/null
    echo "ACK revoke $prefix-$i"
  fi
done
"#;
    let children: Vec<_> = [("1", "a"), ("5", "b")]
        .iter()
        .map(|(digit, prefix)| {
            Command::new("sh")
                .arg("-c")
                .arg(script)
                .arg(binary())
                .arg(&db.path)
                .arg(digit)
                .arg(prefix)
                .env_remove("CLAPAY_TOKENS_DB")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let mut acks = Vec::new();
    for child in children {
        let output = child.wait_with_output().expect("wait");
        let errors = stderr(&output);
        assert!(output.status.success(), "every write succeeds: {errors}");
        assert!(
            !errors.contains("locked"),
            "no 'database is locked': {errors}"
        );
        acks.extend(
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .map(str::to_string),
        );
    }
    assert_eq!(acks.len(), 60, "2 x 30 acknowledged writes: {acks:?}");
    let all = db.run(&["--json", "list", "--status", "all", "--limit", "100"]);
    let page: serde_json::Value = serde_json::from_slice(&all.stdout).expect("json");
    assert_eq!(page["total"], 16, "2 x 8 tokens");
    for ack in &acks {
        let parts: Vec<&str> = ack.split(' ').collect();
        let id = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|item| item["name"] == parts[2])
            .map(|item| item["id"].as_str().expect("id").to_string())
            .unwrap_or_else(|| panic!("{ack}: the token exists"));
        let token = db.show(&id);
        let revoked = acks.contains(&format!("ACK revoke {}", parts[2]));
        match parts[1] {
            "create" => assert_eq!(token["name"], parts[2]),
            "number" => {
                let held = token["numbers"]
                    .as_array()
                    .expect("numbers")
                    .iter()
                    .any(|entry| entry["number"] == parts[3]);
                // Revoking releases a token's numbers; the history keeps the trace.
                assert_eq!(held, !revoked, "{ack}: the number is there unless revoked");
                let history = json(&db.run(&["--json", "history", &id]));
                assert!(
                    history
                        .as_array()
                        .expect("events")
                        .iter()
                        .any(|event| event["kind"] == "number_added"),
                    "{ack}: number_added recorded"
                );
            }
            "compose" => assert!(
                token["countries"]
                    .as_array()
                    .expect("countries")
                    .iter()
                    .any(|country| country == "SN"),
                "{ack}: SN was added: {token}"
            ),
            "revoke" => assert_eq!(token["status"], "REVOKED", "{ack}"),
            other => panic!("unknown ack {other}"),
        }
    }
}
