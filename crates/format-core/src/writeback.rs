//! Starting the writeback of a file early, so that the `fsync` that makes it
//! durable finds little left to do.
//!
//! A large export used to hand all its pages to the disk at the final
//! `fsync`, and then wait for all of them. Asking the kernel to start
//! writing what is already written (Linux `sync_file_range` with
//! `SYNC_FILE_RANGE_WRITE`, which queues the I/O and returns) lets the disk
//! work while the writer encodes the next bytes. It is only a hint: the
//! `fsync` of [`AtomicFile::commit`](crate::AtomicFile::commit) still decides
//! durability.

use std::fs::File;

/// Asks the kernel to start writing `file`'s dirty pages to disk, without
/// waiting for them. Best effort: on other systems, or when the kernel
/// refuses, nothing happens (durability still comes from `fsync`).
pub fn start_writeback(file: &File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: sync_file_range takes a descriptor number and integers, no
        // memory; `file` keeps the descriptor open for the whole call. Offset
        // 0 with length 0 means the whole file.
        let _ =
            unsafe { libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}
