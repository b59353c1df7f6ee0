//! Counts the heap each step of the workload uses, in-process on
//! one thread: `cargo run --release -p vellum-datumaro --example memory -- COCO_DIR OUT_DIR`.
//!
//! For each step (COCO import, Datumaro JSON export, Datumaro JSON import)
//! it prints the peak of live heap bytes during the step above what was
//! live before it, the bytes allocated in all (reallocations count their
//! new size), and the number of allocations. Fresh memory the process
//! touches follows the peak; the allocations drive the allocator's work.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use vellum_datumaro::{ExportOptions, read_coco, read_datumaro_json, write_datumaro_json};

/// The system allocator, counting.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static TOTAL: AtomicUsize = AtomicUsize::new(0);
static CALLS: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let live = LIVE.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(live, Relaxed);
    TOTAL.fetch_add(n, Relaxed);
    CALLS.fetch_add(1, Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; the counters
// only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        grew(l.size());
        // SAFETY: forwarded as received.
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        grew(l.size());
        // SAFETY: forwarded as received.
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Relaxed);
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_sub(l.size(), Relaxed);
        grew(new);
        // SAFETY: forwarded as received.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and prints its heap figures.
fn step<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let (t0, c0) = (TOTAL.load(Relaxed), CALLS.load(Relaxed));
    let v = f();
    let mib = |b: usize| b as f64 / (1 << 20) as f64;
    println!(
        "{name}: peak {:.1} MiB, kept {:.1} MiB, allocated {:.1} MiB in {} allocations",
        mib(PEAK.load(Relaxed) - before),
        mib(LIVE.load(Relaxed).saturating_sub(before)),
        mib(TOTAL.load(Relaxed) - t0),
        CALLS.load(Relaxed) - c0
    );
    v
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let coco = PathBuf::from(args.next().ok_or("COCO_DIR")?);
    let out = PathBuf::from(args.next().ok_or("OUT_DIR")?);
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .use_current_thread()
        .build_global()?;
    let ds = step("import COCO", || read_coco(&coco))?;
    let json = out.join("json");
    let _ = std::fs::remove_dir_all(&json);
    step("export Datumaro JSON", || {
        write_datumaro_json(&ds, &json, &ExportOptions::default())
    })?;
    drop(ds);
    let ds = step("import Datumaro JSON", || read_datumaro_json(&json))?;
    step("drop", || drop(ds));
    Ok(())
}
