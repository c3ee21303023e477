//! Authorize: every reason, the fail-closed whitelist, last use, and the history of checks.

use chrono::Duration;
use clapay_core::{
    AuthorizeRequest, Checker, DenyReason, Environment, EventKind, Expiry, Method, Registry,
};
use zeroize::Zeroizing;

use crate::support::{new_token, now, number, temp_registry, triple, TempRegistry};

fn request(
    secret: &str,
    country: &str,
    operator: &str,
    method: &str,
    phone: Option<&str>,
) -> AuthorizeRequest {
    AuthorizeRequest {
        secret: Zeroizing::new(secret.to_string()),
        country: country.into(),
        operator: operator.into(),
        method: method.into(),
        phone: phone.map(str::to_string),
        environment: None,
    }
}

fn reason(registry: &mut Registry, request: &AuthorizeRequest) -> Option<DenyReason> {
    let decision = registry.authorize(request, now()).expect("authorize");
    assert_eq!(
        decision.allowed,
        decision.reason.is_none(),
        "allowed exactly when there is no reason"
    );
    decision.reason
}

#[test]
fn each_reason_is_reported() {
    let mut temp = temp_registry();
    let mut shop = new_token("shop");
    shop.composition = vec![
        triple("CI", "OM", Method::Merchant),
        triple("CI", "MTN", Method::Cashin),
        triple("SN", "WAVE", Method::Merchant),
    ];
    shop.numbers = vec![number("CI", "0707070707"), number("CI", "0505050505")];
    let created = temp.registry.create_token(&shop, now()).expect("create");
    let id = created.token.summary.id.clone();
    temp.registry
        .set_number_enabled(&id, "+2250505050505", false, now())
        .expect("disable");
    crate::support::record_secret(&created.secret);
    let secret = created.secret.expose_secret().to_string();
    let registry = &mut temp.registry;

    let allowed = registry
        .authorize(
            &request(&secret, "CI", "OM", "MERCHANT", Some("07 07 07 07 07")),
            now(),
        )
        .expect("allowed");
    assert!(allowed.allowed, "{}", allowed.message);
    assert_eq!(
        allowed.token.as_ref().map(|t| t.name.as_str()),
        Some("shop")
    );
    assert_eq!(
        reason(registry, &request(&secret, "SN", "WAVE", "MERCHANT", None)),
        None,
        "no numbers in Senegal: no phone needed"
    );

    let mut typo = secret.clone();
    typo.replace_range(10..11, if &secret[10..11] == "A" { "B" } else { "A" });
    assert_eq!(
        reason(registry, &request(&typo, "CI", "OM", "MERCHANT", None)),
        Some(DenyReason::Malformed)
    );
    assert_eq!(
        reason(registry, &request("hello", "CI", "OM", "MERCHANT", None)),
        Some(DenyReason::Malformed)
    );
    let stranger = Registry::open_in_memory(clapay_core::Catalog::embedded())
        .expect("memory")
        .create_token(&new_token("elsewhere"), now())
        .expect("create")
        .secret;
    assert_eq!(
        reason(
            registry,
            &request(stranger.expose_secret(), "CI", "OM", "MERCHANT", None)
        ),
        Some(DenyReason::Unknown)
    );
    assert_eq!(
        reason(registry, &request(&secret, "ML", "OM", "MERCHANT", None)),
        Some(DenyReason::CountryNotAllowed)
    );
    assert_eq!(
        reason(registry, &request(&secret, "CI", "WAVE", "MERCHANT", None)),
        Some(DenyReason::OperatorNotAllowed)
    );
    assert_eq!(
        reason(registry, &request(&secret, "CI", "OM", "CASHIN", None)),
        Some(DenyReason::MethodNotAllowed)
    );
    assert_eq!(
        reason(registry, &request(&secret, "CI", "OM", "BOGUS", None)),
        Some(DenyReason::MethodNotAllowed)
    );
    assert_eq!(
        reason(registry, &request(&secret, "CI", "OM", "MERCHANT", None)),
        Some(DenyReason::PhoneRequired)
    );
    assert_eq!(
        reason(
            registry,
            &request(&secret, "CI", "OM", "MERCHANT", Some("0101010101"))
        ),
        Some(DenyReason::PhoneNotWhitelisted)
    );
    assert_eq!(
        reason(
            registry,
            &request(&secret, "CI", "OM", "MERCHANT", Some("+225 05 05 05 05 05"))
        ),
        Some(DenyReason::PhoneDisabled)
    );
    let mut sandbox_only = request(&secret, "CI", "OM", "MERCHANT", Some("0707070707"));
    sandbox_only.environment = Some(Environment::Sandbox);
    assert_eq!(
        reason(registry, &sandbox_only),
        Some(DenyReason::WrongEnvironment),
        "a live token is refused where sandbox tokens are expected"
    );
    sandbox_only.environment = Some(Environment::Live);
    assert_eq!(
        reason(registry, &sandbox_only),
        None,
        "and accepted where live ones are"
    );
    let message = registry
        .authorize(&request(&secret, "CI", "WAVE", "MERCHANT", None), now())
        .expect("denied")
        .message;
    assert_eq!(
        message,
        "Denied: Wave is not in this token's composition for Côte d'Ivoire"
    );

    registry.revoke_token(&id, now()).expect("revoke");
    assert_eq!(
        reason(
            registry,
            &request(&secret, "CI", "OM", "MERCHANT", Some("0707070707"))
        ),
        Some(DenyReason::Revoked)
    );
}

