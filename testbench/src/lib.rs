//! Verilator co-simulation harness.
