//! The thread pools of towel's batch operations, one home for the two
//! things every batch needs (tokenizer batches, batch search, the Python
//! package's batch methods):
//!
//! - [`pool`]: a rayon pool of `n` threads, made once per size and kept
//!   for the whole process, so a batch call never starts threads (starting
//!   them costs as much as hundreds of queries or a few hundred KB of
//!   encoding, and a caller that times its batches starts them before the
//!   clock with one warm-up call);
//! - [`in_scope`]: the calling thread works beside `helpers` tasks on such
//!   a pool instead of handing the whole batch over and sleeping until it
//!   is done: a batch of a few milliseconds would otherwise pay a wake-up
//!   of the pool and another of the caller, tens of microseconds each on a
//!   virtual machine, all of it serial.
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! let pool = towel_data::threads::pool(1).unwrap();
//! assert!(std::sync::Arc::ptr_eq(&pool, &towel_data::threads::pool(1).unwrap()));
//! let done = AtomicUsize::new(0);
//! let work = || { done.fetch_add(1, Ordering::Relaxed); };
//! let r = towel_data::threads::in_scope(Some(&pool), 1, &work, || { work(); "caller's result" });
//! assert_eq!((r, done.load(Ordering::Relaxed)), ("caller's result", 2));
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A pool of `n` threads (named `towel-0`, `towel-1`, ...), made on the
/// first call for this `n` and shared by every later one.
///
/// # Errors
/// rayon's, when the threads cannot be started (the system's thread or
/// memory limit): callers fall back to fewer threads or report it.
pub fn pool(n: usize) -> Result<Arc<rayon::ThreadPool>, rayon::ThreadPoolBuildError> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    // A map of pools holds no invariant a panic could break halfway.
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(p) = pools.get(&n) {
        return Ok(p.clone());
    }
    let p = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("towel-{i}"))
            .build()?,
    );
    pools.insert(n, p.clone());
    Ok(p)
}

/// Spawn `helpers` tasks running `helper` on `pool` (the current rayon pool
/// when `None`), run `caller` on this thread, wait for the tasks, and
/// return `caller`'s result.
pub fn in_scope<'s, R>(
    pool: Option<&rayon::ThreadPool>,
    helpers: usize,
    helper: &'s (dyn Fn() + Sync),
    caller: impl FnOnce() -> R,
) -> R {
    let body = |scope: &rayon::Scope<'s>| {
        for _ in 0..helpers {
            scope.spawn(move |_| helper());
        }
        caller()
    };
    match pool {
        Some(pool) => pool.in_place_scope(body),
        None => rayon::in_place_scope(body),
    }
}
