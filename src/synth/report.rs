//! Parsers of the tools' own reports: yosys `stat -json`, nextpnr `--report` JSON and, when
//! nextpnr stops before writing it (a design that does not fit), the "Device utilisation"
//! table of its log. Pure functions over text: tests feed them captured tool output.

use super::Family;
use anyhow::{Context, Result};
use hdl::target::Target;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Used / available count of one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub used: u64,
    pub available: u64,
}

/// One clock as nextpnr timed it (MHz).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Clock {
    pub achieved_mhz: f64,
    pub constraint_mhz: f64,
}

/// The resource that did not fit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overflow {
    /// Name in `synth.json` `resources` (e.g. `LC`), or nextpnr's own when unmapped.
    pub resource: String,
    /// nextpnr's name (e.g. `ICESTORM_LC`).
    pub tool_name: String,
    pub used: u64,
    pub available: u64,
}

impl Overflow {
    /// `LC (ICESTORM_LC) 6610/5280 (125 %)`.
    pub fn describe(&self) -> String {
        let pct = if self.available == 0 {
            String::new()
        } else {
            format!(
                " ({:.0} %)",
                100.0 * self.used as f64 / self.available as f64
            )
        };
        if self.resource == self.tool_name {
            format!("{} {}/{}{pct}", self.resource, self.used, self.available)
        } else {
            format!(
                "{} ({}) {}/{}{pct}",
                self.resource, self.tool_name, self.used, self.available
            )
        }
    }
}

/// First line mentioning an error (`ERROR: …` of yosys and nextpnr), trimmed.
pub fn first_error_line(text: &str) -> Option<String> {
    text.lines()
        .find(|l| l.contains("ERROR"))
        .map(|l| l.trim().to_string())
}

/// Cell counts of the whole design from yosys `stat -json` (`design.num_cells_by_type`, or
/// the sum over modules when there is no `design` entry).
pub fn yosys_cells(stat_json: &str) -> Result<BTreeMap<String, u64>> {
    let v: Value = serde_json::from_str(stat_json).context("yosys stat -json is not JSON")?;
    let mut cells = BTreeMap::new();
    let mut add = |by_type: &Value| {
        if let Some(m) = by_type.as_object() {
            for (k, n) in m {
                *cells.entry(k.clone()).or_insert(0) += n.as_u64().unwrap_or(0);
            }
        }
    };
    if let Some(d) = v.get("design").and_then(|d| d.get("num_cells_by_type")) {
        add(d);
    } else if let Some(mods) = v.get("modules").and_then(Value::as_object) {
        for m in mods.values() {
            add(&m["num_cells_by_type"]);
        }
    }
    cells.remove("$scopeinfo");
    Ok(cells)
}

/// nextpnr `--report` JSON: utilization (`{BEL type: {used, available}}`) and clocks
/// (`fmax: {clock: {achieved, constraint}}`).
pub fn nextpnr_report(text: &str) -> Result<(BTreeMap<String, Resource>, BTreeMap<String, Clock>)> {
    let v: Value = serde_json::from_str(text).context("nextpnr --report is not JSON")?;
    let mut util = BTreeMap::new();
    if let Some(m) = v.get("utilization").and_then(Value::as_object) {
        for (k, r) in m {
            util.insert(
                k.clone(),
                Resource {
                    used: r["used"].as_u64().unwrap_or(0),
                    available: r["available"].as_u64().unwrap_or(0),
                },
            );
        }
    }
    let mut clocks = BTreeMap::new();
    if let Some(m) = v.get("fmax").and_then(Value::as_object) {
        for (k, c) in m {
            if let (Some(a), Some(c)) = (c["achieved"].as_f64(), c["constraint"].as_f64()) {
                clocks.insert(
                    k.clone(),
                    Clock {
                        achieved_mhz: a,
                        constraint_mhz: c,
                    },
                );
            }
        }
    }
    Ok((util, clocks))
}

/// The "Device utilisation" table of a nextpnr log (`Info:  ICESTORM_LC:  6610/  5280  125%`),
/// printed before placement: what nextpnr saw even when it then gave up.
pub fn nextpnr_log_utilization(log: &str) -> BTreeMap<String, Resource> {
    let mut util = BTreeMap::new();
    let mut in_table = false;
    for line in log.lines() {
        let body = line.trim_start_matches("Info:").trim();
        if body.starts_with("Device utilisation") || body.starts_with("Device utilization") {
            in_table = true;
            continue;
        }
        if !in_table {
            continue;
        }
        let Some((name, rest)) = body.split_once(':') else {
            if body.is_empty() {
                continue;
            }
            break;
        };
        let Some((used, rest)) = rest.split_once('/') else {
            break;
        };
        let avail = rest.split_whitespace().next().unwrap_or("");
        match (used.trim().parse(), avail.parse()) {
            (Ok(used), Ok(available)) => {
                util.insert(name.trim().to_string(), Resource { used, available });
            }
            _ => break,
        }
    }
    util
}

