//! Finding Verilator, building the harness (cached), checking the elaborated ports, running it.

use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::harness::{cpp_source, EXE_NAME};
use crate::hash::Fnv2;
use crate::result::RawRun;
use crate::stimulus::Stimulus;
use crate::top::{Dir, TopInfo};
use crate::CosimError;

/// Make jobs of a Verilator build (the machine is shared: never more than 2).
pub const DEFAULT_JOBS: u32 = 2;

/// A Verilator installation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verilator {
    /// The `verilator` executable (or wrapper script).
    pub path: PathBuf,
    /// First line of `verilator --version`, e.g. `Verilator 5.048 ...`.
    pub version: String,
}

impl Verilator {
    /// Finds `verilator` on `PATH` and checks it is Verilator 5.x.
    pub fn discover() -> Result<Verilator, CosimError> {
        Verilator::discover_in(&std::env::var_os("PATH").unwrap_or_default())
    }

    /// Like [`Verilator::discover`] with an explicit search path (same syntax as `PATH`).
    pub fn discover_in(path_var: &OsStr) -> Result<Verilator, CosimError> {
        let found = std::env::split_paths(path_var)
            .filter(|dir| !dir.as_os_str().is_empty())
            .map(|dir| dir.join("verilator"))
            .find(|p| is_executable(p))
            .ok_or(CosimError::VerilatorNotFound)?;
        Verilator::at(&found)
    }

    /// Uses the given executable (checks `--version`).
    pub fn at(path: &Path) -> Result<Verilator, CosimError> {
        let out = Command::new(path)
            .arg("--version")
            .output()
            .map_err(|e| CosimError::io("cannot run", path, e))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let version = text.lines().next().unwrap_or("").trim().to_string();
        if !out.status.success() || !version.starts_with("Verilator 5.") {
            return Err(CosimError::VerilatorVersion {
                path: path.display().to_string(),
                found: if version.is_empty() {
                    String::from_utf8_lossy(&out.stderr).trim().to_string()
                } else {
                    version
                },
            });
        }
        Ok(Verilator {
            path: path.to_path_buf(),
            version,
        })
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Where built harnesses are cached when the caller gives no directory:
/// `$LCTTFS_COSIM_CACHE`, else `$CARGO_TARGET_DIR/cosim-cache`, else `<target>/cosim-cache` for
/// the cargo target directory holding the running executable, else
/// `<temp>/lcttfs-cosim-cache`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LCTTFS_COSIM_CACHE") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir).join("cosim-cache");
    }
    if let Ok(exe) = std::env::current_exe() {
        // cargo marks its target directory with CACHEDIR.TAG.
        if let Some(target) = exe.ancestors().find(|d| d.join("CACHEDIR.TAG").is_file()) {
            return target.join("cosim-cache");
        }
    }
    std::env::temp_dir().join("lcttfs-cosim-cache")
}

/// How to build the harness.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Cache directory (default: [`default_cache_dir`]).
    pub cache_dir: Option<PathBuf>,
    /// Build with `--trace` so that runs can dump a VCD.
    pub vcd: bool,
    /// Extra Verilator arguments (e.g. `+define+NAME`), part of the cache key.
    pub extra_args: Vec<String>,
    /// Make jobs (`-j`), default [`DEFAULT_JOBS`]; capped at 2.
    pub jobs: Option<u32>,
}

/// Dump a VCD of samples `from_sample..=to_sample` (from the cycle the first beat of
/// `from_sample` is offered until 4 cycles after output beat number `to_sample`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VcdDump {
    pub path: PathBuf,
    pub from_sample: usize,
    pub to_sample: usize,
}

/// A built harness executable for one top.
#[derive(Clone, Debug)]
pub struct Harness {
    pub exe: PathBuf,
    /// The cache entry (`<cache>/<module>-<hash>`).
    pub dir: PathBuf,
    pub info: TopInfo,
    /// Built with `--trace` (can dump VCD).
    pub vcd: bool,
    /// True when the build came from the cache.
    pub cached: bool,
    /// Wall time of the build (0 when cached).
    pub build_seconds: f64,
    /// Where the simulation runs: the folder of the first Verilog source, so that the
    /// generator's `$readmemh` memory images (written next to the Verilog) are found.
    pub run_dir: Option<PathBuf>,
}

