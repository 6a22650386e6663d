//! Verilog emission around rust-hdl's generator: checked generation under a chosen module
//! name, the top-level port list, and the thin ANSI wrapper.
//!
//! rust-hdl names the top module after the name passed to `Block::accept` (`generate_verilog`
//! hard-codes `top`) and every sub-module instance `<parent>$<field>` (one module per
//! instance, `$` is legal in Verilog identifiers). Its top has an old-style (Verilog-95) port
//! list; DESIGN §4 asks for ANSI ports, hence [`ansi_wrapper`], which instantiates the
//! generated core by name and is the only hand-written Verilog.

use rust_hdl::prelude::*;
use std::fmt::Write as _;

/// Errors of Verilog generation.
#[derive(Debug, thiserror::Error)]
pub enum VerilogError {
    /// rust-hdl's structural checks failed (open inputs, logic loops, writes to inputs).
    #[error("rust-hdl check of `{module}` failed: {detail}")]
    Check {
        /// Module being generated.
        module: String,
        /// rust-hdl's `CheckError`, formatted.
        detail: String,
    },
    /// A module name is not a plain Verilog identifier.
    #[error("`{0}` is not a plain Verilog identifier ([A-Za-z_][A-Za-z0-9_]*)")]
    BadName(String),
}

fn check_identifier(name: &str) -> Result<(), VerilogError> {
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(VerilogError::BadName(name.to_string()))
    }
}

/// Generates the Verilog of `block` (and all its sub-blocks) with the top module named
/// `module`, after rust-hdl's structural checks (which `generate_verilog` would `unwrap`).
///
/// The block's own inputs must be marked as driven from outside (`x.input.connect()`) and
/// `connect_all()` called before.
pub fn generate<B: Block>(block: &B, module: &str) -> Result<String, VerilogError> {
    check_identifier(module)?;
    check_all(block).map_err(|e| VerilogError::Check {
        module: module.to_string(),
        detail: format!("{e:?}"),
    })?;
    let mut defines = ModuleDefines::default();
    block.accept(module, &mut defines);
    Ok(range_signed_localparams(&defines.defines()))
}

/// Gives every `localparam signed NAME = W'h…;` (how rust-hdl declares a `Constant<Signed<W>>`)
/// an explicit range, `localparam signed [W-1:0] NAME = W'h…;`.
///
/// Why: IEEE 1364 makes a signed parameter without a range signed, and Verilator agrees, but
/// yosys (0.70, YosysHQ/yosys#5745) reads it as unsigned — every signed compare against it
/// (the activation's clamp bounds) silently becomes unsigned in the synthesized netlist, while
/// RTL simulation stays correct. With the range both read the same bits as signed.
pub fn range_signed_localparams(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1024);
    for line in text.split_inclusive('\n') {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        let fixed = body.strip_prefix("localparam signed ").and_then(|rest| {
            let (name, value) = rest.split_once(" = ")?;
            let width: usize = value.split_once('\'')?.0.trim().parse().ok()?;
            (!name.contains('[') && width > 0)
                .then(|| format!("{indent}localparam signed [{}:0] {rest}", width - 1))
        });
        match fixed {
            Some(f) => out.push_str(&f),
            None => out.push_str(line),
        }
    }
    out
}

/// Direction of a top-level port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// `input`
    In,
    /// `output`
    Out,
    /// `inout`
    InOut,
}

/// One port of a generated top module, as rust-hdl names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    /// Port name in the generated module (`iface$field` for interface members).
    pub name: String,
    /// Direction.
    pub dir: Dir,
    /// Width in bits.
    pub width: usize,
    /// Declared `signed`.
    pub signed: bool,
}

#[derive(Default)]
struct PortProbe {
    depth: usize,
    namespace: Vec<String>,
    ports: Vec<Port>,
}

