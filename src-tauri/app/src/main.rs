//! The `clapay-tokens` desktop binary: everything lives in the library so tests can reach it.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Before any thread or file: everything the app writes (the settings, the logs, the
    // imported catalog, WebKit's storage; the core makes its own files private too) is readable
    // by its user only. The folders hold customers' phone numbers.
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_bits_truncate(0o077));
    #[cfg(target_os = "linux")]
    if rendering::prefer_cpu(
        |name| std::env::var_os(name),
        rendering::gpu_device_present(),
    ) {
        // Read by WebKitGTK when the webview is created, below in `run`; main is still the only
        // thread here.
        std::env::set_var(rendering::DISABLE_COMPOSITING, "1");
    }
    if let Err(error) = clapay_tokens_app::run() {
        eprintln!("clapay-tokens: {error}");
        std::process::exit(1);
    }
}

/// How WebKitGTK draws the page on a Linux machine without a GPU.
///
/// WebKitGTK (2.50, Skia) always renders through OpenGL: tiles are painted with Skia's GPU backend
/// and composited in GL. Without a GPU, Mesa answers with llvmpipe, a software emulation of
/// OpenGL, and a full-window repaint (a page of the token list) then takes several frames. With
/// accelerated compositing disabled, WebKit paints the page with Skia on the CPU straight into a
/// shared-memory buffer, several times faster (`git log -p BENCHMARKS.md` has the figures of the
/// change). So on a machine where no GPU can be used, the app asks for the CPU path, for every
/// merchant, not only for tests. Where a GPU is present nothing changes, and a choice the user
/// made through any of WebKit's rendering variables is kept.
#[cfg(target_os = "linux")]
mod rendering {
    use std::ffi::OsString;
    use std::path::Path;

    /// WebKitGTK's switch for non-accelerated (CPU) rendering.
    pub const DISABLE_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

    /// WebKit's rendering variables: if the user set any of them, the app sets none.
    const USER_CHOICES: [&str; 6] = [
        DISABLE_COMPOSITING,
        "WEBKIT_FORCE_COMPOSITING_MODE",
        "WEBKIT_DISABLE_DMABUF_RENDERER",
        "WEBKIT_DMABUF_RENDERER_FORCE_SHM",
        "WEBKIT_SKIA_ENABLE_CPU_RENDERING",
        "WEBKIT_SKIA_GPU_PAINTING_THREADS",
    ];

    /// Whether the app should ask WebKit for CPU rendering: no GPU can be used (no DRM render node
    /// and no NVIDIA device, or Mesa told to render in software) and the user chose nothing.
    pub fn prefer_cpu(env: impl Fn(&str) -> Option<OsString>, gpu_device: bool) -> bool {
        if USER_CHOICES.iter().any(|name| env(name).is_some()) {
            return false;
        }
        let set = |name: &str| env(name).is_some_and(|value| !value.is_empty() && value != "0");
        let software_driver = env("GALLIUM_DRIVER")
            .is_some_and(|driver| driver == "llvmpipe" || driver == "softpipe");
        !gpu_device || set("LIBGL_ALWAYS_SOFTWARE") || software_driver
    }

    /// A GPU that Mesa or NVIDIA's driver can render with shows up as a DRM render node
    /// (`/dev/dri/renderD128`...) or as `/dev/nvidiactl`. Xvfb sessions, containers without
    /// `/dev/dri` and virtual machines with a plain framebuffer have neither: OpenGL there is
    /// llvmpipe.
    pub fn gpu_device_present() -> bool {
        let render_node = std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
            entries
                .flatten()
                .any(|entry| entry.file_name().to_string_lossy().starts_with("renderD"))
        });
        render_node || Path::new("/dev/nvidiactl").exists()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
            move |name| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| OsString::from(value))
            }
        }

        #[test]
        fn a_machine_without_gpu_gets_cpu_rendering() {
            assert!(
                prefer_cpu(env(&[]), false),
                "llvmpipe is slower than CPU painting"
            );
        }

        #[test]
        fn a_machine_with_gpu_keeps_webkit_defaults() {
            assert!(!prefer_cpu(env(&[]), true), "a GPU composites faster");
        }

        #[test]
        fn software_gl_asked_by_the_user_gets_cpu_rendering() {
            assert!(
                prefer_cpu(env(&[("LIBGL_ALWAYS_SOFTWARE", "1")]), true),
                "Mesa was told to render in software"
            );
            assert!(
                prefer_cpu(env(&[("GALLIUM_DRIVER", "llvmpipe")]), true),
                "Mesa was told to use llvmpipe"
            );
            assert!(
                !prefer_cpu(env(&[("LIBGL_ALWAYS_SOFTWARE", "0")]), true),
                "0 does not ask for software GL"
            );
        }

        #[test]
        fn a_rendering_choice_of_the_user_is_kept() {
            for name in USER_CHOICES {
                assert!(
                    !prefer_cpu(env(&[(name, "0")]), false),
                    "{name} set by the user: the app sets nothing"
                );
            }
        }
    }
}
