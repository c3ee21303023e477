//! The lifecycle: environments, roll with a grace period, ending it, duplicates, reminders.

use chrono::Duration;
use clapay_core::reminders::DEFAULT_THRESHOLDS;
use clapay_core::{
    AuthorizeRequest, DenyReason, Environment, EventKind, Expiry, Grace, ListQuery, Method,
    Registry, Status, StatusFilter, TokenChanges,
};
use zeroize::Zeroizing;

use crate::support::{dump, new_token, now, number, record_secret, temp_registry, triple};

fn check(secret: &str, country: &str, phone: Option<&str>) -> AuthorizeRequest {
    AuthorizeRequest {
        secret: Zeroizing::new(secret.to_string()),
        country: country.into(),
        operator: if country == "SN" { "WAVE" } else { "OM" }.into(),
        method: if country == "SN" {
            "CASHIN"
        } else {
            "MERCHANT"
        }
        .into(),
        phone: phone.map(str::to_string),
        environment: None,
    }
}

fn reason(
    registry: &mut Registry,
    request: &AuthorizeRequest,
    at: chrono::DateTime<chrono::Utc>,
) -> Option<DenyReason> {
    registry.authorize(request, at).expect("authorize").reason
}

#[test]
fn a_sandbox_token_says_so_in_its_secret_hint_and_list() {
    let mut temp = temp_registry();
    let mut sandbox = new_token("test-shop");
    sandbox.environment = Environment::Sandbox;
    let created = temp.registry.create_token(&sandbox, now()).expect("create");
    record_secret(&created.secret);
    assert!(created.secret.expose_secret().starts_with("clp_test_"));
    assert!(created.token.summary.hint.starts_with("clp_test_…"));
    assert_eq!(created.token.summary.environment, Environment::Sandbox);
    temp.create_id(&new_token("live-shop"));

    let names = |environment: Option<Environment>| -> Vec<String> {
        temp.registry
            .list_tokens(
                &ListQuery {
                    environment,
                    ..ListQuery::default()
                },
                now(),
            )
            .expect("list")
            .items
            .into_iter()
            .map(|item| item.name)
            .collect()
    };
    assert_eq!(names(Some(Environment::Sandbox)), ["test-shop"]);
    assert_eq!(names(Some(Environment::Live)), ["live-shop"]);
    assert_eq!(names(None).len(), 2);

    let mut sandbox_check = check(created.secret.expose_secret(), "CI", None);
    sandbox_check.environment = Some(Environment::Live);
    assert_eq!(
        reason(&mut temp.registry, &sandbox_check, now()),
        Some(DenyReason::WrongEnvironment),
        "a sandbox secret is never accepted where live ones are expected"
    );
    sandbox_check.environment = Some(Environment::Sandbox);
    assert_eq!(reason(&mut temp.registry, &sandbox_check, now()), None);
}

