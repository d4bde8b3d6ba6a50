//! A front cache of small freed blocks, in front of the wasm heap.
//!
//! Encoding one line makes dozens of short-lived small allocations (the
//! `tokenizers` crate's normalized strings, their alignments, token strings,
//! the encoding's vectors). In wasm, Talc's allocate and free were a third
//! of encode time for the Unigram tokenizer and a quarter for Llama-3:
//! each finds a bin, splits or merges neighbours and updates a bit field.
//! Natively, glibc answers most of these from a small per-size cache
//! (tcache); this is the same idea. A freed block of up to `MAX_SMALL`
//! (508) bytes goes on a list for its size class, and the next request of that
//! class takes it back in a few instructions.
//!
//! Each list holds at most `KEEP_BYTES` (64 KiB), so at most 2 MiB in all
//! is ever held back from Talc: a load that frees millions of small blocks
//! returns nearly all of them, where they can merge into large ones again.
//!
//! Measured on the benchmark corpus, interleaved fresh processes, best
//! encode rate of three against the build without it: Llama-3 +31%,
//! Qwen-3 +25%, Gemma-3 +14%, MiniLM +15%, Unigram +41%, Llama-2 +5%
//! (a first run gave +15% to +80%). Warm loads moved within the machine's
//! ±10% noise. Standing aside during loads, so that a load's blocks come
//! from fresh memory in order, measured no better, so it does not.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::mem::size_of;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicBool, Ordering};

/// Talc's chunk layout on this target: chunks are multiples of `CHUNK`
/// bytes, and each holds a request plus a `TAIL` of bookkeeping (talc 5's
/// `CHUNK_UNIT` and `TAIL_SIZE`). A class's blocks are as large as its
/// chunk allows, so a block takes exactly the memory any request of the
/// class would have taken from Talc. Were Talc's layout to change, only
/// that efficiency would change, not correctness.
const CHUNK: usize = 4 * size_of::<usize>();
const TAIL: usize = size_of::<usize>();
/// Class `k` holds blocks of `(k + 1) * CHUNK - TAIL` bytes: 12, 28, …,
/// 508 in wasm.
const CLASSES: usize = 32;
const MAX_SMALL: usize = CLASSES * CHUNK - TAIL;
/// Bytes (of chunks) kept per class, at most.
const KEEP_BYTES: usize = 64 * 1024;
/// Blocks kept per class: 4096 of the smallest, 128 of the largest.
const KEEP: [u32; CLASSES] = {
    let mut keep = [0; CLASSES];
    let mut class = 0;
    while class < CLASSES {
        keep[class] = (KEEP_BYTES / ((class + 1) * CHUNK)) as u32;
        class += 1;
    }
    keep
};

/// While set, every block is zeroed as it is freed (`zero_freed`).
static ZERO_FREED: AtomicBool = AtomicBool::new(false);

/// Zero every block as it is freed, from now until called with `false`. An
/// instance that builds a tokenizer for its image (pkg-template/node/
/// images.cjs) then leaves zero pages where the build's temporaries were,
/// and the image leaves those out. (Not in the edge build: no tokenizers.)
#[cfg(any(test, not(feature = "edge")))]
pub fn zero_freed(on: bool) {
    ZERO_FREED.store(on, Ordering::Relaxed);
}

#[inline]
fn zeroing() -> bool {
    ZERO_FREED.load(Ordering::Relaxed)
}

struct Lists {
    /// The first free block of each class; each block's first word holds
    /// the next one.
    heads: [*mut u8; CLASSES],
    lengths: [u32; CLASSES],
}

pub struct SmallBlocks<A> {
    inner: A,
    lists: UnsafeCell<Lists>,
}

// SAFETY: single-threaded wasm only (checked below, as Talc's own
// `TalcSyncCell::new_wasm` does; the host tests use their instances from one
// thread): nothing else can touch the lists while a call runs, and an
// allocator call never re-enters itself.
unsafe impl<A: Sync> Sync for SmallBlocks<A> {}

#[cfg(target_feature = "atomics")]
compile_error!("SmallBlocks assumes single-threaded wasm; with atomics it would need a lock");

impl<A> SmallBlocks<A> {
    pub const fn new(inner: A) -> Self {
        SmallBlocks {
            inner,
            lists: UnsafeCell::new(Lists {
                heads: [null_mut(); CLASSES],
                lengths: [0; CLASSES],
            }),
        }
    }
}