static RUN_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Harness {
    /// Builds the harness for `info` from the Verilog `sources`, or reuses the cached build.
    ///
    /// Builds are serialized by a lock file in the cache directory (threads and processes), so
    /// parallel tests never run two Verilator builds at once.
    pub fn build(
        tool: &Verilator,
        info: &TopInfo,
        sources: &[PathBuf],
        opts: &BuildOptions,
    ) -> Result<Harness, CosimError> {
        info.check()?;
        if sources.is_empty() {
            return Err(CosimError::Stimulus("no Verilog source given".into()));
        }
        let cache = opts.cache_dir.clone().unwrap_or_else(default_cache_dir);
        std::fs::create_dir_all(&cache)
            .map_err(|e| CosimError::io("cannot create cache directory", &cache, e))?;
        let cpp = cpp_source(info, opts.vcd);
        let jobs = opts.jobs.unwrap_or(DEFAULT_JOBS).clamp(1, 2);
        let mut args: Vec<String> = [
            "--cc",
            "--exe",
            "--build",
            "-O2",
            "-Wno-fatal",
            "--top-module",
            &info.module,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(["-j".to_string(), jobs.to_string()]);
        if opts.vcd {
            args.push("--trace".into());
        }
        args.extend(opts.extra_args.iter().cloned());

        let mut key = Fnv2::new();
        key.field(tool.version.as_bytes());
        key.field(cpp.as_bytes());
        for a in &args {
            key.field(a.as_bytes());
        }
        for src in sources {
            let text = std::fs::read(src)
                .map_err(|e| CosimError::io("cannot read Verilog source", src, e))?;
            key.field(&text);
        }
        let dir = cache.join(format!("{}-{}", info.module, key.hex()));
        let obj = dir.join("obj");
        let exe = obj.join(EXE_NAME);
        let stamp = dir.join("ok");
        let mut harness = Harness {
            exe: exe.clone(),
            dir: dir.clone(),
            info: info.clone(),
            vcd: opts.vcd,
            cached: true,
            build_seconds: 0.0,
            run_dir: sources
                .first()
                .and_then(|p| p.parent())
                .filter(|p| !p.as_os_str().is_empty())
                .map(|p| p.to_path_buf()),
        };
        if stamp.is_file() && exe.is_file() {
            return Ok(harness);
        }

        let lock_path = cache.join(".build.lock");
        let lock = File::create(&lock_path)
            .map_err(|e| CosimError::io("cannot create lock file", &lock_path, e))?;
        lock.lock()
            .map_err(|e| CosimError::io("cannot lock", &lock_path, e))?;
        if stamp.is_file() && exe.is_file() {
            return Ok(harness); // built by someone else while we waited
        }
        let t0 = Instant::now();
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| CosimError::io("cannot clear stale build", &dir, e))?;
        }
        std::fs::create_dir_all(&obj)
            .map_err(|e| CosimError::io("cannot create build directory", &obj, e))?;
        let cpp_path = dir.join("harness.cpp");
        std::fs::write(&cpp_path, &cpp)
            .map_err(|e| CosimError::io("cannot write harness", &cpp_path, e))?;
        let log_path = dir.join("build.log");
        let mut log = String::new();
        let mut step = |with_build: bool| -> Result<bool, CosimError> {
            let mut cmd = Command::new(&tool.path);
            cmd.args(
                args.iter()
                    .filter(|a| with_build || a.as_str() != "--build"),
            )
            .arg("--Mdir")
            .arg(&obj)
            .arg("-o")
            .arg(EXE_NAME)
            .args(sources)
            .arg(&cpp_path);
            let out = cmd
                .output()
                .map_err(|e| CosimError::io("cannot run", &tool.path, e))?;
            log.push_str(&format!("$ {cmd:?}\n"));
            log.push_str(&String::from_utf8_lossy(&out.stdout));
            log.push_str(&String::from_utf8_lossy(&out.stderr));
            std::fs::write(&log_path, &log)
                .map_err(|e| CosimError::io("cannot write build log", &log_path, e))?;
            Ok(out.status.success())
        };
        // 1. Verilate only (well under a second): check the interface before compiling any C++.
        //    A wrong width would compile and silently truncate; a missing port would fail the
        //    C++ compile with a message far less clear than this one.
        let verilated = step(false)?;
        let header = obj.join(format!("V{}.h", info.module));
        if verilated {
            check_ports(info, &header)?;
        }
        // 2. The real build: `verilator --cc --exe --build -O2 -Wno-fatal --top-module …`.
        if !verilated || !step(true)? || !exe.is_file() {
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(CosimError::Build {
                log: log_path.display().to_string(),
                tail: tail.join("\n"),
            });
        }
        std::fs::write(&stamp, &tool.version)
            .map_err(|e| CosimError::io("cannot write build stamp", &stamp, e))?;
        drop(lock);
        harness.cached = false;
        harness.build_seconds = t0.elapsed().as_secs_f64();
        Ok(harness)
    }

    /// Runs `stim` (validated against the top first); `vcd` needs a harness built with
    /// [`BuildOptions::vcd`].
    pub fn run(&self, stim: &Stimulus, vcd: Option<&VcdDump>) -> Result<RawRun, CosimError> {
        self.run_with_progress(stim, vcd, &mut |_| {})
    }

    /// Like [`Harness::run`], calling `on_progress(k)` while the simulation runs with the number
    /// `k` of output beats accepted so far (about one sample each): increasing, at most once
    /// per [`crate::harness::PROGRESS_CYCLES`] simulated cycles, and once more with the final
    /// count (the result file's output beats) when the run succeeded and the last report was
    /// short of it.
    pub fn run_with_progress(
        &self,
        stim: &Stimulus,
        vcd: Option<&VcdDump>,
        on_progress: &mut dyn FnMut(u64),
    ) -> Result<RawRun, CosimError> {
        stim.validate(&self.info)?;
        if vcd.is_some() && !self.vcd {
            return Err(CosimError::Stimulus(
                "a VCD dump needs a harness built with BuildOptions { vcd: true, .. }".into(),
            ));
        }
        let runs = self.dir.join("runs");
        let n = RUN_COUNTER.fetch_add(1, Ordering::Relaxed);
        let work = runs.join(format!("{}-{n}", std::process::id()));
        std::fs::create_dir_all(&work)
            .map_err(|e| CosimError::io("cannot create run directory", &work, e))?;
        // Absolute: the simulation runs in `run_dir`, not here.
        let work = std::fs::canonicalize(&work)
            .map_err(|e| CosimError::io("cannot resolve run directory", &work, e))?;
        let stim_path = work.join("stimulus.txt");
        let result_path = work.join("result.txt");
        stim.write(&stim_path, vcd.map(|v| (v.from_sample, v.to_sample)))?;
        let mut cmd = Command::new(&self.exe);
        cmd.arg(&stim_path).arg(&result_path);
        if let Some(d) = &self.run_dir {
            cmd.current_dir(d);
        }
        if let Some(v) = vcd {
            // Absolute, since the simulation runs in `run_dir`.
            let vcd_path = if v.path.is_absolute() {
                v.path.clone()
            } else {
                std::env::current_dir().unwrap_or_default().join(&v.path)
            };
            cmd.arg(vcd_path);
        }
        let t0 = Instant::now();
        let mut shown = 0u64;
        let out = run_reporting(&mut cmd, &mut |k| {
            shown = k;
            on_progress(k);
        })
        .map_err(|e| CosimError::io("cannot run harness", &self.exe, e))?;
        let sim_seconds = t0.elapsed().as_secs_f64();
        if !out.status.success() {
            return Err(CosimError::Run {
                exe: self.exe.display().to_string(),
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        let mut run = RawRun::read(&result_path)?;
        run.sim_seconds = sim_seconds;
        let outputs = run.outputs.len() as u64;
        if outputs > shown {
            on_progress(outputs);
        }
        if std::env::var_os("LCTTFS_COSIM_KEEP").is_none() {
            // Best effort: a leftover run directory only costs disk space.
            let _ = std::fs::remove_dir_all(&work);
        }
        Ok(run)
    }
}

/// Runs `cmd` to completion like [`Command::output`] (stdin from `/dev/null`, stdout and
/// stderr captured), calling `on_progress(k)` for every `progress K` line of its stdout as it
/// comes. stderr is drained by a thread so that neither pipe can fill up and block the child.
fn run_reporting(
    cmd: &mut Command,
    on_progress: &mut dyn FnMut(u64),
) -> std::io::Result<std::process::Output> {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;

    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut err_pipe = child.stderr.take().expect("stderr is piped");
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        err_pipe.read_to_end(&mut buf).map(|_| buf)
    });
    let mut stdout = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut line = Vec::new();
    let read = loop {
        line.clear();
        match lines.read_until(b'\n', &mut line) {
            Ok(0) => break Ok(()),
            Ok(_) => {
                match std::str::from_utf8(&line)
                    .ok()
                    .and_then(|l| l.trim_end().strip_prefix("progress "))
                    .and_then(|k| k.parse::<u64>().ok())
                {
                    Some(k) => on_progress(k),
                    None => stdout.extend_from_slice(&line),
                }
            }
            Err(e) => break Err(e),
        }
    };
    // Reap the child and the stderr thread even when reading stdout failed.
    drop(lines);
    let status = child.wait();
    let stderr = err_thread
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("stderr reader panicked")));
    read?;
    Ok(std::process::Output {
        status: status?,
        stdout,
        stderr: stderr?,
    })
}

