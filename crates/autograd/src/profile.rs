//! A per-op profiler for tensor code: the CPU form of PyTorch's
//! `torch.profiler.profile(...).key_averages().table()`.
//!
//! [`profile`] runs a closure and returns, for every tensor operation that
//! ran on this thread meanwhile, how often its forward and its backward ran
//! and how long they took, with that time split into
//!
//! - **kernel**: the arithmetic itself, the loops over the elements (the
//!   GEMM call, an elementwise loop, a reduction, a strided copy);
//! - **overhead**: everything else the op costs: checking shapes,
//!   dispatch, allocating the output, creating the graph node, cloning
//!   handles. For small tensors this is most of the time, and it is what a
//!   training step of a small model pays per op.
//!
//! The graph work of `backward` that belongs to no single op (the
//! topological sort, the map from tensors to their pending gradients,
//! adding gradients that arrive from several users, storing leaf gradients,
//! freeing nodes) is the row `autograd::engine`, all of it overhead.
//!
//! Times are *self* times: an op that calls another op (`mean` calls `sum`
//! and `mul`, `cross_entropy` calls `log_softmax`) is charged only for its
//! own part, so the rows add up to the time spent in tensor operations, and
//! for every row `kernel_ns + overhead_ns == forward_ns + backward_ns`.
//! [`Profile::total_ns`] is the wall time of the closure; what the rows do
//! not cover ([`Profile::untracked_ns`]) ran outside tensor operations (the
//! caller's own code, an optimizer written on raw slices, ...). Code
//! outside this crate can add its own rows with [`scope`] and [`kernel`].
//!
//! When no profile is running, every hook is one thread-local flag check:
//! nothing is timed, allocated or recorded. While profiling, each op pays a
//! few clock reads (about 20 ns each), which is included in its overhead.
//!
//! ```
//! use towel_autograd::{profile::profile, tensor::Tensor};
//! let w = Tensor::from_vec(vec![0.5; 64 * 32], &[64, 32]).unwrap().requires_grad();
//! let x = Tensor::from_vec(vec![1.0; 8 * 64], &[8, 64]).unwrap();
//! let ((), prof) = profile(|| {
//!     let loss = x.matmul(&w).unwrap().tanh().sum();
//!     loss.backward().unwrap();
//! });
//! let matmul = prof.row("matmul").unwrap();
//! assert_eq!((matmul.forward_calls, matmul.backward_calls), (1, 1));
//! assert_eq!(matmul.kernel_ns + matmul.overhead_ns, matmul.forward_ns + matmul.backward_ns);
//! println!("{}", prof.table());
//! ```

use std::cell::{Cell, RefCell};
use std::time::Instant;

use serde::Serialize;

/// The row that holds `backward`'s own graph work.
pub const ENGINE: &str = "autograd::engine";

/// Statistics of one operation over a profile (PyTorch's `FunctionEventAvg`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OpStats {
    /// The operation's name (`"matmul"`, `"exp"`, ...; [`ENGINE`] for
    /// backward's graph work).
    pub op: &'static str,
    /// Forward calls.
    pub forward_calls: u64,
    /// Self time of the forward calls, in nanoseconds.
    pub forward_ns: u64,
    /// Backward calls (gradient functions run).
    pub backward_calls: u64,
    /// Self time of the backward calls, in nanoseconds.
    pub backward_ns: u64,
    /// Part of `forward_ns + backward_ns` spent in arithmetic kernels.
    pub kernel_ns: u64,
    /// The rest: dispatch, checks, allocation, graph bookkeeping.
    pub overhead_ns: u64,
    /// Elements produced by the forward calls (outputs' sizes summed).
    pub forward_elements: u64,
}

impl OpStats {
    /// Forward plus backward self time.
    pub fn total_ns(&self) -> u64 {
        self.forward_ns + self.backward_ns
    }

    /// Calls, forward and backward.
    pub fn calls(&self) -> u64 {
        self.forward_calls + self.backward_calls
    }
}

/// What [`profile`] measured.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Profile {
    /// One row per operation, by total self time, largest first.
    pub rows: Vec<OpStats>,
    /// Wall time of the profiled closure, in nanoseconds.
    pub total_ns: u64,
    /// Time outside every recorded operation: `total_ns` minus the rows'
    /// times (saturating at 0).
    pub untracked_ns: u64,
}