#[test]
fn expired_token_is_denied() {
    let mut temp = temp_registry();
    let mut request_token = new_token("short");
    request_token.expiry = Expiry::At {
        at: now() + Duration::minutes(5),
    };
    let secret = temp
        .registry
        .create_token(&request_token, now())
        .expect("create")
        .secret;
    crate::support::record_secret(&secret);
    let check = request(secret.expose_secret(), "CI", "OM", "MERCHANT", None);
    let later = now() + Duration::minutes(5);
    assert_eq!(
        temp.registry
            .authorize(&check, later)
            .expect("check")
            .reason,
        Some(DenyReason::Expired)
    );
}

#[test]
fn allowed_updates_last_used_and_every_check_is_recorded_without_the_secret() {
    let mut temp = temp_registry();
    let created = temp
        .registry
        .create_token(&new_token("shop"), now())
        .expect("create");
    let id = created.token.summary.id.clone();
    assert_eq!(created.token.summary.last_used_at, None);
    crate::support::record_secret(&created.secret);
    let secret = created.secret.expose_secret().to_string();
    let at = now() + Duration::minutes(1);
    temp.registry
        .authorize(&request(&secret, "CI", "OM", "MERCHANT", None), at)
        .expect("allowed");
    temp.registry
        .authorize(
            &request(&secret, "ML", "OM", "MERCHANT", None),
            at + Duration::minutes(1),
        )
        .expect("denied");
    temp.registry
        .authorize(&request("clp_garbage", "CI", "OM", "MERCHANT", None), at)
        .expect("malformed");
    let token = temp
        .registry
        .get_token(&id, at + Duration::minutes(2))
        .expect("get");
    assert_eq!(
        token.summary.last_used_at,
        Some(at),
        "only an allowed check counts as a use"
    );
    let history = temp.registry.token_history(&id).expect("history");
    let used: Vec<_> = history
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Used | EventKind::Denied))
        .collect();
    assert_eq!(used.len(), 2);
    assert_eq!(used[1].detail["reason"], "country_not_allowed");
    let orphans: i64 = temp
        .registry
        .connection()
        .query_row(
            "SELECT count(*) FROM history WHERE token_id IS NULL AND kind = 'denied'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(orphans, 1, "a check of no token is still recorded");
    let all_text: String = temp
        .registry
        .connection()
        .prepare("SELECT detail FROM history")
        .expect("select")
        .query_map([], |r| r.get::<_, String>(0))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect();
    assert!(
        !all_text.contains(&secret[9..]),
        "the history never holds a secret"
    );
}

