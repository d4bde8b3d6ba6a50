//! The wasm heap: Talc, fed by a source that grows linear memory in large
//! steps, behind a cache of small freed blocks (`small_blocks.rs`).
//!
//! Talc's own wasm source grows memory by exactly what one allocation needs,
//! so a heap of small allocations (a tokenizer load makes millions) grows one
//! 64 KiB page at a time. Every `memory.grow` is expensive in V8: it reports
//! the new external memory, and that starts a mark-compact GC of the JS
//! heap, so growing page by page costs a collection per page (measured:
//! docs/BENCHMARKS.md, "Design measurements"). So memory grows by as much
//! as the heap already has (at least 16 MiB, at most 64 MiB at a time): a
//! few dozen grows for any heap, and never more than 64 MiB reserved and
//! unused. Reserved pages that nothing touched cost address space, not
//! memory; the 16 MiB floor matters because every tokenizer starts a small
//! instance of its own.

use core::alloc::Layout;
use core::arch::wasm32::memory_grow;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering};

use talc::base::binning::Binning;
use talc::base::Talc;
use talc::cell::TalcSyncCell;
use talc::source::Source;
use talc::wasm::WasmBinning;

use super::small_blocks::SmallBlocks;

const PAGE: usize = 64 * 1024;
const MIN_STEP_PAGES: usize = 256;
const MAX_STEP_PAGES: usize = 1024;
/// The last page stays ungrown: with all 65,536 pages, the arena's end would
/// be address 2^32, which wraps to null in a 32-bit pointer.
const MAX_PAGES: usize = u32::MAX as usize / PAGE;

/// The size of the last allocation the heap could not grow for (0: none).
/// Set inside the allocator, where nothing may allocate or call out; read by
/// the JS runtime after a trap to say the instance ran out of memory.
static EXHAUSTED: AtomicUsize = AtomicUsize::new(0);

pub fn heap_exhausted() -> usize {
    EXHAUSTED.load(Ordering::Relaxed)
}

#[global_allocator]
static ALLOCATOR: SmallBlocks<TalcSyncCell<GrowInSteps, WasmBinning>> =
    SmallBlocks::new(TalcSyncCell::new_wasm(GrowInSteps { end: None }));

/// Extends one arena at the end of linear memory (as Talc's
/// `WasmGrowAndExtend` does), in steps proportional to the memory in use.
#[derive(Debug)]
struct GrowInSteps {
    /// The end of the arena, once there is one.
    end: Option<NonNull<u8>>,
}

// SAFETY: only `talc` (the instance asking) is touched, and nothing here
// allocates.
unsafe impl Source for GrowInSteps {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        // What this allocation needs, with room for Talc's chunk header and
        // alignment (generous: the step below is far larger anyway).
        let needed = layout.size().saturating_add(layout.align()).saturating_add(4 * 16);
        let needed_pages = needed.div_ceil(PAGE);
        let current_pages = core::arch::wasm32::memory_size::<0>();
        let room = MAX_PAGES.saturating_sub(current_pages);
        if needed_pages > room {
            EXHAUSTED.store(layout.size(), Ordering::Relaxed);
            return Err(());
        }
        let step = current_pages
            .clamp(MIN_STEP_PAGES, MAX_STEP_PAGES)
            .max(needed_pages)
            .min(room);
        // Near the 4 GiB limit, a full step may not fit where the need does.
        let (previous_pages, grown_pages) = match memory_grow::<0>(step) {
            usize::MAX => match memory_grow::<0>(needed_pages) {
                usize::MAX => {
                    EXHAUSTED.store(layout.size(), Ordering::Relaxed);
                    return Err(());
                }
                previous => (previous, needed_pages),
            },
            previous => (previous, step),
        };
        let base = (previous_pages * PAGE) as *mut u8;
        let new_end = base.wrapping_add(grown_pages * PAGE);
        if let Some(old_end) = talc.source.end.take() {
            if old_end.as_ptr() == base {
                // SAFETY: the arena ends where the new memory starts, and
                // `old_end` is the end Talc returned for it.
                talc.source.end = Some(unsafe { talc.extend(old_end, new_end) });
                return Ok(());
            }
        }
        // SAFETY: freshly grown memory that nothing else uses.
        talc.source.end = unsafe { talc.claim(base, grown_pages * PAGE) };
        // Ok without new memory would have Talc ask again, forever.
        talc.source.end.map(|_| ()).ok_or(())
    }
}