/// The whole roll: the successor takes the name and the numbers, the old token authorizes as the
/// successor during the grace (a change to the successor applies to both), then is denied
/// `rolled`; both histories say so.
#[test]
fn a_rolled_token_authorizes_as_its_successor_until_the_grace_ends() {
    let mut temp = temp_registry();
    let mut shop = new_token("shop");
    shop.numbers = vec![number("CI", "0707070707")];
    shop.expiry = Expiry::Days { days: 90 };
    let created = temp.registry.create_token(&shop, now()).expect("create");
    record_secret(&created.secret);
    let old_id = created.token.summary.id.clone();
    let old_secret = created.secret.expose_secret().to_string();
    let paying = check(&old_secret, "CI", Some("0707070707"));
    assert_eq!(
        reason(&mut temp.registry, &paying, now()),
        None,
        "before the roll"
    );

    let at = now() + Duration::days(10);
    let rolled = temp
        .registry
        .roll_token(&old_id, Grace::OneDay, at)
        .expect("roll");
    record_secret(&rolled.secret);
    let new_id = rolled.token.summary.id.clone();
    let new_secret = rolled.secret.expose_secret().to_string();
    assert_ne!(new_secret, old_secret);
    assert_eq!(
        rolled.token.summary.name, "shop",
        "the successor takes the name"
    );
    assert!(
        rolled.previous.summary.name.starts_with("shop (rolled "),
        "{}",
        rolled.previous.summary.name
    );
    assert_eq!(rolled.previous.summary.status, Status::Rolling);
    assert_eq!(
        rolled.previous.summary.grace_ends_at,
        Some(at + Duration::hours(24))
    );
    assert_eq!(
        rolled.previous.successor.as_ref().map(|s| s.id.as_str()),
        Some(new_id.as_str())
    );
    assert_eq!(
        rolled.token.rolled_from.as_ref().map(|s| s.id.as_str()),
        Some(old_id.as_str())
    );
    assert_eq!(
        rolled.token.summary.expires_at,
        Some(at + Duration::days(90)),
        "the old lifetime, counted from now"
    );
    assert_eq!(
        rolled.token.triples(),
        created.token.triples(),
        "the same composition"
    );
    assert_eq!(
        rolled.token.summary.description,
        created.token.summary.description
    );
    assert_eq!(
        rolled.token.numbers.len(),
        1,
        "the numbers moved to the successor"
    );
    assert!(rolled.previous.numbers.is_empty(), "one token per number");

    // During the grace both secrets work, deciding with the successor's composition and numbers.
    let during = at + Duration::hours(23);
    for secret in [&old_secret, &new_secret] {
        assert_eq!(
            reason(
                &mut temp.registry,
                &check(secret, "CI", Some("0707070707")),
                during
            ),
            None
        );
        assert_eq!(
            reason(
                &mut temp.registry,
                &check(secret, "CI", Some("0101010101")),
                during
            ),
            Some(DenyReason::PhoneNotWhitelisted)
        );
    }
    temp.registry
        .add_number(&new_id, "CI", "0101010101", during)
        .expect("a number added to the successor");
    temp.registry
        .set_number_enabled(&new_id, "+2250707070707", false, during)
        .expect("a number disabled on the successor");
    assert_eq!(
        reason(
            &mut temp.registry,
            &check(&old_secret, "CI", Some("0101010101")),
            during
        ),
        None,
        "the rolling token sees the successor's new number"
    );
    assert_eq!(
        reason(
            &mut temp.registry,
            &check(&old_secret, "CI", Some("0707070707")),
            during
        ),
        Some(DenyReason::PhoneDisabled),
        "and its disabled one"
    );
    temp.registry
        .remove_from_composition(
            &new_id,
            &clapay_core::composition::Removal {
                country: "SN".into(),
                operator: None,
                method: None,
            },
            false,
            during,
        )
        .expect("remove Senegal from the successor");
    assert_eq!(
        reason(&mut temp.registry, &check(&old_secret, "SN", None), during),
        Some(DenyReason::CountryNotAllowed),
        "a composition change to the successor applies to the rolling token"
    );
    let edit = temp
        .registry
        .update_token(
            &old_id,
            &TokenChanges {
                description: Some("x".into()),
                ..TokenChanges::default()
            },
            during,
        )
        .expect_err("a rolled token is changed through its successor");
    assert_eq!(edit.kind(), "token_rolled");
    assert!(edit.to_string().contains("change 'shop' instead"), "{edit}");

    // After the grace: the old secret is denied `rolled`, the new one works.
    let after = at + Duration::hours(24);
    assert_eq!(
        reason(
            &mut temp.registry,
            &check(&old_secret, "CI", Some("0101010101")),
            after
        ),
        Some(DenyReason::Rolled)
    );
    assert_eq!(
        reason(
            &mut temp.registry,
            &check(&new_secret, "CI", Some("0101010101")),
            after
        ),
        None
    );
    assert_eq!(
        temp.registry
            .get_token(&old_id, after)
            .expect("get")
            .summary
            .status,
        Status::Rolled
    );

    assert_eq!(temp.registry.record_ended_graces(after).expect("sweep"), 1);
    assert_eq!(
        temp.registry.record_ended_graces(after).expect("again"),
        0,
        "once"
    );
    let kinds = |id: &str| -> Vec<EventKind> {
        temp.registry
            .token_history(id)
            .expect("history")
            .into_iter()
            .map(|event| event.kind)
            .filter(|kind| !matches!(kind, EventKind::Used | EventKind::Denied))
            .collect()
    };
    assert_eq!(
        kinds(&old_id),
        [EventKind::Created, EventKind::Rolled, EventKind::GraceEnded]
    );
    assert_eq!(
        kinds(&new_id),
        [
            EventKind::Created,
            EventKind::Rolled,
            EventKind::NumberAdded,
            EventKind::NumberDisabled,
            EventKind::CompositionChanged
        ]
    );
    let old_rolled = temp.registry.token_history(&old_id).expect("history");
    let rolled_event = old_rolled
        .iter()
        .find(|event| event.kind == EventKind::Rolled)
        .expect("rolled");
    assert_eq!(
        rolled_event.detail["to"],
        new_id.as_str(),
        "the event names the other token"
    );
    let grace_ended = old_rolled.last().expect("event");
    assert_eq!(
        grace_ended.at, after,
        "recorded at the time the grace ended"
    );
}

