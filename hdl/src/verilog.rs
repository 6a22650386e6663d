//! Verilog emission around rust-hdl's generator: checked generation under a chosen module
//! name, the top-level port list, and the one wrapper generator ([`Wrapper`]).
//!
//! rust-hdl names the top module after the name passed to `Block::accept` (`generate_verilog`
//! hard-codes `top`) and every sub-module instance `<parent>$<field>` (one module per
//! instance, `$` is legal in Verilog identifiers). Its top has an old-style (Verilog-95) port
//! list; DESIGN §4 asks for ANSI ports, hence [`Wrapper`], which instantiates the generated
//! core by name: every hand-described module (`ttfs_top`, `board_top`, [`ansi_wrapper`]) is
//! one of them.

use crate::prelude::*;
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
    /// A wrapper declares a name twice, or a port or wire of zero bits.
    #[error("wrapper: `{0}` is declared twice or has zero width")]
    Declaration(String),
    /// A block's field (a port, a signal or a sub-block) is named after a Verilog or
    /// SystemVerilog keyword, which simulators refuse with a bare syntax error.
    #[error(
        "`{name}` in `{path}` is a Verilog/SystemVerilog keyword: rename that field of the block"
    )]
    Keyword {
        /// The field's name.
        name: String,
        /// The instance path that holds it (`board_top$core$framer`).
        path: String,
    },
}

/// IEEE 1364-2005 Annex B and IEEE 1800-2017 Annex B keywords (Verilator reads `.v` files as
/// SystemVerilog, so `byte` or `logic` break it as surely as `end` or `buf`).
#[rustfmt::skip]
const KEYWORDS: &[&str] = &[
    "accept_on", "alias", "always", "always_comb", "always_ff", "always_latch", "and", "assert",
    "assign", "assume", "automatic", "before", "begin", "bind", "bins", "binsof", "bit", "break",
    "buf", "bufif0", "bufif1", "byte", "case", "casex", "casez", "cell", "chandle", "checker",
    "class", "clocking", "cmos", "config", "const", "constraint", "context", "continue", "cover",
    "covergroup", "coverpoint", "cross", "deassign", "default", "defparam", "design", "disable",
    "dist", "do", "edge", "else", "end", "endcase", "endchecker", "endclass", "endclocking",
    "endconfig", "endfunction", "endgenerate", "endgroup", "endinterface", "endmodule",
    "endpackage", "endprimitive", "endprogram", "endproperty", "endspecify", "endsequence",
    "endtable", "endtask", "enum", "event", "eventually", "expect", "export", "extends", "extern",
    "final", "first_match", "for", "force", "foreach", "forever", "fork", "forkjoin", "function",
    "generate", "genvar", "global", "highz0", "highz1", "if", "iff", "ifnone", "ignore_bins",
    "illegal_bins", "implements", "implies", "import", "incdir", "include", "initial", "inout",
    "input", "inside", "instance", "int", "integer", "interconnect", "interface", "intersect",
    "join", "join_any", "join_none", "large", "let", "liblist", "library", "local", "localparam",
    "logic", "longint", "macromodule", "matches", "medium", "modport", "module", "nand", "negedge",
    "nettype", "new", "nexttime", "nmos", "nor", "noshowcancelled", "not", "notif0", "notif1",
    "null", "or", "output", "package", "packed", "parameter", "pmos", "posedge", "primitive",
    "priority", "program", "property", "protected", "pull0", "pull1", "pulldown", "pullup",
    "pulsestyle_ondetect", "pulsestyle_onevent", "pure", "rand", "randc", "randcase",
    "randsequence", "rcmos", "real", "realtime", "ref", "reg", "reject_on", "release", "repeat",
    "restrict", "return", "rnmos", "rpmos", "rtran", "rtranif0", "rtranif1", "s_always",
    "s_eventually", "s_nexttime", "s_until", "s_until_with", "scalared", "sequence", "shortint",
    "shortreal", "showcancelled", "signed", "small", "soft", "solve", "specify", "specparam",
    "static", "string", "strong", "strong0", "strong1", "struct", "super", "supply0", "supply1",
    "sync_accept_on", "sync_reject_on", "table", "tagged", "task", "this", "throughout", "time",
    "timeprecision", "timeunit", "tran", "tranif0", "tranif1", "tri", "tri0", "tri1", "triand",
    "trior", "trireg", "type", "typedef", "union", "unique", "unique0", "unsigned", "until",
    "until_with", "untyped", "use", "uwire", "var", "vectored", "virtual", "void", "wait",
    "wait_order", "wand", "weak", "weak0", "weak1", "while", "wildcard", "wire", "with", "within",
    "wor", "xnor", "xor",
];