impl Probe for PortProbe {
    fn visit_start_scope(&mut self, _name: &str, _node: &dyn Block) {
        self.depth += 1;
    }
    fn visit_start_namespace(&mut self, name: &str, _node: &dyn Block) {
        if self.depth == 1 {
            self.namespace.push(name.to_string());
        }
    }
    fn visit_atom(&mut self, name: &str, signal: &dyn Atom) {
        if self.depth != 1 {
            return;
        }
        let dir = match signal.kind() {
            AtomKind::InputParameter => Dir::In,
            AtomKind::OutputParameter | AtomKind::OutputPassthrough => Dir::Out,
            AtomKind::InOutParameter => Dir::InOut,
            _ => return,
        };
        let mut full = self.namespace.clone();
        full.push(name.to_string());
        self.ports.push(Port {
            name: full.join("$"),
            dir,
            width: signal.bits(),
            signed: matches!(signal.descriptor().kind, TypeKind::Signed(_)),
        });
    }
    fn visit_end_namespace(&mut self, _name: &str, _node: &dyn Block) {
        if self.depth == 1 {
            self.namespace.pop();
        }
    }
    fn visit_end_scope(&mut self, _name: &str, _node: &dyn Block) {
        self.depth -= 1;
    }
}

/// The ports of `block`'s generated top module, in declaration order.
pub fn ports<B: Block>(block: &B) -> Vec<Port> {
    let mut probe = PortProbe::default();
    block.accept("top", &mut probe);
    probe.ports
}

/// A Verilog-2001 module `wrapper` with an ANSI port list that instantiates the rust-hdl
/// module `core` (generated by [`generate`]) and passes every port through; `rename` maps a
/// rust-hdl port name to the wrapper's port name (e.g. `clock` → `clk`).
pub fn ansi_wrapper(
    wrapper: &str,
    core: &str,
    ports: &[Port],
    rename: impl Fn(&str) -> String,
) -> Result<String, VerilogError> {
    check_identifier(wrapper)?;
    check_identifier(core)?;
    let mut v = String::new();
    let _ = writeln!(
        v,
        "// ANSI wrapper around the rust-hdl generated module `{core}`."
    );
    let _ = writeln!(v, "module {wrapper} (");
    let decls = ports
        .iter()
        .map(|p| {
            let outer = rename(&p.name);
            check_identifier(&outer)?;
            let dir = match p.dir {
                Dir::In => "input  wire",
                Dir::Out => "output wire",
                Dir::InOut => "inout  wire",
            };
            let signed = if p.signed { " signed" } else { "" };
            let range = if p.width > 1 {
                format!(" [{}:0]", p.width - 1)
            } else {
                String::new()
            };
            Ok(format!("    {dir}{signed}{range} {outer}"))
        })
        .collect::<Result<Vec<_>, VerilogError>>()?;
    let _ = writeln!(v, "{}", decls.join(",\n"));
    let _ = writeln!(v, ");");
    let conns = ports
        .iter()
        .map(|p| format!("        .{}({})", p.name, rename(&p.name)))
        .collect::<Vec<_>>();
    let _ = writeln!(v, "    {core} core (\n{}\n    );", conns.join(",\n"));
    let _ = writeln!(v, "endmodule");
    Ok(v)
}

/// One Verilog file from rust-hdl's modules and the ANSI wrapper: a header, then `core`, then
/// `wrapper`. The header switches off Verilator's `DECLFILENAME` (a style warning that the
/// name of every module but one differs from the file name, unavoidable with one file per
/// design: rust-hdl emits a module per block instance).
pub fn single_file(core: &str, wrapper: &str) -> String {
    format!(
        "// Generated from rust-hdl {RUST_HDL_VERSION} blocks; do not edit.\n\
         /* verilator lint_off DECLFILENAME */\n{}\n\n{wrapper}",
        core.trim()
    )
}

/// The rust-hdl release the blocks are written against.
pub const RUST_HDL_VERSION: &str = "0.46";
