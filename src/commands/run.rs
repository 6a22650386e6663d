//! `ttfs run`: streams dataset images to a flashed board over its serial port as link frames
//! (`hdl::board::link`), reads the answer bytes back and compares every class with the golden
//! model; reports accuracy and the measured images/s.

use crate::source::{check_dataset_fits, DatasetArgs, ModelArgs};
use anyhow::{bail, Result};
use clap::Args;
use hdl::board::link::{answer, LinkFormat};
use hdl::board::Board;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Serial port of the board's USB bridge (iCEBreaker: the second FT2232H port, e.g. /dev/ttyUSB1; ULX3S: /dev/ttyUSB0)
    #[arg(long, value_name = "DEV")]
    pub port: PathBuf,
    /// Line rate; default: the board wrappers' rate (3 000 000)
    #[arg(long, value_name = "B")]
    pub baud: Option<u32>,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub data: DatasetArgs,
    /// Seconds without an answer byte before giving up
    #[arg(long, default_value_t = 10.0, value_name = "S")]
    pub timeout: f64,
}

pub fn run(a: &RunArgs) -> Result<()> {
    let baud = a.baud.unwrap_or(Board::Icebreaker.uart_baud() as u32);
    let speed = speed_of(baud)?;
    if !(a.timeout > 0.0 && a.timeout.is_finite()) {
        bail!(
            "--timeout {} is not a positive number of seconds",
            a.timeout
        );
    }
    let loaded = a.model.load()?;
    crate::source::require_buildable(&loaded.model, &loaded.origin, "the hardware generator")?;
    let model = &loaded.model;
    let data = a.data.load()?;
    check_dataset_fits(model, &data, a.data.dataset.name())?;
    let format = LinkFormat::of_model(model);
    let port = open_port(&a.port, speed)?;
    let mut writer = port.try_clone()?;
    let frames: Vec<u8> = (0..data.len())
        .flat_map(|i| format.encode_frame(&data.sample(i)))
        .collect();
    let n = data.len();
    let want: Vec<u8> = (0..n)
        .map(|i| golden::forward::classify(model, &data.sample(i)) as u8)
        .collect();
    println!(
        "ttfs run: {} images of {} to {} at {baud} baud, {} bytes per frame (link bound {:.0} images/s), model {}",
        n,
        a.data.dataset.name(),
        a.port.display(),
        format.frame_bytes(),
        format.images_per_s(baud as u64),
        loaded.origin
    );
    let start = Instant::now();
    let sender = std::thread::spawn(move || writer.write_all(&frames).and_then(|_| writer.flush()));
    let mut port = port;
    let mut answers = Vec::with_capacity(n);
    let mut last = Instant::now();
    let mut buf = [0u8; 256];
    while answers.len() < n {
        match port.read(&mut buf) {
            Ok(0) => {}
            Ok(k) => {
                answers.extend_from_slice(&buf[..k]);
                last = Instant::now();
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => bail!("cannot read from {}: {e}", a.port.display()),
        }
        if answers.len() < n && last.elapsed() > Duration::from_secs_f64(a.timeout) {
            bail!(
                "no answer from {} for {} s after {} of {n} answers: is the board flashed with the wrapper of this model, and does it run at {baud} baud? (press its reset button and retry)",
                a.port.display(),
                a.timeout,
                answers.len()
            );
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    match sender.join() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => bail!("cannot write to {}: {e}", a.port.display()),
        Err(_) => bail!("the writer thread of {} failed", a.port.display()),
    }
    answers.truncate(n);
    let (mut correct, mut bad, mut differ) = (0usize, 0usize, vec![]);
    for (i, &byte) in answers.iter().enumerate() {
        let (class, error) = answer(byte);
        if error {
            bad += 1;
        }
        if error || byte != want[i] {
            differ.push((i, class, error, want[i]));
        }
        if !error && class == data.labels[i] {
            correct += 1;
        }
    }
    println!(
        "accuracy {:.2} % ({correct} / {n}), {:.1} images/s measured ({n} images in {elapsed:.3} s), {} of {n} classes equal the golden model",
        100.0 * correct as f64 / n as f64,
        n as f64 / elapsed,
        n - differ.len()
    );
    for &(i, class, error, golden) in differ.iter().take(20) {
        println!(
            "image {i}: board {class}{}, golden {golden}",
            if error { " (bad frame)" } else { "" }
        );
    }
    if !differ.is_empty() {
        bail!(
            "{} of {n} answers differ from the golden model ({bad} flagged as bad frames): is the board flashed with this model (--model)?",
            differ.len()
        );
    }
    Ok(())
}

/// The termios speed constant of `baud`.
fn speed_of(baud: u32) -> Result<libc::speed_t> {
    Ok(match baud {
        9600 => libc::B9600,
        19200 => libc::B19200,
        38400 => libc::B38400,
        57600 => libc::B57600,
        115_200 => libc::B115200,
        230_400 => libc::B230400,
        460_800 => libc::B460800,
        921_600 => libc::B921600,
        1_000_000 => libc::B1000000,
        1_500_000 => libc::B1500000,
        2_000_000 => libc::B2000000,
        3_000_000 => libc::B3000000,
        4_000_000 => libc::B4000000,
        _ => bail!(
            "--baud {baud} is not a standard serial rate: use the board's 3000000 (or one of 115200 … 4000000)"
        ),
    })
}

fn os_error(what: &str, port: &Path) -> anyhow::Error {
    let e = std::io::Error::last_os_error();
    anyhow::anyhow!("{what} {}: {e}", port.display())
}

/// Opens `path` exclusively (`flock` + `TIOCEXCL`) in raw 8N1 mode at `speed`, reads
/// returning after at most 0.1 s.
fn open_port(path: &Path, speed: libc::speed_t) -> Result<std::fs::File> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| anyhow::anyhow!("--port {} holds a NUL byte", path.display()))?;
    // SAFETY: plain POSIX calls on a NUL-terminated path and the fd they return.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        let e = std::io::Error::last_os_error();
        return Err(match e.raw_os_error() {
            Some(libc::ENOENT) => anyhow::anyhow!(
                "serial port {} does not exist: plug the board in and name its port with --port (ls /dev/ttyUSB* /dev/ttyACM*)",
                path.display()
            ),
            Some(libc::EBUSY) => busy(path),
            _ => anyhow::anyhow!("cannot open serial port {}: {e}", path.display()),
        });
    }
    // SAFETY: `fd` is a fresh descriptor owned by the File from here on.
    let file = unsafe { std::fs::File::from_raw_fd(fd) };
    let fd = file.as_raw_fd();
    unsafe {
        if libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) != 0 {
            return Err(busy(path));
        }
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) != 0 {
            bail!(
                "{} is not a serial port: name the board's tty with --port",
                path.display()
            );
        }
        libc::ioctl(fd, libc::TIOCEXCL);
        libc::cfmakeraw(&mut t);
        t.c_cflag |= libc::CLOCAL | libc::CREAD;
        t.c_cflag &= !(libc::CSTOPB | libc::PARENB | libc::CRTSCTS);
        t.c_cc[libc::VMIN] = 0;
        t.c_cc[libc::VTIME] = 1;
        if libc::cfsetispeed(&mut t, speed) != 0
            || libc::cfsetospeed(&mut t, speed) != 0
            || libc::tcsetattr(fd, libc::TCSANOW, &t) != 0
        {
            return Err(os_error("cannot set raw mode and baud on", path));
        }
        libc::tcflush(fd, libc::TCIOFLUSH);
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
    }
    Ok(file)
}

fn busy(path: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "serial port {} is busy (another program has it open exclusively): close it (screen, minicom, another ttfs run) and retry",
        path.display()
    )
}