/// Finds a field whose Verilog name is a keyword: sub-block fields become instance names and
/// a block's own signals keep their field names; fields of an interface are prefixed
/// (`ev_out$valid`) and cannot collide.
#[derive(Default)]
struct KeywordProbe {
    path: Vec<String>,
    namespaces: usize,
    found: Option<(String, String)>,
}

impl KeywordProbe {
    fn check(&mut self, name: &str) {
        if self.found.is_none() && KEYWORDS.contains(&name) {
            self.found = Some((name.to_string(), self.path.join("$")));
        }
    }
}

impl Probe for KeywordProbe {
    fn visit_start_scope(&mut self, name: &str, _node: &dyn Block) {
        if !self.path.is_empty() {
            self.check(name);
        }
        self.path.push(name.to_string());
    }
    fn visit_start_namespace(&mut self, name: &str, _node: &dyn Block) {
        if self.namespaces == 0 {
            self.check(name);
        }
        self.namespaces += 1;
    }
    fn visit_atom(&mut self, name: &str, _signal: &dyn Atom) {
        if self.namespaces == 0 {
            self.check(name);
        }
    }
    fn visit_end_namespace(&mut self, _name: &str, _node: &dyn Block) {
        self.namespaces -= 1;
    }
    fn visit_end_scope(&mut self, _name: &str, _node: &dyn Block) {
        self.path.pop();
    }
}

/// Refuses a block with a field named after a Verilog or SystemVerilog keyword
/// ([`VerilogError::Keyword`]).
pub fn check_keywords<B: Block>(block: &B, module: &str) -> Result<(), VerilogError> {
    let mut probe = KeywordProbe::default();
    block.accept(module, &mut probe);
    match probe.found {
        Some((name, path)) => Err(VerilogError::Keyword { name, path }),
        None => Ok(()),
    }
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
    check_keywords(block, module)?;
    check_all(block).map_err(|e| VerilogError::Check {
        module: module.to_string(),
        detail: format!("{e:?}"),
    })?;
    let mut defines = ModuleDefines::default();
    block.accept(module, &mut defines);
    Ok(single_assignment_comb(&drop_unused_enum_localparams(
        &range_signed_localparams(&flatten_nested_indices(&defines.defines())),
    )))
}

