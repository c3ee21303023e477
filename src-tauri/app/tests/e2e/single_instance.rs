//! A second launch hands over to the running app and exits: still one window.

use std::time::{Duration, Instant};

use crate::harness::{app_windows, App};

#[tokio::test]
async fn a_second_launch_exits_and_leaves_one_window() {
    let app = App::start().await;
    assert_eq!(app_windows(), 1, "one main window after the first launch");

    let mut second = app.launch_again();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Ok(Some(status)) = second.try_wait() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &second.id().to_string()])
                .status();
            let _ = second.wait();
            panic!("the second launch is still running after 20 s: it opened a second app");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        status.success(),
        "the second launch exits cleanly after handing over: {status}"
    );
    assert_eq!(app_windows(), 1, "the second launch opened no window");
    assert_eq!(
        app.text("nav-tokens").await,
        "Tokens",
        "the first window still answers"
    );
    app.stop().await;
}
