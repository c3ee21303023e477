//! Integration tests of the sandbox gateway: the real server on 127.0.0.1, a free port, driven
//! over HTTP. One test binary with a module per feature (see STYLE.md). Every server a test
//! starts is stopped by the test, and every wait is bounded.

mod api;
mod reliability;
mod support;
mod webhook;