/// Rewrites `a$3$b[0]` as `a$3$b$0` where `a$3$b` is not a signal but `a$3$b$0` is (and
/// `a$3$b[0]$c` as `a$3$b$0$c` where that is a signal): rust-hdl
/// turns only the first index of a path into a name (`self.lanes[p].w2_in[0]` becomes
/// `lanes$3$w2_in[0]`), so a vector inside a vector's element needs this to name its
/// signal. A real bit-select (`x[3]` of a declared `x`) is left alone.
pub fn flatten_nested_indices(text: &str) -> String {
    // Tokens, and those that appear at least once not followed by `[` (declared names do).
    let chars: Vec<char> = text.chars().collect();
    let spans = ident_spans(&chars);
    let token = |(start, end): (usize, usize)| chars[start..end].iter().collect::<String>();
    let mut tokens = std::collections::HashSet::new();
    let mut plain = std::collections::HashSet::new();
    for &(start, end) in &spans {
        let tok = token((start, end));
        if chars.get(end) != Some(&'[') {
            plain.insert(tok.clone());
        }
        tokens.insert(tok);
    }
    let mut out = String::with_capacity(text.len());
    // Copied up to here; a rewritten `[n]` moves it past the index's own digit token.
    let mut at = 0;
    for &(start, end) in &spans {
        if start < at {
            continue;
        }
        out.extend(&chars[at..start]);
        let tok = token((start, end));
        out.push_str(&tok);
        at = end;
        if tok.contains('$') && !plain.contains(&tok) && chars.get(end) == Some(&'[') {
            let digits: String = chars[end + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            let close = end + 1 + digits.len();
            let flat = format!("{tok}${digits}");
            // A field of the element follows as its own token (`…b[0]$valid`).
            let field = spans
                .binary_search_by_key(&(close + 1), |&(s, _)| s)
                .ok()
                .map(|i| token(spans[i]))
                .filter(|f| f.starts_with('$'));
            let named = tokens.contains(&flat)
                || field.is_some_and(|f| tokens.contains(&format!("{flat}{f}")));
            if !digits.is_empty() && chars.get(close) == Some(&']') && named {
                out.push('$');
                out.push_str(&digits);
                at = close + 1;
            }
        }
    }
    out.extend(&chars[at..]);
    out
}

/// The `(start, end)` character spans of the identifier-like tokens of `chars` (letters,
/// digits, `_` and `$`: rust-hdl's flattened names), in order.
fn ident_spans(chars: &[char]) -> Vec<(usize, usize)> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mut spans = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if is_ident(chars[i]) {
            let start = i;
            while i < chars.len() && is_ident(chars[i]) {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    spans
}

/// Drops the `localparam Enum$Variant = n;` lines that rust-hdl writes into every module
/// holding a `LogicState` signal, where the module never names them (a register of the enum
/// type only passes it through). Why: Verilator's `-Wall` flags each unused one
/// (`UNUSEDPARAM`), and the generated Verilog is kept lint clean.
pub fn drop_unused_enum_localparams(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut keep = vec![true; lines.len()];
    let mut start = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("module ") {
            start = i;
        }
        let t = line.trim();
        let Some(name) = t
            .strip_prefix("localparam ")
            .and_then(|r| r.split_once(" = "))
            .map(|(n, _)| n)
        else {
            continue;
        };
        if !name.contains('$') {
            continue;
        }
        let end = (i..lines.len())
            .find(|&j| lines[j].starts_with("endmodule"))
            .unwrap_or(lines.len());
        let used = (start..end).any(|j| j != i && has_ident(lines[j], name));
        keep[i] = used;
    }
    lines
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(l, _)| *l)
        .collect()
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

/// Suffix of the shadow variable that [`single_assignment_comb`] gives a signal. rust-hdl never
/// emits `$$` (its names join non-empty Rust identifiers with one `$`).
pub const SHADOW_SUFFIX: &str = "$$c";

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// The identifier a statement line assigns with a blocking `=` (`x = …;`, `x[i] = …;`,
/// `x[(o)+:(w)] = …;`), if it is one.
fn assigned_ident(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if !t.starts_with(is_ident_start) {
        return None;
    }
    let end = t.find(|c: char| !is_ident_char(c)).unwrap_or(t.len());
    let (name, mut rest) = t.split_at(end);
    if matches!(name, "if" | "else" | "case" | "begin" | "end" | "default") {
        return None;
    }
    rest = rest.trim_start();
    if rest.starts_with('[') {
        let mut depth = 0usize;
        let mut close = None;
        for (i, c) in rest.char_indices() {
            match c {
                '[' => depth += 1,
                ']' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = rest[close? + 1..].trim_start();
    }
    (rest.starts_with('=') && !rest.starts_with("==")).then_some(name)
}

/// Replaces every whole identifier of `line` found in `rename` by its new name.
fn rename_idents(line: &str, rename: &std::collections::BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(line.len() + 16);
    let mut chars = line.char_indices().peekable();
    let mut prev_ident = false;
    while let Some((i, c)) = chars.next() {
        if is_ident_start(c) && !prev_ident {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if !is_ident_char(d) {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            let word = &line[i..end];
            match rename.get(word) {
                Some(n) => out.push_str(n),
                None => out.push_str(word),
            }
            prev_ident = true;
        } else {
            // A digit or `'` run (`8'h1f`) must not start an identifier: `'h1f` is a literal.
            prev_ident = is_ident_char(c) || c == '\'';
            out.push(c);
        }
    }
    out
}

/// `line` contains the whole identifier `name`.
fn has_ident(line: &str, name: &str) -> bool {
    line.match_indices(name).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + name.len()..].chars().next();
        !before.is_some_and(|c| is_ident_char(c) || c == '\'' || c == '.')
            && !after.is_some_and(is_ident_char)
    })
}

/// `line` is a declaration (`reg`, `wire`, `output …`) of `name`.
fn is_declaration_of(line: &str, name: &str) -> bool {
    let Some(body) = line.trim().strip_suffix(';') else {
        return false;
    };
    let words: Vec<&str> = body.split_whitespace().collect();
    words.last() == Some(&name)
        && matches!(words.first(), Some(&("reg" | "wire" | "output" | "input")))
}

/// The `reg` declaration of a shadow for `name`, copied from `name`'s own declaration in
/// `module` (width and signedness), if `module` declares it.
fn shadow_decl(module: &[&str], name: &str) -> Option<String> {
    module.iter().find_map(|l| {
        let body = l.trim().strip_suffix(';')?;
        let words: Vec<&str> = body.split_whitespace().collect();
        let kind = words.first()?;
        if words.last() != Some(&name)
            || !matches!(*kind, "reg" | "output" | "wire")
            || words.contains(&"=")
        {
            return None;
        }
        let signed = if words.contains(&"signed") {
            " signed"
        } else {
            ""
        };
        let range = words
            .iter()
            .find(|w| w.starts_with('['))
            .map(|r| format!(" {r}"))
            .unwrap_or_default();
        Some(format!("reg{signed}{range} {name}{SHADOW_SUFFIX};"))
    })
}

/// The signals that one `always @(*)` block assigns more than once per evaluation and another
/// process reads, per module (`(module, signal)`), in the text's order. Empty after [`single_assignment_comb`].
pub fn comb_multiple_assignments(text: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for m in modules(&lines) {
        let module = &lines[m.clone()];
        for (start, end) in comb_blocks(module) {
            for name in glitching(module, start, end) {
                found.push((module_name(lines[m.start]), name.to_string()));
            }
        }
    }
    found
}

/// The signals that the block `module[start..end]` assigns more than once per evaluation and
/// that another process can see: read outside the block (a port, a sub-module connection,
/// another block). A glitch of a signal that only its own block reads wakes nobody.
fn glitching<'a>(module: &[&'a str], start: usize, end: usize) -> Vec<&'a str> {
    multiply_assigned(&module[start..end])
        .into_iter()
        .filter(|n| {
            module.iter().enumerate().any(|(i, l)| {
                !(start..end).contains(&i) && !is_declaration_of(l, n) && has_ident(l, n)
            })
        })
        .collect()
}

