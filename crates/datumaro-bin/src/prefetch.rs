//! Software prefetching for the writers.
//!
//! An export reads a dataset that lives in many small heap blocks (every
//! annotation's attribute map, its key strings, its coordinates), allocated
//! while the source was parsed. Encoding one annotation is a few dozen
//! nanoseconds of work but each of those blocks is a cache miss, so the
//! writers were waiting on memory most of the time. Asking for the blocks
//! of the annotations a few steps ahead lets the misses overlap. A prefetch
//! is only a hint: it never faults and changes no result.

use crate::model::{Annotation, AnnotationKind, Item, Media};

/// How many annotations ahead the attribute entries and coordinates are
/// requested.
const AHEAD: usize = 4;
/// How many annotations ahead the attribute keys are requested (their
/// entries, requested `AHEAD` steps before, should have arrived).
const KEYS_AHEAD: usize = 2;

#[inline(always)]
fn touch<T: ?Sized>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetch` needs SSE, which every x86_64 CPU has (it is in
    // the target's baseline); it reads nothing and cannot fault, whatever
    // the address.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// An item's own heap blocks: its id, media path and annotation array.
fn item_blocks(item: &Item) {
    touch(item.id.as_ptr());
    // The annotation array itself, line by line (a handful of lines).
    let bytes = std::mem::size_of_val(item.annotations.as_slice()).min(2048);
    let base = item.annotations.as_ptr().cast::<u8>();
    for off in (0..bytes).step_by(64) {
        touch(base.wrapping_add(off));
    }
    if let Some(m) = &item.media {
        match m {
            Media::Image(img) => touch(img.path.as_ptr()),
            other => touch(other.path().as_ptr()),
        }
    }
}

/// An annotation's attribute entries and coordinates.
fn annotation_blocks(a: &Annotation) {
    if let Some((k, _)) = a.attributes.iter().next() {
        touch(k);
    }
    match &a.kind {
        AnnotationKind::Points { points, .. }
        | AnnotationKind::Polygon { points, .. }
        | AnnotationKind::Polyline { points, .. } => {
            // The first few lines; the hardware follows the rest.
            let bytes = std::mem::size_of_val(points.as_slice()).min(256);
            let base = points.as_ptr().cast::<u8>();
            for off in (0..bytes).step_by(64) {
                touch(base.wrapping_add(off));
            }
        }
        AnnotationKind::Caption { caption } => touch(caption.as_ptr()),
        AnnotationKind::Mask { rle, .. } => touch(rle.counts().as_ptr()),
        _ => {}
    }
}

/// The text of an annotation's first attribute key (reads its entry).
fn annotation_keys(a: &Annotation) {
    if let Some((k, _)) = a.attributes.iter().next() {
        touch(k.as_ptr());
    }
}

/// Call before encoding `items[i]`: requests the blocks of the next items
/// and of the first annotations of the next one.
pub(crate) fn items_ahead(items: &[Item], i: usize) {
    if let Some(next) = items.get(i + 2) {
        item_blocks(next);
    }
    if let Some(next) = items.get(i + 1) {
        for a in next.annotations.iter().take(AHEAD) {
            annotation_blocks(a);
        }
    }
    // This item's first entries were requested by the previous call.
    if let Some(this) = items.get(i) {
        for a in this.annotations.iter().take(KEYS_AHEAD) {
            annotation_keys(a);
        }
    }
}

/// Call before encoding `annotations[j]`: requests the blocks of the
/// annotations a few steps ahead in the same item.
pub(crate) fn annotations_ahead(annotations: &[Annotation], j: usize) {
    if let Some(a) = annotations.get(j + AHEAD) {
        annotation_blocks(a);
    }
    if let Some(a) = annotations.get(j + KEYS_AHEAD) {
        annotation_keys(a);
    }
}
