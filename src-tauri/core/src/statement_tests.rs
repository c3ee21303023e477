//! Every statement the core caches is compiled once per connection, not at every call.
//!
//! SQLite marks a statement whose plan depends on a bound value, and rusqlite's statement cache
//! then makes it compile again at every call (see [`crate::db::Cached`]): invisible in results,
//! 2 to 10 times slower. This runs every registry operation several times on one connection and
//! reads SQLite's re-prepare counter of each statement it used.

use chrono::{Duration, Utc};
use rusqlite::StatementStatus;

use crate::catalog::{Method, Selection, Triple};
use crate::composition::Removal;
use crate::numbers::sample_number;
use crate::token::{Expiry, ListQuery, NewNumber, NewToken, SortKey, StatusFilter, TokenChanges};
use crate::{AuthorizeRequest, Catalog, Registry};

fn triple(country: &str, operator: &str) -> Triple {
    Triple {
        country: country.into(),
        operator: operator.into(),
        method: Method::Merchant,
    }
}

#[test]
fn no_cached_statement_is_re_prepared_at_every_call() {
    let dir = tempfile::tempdir().expect("temp dir");
    let catalog = Catalog::embedded();
    let mut registry = Registry::open(&dir.path().join("t.db"), catalog.clone()).expect("open");
    let mut next = 0;
    let mut number = |country: &str| loop {
        next += 1;
        if let Some(found) = sample_number(&catalog, country, next) {
            break found;
        }
    };
    // A second live token from the first round on, so that offset 1 reads from the far end.
    registry
        .create_token(
            &NewToken {
                name: "statements-other".into(),
                description: String::new(),
                expiry: Expiry::Never,
                composition: vec![triple("CI", "OM")],
                numbers: Vec::new(),
            },
            Utc::now(),
        )
        .expect("create");
    let rounds = 4;
    for round in 0..rounds {
        let now = Utc::now();
        let phone = number("CI");
        let created = registry
            .create_token(
                &NewToken {
                    name: format!("statements-{round}"),
                    description: "statement cache".into(),
                    expiry: Expiry::Days { days: 30 },
                    composition: vec![triple("CI", "OM"), triple("SN", "WAVE")],
                    numbers: vec![NewNumber {
                        country: "CI".into(),
                        phone: phone.clone(),
                    }],
                },
                now,
            )
            .expect("create");
        let id = created.token.summary.id.clone();
        let secret = created.secret.expose_secret().to_string();
        let check =
            |country: &str, operator: &str, method: &str, phone: Option<&str>| AuthorizeRequest {
                secret: secret.clone().into(),
                country: country.into(),
                operator: operator.into(),
                method: method.into(),
                phone: phone.map(str::to_string),
            };
        let national = phone[4..].to_string();
        for request in [
            check("CI", "OM", "MERCHANT", Some(&phone)),
            check("CI", "OM", "MERCHANT", Some(&national)),
            check("CI", "OM", "MERCHANT", None),
            check("CI", "OM", "CASHIN", None),
            check("CI", "MTN", "MERCHANT", None),
            check("ML", "OM", "MERCHANT", None),
            check("SN", "WAVE", "MERCHANT", None),
        ] {
            registry.authorize(&request, now).expect("authorize");
        }
        registry.flush_usage().expect("flush");
        registry.get_token(&id, now).expect("get");
        registry.token_history(&id).expect("history");
        let page = registry
            .token_history_page(&id, None, 20)
            .expect("history page");
        let before = page.events.last().map(|event| event.id);
        registry
            .token_history_page(&id, before, 20)
            .expect("older page");
        registry
            .resolve_token(&format!("statements-{round}"))
            .expect("resolve");
        registry.check_phone("CI", &phone).expect("check phone");
        registry.number_holder(&phone, now).expect("holder");
        // Every status, sort and direction, read forwards (first page) and from the far end
        // (offset 1 of two or more rows), then searches: about 80 list statement texts, within
        // the cache's 192 (more would be evicted, and re-prepared for that reason).
        let mut queries = Vec::new();
        for status in StatusFilter::EVERY {
            for sort in SortKey::EVERY {
                for descending in [false, true] {
                    for offset in [0, 1] {
                        queries.push(ListQuery {
                            status,
                            sort,
                            descending,
                            offset,
                            ..ListQuery::default()
                        });
                    }
                }
            }
        }
        for sort in [SortKey::CreatedAt, SortKey::LastUsedAt] {
            queries.push(ListQuery {
                search: Some("statements".into()),
                sort,
                ..ListQuery::default()
            });
        }
        for query in &queries {
            registry.list_tokens(query, now).expect("list");
        }
        let second = number("CI");
        registry.add_number(&id, "CI", &second, now).expect("add");
        registry
            .set_number_enabled(&id, &second, false, now)
            .expect("disable");
        registry
            .set_number_enabled(&id, &second, true, now)
            .expect("enable");
        registry.remove_number(&id, &second, now).expect("remove");
        registry
            .update_token(
                &id,
                &TokenChanges {
                    name: Some(format!("statements-{round}-renamed")),
                    description: Some("edited".into()),
                    expiry: Some(Expiry::Days { days: 60 }),
                },
                now,
            )
            .expect("update");
        registry
            .add_to_composition(
                &id,
                &[Selection {
                    country: Some("ML".into()),
                    operator: Some("OM".into()),
                    methods: Some(vec![Method::Cashin]),
                }],
                now,
            )
            .expect("add triple");
        registry
            .remove_from_composition(
                &id,
                &Removal {
                    country: "ML".into(),
                    operator: None,
                    method: None,
                },
                false,
                now,
            )
            .expect("remove country");
        registry
            .set_composition(&id, &[triple("CI", "OM")], true, now)
            .expect("set composition");
        registry.export_tokens(now).expect("export");
        if round % 2 == 1 {
            registry
                .revoke_token(&id, now + Duration::seconds(1))
                .expect("revoke");
        }
    }

    let seen = crate::db::seen_statements()
        .lock()
        .expect("statements")
        .clone();
    let mut re_prepared = Vec::new();
    let mut checked = 0;
    for sql in &seen {
        // Statements of other tests (other connections) are new here: prepared now, count 0.
        let statement = registry.connection().prepare_cached(sql).expect("cached");
        let runs = statement.get_status(StatementStatus::Run);
        let count = statement.get_status(StatementStatus::RePrepare);
        if runs >= rounds {
            checked += 1;
            if count > 0 {
                re_prepared.push(format!("{count} re-preparations in {runs} runs: {sql}"));
            }
        }
    }
    assert!(
        checked >= 20,
        "only {checked} statements ran {rounds} times or more"
    );
    assert!(re_prepared.is_empty(), "{}", re_prepared.join("\n"));
}

