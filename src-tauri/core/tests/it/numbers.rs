//! Whitelisted numbers: add, disable, enable, remove, one token per number.

use std::sync::{Arc, Barrier};

use clapay_core::{Catalog, EventKind, Registry, Status};

use crate::support::{dump, new_token, now, number, temp_registry};

#[test]
fn add_disable_enable_remove_with_history() {
    let mut temp = temp_registry();
    let id = temp.create_id(&new_token("t"));
    let added = temp
        .registry
        .add_number(&id, "ci", "07 07 07 07 07", now())
        .expect("add");
    assert_eq!(added.numbers[0].number, "+2250707070707");
    assert!(added.numbers[0].enabled);
    let disabled = temp
        .registry
        .set_number_enabled(&id, "+2250707070707", false, now())
        .expect("disable");
    assert!(!disabled.numbers[0].enabled);
    assert_eq!(disabled.summary.enabled_number_count, 0);
    temp.registry
        .set_number_enabled(&id, "0707070707", true, now())
        .expect("enable by national form");
    let removed = temp
        .registry
        .remove_number(&id, "+225 07 07 07 07 07", true, now())
        .expect("remove");
    assert!(removed.numbers.is_empty());
    let kinds: Vec<EventKind> = temp
        .registry
        .token_history(&id)
        .expect("history")
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            EventKind::Created,
            EventKind::NumberAdded,
            EventKind::NumberDisabled,
            EventKind::NumberEnabled,
            EventKind::NumberRemoved
        ]
    );
    assert_eq!(
        temp.registry
            .remove_number(&id, "0707070707", true, now())
            .map_err(|e| e.kind())
            .err(),
        Some("number_not_found")
    );
}

#[test]
fn a_number_must_belong_to_a_country_of_the_composition() {
    let mut temp = temp_registry();
    let id = temp.create_id(&new_token("t"));
    let before = dump(&temp.registry);
    let error = temp
        .registry
        .add_number(&id, "ML", "70 12 34 56", now())
        .expect_err("Mali is not in the composition");
    assert_eq!(error.kind(), "country_not_in_composition");
    let error = temp
        .registry
        .add_number(&id, "CI", "+221 77 123 45 67", now())
        .expect_err("wrong country");
    assert_eq!(error.kind(), "invalid_phone");
    assert_eq!(dump(&temp.registry), before);
    let mut request = new_token("u");
    request.numbers = vec![number("ML", "70123456")];
    assert_eq!(
        temp.registry
            .create_token(&request, now())
            .map_err(|e| e.kind())
            .err(),
        Some("country_not_in_composition")
    );
}

#[test]
fn number_taken_by_other_token_is_rejected_naming_it() {
    let mut temp = temp_registry();
    let mut request = new_token("shop-a");
    request.numbers = vec![number("CI", "0707070707")];
    temp.registry.create_token(&request, now()).expect("create");
    let other = temp.create_id(&new_token("shop-b"));
    let before = dump(&temp.registry);
    let error = temp
        .registry
        .add_number(&other, "CI", "+225 0707070707", now())
        .expect_err("taken");
    assert_eq!(
        error.to_string(),
        "+2250707070707 is already whitelisted on token 'shop-a' (ACTIVE)"
    );
    let mut request = new_token("shop-c");
    request.numbers = vec![number("CI", "0707070707")];
    let error = temp
        .registry
        .create_token(&request, now())
        .expect_err("taken at creation");
    assert_eq!(error.kind(), "number_taken");
    assert_eq!(
        dump(&temp.registry),
        before,
        "the failed create left nothing behind"
    );
    let check = temp
        .registry
        .check_phone("CI", "07-07-07-07-07")
        .expect("check");
    let taken_by = check.taken_by.expect("held");
    assert_eq!(
        (taken_by.name.as_str(), taken_by.status),
        ("shop-a", Status::Active)
    );
}

#[test]
fn two_writers_racing_for_one_number_exactly_one_wins() {
    for round in 0..10 {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("race.db");
        let mut setup = Registry::open(&path, Catalog::embedded()).expect("open");
        let ids: Vec<String> = ["left", "right"]
            .iter()
            .map(|name| {
                setup
                    .create_token(&new_token(name), now())
                    .expect("create")
                    .token
                    .summary
                    .id
            })
            .collect();
        drop(setup);
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = ids
            .into_iter()
            .map(|id| {
                let path = path.clone();
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    // Each writer has its own connection, as two processes would.
                    let mut registry = Registry::open(&path, Catalog::embedded()).expect("open");
                    barrier.wait();
                    registry
                        .add_number(&id, "CI", "0505050505", now())
                        .map(|_| ())
                        .map_err(|e| e.kind())
                })
            })
            .collect();
        let results: Vec<Result<(), &str>> = handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect();
        let winners = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(
            winners, 1,
            "round {round}: exactly one writer wins: {results:?}"
        );
        assert!(
            results.contains(&Err("number_taken")),
            "round {round}: the loser is told who holds it: {results:?}"
        );
        let check = Registry::open(&path, Catalog::embedded()).expect("open");
        let count: i64 = check
            .connection()
            .query_row("SELECT count(*) FROM numbers", [], |r| r.get(0))
            .expect("count");
        assert_eq!(count, 1);
    }
}