/// The class of a request this cache serves, if it serves it: small, and
/// aligned no more than every block is (chunks are `CHUNK`-aligned).
#[inline]
fn class_of(layout: Layout) -> Option<usize> {
    (layout.size() <= MAX_SMALL && layout.align() <= CHUNK).then(|| (layout.size() + TAIL).saturating_sub(1) / CHUNK)
}

/// The layout every block of `class` is allocated with, whatever the
/// request's own size, so that any block of the class serves any request.
#[inline]
fn class_layout(class: usize) -> Layout {
    // SAFETY: nonzero size up to MAX_SMALL, power-of-two alignment.
    unsafe { Layout::from_size_align_unchecked((class + 1) * CHUNK - TAIL, CHUNK) }
}

unsafe impl<A: GlobalAlloc> GlobalAlloc for SmallBlocks<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout) else {
            return self.inner.alloc(layout);
        };
        let lists = &mut *self.lists.get();
        let head = lists.heads[class];
        if head.is_null() {
            return self.inner.alloc(class_layout(class));
        }
        lists.heads[class] = *(head as *mut *mut u8);
        lists.lengths[class] -= 1;
        head
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(class) = class_of(layout) else {
            if zeroing() {
                ptr.write_bytes(0, layout.size());
            }
            return self.inner.dealloc(ptr, layout);
        };
        if zeroing() {
            // The whole block: an earlier request of its class may have used all of it.
            ptr.write_bytes(0, class_layout(class).size());
        }
        let lists = &mut *self.lists.get();
        if lists.lengths[class] >= KEEP[class] {
            return self.inner.dealloc(ptr, class_layout(class));
        }
        *(ptr as *mut *mut u8) = lists.heads[class];
        lists.heads[class] = ptr;
        lists.lengths[class] += 1;
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        match (class_of(layout), class_of(new_layout)) {
            // Talc would free a moved block without zeroing it.
            (None, None) if !zeroing() => self.inner.realloc(ptr, layout, new_size),
            // The block already has room for the whole class.
            (Some(old), Some(new)) if old == new => ptr,
            _ => {
                let moved = self.alloc(new_layout);
                if !moved.is_null() {
                    core::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                moved
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;
    use std::cell::Cell;

    /// The system allocator, counting the blocks it has out.
    #[derive(Default)]
    struct Counting {
        live: Cell<i64>,
    }
    // SAFETY: the tests use it from one thread.
    unsafe impl Sync for Counting {}
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            self.live.set(self.live.get() + 1);
            System.alloc(layout)
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            self.live.set(self.live.get() - 1);
            System.dealloc(ptr, layout)
        }
    }

    /// A small deterministic generator (xorshift), so a failure replays.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn blocks_never_overlap_keep_their_bytes_and_are_aligned() {
        let heap = SmallBlocks::new(Counting::default());
        let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
        let mut state = 0x9e37_79b9_7f4a_7c15;
        let check = |&(ptr, layout, fill): &(*mut u8, Layout, u8)| {
            assert_eq!(ptr as usize % layout.align(), 0, "{layout:?}");
            // SAFETY: a live block of `layout.size()` bytes.
            let bytes = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            assert!(bytes.iter().all(|&b| b == fill), "a block was overwritten: {layout:?}");
        };
        for step in 0..200_000u32 {
            let r = next(&mut state);
            let fill = step as u8;
            match r % 4 {
                0 | 1 if live.len() < 2000 => {
                    // Mostly small sizes, some past MAX_SMALL; alignments 1..=64.
                    let size = 1 + (next(&mut state) % if r % 8 == 0 { 4096 } else { 600 }) as usize;
                    let align = 1 << (next(&mut state) % 7);
                    let layout = Layout::from_size_align(size, align).unwrap();
                    // SAFETY: nonzero size.
                    let ptr = unsafe { heap.alloc(layout) };
                    assert!(!ptr.is_null());
                    unsafe { ptr.write_bytes(fill, size) };
                    live.push((ptr, layout, fill));
                }
                2 if !live.is_empty() => {
                    let at = (next(&mut state) % live.len() as u64) as usize;
                    let block = live.swap_remove(at);
                    check(&block);
                    unsafe { heap.dealloc(block.0, block.1) };
                }
                _ if !live.is_empty() => {
                    let at = (next(&mut state) % live.len() as u64) as usize;
                    let (ptr, layout, old_fill) = live[at];
                    check(&live[at]);
                    let new_size = 1 + (next(&mut state) % 1100) as usize;
                    // SAFETY: a live block with its layout; nonzero new size.
                    let moved = unsafe { heap.realloc(ptr, layout, new_size) };
                    assert!(!moved.is_null());
                    let kept = layout.size().min(new_size);
                    let bytes = unsafe { std::slice::from_raw_parts(moved, kept) };
                    assert!(bytes.iter().all(|&b| b == old_fill), "realloc lost bytes");
                    unsafe { moved.write_bytes(fill, new_size) };
                    live[at] = (moved, Layout::from_size_align(new_size, layout.align()).unwrap(), fill);
                }
                _ => {}
            }
        }
        live.iter().for_each(check);
        for (ptr, layout, _) in live.drain(..) {
            unsafe { heap.dealloc(ptr, layout) };
        }
        // All that is still out of the system allocator is what the lists
        // hold, within their caps.
        let lists = unsafe { &*heap.lists.get() };
        let held: u32 = lists.lengths.iter().sum();
        assert_eq!(heap.inner.live.get(), i64::from(held));
        assert!(lists.lengths.iter().zip(KEEP).all(|(&length, keep)| length <= keep));
        assert!(held > 0, "the test never reused a block");
    }

    #[test]
    fn each_class_fills_the_chunk_its_requests_would_get_from_talc() {
        for size in 1..=MAX_SMALL {
            let class = class_of(Layout::from_size_align(size, 1).unwrap()).unwrap();
            assert!(class_layout(class).size() >= size);
            // Talc's chunk for a request: size plus tail, rounded up to CHUNK.
            assert_eq!((size + TAIL).div_ceil(CHUNK), class + 1, "size {size}");
        }
        assert_eq!(class_of(Layout::from_size_align(MAX_SMALL + 1, 1).unwrap()), None);
        assert_eq!(class_of(Layout::from_size_align(8, 2 * CHUNK).unwrap()), None);
    }

    #[test]
    fn while_zeroing_a_freed_block_is_zero_and_a_moved_one_keeps_its_bytes() {
        let heap = SmallBlocks::new(Counting::default());
        let small = Layout::from_size_align(20, 4).unwrap();
        let large = Layout::from_size_align(4000, 8).unwrap();
        let (a, b) = unsafe { (heap.alloc(small), heap.alloc(large)) };
        unsafe {
            a.write_bytes(0xaa, small.size());
            b.write_bytes(0xbb, large.size());
        }
        zero_freed(true);
        // A class block keeps its list link in its first word; the rest is zero.
        unsafe { heap.dealloc(a, small) };
        let rest = unsafe {
            std::slice::from_raw_parts(
                a.add(size_of::<usize>()),
                class_layout(class_of(small).unwrap()).size() - size_of::<usize>(),
            )
        };
        assert!(rest.iter().all(|&x| x == 0));
        // A large block is moved by copying (not by Talc, which would not zero the old one).
        let moved = unsafe { heap.realloc(b, large, 8000) };
        let kept = unsafe { std::slice::from_raw_parts(moved, large.size()) };
        assert!(kept.iter().all(|&x| x == 0xbb));
        zero_freed(false);
        unsafe { heap.dealloc(moved, Layout::from_size_align(8000, 8).unwrap()) };
    }

    #[test]
    fn the_lists_hold_at_most_their_caps_and_reuse_last_freed_first() {
        let heap = SmallBlocks::new(Counting::default());
        let layout = Layout::from_size_align(2 * CHUNK, 8).unwrap();
        let blocks: Vec<_> = (0..5000).map(|_| unsafe { heap.alloc(layout) }).collect();
        for &b in &blocks {
            unsafe { heap.dealloc(b, layout) };
        }
        let class = class_of(layout).unwrap();
        let kept = KEEP[class];
        assert_eq!(kept as usize, KEEP_BYTES / ((class + 1) * CHUNK));
        assert_eq!(unsafe { &*heap.lists.get() }.lengths[class], kept);
        assert_eq!(heap.inner.live.get(), i64::from(kept));
        // Any request of the class gets the last freed block back.
        let smaller = Layout::from_size_align(class * CHUNK + 1, 1).unwrap();
        assert_eq!(class_of(smaller), Some(class));
        let again = unsafe { heap.alloc(smaller) };
        assert_eq!(again, blocks[kept as usize - 1]);
        assert_eq!(heap.inner.live.get(), i64::from(kept));
    }
}
