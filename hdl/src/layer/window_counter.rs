//! `WindowCounter`: the per-layer tick counter `m = 0..T-1` of a layer's fire window.

use crate::prim::RDff;
use rust_hdl::prelude::*;

/// Per-layer window counter: counts the ticks `m = 0 .. T-1` of one fire window; `T = 2^K`
/// by default ([`WindowCounter::new`]), or any `T ≤ 2^K` ([`WindowCounter::with_ticks`]).
///
/// Ports:
/// - `clock`, `rst` (in): clock and synchronous active-high reset (idle, `m = 0`, no `done`).
/// - `start` (in): opens a window; `m = 0` and `active` from the next cycle. A `start` while
///   a window is open restarts it. `start` wins over `advance`.
/// - `advance` (in): closes the current tick; ignored when idle. Several cycles may pass
///   between advances (a stage emits the events of tick `m` before advancing).
/// - `m` (out, `Bits<K>`): current tick, `0` when idle.
/// - `active` (out): a window is open.
/// - `last` (out): `active && m == T-1` (combinational from state only).
/// - `done` (out): one-cycle pulse in the cycle after the `advance` that closed tick `T-1`.
///
/// Latency: `start` → `active` 1 cycle; `advance` → `m + 1` 1 cycle; a window with an
/// `advance` every cycle lasts exactly `T` cycles and `done` follows 1 cycle later.
/// Cost: `K + 2` flip-flops, one `K`-bit incrementer, one `K`-bit equality compare.
#[derive(LogicBlock)]
pub struct WindowCounter<const K: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset, active high.
    pub rst: Signal<In, Bit>,
    /// Open a window (restart at `m = 0`).
    pub start: Signal<In, Bit>,
    /// Close the current tick.
    pub advance: Signal<In, Bit>,
    /// Current tick of the open window.
    pub m: Signal<Out, Bits<K>>,
    /// A window is open.
    pub active: Signal<Out, Bit>,
    /// The open window is at its last tick `T-1`.
    pub last: Signal<Out, Bit>,
    /// Pulse: the window has just closed.
    pub done: Signal<Out, Bit>,
    m_r: RDff<Bits<K>>,
    active_r: RDff<Bit>,
    done_r: RDff<Bit>,
    zero: Constant<Bits<K>>,
    one: Constant<Bits<K>>,
    m_last: Constant<Bits<K>>,
}

impl<const K: usize> WindowCounter<K> {
    /// A counter for windows of `T = 2^K` ticks (`1 <= K <= 16`).
    pub fn new() -> Self {
        Self::with_ticks(1 << K)
    }

    /// A counter for windows of `ticks = T` ticks (`2 <= T <= 2^K`; a power of two in
    /// DESIGN §2, though any `T` works here). A run-time `T` keeps one hardware type (port
    /// width `K`) for every model.
    pub fn with_ticks(ticks: usize) -> Self {
        assert!(
            (1..=16).contains(&K),
            "window counter: K = {K} not in 1..=16"
        );
        assert!(
            (2..=1 << K).contains(&ticks),
            "window counter: T = {ticks} not in 2..=2^{K}"
        );
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            start: Signal::default(),
            advance: Signal::default(),
            m: Signal::default(),
            active: Signal::default(),
            last: Signal::default(),
            done: Signal::default(),
            m_r: RDff::default(),
            active_r: RDff::default(),
            done_r: RDff::default(),
            zero: Constant::new(bits(0)),
            one: Constant::new(bits(1)),
            m_last: Constant::new(bits(ticks as u64 - 1)),
        }
    }
}

impl<const K: usize> Default for WindowCounter<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const K: usize> Logic for WindowCounter<K> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, m_r, active_r, done_r);
        self.m_r.rst.next = self.rst.val();
        self.active_r.rst.next = self.rst.val();
        self.done_r.rst.next = self.rst.val();
        self.done_r.d.next = false;
        if self.start.val() {
            self.m_r.d.next = self.zero.val();
            self.active_r.d.next = true;
        } else if self.active_r.q.val() & self.advance.val() {
            if self.m_r.q.val() == self.m_last.val() {
                self.m_r.d.next = self.zero.val();
                self.active_r.d.next = false;
                self.done_r.d.next = true;
            } else {
                self.m_r.d.next = self.m_r.q.val() + self.one.val();
            }
        }
        self.m.next = self.m_r.q.val();
        self.active.next = self.active_r.q.val();
        self.last.next = self.active_r.q.val() & (self.m_r.q.val() == self.m_last.val());
        self.done.next = self.done_r.q.val();
    }
}
