use std::process::ExitCode;

/// mimalloc gives freed memory back to the system: a burst of sign-ins (each password check
/// takes argon2's 19 MiB) leaves no high-water mark behind, as the system allocator's arenas do.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // No transparent huge pages: a 2 MiB page backing a few used kilobytes of the allocator's
    // regions counted 60 MiB of a 100 MB server as resident. Best effort; the server runs
    // either way.
    #[cfg(target_os = "linux")]
    if let Err(e) = nix::sys::prctl::set_thp_disable(true) {
        eprintln!("transparent huge pages stay on: {e}");
    }
    greenlane::cli::run().await
}