fn module_name(line: &str) -> String {
    line.trim_start()
        .trim_start_matches("module")
        .trim_start()
        .split(|c: char| !is_ident_char(c))
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Line ranges `module … endmodule` of `lines`.
fn modules(lines: &[&str]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut open = None;
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        if t.starts_with("module ") && open.is_none() {
            open = Some(i);
        } else if t.starts_with("endmodule") {
            if let Some(s) = open.take() {
                out.push(s..i + 1);
            }
        }
    }
    out
}

/// Line ranges (relative to `lines`) of every multi-line `always @(*) begin … end` block,
/// from the `always` line to its closing `end`, inclusive.
fn comb_blocks(lines: &[&str]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim();
        if t == "always @(*) begin" {
            let mut depth = 0i64;
            let mut j = i;
            while j < lines.len() {
                for w in lines[j].split(|c: char| !is_ident_char(c)) {
                    match w {
                        "begin" | "case" => depth += 1,
                        "end" | "endcase" => depth -= 1,
                        _ => {}
                    }
                }
                if depth == 0 {
                    break;
                }
                j += 1;
            }
            if j < lines.len() {
                out.push((i, j + 1));
            }
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// Signals assigned by more than one statement of `block`, in first-assignment order.
fn multiply_assigned<'a>(block: &[&'a str]) -> Vec<&'a str> {
    let mut count: Vec<(&str, usize)> = Vec::new();
    for l in block {
        if let Some(n) = assigned_ident(l) {
            match count.iter_mut().find(|(m, _)| *m == n) {
                Some(e) => e.1 += 1,
                None => count.push((n, 1)),
            }
        }
    }
    count
        .into_iter()
        .filter(|(_, k)| *k > 1)
        .map(|(n, _)| n)
        .collect()
}