fn stored_last_used(registry: &Registry, id: &str) -> Option<i64> {
    registry
        .connection()
        .query_row("SELECT last_used_at FROM tokens WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .expect("last_used_at")
}

fn created(temp: &mut TempRegistry, name: &str) -> (String, String) {
    let created = temp
        .registry
        .create_token(&new_token(name), now())
        .expect("create");
    (
        created.token.summary.id.clone(),
        created.secret.expose_secret().to_string(),
    )
}

/// The app's and the CLI's checks are on disk when the answer comes: another connection sees
/// the event and the last use at once.
#[test]
fn every_check_is_on_disk_when_authorize_answers() {
    let mut temp = temp_registry();
    let (id, secret) = created(&mut temp, "shop");
    let path = temp.registry.path().expect("file").to_path_buf();
    let reader = rusqlite::Connection::open(&path).expect("reader");
    let check = request(&secret, "CI", "OM", "MERCHANT", None);
    for minutes in 1..=3 {
        let at = now() + Duration::minutes(minutes);
        assert!(temp.registry.authorize(&check, at).expect("check").allowed);
        let (used, last_used): (i64, Option<i64>) = reader
            .query_row(
                "SELECT (SELECT count(*) FROM history WHERE token_id = ?1 AND kind = 'used'),
                        (SELECT last_used_at FROM tokens WHERE id = ?1)",
                [&id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .expect("read");
        assert_eq!(
            used, minutes,
            "each check is recorded before it is answered"
        );
        assert_eq!(last_used, Some(at.timestamp_millis()), "and its use");
    }
    assert!(
        temp.registry
            .authorize(&check, now())
            .expect("an older check")
            .allowed
    );
    assert_eq!(
        stored_last_used(&temp.registry, &id),
        Some((now() + Duration::minutes(3)).timestamp_millis()),
        "the last use never moves back"
    );
}

#[test]
fn a_revoked_token_is_denied_and_the_history_keeps_the_order() {
    let mut temp = temp_registry();
    let (id, secret) = created(&mut temp, "shop");
    let check = request(&secret, "CI", "OM", "MERCHANT", None);
    assert!(
        temp.registry
            .authorize(&check, now())
            .expect("check")
            .allowed
    );
    assert!(
        temp.registry
            .authorize(&check, now())
            .expect("check")
            .allowed
    );
    temp.registry.revoke_token(&id, now()).expect("revoke");
    assert_eq!(
        reason(&mut temp.registry, &check),
        Some(DenyReason::Revoked),
        "a revoked token never works again"
    );
    let kinds: Vec<EventKind> = temp
        .registry
        .token_history(&id)
        .expect("history")
        .iter()
        .map(|event| event.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            EventKind::Created,
            EventKind::Used,
            EventKind::Used,
            EventKind::Revoked,
            EventKind::Denied
        ],
        "the history keeps checks and changes in the order they happened"
    );
}

/// A number counts only in its own country and only while it is enabled, through every change of
/// the numbers; disabling never widens a token.
#[test]
fn a_number_pays_only_in_its_country_and_while_it_is_enabled() {
    let mut temp = temp_registry();
    let mut shop = new_token("shop");
    shop.composition = vec![
        triple("CI", "OM", Method::Merchant),
        triple("SN", "WAVE", Method::Merchant),
    ];
    shop.numbers = vec![
        number("CI", "0707070707"),
        number("CI", "0505050505"),
        number("SN", "771234567"),
    ];
    let created = temp.registry.create_token(&shop, now()).expect("create");
    crate::support::record_secret(&created.secret);
    let id = created.token.summary.id.clone();
    let secret = created.secret.expose_secret().to_string();
    let registry = &mut temp.registry;
    let check = |registry: &mut Registry, country: &str, operator: &str, phone: Option<&str>| {
        reason(
            registry,
            &request(&secret, country, operator, "MERCHANT", phone),
        )
    };

    assert_eq!(check(registry, "CI", "OM", Some("+2250707070707")), None);
    assert_eq!(check(registry, "SN", "WAVE", Some("+221771234567")), None);
    assert_eq!(
        check(registry, "CI", "OM", Some("+221771234567")),
        Some(DenyReason::PhoneNotWhitelisted),
        "the Senegal number does not pay in Côte d'Ivoire"
    );
    assert_eq!(
        check(registry, "SN", "WAVE", Some("+2250707070707")),
        Some(DenyReason::PhoneNotWhitelisted),
        "nor the other way round"
    );

    registry
        .set_number_enabled(&id, "+2250707070707", false, now())
        .expect("disable");
    for phone in ["+2250707070707", "07 07 07 07 07"] {
        assert_eq!(
            check(registry, "CI", "OM", Some(phone)),
            Some(DenyReason::PhoneDisabled),
            "{phone:?}"
        );
    }
    assert_eq!(check(registry, "CI", "OM", Some("+2250505050505")), None);
    registry
        .set_number_enabled(&id, "+2250505050505", false, now())
        .expect("disable the other");
    assert_eq!(
        check(registry, "CI", "OM", Some("+2250707070707")),
        Some(DenyReason::PhoneDisabled),
        "no enabled number left in Côte d'Ivoire: the token is paused there, not opened"
    );
    assert_eq!(
        check(registry, "CI", "OM", Some("+2250101010101")),
        Some(DenyReason::PhoneNotWhitelisted),
        "a stranger does not pay in a paused country"
    );
    assert_eq!(
        check(registry, "CI", "OM", None),
        Some(DenyReason::PhoneRequired),
        "nor a payment without a phone"
    );
    assert_eq!(
        check(registry, "SN", "WAVE", None),
        Some(DenyReason::PhoneRequired)
    );

    registry
        .set_number_enabled(&id, "+2250707070707", true, now())
        .expect("enable again");
    assert_eq!(check(registry, "CI", "OM", Some("+2250707070707")), None);
    assert_eq!(
        check(registry, "CI", "OM", Some("+2250505050505")),
        Some(DenyReason::PhoneDisabled)
    );
    assert_eq!(
        check(registry, "CI", "OM", None),
        Some(DenyReason::PhoneRequired)
    );

    let refused = registry
        .remove_number(&id, "+221771234567", false, now())
        .expect_err("the last number of a country lifts the restriction");
    assert_eq!(refused.kind(), "last_number_of_country");
    assert_eq!(
        check(registry, "SN", "WAVE", Some("+221781234567")),
        Some(DenyReason::PhoneNotWhitelisted),
        "an unconfirmed removal changes nothing"
    );
    registry
        .remove_number(&id, "+221771234567", true, now())
        .expect("remove, confirmed");
    assert_eq!(
        check(registry, "SN", "WAVE", Some("+221771234567")),
        None,
        "no number left in Senegal: any phone pays there"
    );
    registry
        .add_number(&id, "SN", "+221781234567", now())
        .expect("add");
    assert_eq!(
        check(registry, "SN", "WAVE", Some("+221771234567")),
        Some(DenyReason::PhoneNotWhitelisted)
    );
    assert_eq!(check(registry, "SN", "WAVE", Some("+221781234567")), None);
}

#[test]
fn a_whitelisted_phone_is_recognised_in_every_accepted_form() {
    let mut temp = temp_registry();
    let mut shop = new_token("shop");
    shop.numbers = vec![number("CI", "0707070707")];
    let secret = temp
        .registry
        .create_token(&shop, now())
        .expect("create")
        .secret;
    for phone in [
        "+2250707070707",
        "+225 07 07 07 07 07",
        "00225 07-07-07-07-07",
        "07 07 07 07 07",
        "(+225) 0707.070707",
    ] {
        let check = request(secret.expose_secret(), "CI", "OM", "MERCHANT", Some(phone));
        assert_eq!(reason(&mut temp.registry, &check), None, "{phone:?}");
    }
    for phone in [
        "+2250707070708",
        "+221771234567",
        "0707",
        "+225 07 07 07 07 07 ext 1",
    ] {
        let check = request(secret.expose_secret(), "CI", "OM", "MERCHANT", Some(phone));
        assert_eq!(
            reason(&mut temp.registry, &check),
            Some(DenyReason::PhoneNotWhitelisted),
            "{phone:?}"
        );
    }
}

#[test]
fn two_registries_on_one_file_see_each_others_checks() {
    let mut temp = temp_registry();
    let (id, secret) = created(&mut temp, "shop");
    let path = temp.registry.path().expect("file").to_path_buf();
    let mut other = Registry::open(&path, clapay_core::Catalog::embedded()).expect("second");
    let check = request(&secret, "CI", "OM", "MERCHANT", None);
    assert!(other.authorize(&check, now()).expect("check").allowed);
    assert_eq!(
        temp.registry
            .get_token(&id, now())
            .expect("get")
            .summary
            .last_used_at,
        Some(now())
    );
    assert_eq!(temp.registry.token_history(&id).expect("history").len(), 2);
}

/// The sandbox's checker records checks by itself, a batch window after they were made, with no
/// flush: a process killed after a quiet spell loses nothing. Polls for up to 20 seconds: a
/// liveness bound, not a timing assertion.
#[test]
fn a_checker_commits_its_checks_without_a_flush() {
    let mut temp = temp_registry();
    let (id, secret) = created(&mut temp, "shop");
    let path = temp.registry.path().expect("file").to_path_buf();
    let checker = Checker::open(&path, clapay_core::Catalog::embedded()).expect("checker");
    let reader = rusqlite::Connection::open(&path).expect("reader");
    let used = || -> i64 {
        reader
            .query_row(
                "SELECT count(*) FROM history WHERE token_id = ?1 AND kind = 'used'",
                [&id],
                |row| row.get(0),
            )
            .expect("count")
    };
    let check = request(&secret, "CI", "OM", "MERCHANT", None);
    for round in 1..=3 {
        // A burst, then a quiet spell: each burst must land without help.
        for _ in 0..5 {
            assert!(checker.authorize(&check, now()).expect("check").allowed);
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while used() < round * 5 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(
            used(),
            round * 5,
            "burst {round} was committed by the writer alone"
        );
    }
    checker.close().expect("close");
}

/// Several threads share one checker (the gateway's workers): every check of each is recorded
/// once, the last use is the newest, and a close writes what is left.
#[test]
fn threads_sharing_a_checker_lose_nothing() {
    let mut temp = temp_registry();
    let (id, secret) = created(&mut temp, "shop");
    let path = temp.registry.path().expect("file").to_path_buf();
    let checker = Checker::open(&path, clapay_core::Catalog::embedded()).expect("checker");
    let per_thread: i64 = 2_000;
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let checker = &checker;
            let secret = secret.clone();
            scope.spawn(move || {
                let check = request(&secret, "CI", "OM", "MERCHANT", None);
                let denied = request(&secret, "ML", "OM", "MERCHANT", None);
                for index in 0..per_thread {
                    let at = now() + Duration::milliseconds(index * 4 + thread);
                    assert!(checker.authorize(&check, at).expect("check").allowed);
                    assert!(!checker.authorize(&denied, at).expect("check").allowed);
                }
            });
        }
    });
    checker.close().expect("close writes what is left");
    let count = |kind: &str| -> i64 {
        temp.registry
            .connection()
            .query_row(
                "SELECT count(*) FROM history WHERE token_id = ?1 AND kind = ?2",
                [id.as_str(), kind],
                |row| row.get(0),
            )
            .expect("count")
    };
    assert_eq!(count("used"), 4 * per_thread);
    assert_eq!(count("denied"), 4 * per_thread);
    assert_eq!(
        stored_last_used(&temp.registry, &id),
        Some((now() + Duration::milliseconds((per_thread - 1) * 4 + 3)).timestamp_millis()),
        "the newest allowed check of any thread"
    );
}

