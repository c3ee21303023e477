//! The CLI must run on a server without the GUI libraries: it links no WebKit or GTK.

use crate::support::binary;

#[test]
fn the_binary_links_no_webkit_or_gtk() {
    let output = match std::process::Command::new("ldd").arg(binary()).output() {
        Ok(output) => output,
        Err(error) => {
            eprintln!("SKIPPED the_binary_links_no_webkit_or_gtk: ldd is not available ({error})");
            return;
        }
    };
    let libraries = String::from_utf8_lossy(&output.stdout).to_lowercase();
    assert!(
        output.status.success() || libraries.contains("not a dynamic executable"),
        "ldd failed: {libraries}"
    );
    for forbidden in ["webkit", "gtk", "javascriptcore", "soup"] {
        assert!(
            !libraries.contains(forbidden),
            "the CLI must not link {forbidden}: {libraries}"
        );
    }
}