/// Makes every combinational `always @(*)` block assign each of its signals **once** per
/// evaluation, its final value, so that no other block ever sees a transient.
///
/// Why: rust-hdl emits a block's `update` as one `always @(*)` whose statements write a
/// default and then an override (`fifo$s_data = y; if (err) fifo$s_data = y | e;`). Each write
/// is an event for every process sensitive to that signal. In an event-driven simulator
/// (Icarus Verilog, and commercial ones may schedule the same way) two blocks that glitch
/// signals the other one reads re-trigger each other forever and simulated time stops, although
/// the netlist has no loop (DESIGN §6; Verilator schedules statically and never showed it).
///
/// The fix: a signal assigned more than once in a block gets a shadow variable
/// (`name$$c`, same width and signedness) that the block computes in — every read and write of
/// `name` in the block becomes the shadow, so the statements mean what they meant — and one
/// `name = name$$c;` at the block's end. Blocks that assign each signal once are left as they
/// are. The netlist is unchanged (a shadow is a combinational wire), and
/// [`comb_multiple_assignments`] checks that none is left.
pub fn single_assignment_comb(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len() + 64);
    let mut done = 0;
    for m in modules(&lines) {
        let module = &lines[m.clone()];
        for (start, end) in comb_blocks(module) {
            let (start, end) = (m.start + start, m.start + end);
            let block = &lines[start..end];
            let names: Vec<&str> = glitching(module, start - m.start, end - m.start)
                .into_iter()
                .filter(|n| {
                    !module
                        .iter()
                        .any(|l| l.contains(&format!("{n}{SHADOW_SUFFIX}")))
                })
                .collect();
            let decls: Vec<(&str, String)> = names
                .iter()
                .filter_map(|n| shadow_decl(module, n).map(|d| (*n, d)))
                .collect();
            if decls.is_empty() {
                continue;
            }
            out.extend(lines[done..start].iter().map(|l| l.to_string()));
            let indent = &block[0][..block[0].len() - block[0].trim_start().len()];
            out.push(format!(
                "{indent}// Shadows: one assignment per signal and evaluation"
            ));
            out.extend(decls.iter().map(|(_, d)| format!("{indent}{d}")));
            let rename: std::collections::BTreeMap<&str, String> = decls
                .iter()
                .map(|(n, _)| (*n, format!("{n}{SHADOW_SUFFIX}")))
                .collect();
            let last = block.len() - 1;
            out.push(block[0].to_string());
            out.extend(block[1..last].iter().map(|l| rename_idents(l, &rename)));
            let inner = format!("{indent}    ");
            out.extend(
                decls
                    .iter()
                    .map(|(n, _)| format!("{inner}{n} = {n}{SHADOW_SUFFIX};")),
            );
            out.push(block[last].to_string());
            done = end;
        }
    }
    out.extend(lines[done..].iter().map(|l| l.to_string()));
    let mut s = out.join("\n");
    if text.ends_with('\n') {
        s.push('\n');
    }
    s
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

/// ` [w-1:0]`, or nothing for one bit: the range of a `w`-bit declaration.
pub fn range(w: usize) -> String {
    if w > 1 {
        format!(" [{}:0]", w - 1)
    } else {
        String::new()
    }
}

/// `expr` (`from` bits) zero-extended to `to ≥ from` bits.
pub fn zero_extended(expr: &str, from: usize, to: usize) -> String {
    if from < to {
        format!("{{{{{}{{1'b0}}}}, {expr}}}", to - from)
    } else {
        expr.to_string()
    }
}