#[test]
fn ending_the_grace_now_stops_the_old_token_at_once() {
    let mut temp = temp_registry();
    let created = temp
        .registry
        .create_token(&new_token("shop"), now())
        .expect("create");
    record_secret(&created.secret);
    let id = created.token.summary.id.clone();
    let old = check(created.secret.expose_secret(), "CI", None);
    let rolled = temp
        .registry
        .roll_token(&id, Grace::SevenDays, now())
        .expect("roll");
    record_secret(&rolled.secret);
    let later = now() + Duration::hours(1);
    assert_eq!(
        reason(&mut temp.registry, &old, later),
        None,
        "in the grace"
    );
    let ended = temp.registry.end_grace(&id, later).expect("end now");
    assert_eq!(ended.summary.status, Status::Rolled);
    assert_eq!(
        reason(&mut temp.registry, &old, later),
        Some(DenyReason::Rolled)
    );
    let before = dump(&temp.registry);
    temp.registry
        .end_grace(&id, later + Duration::minutes(1))
        .expect("ending twice changes nothing");
    assert_eq!(dump(&temp.registry), before);
    let not_rolling = temp
        .registry
        .end_grace(&rolled.token.summary.id, later)
        .expect_err("the successor is not rolling");
    assert_eq!(not_rolling.kind(), "not_rolling");

    // A leaked secret: a roll with no grace.
    let leaked = temp
        .registry
        .roll_token(&rolled.token.summary.id, Grace::Now, later)
        .expect("roll now");
    record_secret(&leaked.secret);
    assert_eq!(leaked.previous.summary.status, Status::Rolled);
    assert_eq!(
        reason(
            &mut temp.registry,
            &check(rolled.secret.expose_secret(), "CI", None),
            later
        ),
        Some(DenyReason::Rolled)
    );
}

/// A token rolled twice: the first one, still in its grace, decides as the newest successor; and
/// a rolling token whose successor is revoked stops too.
#[test]
fn a_chain_of_rolls_decides_as_its_newest_token() {
    let mut temp = temp_registry();
    let mut shop = new_token("shop");
    shop.numbers = vec![number("CI", "0707070707")];
    let first = temp.registry.create_token(&shop, now()).expect("create");
    record_secret(&first.secret);
    let second = temp
        .registry
        .roll_token(&first.token.summary.id, Grace::SevenDays, now())
        .expect("roll");
    record_secret(&second.secret);
    let third = temp
        .registry
        .roll_token(
            &second.token.summary.id,
            Grace::SevenDays,
            now() + Duration::hours(1),
        )
        .expect("roll again");
    record_secret(&third.secret);
    assert_ne!(
        second.previous.summary.name, third.previous.summary.name,
        "two rolls, two names"
    );
    let at = now() + Duration::hours(2);
    let oldest = check(first.secret.expose_secret(), "CI", Some("0707070707"));
    assert_eq!(
        reason(&mut temp.registry, &oldest, at),
        None,
        "the numbers went to the newest"
    );
    temp.registry
        .revoke_token(&third.token.summary.id, at)
        .expect("revoke the newest");
    assert_eq!(
        reason(&mut temp.registry, &oldest, at),
        Some(DenyReason::Revoked),
        "a rolling token never outlives a revoked successor"
    );
}

