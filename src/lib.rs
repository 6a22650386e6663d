//! The `ttfs` command line and the `gen-verilog` generator: thin front ends over the
//! `golden`, `hdl` and `testbench` crates. Each subcommand lives in [`commands`].

pub mod accelerator;
pub mod commands;
pub mod import;
pub mod plot;
pub mod report;
pub mod source;
pub mod synth;

/// The text of a panic payload (`panic!` with a literal or a formatted message).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Replaces Rust's panic message and backtrace with one line: a panic is a bug of this tool,
/// never the user's fault, and must not look like a crash dump.
///
/// One panic is not a bug: `println!` into a pipe whose reader has gone (`ttfs … | head`).
/// The output is no longer wanted, so the command ends quietly, as a C tool killed by
/// `SIGPIPE` would, but with status 0.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = panic_message(info.payload());
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("internal error: {msg}{at} (this is a bug of ttfs: please report it with the command you ran)");
    }));
}

/// The error is a write into a pipe whose reader has gone (see [`install_panic_hook`]).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Runs a command's body and maps its result to an exit code, printing errors on one line.
pub fn exit_with(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The context chain joined with ": " on one line (no backtrace), skipping a cause
            // whose text its parent already quotes (errors that print their source).
            let mut line = String::new();
            for cause in e.chain() {
                let text = cause.to_string().replace('\n', " ");
                if line.contains(&text) {
                    continue;
                }
                if !line.is_empty() {
                    line.push_str(": ");
                }
                line.push_str(&text);
            }
            eprintln!("error: {line}");
            std::process::ExitCode::FAILURE
        }
    }
}