fn count(cells: &BTreeMap<String, u64>, pred: impl Fn(&str) -> bool) -> u64 {
    cells.iter().filter(|(k, _)| pred(k)).map(|(_, n)| *n).sum()
}

/// `synth.json` resources: nextpnr's utilization under stable names, plus LUT4, FF and CARRY
/// counted from the yosys netlist (nextpnr packs them into LCs / slices). Availability falls
/// back to the data-sheet capacity of the target when nextpnr did not report it.
pub fn resources(
    family: Family,
    target: Target,
    util: &BTreeMap<String, Resource>,
    cells: &BTreeMap<String, u64>,
) -> BTreeMap<String, Resource> {
    let cap = target.capacity();
    let mut out = BTreeMap::new();
    for (name, bel) in family.resources() {
        let fallback = |n: &str| cap.map(|c| c.of(n));
        match util.get(*bel) {
            Some(r) => {
                out.insert(name.to_string(), *r);
            }
            None => {
                if let Some(a) = fallback(name).filter(|&a| a > 0) {
                    out.insert(
                        name.to_string(),
                        Resource {
                            used: 0,
                            available: a,
                        },
                    );
                }
            }
        }
    }
    let logic = out
        .get(family.logic_resource())
        .map(|r| r.available)
        .or(cap.map(|c| c.luts))
        .unwrap_or(0);
    match family {
        Family::Ice40 => {
            out.insert(
                "LUT4".into(),
                Resource {
                    used: count(cells, |k| k == "SB_LUT4"),
                    available: logic,
                },
            );
            out.insert(
                "FF".into(),
                Resource {
                    used: count(cells, |k| k.starts_with("SB_DFF")),
                    available: logic,
                },
            );
            out.insert(
                "CARRY".into(),
                Resource {
                    used: count(cells, |k| k == "SB_CARRY"),
                    available: logic,
                },
            );
        }
        Family::Ecp5 => {
            out.insert(
                "LUT4".into(),
                Resource {
                    used: count(cells, |k| k == "LUT4"),
                    available: logic,
                },
            );
            // One CCU2C is two LUT4 slots of a slice.
            out.insert(
                "CARRY".into(),
                Resource {
                    used: count(cells, |k| k == "CCU2C"),
                    available: logic / 2,
                },
            );
            out.entry("FF".into()).or_insert(Resource {
                used: count(cells, |k| k == "TRELLIS_FF"),
                available: logic,
            });
        }
    }
    out
}

/// The resources in display and overflow-check order: logic, registers, memories, the rest.
pub const RESOURCE_ORDER: [&str; 13] = [
    "LC",
    "TRELLIS_COMB",
    "LUT4",
    "FF",
    "CARRY",
    "EBR",
    "DP16KD",
    "SPRAM",
    "LUTRAM",
    "DSP",
    "IO",
    "GLOBAL",
    "PLL",
];

/// The first resource over its capacity: the mapped names first (logic before memories),
/// then any other BEL type nextpnr reported.
pub fn overflow(
    resources: &BTreeMap<String, Resource>,
    util: &BTreeMap<String, Resource>,
) -> Option<Overflow> {
    let bel_of = |name: &str| {
        [Family::Ice40, Family::Ecp5]
            .iter()
            .flat_map(|f| f.resources().iter())
            .find(|(n, b)| *n == name && util.contains_key(*b))
            .map(|(_, b)| b.to_string())
            .unwrap_or_else(|| name.to_string())
    };
    for name in RESOURCE_ORDER {
        if let Some(r) = resources.get(name) {
            if r.available > 0 && r.used > r.available {
                return Some(Overflow {
                    resource: name.to_string(),
                    tool_name: bel_of(name),
                    used: r.used,
                    available: r.available,
                });
            }
        }
    }
    util.iter()
        .find(|(_, r)| r.used > r.available)
        .map(|(k, r)| Overflow {
            resource: k.clone(),
            tool_name: k.clone(),
            used: r.used,
            available: r.available,
        })
}

/// (fmax of the design clock, every clock meets its constraint). The design clock is the one
/// constrained at `clock_mhz` (±0.5 %), else the slowest achieved clock.
pub fn design_clock(clocks: &BTreeMap<String, Clock>, clock_mhz: f64) -> (Option<f64>, bool) {
    if clocks.is_empty() {
        return (None, false);
    }
    let met = clocks.values().all(|c| c.achieved_mhz >= c.constraint_mhz);
    let matching = clocks
        .values()
        .filter(|c| (c.constraint_mhz - clock_mhz).abs() <= 0.005 * clock_mhz)
        .map(|c| c.achieved_mhz)
        .reduce(f64::min);
    let slowest = clocks.values().map(|c| c.achieved_mhz).reduce(f64::min);
    (matching.or(slowest), met)
}