#[test]
fn a_duplicate_copies_the_form_but_never_the_numbers_secret_or_history() {
    let mut temp = temp_registry();
    let mut shop = new_token("shop");
    shop.environment = Environment::Sandbox;
    shop.numbers = vec![number("CI", "0707070707")];
    shop.expiry = Expiry::Days { days: 60 };
    let created = temp.registry.create_token(&shop, now()).expect("create");
    record_secret(&created.secret);
    let id = created.token.summary.id.clone();
    let later = now() + Duration::days(3);
    let draft = temp.registry.duplicate_draft(&id, later).expect("draft");
    assert_eq!(draft.name, "shop (copy)");
    assert_eq!(draft.description, shop.description);
    assert_eq!(draft.environment, Environment::Sandbox);
    assert_eq!(draft.expiry, Expiry::Days { days: 60 }, "the same lifetime");
    assert_eq!(draft.composition.len(), shop.composition.len());
    assert!(draft.numbers.is_empty(), "a number belongs to one token");

    let copy = temp
        .registry
        .duplicate_token(&id, None, later)
        .expect("duplicate");
    record_secret(&copy.secret);
    assert_eq!(copy.token.summary.name, "shop (copy)");
    assert!(copy.token.numbers.is_empty());
    assert_eq!(copy.token.triples(), created.token.triples());
    assert_eq!(
        copy.token.summary.expires_at,
        Some(later + Duration::days(60))
    );
    assert_eq!(
        temp.registry
            .token_history(&copy.token.summary.id)
            .expect("history")
            .len(),
        1
    );
    let again = temp.registry.duplicate_draft(&id, later).expect("draft");
    assert_eq!(again.name, "shop (copy 2)", "a free name");
    let named = temp
        .registry
        .duplicate_token(&id, Some("other"), later)
        .expect("named");
    record_secret(&named.secret);
    assert_eq!(named.token.summary.name, "other");
}

/// Reminders fire once per threshold per token, recorded in the history; expiring tokens have a
/// badge and a filter.
#[test]
fn reminders_fire_once_per_threshold_and_expiring_tokens_are_listed() {
    let mut temp = temp_registry();
    let mut soon = new_token("soon");
    soon.expiry = Expiry::Days { days: 10 };
    let id = temp.create_id(&soon);
    let mut later_token = new_token("later");
    later_token.expiry = Expiry::Days { days: 30 };
    temp.create_id(&later_token);
    let mut never = new_token("never");
    never.expiry = Expiry::Never;
    temp.create_id(&never);

    assert!(temp
        .registry
        .reminders_due(&DEFAULT_THRESHOLDS, now())
        .expect("due")
        .is_empty());
    let week_before = now() + Duration::days(3);
    let due = temp
        .registry
        .reminders_due(&DEFAULT_THRESHOLDS, week_before)
        .expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].token_id.as_str(), due[0].threshold_days),
        (id.as_str(), 7)
    );
    temp.registry
        .record_reminders(&due, week_before)
        .expect("record");
    assert!(
        temp.registry
            .reminders_due(&DEFAULT_THRESHOLDS, week_before + Duration::hours(2))
            .expect("due")
            .is_empty(),
        "a restart does not repeat it"
    );
    let day_before = now() + Duration::days(9) + Duration::hours(1);
    let due = temp
        .registry
        .reminders_due(&DEFAULT_THRESHOLDS, day_before)
        .expect("due");
    assert_eq!(
        due.iter().map(|r| r.threshold_days).collect::<Vec<_>>(),
        [1]
    );
    temp.registry
        .record_reminders(&due, day_before)
        .expect("record");
    let at_expiry = now() + Duration::days(10);
    let due = temp
        .registry
        .reminders_due(&DEFAULT_THRESHOLDS, at_expiry)
        .expect("due");
    assert_eq!(
        due.iter().map(|r| r.threshold_days).collect::<Vec<_>>(),
        [0]
    );
    let reminded: Vec<_> = temp
        .registry
        .token_history(&id)
        .expect("history")
        .into_iter()
        .filter(|event| event.kind == EventKind::Reminded)
        .collect();
    assert_eq!(reminded.len(), 2);
    assert!(
        reminded[0].detail["expires_at"]
            .as_str()
            .is_some_and(|text| chrono::DateTime::parse_from_rfc3339(text).is_ok()),
        "the expiry is RFC 3339 text: {}",
        reminded[0].detail
    );

    let expiring = temp
        .registry
        .list_tokens(
            &ListQuery {
                status: StatusFilter::Expiring,
                ..ListQuery::default()
            },
            week_before,
        )
        .expect("list");
    assert_eq!(
        expiring
            .items
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["soon"]
    );
    assert!(expiring.items[0].expiring, "the badge");
    let all = temp
        .registry
        .list_tokens(&ListQuery::default(), week_before)
        .expect("list");
    assert_eq!(all.items.iter().filter(|t| t.expiring).count(), 1);

    // A rolled token is not reminded: its successor is.
    let rolled = temp
        .registry
        .roll_token(&id, Grace::OneHour, day_before)
        .expect("roll");
    record_secret(&rolled.secret);
    let due = temp
        .registry
        .reminders_due(&DEFAULT_THRESHOLDS, at_expiry)
        .expect("due");
    assert!(due.iter().all(|r| r.token_id != id));
}