impl Profile {
    /// The row of `op`, if it ran.
    pub fn row(&self, op: &str) -> Option<&OpStats> {
        self.rows.iter().find(|r| r.op == op)
    }

    /// Sum of the rows' kernel time.
    pub fn kernel_ns(&self) -> u64 {
        self.rows.iter().map(|r| r.kernel_ns).sum()
    }

    /// Sum of the rows' overhead time.
    pub fn overhead_ns(&self) -> u64 {
        self.rows.iter().map(|r| r.overhead_ns).sum()
    }

    /// A text table like PyTorch's `key_averages().table()`, sorted by
    /// total self time, with a totals line.
    pub fn table(&self) -> String {
        let header = [
            "op",
            "fwd calls",
            "fwd time",
            "bwd calls",
            "bwd time",
            "kernel",
            "overhead",
            "total",
            "% total",
        ];
        let mut lines: Vec<[String; 9]> = Vec::new();
        let pct = |ns: u64| {
            if self.total_ns == 0 {
                "-".to_string()
            } else {
                format!("{:.1}%", 100.0 * ns as f64 / self.total_ns as f64)
            }
        };
        for r in &self.rows {
            lines.push([
                r.op.to_string(),
                r.forward_calls.to_string(),
                fmt_ns(r.forward_ns),
                r.backward_calls.to_string(),
                fmt_ns(r.backward_ns),
                fmt_ns(r.kernel_ns),
                fmt_ns(r.overhead_ns),
                fmt_ns(r.total_ns()),
                pct(r.total_ns()),
            ]);
        }
        let sum = |f: fn(&OpStats) -> u64| self.rows.iter().map(f).sum::<u64>();
        let ops_total = sum(OpStats::total_ns);
        let totals = [
            "all ops".to_string(),
            sum(|r| r.forward_calls).to_string(),
            fmt_ns(sum(|r| r.forward_ns)),
            sum(|r| r.backward_calls).to_string(),
            fmt_ns(sum(|r| r.backward_ns)),
            fmt_ns(self.kernel_ns()),
            fmt_ns(self.overhead_ns()),
            fmt_ns(ops_total),
            pct(ops_total),
        ];
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for l in lines.iter().chain(std::iter::once(&totals)) {
            for (w, c) in widths.iter_mut().zip(l) {
                *w = (*w).max(c.chars().count());
            }
        }
        let row = |cells: &[String]| {
            let mut s = String::new();
            for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
                if i == 0 {
                    s.push_str(&format!("{c:<w$}"));
                } else {
                    s.push_str(&format!("  {c:>w$}"));
                }
            }
            s.trim_end().to_string()
        };
        let rule = "-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1));
        let mut out = String::new();
        out.push_str(&rule);
        out.push('\n');
        out.push_str(&row(&header.map(String::from)));
        out.push('\n');
        out.push_str(&rule);
        out.push('\n');
        for l in &lines {
            out.push_str(&row(l));
            out.push('\n');
        }
        out.push_str(&rule);
        out.push('\n');
        out.push_str(&row(&totals));
        out.push('\n');
        out.push_str(&format!(
            "wall time {}, of which outside tensor ops {}\n",
            fmt_ns(self.total_ns),
            fmt_ns(self.untracked_ns)
        ));
        out
    }
}

/// `1.234ms`, `56.7us`, `890ns`, as PyTorch's tables print times.
fn fmt_ns(ns: u64) -> String {
    if ns >= 1_000_000_000 {
        format!("{:.3}s", ns as f64 / 1e9)
    } else if ns >= 1_000_000 {
        format!("{:.3}ms", ns as f64 / 1e6)
    } else if ns >= 1_000 {
        format!("{:.3}us", ns as f64 / 1e3)
    } else {
        format!("{ns}ns")
    }
}

/// Forward or backward.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The op computing its output.
    Forward,
    /// The op's gradient function.
    Backward,
}

struct Frame {
    op: &'static str,
    phase: Phase,
    start: Instant,
    /// Time of nested op frames (charged to them, not to this one).
    child_ns: u64,
    /// Time of kernels run directly in this frame.
    kernel_ns: u64,
    /// Engine frames count everything as overhead.
    all_overhead: bool,
}