/// A port of a sub-module: a plain identifier, or a rust-hdl name with `$` after the first
/// character (`trace$1$valid`), which Verilog allows.
fn check_port_name(name: &str) -> Result<(), VerilogError> {
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some(c) if is_ident_start(c)) && chars.all(is_ident_char);
    if ok {
        Ok(())
    } else {
        Err(VerilogError::BadName(name.to_string()))
    }
}

/// An instance inside a [`Wrapper`]: `module name ( .port(expr), … );`. Port names may
/// contain `$` (rust-hdl's `iface$field`); expressions are written as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    module: String,
    name: String,
    conns: Vec<(String, String)>,
}

impl Instance {
    /// An instance `name` of `module`, without connections yet.
    pub fn new(module: &str, name: &str) -> Self {
        Self {
            module: module.to_string(),
            name: name.to_string(),
            conns: vec![],
        }
    }

    /// Connects `port` of the module to `expr`, after the connections made so far.
    pub fn conn(&mut self, port: impl Into<String>, expr: impl Into<String>) -> &mut Self {
        self.conns.push((port.into(), expr.into()));
        self
    }

    /// Connects each port to the wrapper signal of the same name.
    pub fn same(&mut self, ports: &[&str]) -> &mut Self {
        for p in ports {
            self.conn(*p, *p);
        }
        self
    }

    fn render(&self, v: &mut String) -> Result<(), VerilogError> {
        check_identifier(&self.module)?;
        check_identifier(&self.name)?;
        let mut conns = Vec::with_capacity(self.conns.len());
        for (port, expr) in &self.conns {
            check_port_name(port)?;
            conns.push(format!("        .{port}({expr})"));
        }
        let _ = writeln!(
            v,
            "    {} {} (\n{}\n    );",
            self.module,
            self.name,
            conns.join(",\n")
        );
        Ok(())
    }
}

/// One statement of a [`Wrapper`]'s body, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    Comment(String),
    /// `wire [w-1:0] name;` or, with a value, `wire [w-1:0] name = value;`.
    Wire(String, usize, Option<String>),
    Assign(String, String),
    Instance(Instance),
}

/// The one generator of hand-described Verilog: a Verilog-2001 module with an ANSI port list
/// around rust-hdl generated modules (`ttfs_top`, `board_top`, the tests' `<block>_ansi`).
///
/// It holds the module name, `//` doc lines, the ports (name, direction, width) in order, and a
/// body of wires, `assign`s, comments and instances in order. [`Wrapper::render`] checks every
/// declared name (plain identifiers, each declared once) and every instance and port name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wrapper {
    name: String,
    doc: Vec<String>,
    ports: Vec<Port>,
    items: Vec<Item>,
}