/// Tokens can be listed by each status of the lifecycle.
#[test]
fn each_status_has_its_filter() {
    let mut temp = temp_registry();
    let active = temp.create_id(&new_token("active"));
    let rolling_source = temp.create_id(&new_token("rolling"));
    let rolled_source = temp.create_id(&new_token("rolled"));
    let revoked = temp.create_id(&new_token("revoked"));
    let mut short = new_token("expired");
    short.expiry = Expiry::At {
        at: now() + Duration::minutes(1),
    };
    temp.create_id(&short);
    let rolling = temp
        .registry
        .roll_token(&rolling_source, Grace::SevenDays, now())
        .expect("roll");
    record_secret(&rolling.secret);
    let rolled = temp
        .registry
        .roll_token(&rolled_source, Grace::Now, now())
        .expect("roll");
    record_secret(&rolled.secret);
    temp.registry.revoke_token(&revoked, now()).expect("revoke");
    let at = now() + Duration::minutes(5);
    let names = |status: StatusFilter| -> Vec<String> {
        let mut names: Vec<String> = temp
            .registry
            .list_tokens(
                &ListQuery {
                    status,
                    ..ListQuery::default()
                },
                at,
            )
            .expect("list")
            .items
            .into_iter()
            .map(|item| item.name)
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names(StatusFilter::Active),
        ["active", "rolled", "rolling"],
        "the two successors and active"
    );
    assert!(names(StatusFilter::Rolling)[0].starts_with("rolling (rolled "));
    assert!(names(StatusFilter::Rolled)[0].starts_with("rolled (rolled "));
    assert_eq!(names(StatusFilter::Expired), ["expired"]);
    assert_eq!(names(StatusFilter::Revoked), ["revoked"]);
    assert_eq!(
        names(StatusFilter::Current).len(),
        5,
        "active, rolling and expired, not rolled or revoked"
    );
    assert_eq!(names(StatusFilter::All).len(), 7);
    let _ = active;
}

#[test]
fn usage_older_than_the_retention_is_pruned_and_state_changes_are_kept() {
    let mut temp = temp_registry();
    let created = temp
        .registry
        .create_token(&new_token("shop"), now())
        .expect("create");
    record_secret(&created.secret);
    let id = created.token.summary.id.clone();
    let secret = created.secret.expose_secret().to_string();
    let old = now() - Duration::days(400);
    for days in 0..3 {
        temp.registry
            .authorize(&check(&secret, "CI", None), old + Duration::days(days))
            .expect("an old check");
    }
    temp.registry
        .authorize(&check(&secret, "ML", None), old)
        .expect("an old denied check");
    temp.registry
        .authorize(&check(&secret, "CI", None), now())
        .expect("a recent check");

    let refused = temp
        .registry
        .prune_usage(7, now())
        .expect_err("at least 30 days");
    assert_eq!(refused.kind(), "invalid_retention");
    assert_eq!(temp.registry.prune_usage(365, now()).expect("prune"), 4);
    let history = temp.registry.token_history(&id).expect("history");
    let kinds: Vec<EventKind> = history.iter().map(|event| event.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::Created, EventKind::Used, EventKind::Pruned]
    );
    assert_eq!(
        history[2].detail["count"], 4,
        "the pruned event says how many went"
    );
    assert_eq!(
        history[2].detail["before"],
        (now() - Duration::days(365))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            .as_str(),
        "and from when, as RFC 3339 text like every event's times"
    );
    assert_eq!(temp.registry.prune_usage(365, now()).expect("again"), 0);

    // The history refuses any other deletion, and any change.
    let connection = temp.registry.connection();
    for sql in [
        "DELETE FROM history WHERE kind = 'created'",
        "DELETE FROM history WHERE kind = 'used'",
        "UPDATE history SET detail = '{}' WHERE kind = 'pruned'",
    ] {
        assert!(
            connection.execute(sql, []).is_err(),
            "{sql} must be refused"
        );
    }
}

