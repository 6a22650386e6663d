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
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = panic_message(info.payload());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("internal error: {msg}{at} (this is a bug of ttfs: please report it with the command you ran)");
    }));
}

/// Runs a command's body and maps its result to an exit code, printing errors on one line.
pub fn exit_with(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
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