impl Wrapper {
    /// An empty module `name`.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            doc: vec![],
            ports: vec![],
            items: vec![],
        }
    }

    /// A `// line` before the module.
    pub fn doc(&mut self, line: impl Into<String>) -> &mut Self {
        self.doc.push(line.into());
        self
    }

    /// Appends a port.
    pub fn port(&mut self, port: Port) -> &mut Self {
        self.ports.push(port);
        self
    }

    fn plain(&mut self, name: &str, dir: Dir, width: usize) -> &mut Self {
        self.port(Port {
            name: name.to_string(),
            dir,
            width,
            signed: false,
        })
    }

    /// Appends an input port of `width` bits.
    pub fn input(&mut self, name: &str, width: usize) -> &mut Self {
        self.plain(name, Dir::In, width)
    }

    /// Appends an output port of `width` bits.
    pub fn output(&mut self, name: &str, width: usize) -> &mut Self {
        self.plain(name, Dir::Out, width)
    }

    /// A `// text` line in the body.
    pub fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.items.push(Item::Comment(text.into()));
        self
    }

    /// `wire [width-1:0] name;`
    pub fn wire(&mut self, name: &str, width: usize) -> &mut Self {
        self.items.push(Item::Wire(name.to_string(), width, None));
        self
    }

    /// `wire [width-1:0] name = value;`
    pub fn wire_eq(&mut self, name: &str, width: usize, value: impl Into<String>) -> &mut Self {
        self.items
            .push(Item::Wire(name.to_string(), width, Some(value.into())));
        self
    }

    /// `assign lhs = expr;` (`lhs` a port or wire of the wrapper).
    pub fn assign(&mut self, lhs: &str, expr: impl Into<String>) -> &mut Self {
        self.items.push(Item::Assign(lhs.to_string(), expr.into()));
        self
    }

    /// Narrows a `wide`-bit signal to the wrapper output `out` of `width ≤ wide` bits: declares
    /// `wire [wide-1:0] wire;` (connect it to the wide instance output), `assign out =
    /// wire[width-1:0];`, and reduces the dropped bits into `unused_<out>_hi`.
    pub fn narrow(&mut self, out: &str, width: usize, wire: &str, wide: usize) -> &mut Self {
        assert!(
            (1..=wide).contains(&width),
            "wrapper: {out} ({width} bits) from {wire} ({wide} bits)"
        );
        self.wire(wire, wide);
        self.assign(out, format!("{wire}[{}:0]", width - 1));
        if width < wide {
            self.wire_eq(
                &format!("unused_{out}_hi"),
                1,
                format!("|{wire}[{}:{width}]", wide - 1),
            );
        }
        self
    }

    /// An instance (see [`Instance`]).
    pub fn instance(&mut self, instance: Instance) -> &mut Self {
        self.items.push(Item::Instance(instance));
        self
    }

    /// Every name the module declares (ports, then wires), checked: plain identifiers, each
    /// once, of at least one bit.
    fn check_declarations(&self) -> Result<(), VerilogError> {
        check_identifier(&self.name)?;
        let wires = self.items.iter().filter_map(|i| match i {
            Item::Wire(n, w, _) => Some((n, *w)),
            _ => None,
        });
        let mut seen = std::collections::BTreeSet::new();
        for (name, width) in self.ports.iter().map(|p| (&p.name, p.width)).chain(wires) {
            check_identifier(name)?;
            if width == 0 || !seen.insert(name.as_str()) {
                return Err(VerilogError::Declaration(name.clone()));
            }
        }
        Ok(())
    }

    /// The module's text, after the checks of [`Self::check_declarations`] and of every
    /// instance and assigned name.
    pub fn render(&self) -> Result<String, VerilogError> {
        self.check_declarations()?;
        let mut v = String::new();
        for line in &self.doc {
            let _ = writeln!(v, "// {line}");
        }
        let ports: Vec<String> = self
            .ports
            .iter()
            .map(|p| {
                let dir = match p.dir {
                    Dir::In => "input  wire",
                    Dir::Out => "output wire",
                    Dir::InOut => "inout  wire",
                };
                let signed = if p.signed { " signed" } else { "" };
                format!("    {dir}{signed}{} {}", range(p.width), p.name)
            })
            .collect();
        let _ = writeln!(v, "module {} (\n{}\n);", self.name, ports.join(",\n"));
        for item in &self.items {
            match item {
                Item::Comment(text) => {
                    let _ = writeln!(v, "    // {text}");
                }
                Item::Wire(name, w, None) => {
                    let _ = writeln!(v, "    wire{} {name};", range(*w));
                }
                Item::Wire(name, w, Some(value)) => {
                    let _ = writeln!(v, "    wire{} {name} = {value};", range(*w));
                }
                Item::Assign(lhs, expr) => {
                    check_identifier(lhs)?;
                    let _ = writeln!(v, "    assign {lhs} = {expr};");
                }
                Item::Instance(i) => i.render(&mut v)?,
            }
        }
        let _ = writeln!(v, "endmodule");
        Ok(v)
    }
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
    let mut w = Wrapper::new(wrapper);
    w.doc(format!(
        "ANSI wrapper around the rust-hdl generated module `{core}`."
    ));
    let mut inst = Instance::new(core, "core");
    for p in ports {
        let outer = rename(&p.name);
        inst.conn(p.name.as_str(), outer.as_str());
        w.port(Port {
            name: outer,
            ..p.clone()
        });
    }
    w.instance(inst);
    w.render()
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