/// Composition changes are refused on a revoked token, and rolling or duplicating one too.
#[test]
fn a_revoked_token_cannot_be_rolled_but_can_be_duplicated() {
    let mut temp = temp_registry();
    let mut shop = new_token("shop");
    shop.composition = vec![triple("CI", "OM", Method::Merchant)];
    let id = temp.create_id(&shop);
    temp.registry.revoke_token(&id, now()).expect("revoke");
    let before = dump(&temp.registry);
    let refused = temp
        .registry
        .roll_token(&id, Grace::OneDay, now())
        .expect_err("revoked");
    assert_eq!(refused.kind(), "token_revoked");
    assert_eq!(
        dump(&temp.registry),
        before,
        "a refused roll changes nothing"
    );
    let copy = temp
        .registry
        .duplicate_token(&id, None, now())
        .expect("a revoked token's form can be reused");
    record_secret(&copy.secret);
}

/// The schema itself keeps a roll and a revocation final and a token's secret and environment
/// fixed: SQL written by hand against the file (another tool, a bug) is refused too.
#[test]
fn the_schema_refuses_to_undo_a_roll_a_revocation_or_a_secret() {
    let mut temp = temp_registry();
    let created = temp
        .registry
        .create_token(&new_token("shop"), now())
        .expect("create");
    record_secret(&created.secret);
    let id = created.token.summary.id.clone();
    let rolled = temp
        .registry
        .roll_token(&id, Grace::OneHour, now())
        .expect("roll");
    record_secret(&rolled.secret);
    let other = temp.create_id(&new_token("other"));
    temp.registry.revoke_token(&other, now()).expect("revoke");
    let before = dump(&temp.registry);

    let connection = temp.registry.connection();
    for (sql, what) in [
        (
            "UPDATE tokens SET rolled_to = NULL, grace_ends_at = NULL WHERE id = ?1",
            "undo a roll",
        ),
        (
            "UPDATE tokens SET rolled_to = ?2 WHERE id = ?1",
            "point a roll elsewhere",
        ),
        (
            "UPDATE tokens SET grace_ends_at = grace_ends_at + 86400000 WHERE id = ?1",
            "lengthen a grace",
        ),
        (
            "UPDATE tokens SET digest = randomblob(32) WHERE id = ?1",
            "change a secret",
        ),
        (
            "UPDATE tokens SET environment = 'sandbox' WHERE id = ?1",
            "change an environment",
        ),
        (
            "UPDATE tokens SET revoked_at = NULL WHERE id = ?2",
            "undo a revocation",
        ),
        ("DELETE FROM tokens WHERE id = ?2", "delete a token"),
    ] {
        let sql = sql
            .replace("?1", &format!("'{id}'"))
            .replace("?2", &format!("'{other}'"));
        let refused = connection
            .execute(&sql, [])
            .expect_err(&format!("{what}: {sql} must be refused"));
        assert!(
            matches!(
                refused,
                rusqlite::Error::SqliteFailure(ref failure, Some(_))
                    if failure.code == rusqlite::ErrorCode::ConstraintViolation
            ),
            "{what}: refused by the schema's rule, not by anything else: {refused}"
        );
    }
    assert_eq!(dump(&temp.registry), before, "nothing changed");
    // Ending a grace sooner is what `end_grace` does: the schema allows it.
    connection
        .execute(
            "UPDATE tokens SET grace_ends_at = grace_ends_at - 1 WHERE id = ?1",
            [&id],
        )
        .expect("a grace may end sooner");
}
