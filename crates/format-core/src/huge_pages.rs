//! Asking for transparent huge pages on a large output buffer.
//!
//! A writer that fills a fresh buffer of tens of MiB takes a page fault
//! every 4 KiB (thousands of them, each zeroing a page). Where the kernel
//! offers transparent huge pages on request (`madvise` mode, the common
//! default), advising the buffer makes each fault map 2 MiB instead. It is
//! only a hint: contents and results never change.

/// The size of a transparent huge page on x86_64 and most aarch64 kernels.
const HUGE_PAGE: usize = 2 << 20;

/// Advises the kernel to back the unused capacity of `buf` with huge pages
/// (Linux `madvise(MADV_HUGEPAGE)` over the 2 MiB-aligned part of it).
/// Does nothing for buffers under a few MiB, on other systems, or when the
/// kernel refuses.
pub fn prefer_huge_pages(buf: &mut Vec<u8>) {
    #[cfg(target_os = "linux")]
    {
        let spare = buf.spare_capacity_mut();
        let start = spare.as_mut_ptr() as usize;
        let end = start.saturating_add(spare.len());
        let aligned_start = start.div_ceil(HUGE_PAGE).saturating_mul(HUGE_PAGE);
        let aligned_end = end / HUGE_PAGE * HUGE_PAGE;
        if aligned_end <= aligned_start {
            return;
        }
        // SAFETY: the range lies inside `buf`'s own allocation (its unused
        // capacity, rounded inwards to whole huge pages), which no one else
        // can reach while we hold `&mut buf`; MADV_HUGEPAGE only changes how
        // the kernel backs those pages later, never their contents.
        let _ = unsafe {
            libc::madvise(
                aligned_start as *mut libc::c_void,
                aligned_end - aligned_start,
                libc::MADV_HUGEPAGE,
            )
        };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buf;
}