#[derive(Default)]
struct Recorder {
    stack: Vec<Frame>,
    rows: Vec<OpStats>,
}

impl Recorder {
    fn row(&mut self, op: &'static str) -> &mut OpStats {
        // A handful of distinct ops: a linear scan beats hashing.
        let i = match self.rows.iter().position(|r| r.op == op) {
            Some(i) => i,
            None => {
                self.rows.push(OpStats {
                    op,
                    ..OpStats::default()
                });
                self.rows.len() - 1
            }
        };
        &mut self.rows[i]
    }
}

thread_local! {
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static IN_KERNEL: Cell<bool> = const { Cell::new(false) };
    static RECORDER: RefCell<Recorder> = RefCell::new(Recorder::default());
}

/// Whether a profile is recording on this thread.
#[inline]
pub fn active() -> bool {
    ACTIVE.with(Cell::get)
}

/// Run `f` and return its result with the profile of the tensor
/// operations it ran on this thread. Profiles nest: an inner profile sees
/// only its own closure, and its rows are added to the outer one's too.
pub fn profile<R>(f: impl FnOnce() -> R) -> (R, Profile) {
    struct Restore {
        was_active: bool,
        saved: Option<Recorder>,
    }
    impl Drop for Restore {
        fn drop(&mut self) {
            // Put the outer recorder back, with this profile's rows added
            // (also when `f` panics).
            let inner = RECORDER.with(|r| std::mem::take(&mut *r.borrow_mut()));
            let mut outer = self.saved.take().unwrap_or_default();
            for row in inner.rows {
                let o = outer.row(row.op);
                o.forward_calls += row.forward_calls;
                o.forward_ns += row.forward_ns;
                o.backward_calls += row.backward_calls;
                o.backward_ns += row.backward_ns;
                o.kernel_ns += row.kernel_ns;
                o.overhead_ns += row.overhead_ns;
                o.forward_elements += row.forward_elements;
            }
            RECORDER.with(|r| *r.borrow_mut() = outer);
            ACTIVE.with(|a| a.set(self.was_active));
        }
    }
    let saved = RECORDER.with(|r| std::mem::take(&mut *r.borrow_mut()));
    let restore = Restore {
        was_active: ACTIVE.with(|a| a.replace(true)),
        saved: Some(saved),
    };
    let start = Instant::now();
    let out = f();
    let total_ns = start.elapsed().as_nanos() as u64;
    let mut rows = RECORDER.with(|r| {
        let r = r.borrow();
        r.rows.clone()
    });
    drop(restore);
    rows.sort_by(|a, b| b.total_ns().cmp(&a.total_ns()).then(a.op.cmp(b.op)));
    let covered: u64 = rows.iter().map(OpStats::total_ns).sum();
    let profile = Profile {
        untracked_ns: total_ns.saturating_sub(covered),
        rows,
        total_ns,
    };
    (out, profile)
}

/// An open op frame; closing it (drop) charges its self time to its row.
/// Made by [`scope`]; `None` when not profiling.
pub struct Scope {
    _private: (),
}

/// Open a frame for `op` in `phase`: until the returned guard is dropped,
/// time on this thread is charged to `op` (minus nested scopes, which are
/// charged to theirs). `None`, at the cost of one flag check, when no
/// profile is running.
#[inline]
pub fn scope(op: &'static str, phase: Phase) -> Option<Scope> {
    if !active() {
        return None;
    }
    open(op, phase, false);
    Some(Scope { _private: () })
}

/// The `backward` engine's own frame: all of its self time is overhead.
#[inline]
pub(crate) fn engine_scope() -> Option<Scope> {
    if !active() {
        return None;
    }
    open(ENGINE, Phase::Backward, true);
    Some(Scope { _private: () })
}

#[cold]
fn open(op: &'static str, phase: Phase, all_overhead: bool) {
    RECORDER.with(|r| {
        r.borrow_mut().stack.push(Frame {
            op,
            phase,
            start: Instant::now(),
            child_ns: 0,
            kernel_ns: 0,
            all_overhead,
        })
    });
}