/// Compares the ports of the verilated model (`V<top>.h`: `VL_IN8(&name,msb,lsb);` …) with
/// the ports the harness expects.
pub fn check_ports(info: &TopInfo, header: &Path) -> Result<(), CosimError> {
    let text = std::fs::read_to_string(header)
        .map_err(|e| CosimError::io("cannot read verilated header", header, e))?;
    let found = parse_ports(&text);
    let mut problems = Vec::new();
    for want in info.ports() {
        match found.iter().find(|p| p.0 == want.name) {
            None => problems.push(format!(
                "missing port `{}` ({} {} bit{})",
                want.name,
                dir_name(want.dir),
                want.width,
                if want.width == 1 { "" } else { "s" }
            )),
            Some((_, dir, width)) => {
                if *dir != want.dir || *width != want.width {
                    problems.push(format!(
                        "port `{}` is {} {} bits, expected {} {} bits",
                        want.name,
                        dir_name(*dir),
                        width,
                        dir_name(want.dir),
                        want.width
                    ));
                }
            }
        }
    }
    let expected = info.ports();
    for (name, dir, width) in &found {
        if *dir == Dir::In && !expected.iter().any(|p| &p.name == name) {
            problems.push(format!(
                "unexpected input port `{name}` ({width} bits): the harness would leave it at 0"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CosimError::Ports(format!(
            "module {} ({}): {}",
            info.module,
            header.display(),
            problems.join("; ")
        )))
    }
}

fn dir_name(d: Dir) -> &'static str {
    match d {
        Dir::In => "input",
        Dir::Out => "output",
    }
}

/// `(name, dir, width)` of every `VL_IN*/VL_OUT*` port declaration of a verilated header.
fn parse_ports(text: &str) -> Vec<(String, Dir, u32)> {
    let mut ports = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let (dir, rest) = if let Some(r) = line.strip_prefix("VL_IN") {
            (Dir::In, r)
        } else if let Some(r) = line.strip_prefix("VL_OUT") {
            (Dir::Out, r)
        } else {
            continue;
        };
        // rest: `8(&name,msb,lsb);` / `(&name,msb,lsb);` / `W(&name,msb,lsb,words);`
        let Some(open) = rest.find("(&") else {
            continue;
        };
        let Some(close) = rest.find(')') else {
            continue;
        };
        let fields: Vec<&str> = rest[open + 2..close].split(',').map(str::trim).collect();
        if fields.len() < 3 {
            continue;
        }
        if let (Ok(msb), Ok(lsb)) = (fields[1].parse::<u32>(), fields[2].parse::<u32>()) {
            ports.push((fields[0].to_string(), dir, msb.abs_diff(lsb) + 1));
        }
    }
    ports
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_verilated_port_declarations() {
        let h = "    VL_IN8(&clk,0,0);\n    VL_OUT16(&m_class,9,0);\n    VL_IN(&s_data,19,0);\n    VL_OUTW(&wide,99,0,4);\n";
        let p = parse_ports(h);
        assert_eq!(
            p,
            vec![
                ("clk".into(), Dir::In, 1),
                ("m_class".into(), Dir::Out, 10),
                ("s_data".into(), Dir::In, 20),
                ("wide".into(), Dir::Out, 100),
            ]
        );
    }

    #[test]
    fn missing_verilator_names_the_install_script() {
        let e = Verilator::discover_in(OsStr::new("/nonexistent-dir-for-test")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "verilator not found on PATH: run scripts/tools.sh (or scripts/test.sh) to install the pinned Verilator 5.048"
        );
    }
}