/// The query plan of a statement, one line per step.
fn plan(connection: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut statement = connection
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .expect("explain");
    // Every parameter NULL: the plan does not depend on bound values (QPSG, see `db::Cached`).
    let parameters = vec![rusqlite::types::Null; statement.parameter_count()];
    statement
        .query_map(rusqlite::params_from_iter(parameters), |row| row.get(3))
        .expect("plan")
        .collect::<rusqlite::Result<_>>()
        .expect("plan rows")
}

/// Every page of the list without a search is read in order from one index and stops after the
/// page (no sort of every matching token), and the status counts read index ranges only: what
/// keeps the list fast at 100,000 tokens (BENCHMARKS.md), checked here for every filter, sort and
/// direction, read forwards and from the far end, so that an index change cannot undo it quietly.
#[test]
fn every_list_page_is_read_in_index_order_and_counts_read_indexes_only() {
    let catalog = Catalog::embedded();
    let mut registry = Registry::open_in_memory(catalog).expect("open");
    // Two tokens of every status, so that offset 1 reads from the far end of each list.
    let now = Utc::now();
    for index in 0..8 {
        let created = registry
            .create_token(
                &NewToken {
                    name: format!("plans-{index}"),
                    description: String::new(),
                    expiry: Expiry::Days { days: 1 },
                    composition: vec![triple("CI", "OM")],
                    numbers: Vec::new(),
                },
                now - Duration::days(i64::from(index % 4 / 2) * 2),
            )
            .expect("create");
        if index % 4 == 3 {
            registry
                .revoke_token(&created.token.summary.id, now)
                .expect("revoke");
        }
    }
    for status in StatusFilter::EVERY {
        for sort in SortKey::EVERY {
            for descending in [false, true] {
                for offset in [0, 1] {
                    let query = ListQuery {
                        status,
                        sort,
                        descending,
                        offset,
                        ..ListQuery::default()
                    };
                    registry.list_tokens(&query, now).expect("list");
                }
            }
        }
    }
    let seen = crate::db::seen_statements()
        .lock()
        .expect("statements")
        .clone();
    let mut pages = 0;
    let mut problems = Vec::new();
    for sql in &seen {
        let steps = plan(registry.connection(), sql);
        if sql.starts_with("WITH page AS") && !sql.contains("tokens_search") {
            pages += 1;
            // The page's rows come from an index walk (SCAN ... USING INDEX), never a sort of
            // the whole table; only the outer query, over the page's rows, may sort.
            let inner: Vec<&String> = steps
                .iter()
                .skip_while(|step| {
                    !step.starts_with("MATERIALIZE page") && !step.starts_with("CO-ROUTINE page")
                })
                .take_while(|step| !step.starts_with("SCAN page"))
                .collect();
            let sorted = inner.iter().any(|step| step.contains("TEMP B-TREE"));
            let indexed = inner
                .iter()
                .any(|step| step.contains("USING INDEX") || step.contains("USING COVERING INDEX"));
            if sorted || !indexed {
                problems.push(format!("{sql}\n  {}", steps.join("\n  ")));
            }
        } else if sql.contains("SELECT (SELECT count(*) FROM tokens)") {
            let scans: Vec<&String> = steps
                .iter()
                .filter(|step| step.contains("tokens"))
                .collect();
            if scans.len() != 4 || scans.iter().any(|step| !step.contains("COVERING INDEX")) {
                problems.push(format!("{sql}\n  {}", steps.join("\n  ")));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert!(pages >= 80, "only {pages} list statements were seen");
}
