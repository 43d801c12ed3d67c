//! One small sort for the few places that need one. The standard `sort_unstable` is a
//! pattern-defeating quicksort whose code is instantiated per element type: 2-3.5 kB of wasm
//! each, 7.9 kB for the three element types sorted here. A heapsort is a few hundred bytes,
//! O(n log n) in every case, and fast enough for what is sorted (ids of one write, query
//! hashes, type names).

/// Sorts `v` in ascending order (not stable).
pub fn sort<T: Ord>(v: &mut [T]) {
    let n = v.len();
    for start in (0..n / 2).rev() {
        sift_down(v, start, n);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift_down(v, 0, end);
    }
}

/// Moves `v[root]` down the max-heap `v[..end]` to its place.
fn sift_down<T: Ord>(v: &mut [T], mut root: usize, end: usize) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && v[child] < v[child + 1] {
            child += 1;
        }
        if v[root] >= v[child] {
            return;
        }
        v.swap(root, child);
        root = child;
    }
}
