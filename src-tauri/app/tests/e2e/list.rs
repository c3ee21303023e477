//! The token list: every column shows the right value, the columns fit the window without
//! scrolling sideways, and View shows the composition.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::flows::{self, NewToken};
use crate::harness::{App, Context, ContextOpt};

const SHOP: NewToken<'static> = NewToken {
    name: "Bamako kiosk",
    description: "Mobile money at the Bamako kiosk",
    composition: &[
        (
            "ML",
            &[("OM", &["MERCHANT", "CASHOUT"]), ("MOOV", &["CASHIN"])],
        ),
        ("CI", &[("WAVE", &["MERCHANT"])]),
    ],
    numbers: &[("ML", "76 12 34 56")],
};

#[tokio::test]
async fn list_shows_every_column_and_view_shows_the_composition() {
    let app = App::start().await;
    flows::create_token(&app, &SHOP).await;
    let token = flows::stored_token(&app, SHOP.name);
    let (created_ms, expires_ms, hint): (i64, i64, String) = app
        .db()
        .query_row(
            "SELECT created_at, expires_at, hint FROM tokens WHERE id = ?1",
            [&token.id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .ctx("read the token");

    the_text_uses_the_shipped_faces(&app).await;
    the_page_is_ui_as_it_is_and_loads_the_other_screens_after_the_list(&app).await;
    let row = flows::row_of(&app, SHOP.name).await;
    assert_eq!(
        flows::cell_attr(&row, "cell-hint", "title")
            .await
            .as_deref(),
        Some(hint.as_str()),
        "the whole hint is the title of its end under the name"
    );
    let (_, end) = hint.split_once('…').ctx_opt("the hint has an ellipsis");
    assert_eq!(
        flows::cell(&row, "cell-hint").await,
        format!("…{end}"),
        "under the name, before the description, the hint's last characters"
    );
    assert_eq!(
        flows::cell(&row, "cell-environment").await,
        "Live",
        "the chip names the environment"
    );
    assert_eq!(flows::status(&row).await, "ACTIVE", "a new token is active");
    assert_eq!(
        flows::cell(&row, "cell-numbers-count").await,
        "1",
        "one whitelisted number"
    );
    columns_fit_and_the_description_shows_at_the_default_size(&app).await;
    let row = flows::row_of(&app, SHOP.name).await;
    let created = flows::cell_attr(&row, "cell-created", "data-iso")
        .await
        .unwrap_or_default();
    let created: DateTime<Utc> = created.parse().ctx("Created At carries an RFC 3339 date");
    assert_eq!(
        created.timestamp_millis() / 1000,
        created_ms / 1000,
        "Created At is the stored creation time"
    );
    let expiry = flows::cell_attr(&row, "cell-expiry", "data-iso")
        .await
        .unwrap_or_default();
    let expiry: DateTime<Utc> = expiry.parse().ctx("Expiry Date carries an RFC 3339 date");
    assert_eq!(
        expiry.timestamp_millis() / 1000,
        expires_ms / 1000,
        "Expiry Date is the stored expiry"
    );
    let days = (expires_ms - created_ms) / 86_400_000;
    assert!(
        (29..=30).contains(&days),
        "the default duration is 30 days, got {days}"
    );
    assert!(
        !flows::cell(&row, "cell-created").await.trim().is_empty(),
        "Created At shows a date"
    );
    assert!(
        !flows::cell(&row, "cell-expiry").await.trim().is_empty(),
        "Expiry Date shows a date"
    );
    assert_eq!(
        flows::cell_attr(&row, "cell-last-used", "data-iso")
            .await
            .unwrap_or_default(),
        "",
        "a token never used has no Last Date Used"
    );
    assert!(
        !flows::cell(&row, "cell-last-used").await.trim().is_empty(),
        "Last Date Used says never"
    );

    flows::click_in_row(&app, &row, "view-composition").await;
    app.wait_testid("composition-dialog").await;
    app.wait_css("[data-testid=\"composition-dialog\"] [data-testid=\"composition-card\"]")
        .await;
    let mut shown = Vec::new();
    for chip in app
        .all_css("[data-testid=\"composition-dialog\"] [data-testid=\"composition-method\"]")
        .await
    {
        let country = chip
            .attr("data-country")
            .await
            .ctx("chip country")
            .unwrap_or_default();
        let operator = chip
            .attr("data-operator")
            .await
            .ctx("chip operator")
            .unwrap_or_default();
        let method = chip
            .attr("data-method")
            .await
            .ctx("chip method")
            .unwrap_or_default();
        shown.push(format!("{country}/{operator}/{method}"));
    }
    shown.sort();
    assert_eq!(
        shown,
        vec![
            "CI/WAVE/MERCHANT",
            "ML/MOOV/CASHIN",
            "ML/OM/CASHOUT",
            "ML/OM/MERCHANT"
        ],
        "View shows every country, operator and method of the token"
    );
    let cards = app
        .all_css("[data-testid=\"composition-dialog\"] [data-testid=\"composition-card\"]")
        .await;
    assert_eq!(cards.len(), 2, "one card per country");
    app.stop().await;
}

/// On Linux the page's text comes from the faces the app ships (ui/fonts.js), not from a system
/// font lookup per size and weight: the three faces are loaded, and every element of the screen,
/// the list's name and hint among them, names one of them first. Without `connect-src 'self'` in the CSP the page cannot read the files, and the set
/// of faces is empty.
async fn the_text_uses_the_shipped_faces(app: &App) {
    let fonts = app
        .driver()
        .execute(
            "const faces = [...document.fonts]
               .map((face) => `${face.family.replace(/\"/g, '')} ${face.weight} ${face.status}`)
               .sort();
             const family = (testid) =>
               getComputedStyle(document.querySelector(`[data-testid=\"${testid}\"]`)).fontFamily;
             return {
               platform: document.documentElement.dataset.platform ?? null,
               faces,
               name: family('cell-name'),
               hint: family('cell-hint'),
               others: [...document.querySelectorAll('#app *')]
                 .filter((element) => !/^.?(Arimo|Cousine)/.test(getComputedStyle(element).fontFamily))
                 .map((element) => `${element.tagName} ${element.getAttribute('class')}: ${getComputedStyle(element).fontFamily}`),
             };",
            Vec::new(),
        )
        .await
        .ctx("reading the page's fonts")
        .json()
        .clone();
    assert_eq!(fonts["platform"], "linux", "WebKitGTK is marked: {fonts}");
    assert_eq!(
        fonts["faces"],
        serde_json::json!(["Arimo 400 loaded", "Arimo 700 loaded", "Cousine 400 loaded"]),
        "the shipped faces are loaded: {fonts}"
    );
    assert_eq!(
        fonts["others"],
        serde_json::json!([]),
        "every element of the screen names a shipped face first (a form control left to the \
         browser's font costs a system font lookup): {fonts}"
    );
    for (what, family) in [("name", "Arimo"), ("hint", "Cousine")] {
        let stack = fonts[what].as_str().unwrap_or_default();
        assert!(
            stack.trim_start_matches('"').starts_with(family),
            "the {what} is set in {family} first: {fonts}"
        );
    }
}

/// The page is ui/ as it is: main.js is its one script, the first screen's modules are preloaded,
/// and the modules of the other screens were imported once the list was painted, not before
/// (lazy.js marks each import `lazy-import`, ready.js the paint `list-painted`). No start call is
/// handed over through a global: main.js sends them itself.
async fn the_page_is_ui_as_it_is_and_loads_the_other_screens_after_the_list(app: &App) {
    let page = app
        .driver()
        .execute(
            "const painted = performance.getEntriesByName('list-painted')[0];
             return {
               scripts: [...document.scripts].map((s) => s.getAttribute('src')),
               preloads: [...document.querySelectorAll('link[rel=modulepreload]')].map((l) => l.getAttribute('href')),
               painted: painted ? painted.startTime : null,
               imports: performance.getEntriesByName('lazy-import').map((e) => e.startTime),
               globals: Object.keys(window).filter((key) => key.startsWith('__clapay')),
             };",
            Vec::new(),
        )
        .await
        .ctx("reading the page's scripts")
        .json()
        .clone();
    assert_eq!(
        page["scripts"],
        serde_json::json!(["main.js"]),
        "one script, main.js, and no inline one: {page}"
    );
    let preloads = page["preloads"].as_array().ctx_opt("the preload links");
    assert!(
        preloads.iter().any(|href| href == "views/tokenList.js"),
        "the list's module is preloaded: {page}"
    );
    assert_eq!(
        page["globals"],
        serde_json::json!([]),
        "no hand-off global: {page}"
    );
    let painted = page["painted"]
        .as_f64()
        .ctx_opt("the list-painted mark of ready.js");
    let imports = page["imports"].as_array().ctx_opt("the lazy imports");
    assert!(
        !imports.is_empty(),
        "the other screens' modules were imported (this test opened the create screen): {page}"
    );
    // app.js imports them once the list is painted, or a second after its start if the list is not
    // painted by then (a slow machine): never before the earlier of the two.
    let not_before = painted.min(1000.0);
    assert!(
        imports
            .iter()
            .all(|start| start.as_f64().is_some_and(|start| start >= not_before)),
        "the other screens' modules were imported after the list was painted: {page}"
    );
}

/// What the list's columns look like in the window: the table's overflow, each header's width, the
/// description's line and the composition's country codes.
async fn columns(app: &App) -> Value {
    app.driver()
        .execute(
            "const scroller = document.querySelector('.table-scroll');
             const widths = {};
             for (const th of document.querySelectorAll('[data-testid=\"token-table\"] thead th')) {
               widths[th.className] = th.getBoundingClientRect().width;
             }
             const row = document.querySelector('[data-testid=\"token-row\"]');
             const text = row.querySelector('[data-testid=\"cell-description\"]');
             const line = text.parentElement.getBoundingClientRect();
             const name = row.querySelector('[data-testid=\"cell-name\"]').getBoundingClientRect();
             const shown = text.getBoundingClientRect();
             return {
               window: window.innerWidth,
               overflow: scroller.scrollWidth - scroller.clientWidth,
               widths,
               description: {
                 width: Math.min(shown.right, line.right) - shown.left,
                 below_the_name: shown.top >= name.bottom - 1,
                 text: text.textContent,
                 title: text.getAttribute('title'),
               },
               codes: [...row.querySelectorAll('.flag-stack .flag-code')].map((code) => code.textContent),
               row_height: row.getBoundingClientRect().height,
             };",
            Vec::new(),
        )
        .await
        .ctx("measuring the list's columns")
        .json()
        .clone()
}

/// At the default window size (tauri.conf.json) every column fits without scrolling sideways, the
/// description shows as the second line under the name (its whole text in the title), the
/// Composition column names each country's code beside its flag, and the row keeps its height.
async fn columns_fit_and_the_description_shows_at_the_default_size(app: &App) {
    let check = |shown: &Value| {
        assert_eq!(shown["overflow"], 0, "the table fits its box: {shown}");
        let widths = shown["widths"].as_object().ctx_opt("the header widths");
        assert_eq!(widths.len(), 8, "eight columns: {shown}");
        for (column, width) in widths {
            assert!(
                width.as_f64().unwrap_or_default() > 0.0,
                "{column} is shown: {shown}"
            );
        }
        let description = &shown["description"];
        assert!(
            description["width"].as_f64().unwrap_or_default() > 100.0
                && description["below_the_name"] == true
                && description["text"] == SHOP.description
                && description["title"] == SHOP.description,
            "the description is the name's second line, shown: {shown}"
        );
        assert_eq!(
            shown["codes"],
            serde_json::json!(["CI", "ML"]),
            "each country's code is beside its flag: {shown}"
        );
        assert_eq!(
            shown["row_height"], 56.0,
            "the row keeps its height: {shown}"
        );
    };
    let default = columns(app).await;
    assert_eq!(default["window"], 1280, "the default window: {default}");
    check(&default);
    resize(app, 1500).await;
    check(&columns(app).await);
    resize(app, 1280).await;
}

/// Gives the window this width (760 px high) and waits until the page has it.
async fn resize(app: &App, width: u32) {
    let window = app
        .driver()
        .get_window_rect()
        .await
        .ctx("the window's size");
    app.driver()
        .set_window_rect(window.x, window.y, width, 760)
        .await
        .ctx("resizing the window");
    app.wait_until(&format!("the window is {width} px wide"), || async {
        columns(app).await["window"] == width
    })
    .await;
}

/// More tokens than the table's box shows, from the core's seed example.
fn seed_a_full_page(db: &std::path::Path) {
    crate::scale::seed::seed(&crate::scale::seed::Options {
        db: db.to_path_buf(),
        tokens: 60,
        numbers: 40,
        seed: 21,
    })
    .ctx("seeding 60 tokens");
}

/// With a full page of tokens only the table's box scrolls: the window never scrolls past the page
/// (a wheel over the page header used to scroll it into blank space, by the height of the rows below
/// the box), the page around the table fits, and the sidebar stays where it is.
#[tokio::test]
async fn only_the_table_scrolls_and_the_sidebar_stays() {
    let app = App::start_with(seed_a_full_page, "token-row").await;
    app.wait_list_written().await;
    let page = app
        .driver()
        .execute(
            "const content = document.getElementById('content');
             const root = document.scrollingElement;
             const scroller = document.querySelector('.table-scroll');
             const overflow = { window: root.scrollHeight - root.clientHeight, content: content.scrollHeight - content.clientHeight };
             // What a wheel over the page header would scroll: the window, or the content box.
             window.scrollTo(0, 5000);
             content.scrollTop = 5000;
             return {
               overflow,
               window_scrolled: window.scrollY,
               content_scrolled: content.scrollTop,
               sidebar_top: document.getElementById('sidebar').getBoundingClientRect().top,
               header_top: document.querySelector('.page-header').getBoundingClientRect().top,
               table_overflow: scroller.scrollHeight - scroller.clientHeight,
               heights: [...new Set([...document.querySelectorAll('[data-testid=\"token-row\"]')]
                 .map((row) => row.getBoundingClientRect().height))],
             };",
            Vec::new(),
        )
        .await
        .ctx("scrolling the page")
        .json()
        .clone();
    assert!(
        page["table_overflow"].as_f64().unwrap_or_default() > 0.0,
        "the page holds more rows than the table's box shows: {page}"
    );
    assert_eq!(
        page["overflow"],
        serde_json::json!({ "window": 0, "content": 0 }),
        "nothing overflows the window or the page around the table: {page}"
    );
    assert_eq!(
        page["window_scrolled"], 0,
        "the window does not scroll: {page}"
    );
    assert_eq!(
        page["content_scrolled"], 0,
        "the page around the table does not scroll: {page}"
    );
    assert_eq!(page["sidebar_top"], 0, "the sidebar stays in place: {page}");
    assert_eq!(
        page["heights"],
        serde_json::json!([56]),
        "every row has the same height, its description included: {page}"
    );
    app.stop().await;
}