impl Drop for Scope {
    fn drop(&mut self) {
        let end = Instant::now();
        RECORDER.with(|r| {
            let mut r = r.borrow_mut();
            let Some(frame) = r.stack.pop() else { return };
            let elapsed = end.duration_since(frame.start).as_nanos() as u64;
            let self_ns = elapsed.saturating_sub(frame.child_ns);
            let kernel_ns = if frame.all_overhead {
                0
            } else {
                frame.kernel_ns.min(self_ns)
            };
            if let Some(parent) = r.stack.last_mut() {
                parent.child_ns += elapsed;
            }
            let row = r.row(frame.op);
            match frame.phase {
                Phase::Forward => {
                    row.forward_calls += 1;
                    row.forward_ns += self_ns;
                }
                Phase::Backward => {
                    row.backward_calls += 1;
                    row.backward_ns += self_ns;
                }
            }
            row.kernel_ns += kernel_ns;
            row.overhead_ns += self_ns - kernel_ns;
        });
    }
}

/// Note that the current forward frame produced `n` elements.
#[inline]
pub(crate) fn produced(n: usize) {
    if !active() {
        return;
    }
    RECORDER.with(|r| {
        let mut r = r.borrow_mut();
        if let Some(op) = r.stack.last().map(|f| f.op) {
            r.row(op).forward_elements += n as u64;
        }
    });
}

/// Run the arithmetic `f`, charging its time to the innermost open scope
/// as kernel time. Outside a profile this is a flag check and a call.
#[inline]
pub fn kernel<T>(f: impl FnOnce() -> T) -> T {
    if !active() || IN_KERNEL.with(Cell::get) {
        return f();
    }
    // A kernel inside a kernel (a copy inside a reduction) is timed once.
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            IN_KERNEL.with(|k| k.set(false));
        }
    }
    IN_KERNEL.with(|k| k.set(true));
    let leave = Leave;
    let start = Instant::now();
    let out = f();
    let ns = start.elapsed().as_nanos() as u64;
    drop(leave);
    RECORDER.with(|r| {
        if let Some(frame) = r.borrow_mut().stack.last_mut() {
            frame.kernel_ns += ns;
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_recorded_outside_a_profile() {
        let s = scope("x", Phase::Forward);
        assert!(s.is_none());
        assert_eq!(kernel(|| 3), 3);
        RECORDER.with(|r| assert!(r.borrow().rows.is_empty()));
    }

    #[test]
    fn self_time_excludes_nested_scopes() {
        let ((), p) = profile(|| {
            let _outer = scope("outer", Phase::Forward);
            std::thread::sleep(std::time::Duration::from_millis(2));
            {
                let _inner = scope("inner", Phase::Backward);
                kernel(|| std::thread::sleep(std::time::Duration::from_millis(3)));
            }
        });
        let (o, i) = (p.row("outer").unwrap(), p.row("inner").unwrap());
        assert_eq!((o.forward_calls, o.backward_calls), (1, 0));
        assert_eq!((i.forward_calls, i.backward_calls), (0, 1));
        assert!(o.forward_ns >= 2_000_000);
        assert!(o.forward_ns + i.backward_ns <= p.total_ns);
        assert!(i.kernel_ns >= 3_000_000);
        for r in &p.rows {
            assert_eq!(r.kernel_ns + r.overhead_ns, r.total_ns());
        }
        assert!(p.rows.iter().map(OpStats::total_ns).sum::<u64>() <= p.total_ns);
        assert!(
            p.rows
                .windows(2)
                .all(|w| w[0].total_ns() >= w[1].total_ns()),
            "sorted by total time"
        );
    }

    #[test]
    fn nested_profiles_add_to_the_outer_one() {
        let ((), outer) = profile(|| {
            let _a = scope("a", Phase::Forward);
            let ((), inner) = profile(|| {
                let _b = scope("b", Phase::Forward);
            });
            assert!(inner.row("a").is_none());
            assert_eq!(inner.row("b").unwrap().forward_calls, 1);
        });
        assert_eq!(outer.row("a").unwrap().forward_calls, 1);
        assert_eq!(outer.row("b").unwrap().forward_calls, 1);
        assert!(!active());
    }
}