/// Every field a check records is capped: longer input is denied as malformed and recorded cut.
#[test]
fn oversized_fields_are_denied_and_recorded_truncated() {
    let mut temp = temp_registry();
    let (_, secret) = created(&mut temp, "shop");
    let long = "9".repeat(10_000);
    for (field, check) in [
        ("country", request(&secret, &long, "OM", "MERCHANT", None)),
        ("operator", request(&secret, "CI", &long, "MERCHANT", None)),
        ("method", request(&secret, "CI", "OM", &long, None)),
        (
            "phone",
            request(&secret, "CI", "OM", "MERCHANT", Some(&long)),
        ),
    ] {
        let decision = temp.registry.authorize(&check, now()).expect("check");
        assert_eq!(decision.reason, Some(DenyReason::Malformed), "{field}");
        assert!(
            decision.message.contains("longer than 64"),
            "{}",
            decision.message
        );
    }
    let longest: i64 = temp
        .registry
        .connection()
        .query_row("SELECT max(length(detail)) FROM history", [], |row| {
            row.get(0)
        })
        .expect("longest detail");
    assert!(
        longest < 300,
        "no recorded field is longer than the cap ({longest} characters)"
    );
}

/// The details screen reads the history a page at a time, newest first: the pages join up to the
/// whole history, each says how many events are older, and the last one says none.
#[test]
fn the_history_reads_a_page_at_a_time_newest_first() {
    let mut temp = temp_registry();
    let (id, secret) = created(&mut temp, "shop");
    let check = request(&secret, "CI", "OM", "MERCHANT", None);
    for _ in 0..44 {
        assert!(
            temp.registry
                .authorize(&check, now())
                .expect("check")
                .allowed
        );
    }
    let mut whole = temp.registry.token_history(&id).expect("history");
    assert_eq!(whole.len(), 45, "created + 44 checks");
    whole.reverse();

    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let page = temp
            .registry
            .token_history_page(&id, before, 20)
            .expect("page");
        let Some(last) = page.events.last() else {
            break;
        };
        before = Some(last.id);
        pages.push((page.events.len(), page.older));
        let seen: usize = pages.iter().map(|(len, _)| len).sum();
        assert_eq!(page.older as usize, 45 - seen, "older than this page");
        assert_eq!(
            &whole[seen - page.events.len()..seen],
            page.events.as_slice()
        );
    }
    assert_eq!(pages, [(20, 25), (20, 5), (5, 0)]);
    let clamped = temp
        .registry
        .token_history_page(&id, None, 0)
        .expect("a zero limit reads one event");
    assert_eq!(clamped.events.len(), 1);
    assert!(matches!(
        temp.registry.token_history_page("no-such-token", None, 20),
        Err(clapay_core::Error::NotFound { .. })
    ));
}
