//! What the harness observed: the result file and its parsed form.
//!
//! # Result file (`lcttfs-result` version 1, one record per line, in cycle order)
//!
//! ```text
//! lcttfs-result 1
//! o CYCLE CLASS ERROR                  output beat: m_valid && m_ready in CYCLE
//! t CYCLE LAYER EOW M INDEX            trace beat: t{LAYER}_valid high in CYCLE (rst low)
//! r CYCLE ACCEPTED_BEATS RESUME_BEAT M_VALID
//!                                      reset: rst high from CYCLE; ACCEPTED_BEATS input beats
//!                                      had been accepted, sending resumes at RESUME_BEAT;
//!                                      M_VALID = 1: an output beat was pending (m_valid high)
//! end STATUS CYCLES ACCEPTED_BEATS OUTPUTS IDLE
//!                                      STATUS: done | hang (watchdog) | timeout (max_cycles)
//! ```
//!
//! Cycles count from 0 (the first cycle of the initial reset); a beat "in cycle c" is sampled
//! just before the rising edge that ends cycle c.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::CosimError;

/// One `m_valid && m_ready` beat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutBeat {
    pub cycle: u64,
    pub class: u64,
    pub error: bool,
}

/// One trace beat of layer `layer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceBeat {
    pub cycle: u64,
    pub layer: usize,
    pub eow: bool,
    pub m: u64,
    pub index: u64,
}

/// One applied reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetMark {
    pub cycle: u64,
    /// Input beats the DUT had accepted before the reset.
    pub accepted: usize,
    /// First beat sent after the reset (the next sample's first beat when a sample was cut).
    pub resume: usize,
    /// `m_valid` was high when the reset hit (a result waiting for `m_ready`).
    pub output_pending: bool,
}

/// How the run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every expected beat arrived (plus the tail cycles).
    Done,
    /// The watchdog fired: no progress for `watchdog` cycles.
    Hang,
    /// `max_cycles` reached.
    Timeout,
}

/// Everything one harness run observed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RawRun {
    pub outputs: Vec<OutBeat>,
    pub traces: Vec<TraceBeat>,
    pub resets: Vec<ResetMark>,
    pub status: Status,
    /// Simulated cycles.
    pub cycles: u64,
    /// Input beats accepted by the DUT in all.
    pub accepted: usize,
    /// Cycles without progress when the run ended (the watchdog's count).
    pub idle: u64,
    /// Wall time of the simulation, seconds.
    pub sim_seconds: f64,
}

impl RawRun {
    /// Parses a result file's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<RawRun, CosimError> {
        let err = |line: usize, msg: String| CosimError::Result {
            path: origin.to_string(),
            line,
            msg,
        };
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, "lcttfs-result 1")) => {}
            other => {
                return Err(err(
                    1,
                    format!(
                        "expected header \"lcttfs-result 1\", found {:?}",
                        other.map(|(_, l)| l)
                    ),
                ))
            }
        }
        let mut run = RawRun {
            outputs: Vec::new(),
            traces: Vec::new(),
            resets: Vec::new(),
            status: Status::Timeout,
            cycles: 0,
            accepted: 0,
            idle: 0,
            sim_seconds: 0.0,
        };
        let mut ended = false;
        for (i, line) in lines {
            let no = i + 1;
            let mut f = line.split_ascii_whitespace();
            let tag = f.next().unwrap_or("");
            let nums =
                |f: std::str::SplitAsciiWhitespace<'_>, n: usize| -> Result<Vec<u64>, CosimError> {
                    let v: Result<Vec<u64>, _> = f.map(str::parse::<u64>).collect();
                    match v {
                        Ok(v) if v.len() == n => Ok(v),
                        _ => Err(err(
                            no,
                            format!("expected {n} unsigned numbers after {tag:?}: {line:?}"),
                        )),
                    }
                };
            if ended {
                return Err(err(no, format!("record after the end record: {line:?}")));
            }
            match tag {
                "o" => {
                    let v = nums(f, 3)?;
                    run.outputs.push(OutBeat {
                        cycle: v[0],
                        class: v[1],
                        error: v[2] != 0,
                    });
                }
                "t" => {
                    let v = nums(f, 5)?;
                    run.traces.push(TraceBeat {
                        cycle: v[0],
                        layer: v[1] as usize,
                        eow: v[2] != 0,
                        m: v[3],
                        index: v[4],
                    });
                }
                "r" => {
                    let v = nums(f, 4)?;
                    run.resets.push(ResetMark {
                        cycle: v[0],
                        accepted: v[1] as usize,
                        resume: v[2] as usize,
                        output_pending: v[3] != 0,
                    });
                }
                "end" => {
                    run.status = match f.next() {
                        Some("done") => Status::Done,
                        Some("hang") => Status::Hang,
                        Some("timeout") => Status::Timeout,
                        other => return Err(err(no, format!("unknown end status {other:?}"))),
                    };
                    let v = nums(f, 4)?;
                    run.cycles = v[0];
                    run.accepted = v[1] as usize;
                    run.idle = v[3];
                    ended = true;
                }
                _ => return Err(err(no, format!("unknown record {line:?}"))),
            }
        }
        if !ended {
            return Err(err(
                text.lines().count(),
                "no end record: the harness stopped early (crashed or was killed)".into(),
            ));
        }
        Ok(run)
    }

    /// Reads and parses a result file.
    pub fn read(path: &Path) -> Result<RawRun, CosimError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CosimError::io("cannot read result", path, e))?;
        RawRun::parse(&text, &path.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_records() {
        let text =
            "lcttfs-result 1\nt 5 0 0 1 3\nt 6 0 1 0 0\no 9 2 0\nr 12 7 8 1\nend done 40 12 1 0\n";
        let run = RawRun::parse(text, "x").unwrap();
        assert_eq!(run.traces.len(), 2);
        assert!(run.traces[1].eow);
        assert_eq!(
            run.outputs,
            vec![OutBeat {
                cycle: 9,
                class: 2,
                error: false
            }]
        );
        assert_eq!(run.resets[0].resume, 8);
        assert!(run.resets[0].output_pending);
        assert_eq!(run.status, Status::Done);
        assert_eq!(run.cycles, 40);
    }

    #[test]
    fn refuses_garbage_with_line_numbers() {
        let e = RawRun::parse("lcttfs-result 1\no 1 2\n", "r.txt").unwrap_err();
        assert!(e.to_string().contains("r.txt, line 2"), "{e}");
        let e = RawRun::parse("lcttfs-result 1\no 1 2 0\n", "r.txt").unwrap_err();
        assert!(e.to_string().contains("no end record"), "{e}");
        let e = RawRun::parse("hello\n", "r.txt").unwrap_err();
        assert!(e.to_string().contains("header"), "{e}");
    }
}
