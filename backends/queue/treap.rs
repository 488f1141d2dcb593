//! An intrusive treap: a binary search tree keyed by address whose nodes also form a max-heap
//! on a random priority, which keeps its expected depth O(log n) whatever order keys arrive in.
//!
//! Intrusive: the nodes belong to the caller (they live in the waiters, on the waiting threads'
//! stacks) and the treap only links them, so it never allocates. It holds raw pointers, and
//! every operation is `unsafe` with one rule: each node passed in or linked in stays alive, at
//! the same place, and is touched by nobody else, until it is removed or the treap is gone.
//! (The bucket lock provides the "nobody else".)

use core::ptr::NonNull;

type Link = Option<NonNull<Node>>;

/// The part of a waiter the treap links. Its fields are the treap's alone while it is linked.
#[derive(Debug)]
pub(crate) struct Node {
    key: usize,
    priority: u32,
    parent: Link,
    /// `children[0]` holds smaller keys, `children[1]` larger ones.
    children: [Link; 2],
}

impl Node {
    /// An unlinked node for `key`.
    pub(crate) const fn new(key: usize) -> Self {
        Self { key, priority: 0, parent: None, children: [None, None] }
    }

    pub(crate) fn key(&self) -> usize {
        self.key
    }

    /// Gives a node that no treap links another key (a waiter moved to another address).
    /// Its other fields may still hold what its last treap left; `insert` resets them.
    pub(crate) fn set_key(&mut self, key: usize) {
        self.key = key;
    }
}

/// The root, and a small random generator for priorities.
#[derive(Debug)]
pub(crate) struct Treap {
    root: Link,
    /// xorshift32 state: never zero.
    rng: u32,
}

// SAFETY: the treap is only pointers to nodes owned elsewhere; whoever shares it (a bucket)
// guards every access with a lock, which is what makes sending it across threads sound.
unsafe impl Send for Treap {}

impl Treap {
    pub(crate) const fn new() -> Self {
        Self { root: None, rng: 0x9E37_79B9 }
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// The node with `key`, if one is linked.
    ///
    /// # Safety
    ///
    /// Every linked node is alive (the module rule).
    pub(crate) unsafe fn find(&self, key: usize) -> Option<NonNull<Node>> {
        let mut cursor = self.root;
        while let Some(node) = cursor {
            // SAFETY: linked nodes are alive.
            let n = unsafe { node.as_ref() };
            if key == n.key {
                return Some(node);
            }
            cursor = n.children[usize::from(key > n.key)];
        }
        None
    }

    /// Links `node`, whose key must not be in the treap yet.
    ///
    /// # Safety
    ///
    /// `node` is alive, unlinked, and stays put until removed; its key is not present.
    pub(crate) unsafe fn insert(&mut self, mut node: NonNull<Node>) {
        let priority = self.next_priority();
        // SAFETY: the caller hands the node over; nobody else touches it now.
        let key = unsafe {
            let n = node.as_mut();
            n.priority = priority;
            n.parent = None;
            n.children = [None, None];
            n.key
        };

        // Descend as in any binary search tree, and hang the node as a leaf.
        let mut parent: Link = None;
        let mut side = 0;
        let mut cursor = self.root;
        while let Some(current) = cursor {
            // SAFETY: linked nodes are alive.
            let c = unsafe { current.as_ref() };
            debug_assert_ne!(c.key, key, "the key is already in the treap");
            side = usize::from(key > c.key);
            parent = Some(current);
            cursor = c.children[side];
        }
        // SAFETY: `node` and `parent` are alive; we own their links under the module rule.
        unsafe {
            node.as_mut().parent = parent;
            self.set_child(parent, side, Some(node));
        }

        // Then restore the heap order: rotate the node up past every parent of lower priority.
        // SAFETY: as above, every node reached is linked, hence alive.
        unsafe {
            while let Some(parent) = node.as_ref().parent {
                if parent.as_ref().priority >= priority {
                    break;
                }
                self.rotate_up(node);
            }
        }
    }

    /// Unlinks `node`.
    ///
    /// # Safety
    ///
    /// `node` is linked in this treap (and so, like every linked node, alive).
    pub(crate) unsafe fn remove(&mut self, node: NonNull<Node>) {
        // Rotate the node down, each time lifting its child of higher priority above it, until
        // it has at most one child; then splice it out.
        // SAFETY: `node` and all nodes reached through links are linked, hence alive.
        unsafe {
            loop {
                let [left, right] = node.as_ref().children;
                let child = match (left, right) {
                    (Some(l), Some(r)) => {
                        if l.as_ref().priority > r.as_ref().priority {
                            l
                        } else {
                            r
                        }
                    }
                    (only, None) | (None, only) => {
                        let parent = node.as_ref().parent;
                        if let Some(mut only) = only {
                            only.as_mut().parent = parent;
                        }
                        self.replace_in_parent(node, only);
                        return;
                    }
                };
                self.rotate_up(child);
            }
        }
    }

    /// Puts `new` in the place of `old`, which has the same key: O(1), no rebalancing.
    ///
    /// # Safety
    ///
    /// `old` is linked in this treap; `new` is alive, unlinked, has `old`'s key, and stays put
    /// until removed.
    pub(crate) unsafe fn replace(&mut self, old: NonNull<Node>, mut new: NonNull<Node>) {
        // SAFETY: `old` is linked and `new` is handed over; their neighbours are linked.
        unsafe {
            let o = old.as_ref();
            debug_assert_eq!(o.key, new.as_ref().key);
            let n = new.as_mut();
            n.priority = o.priority;
            n.parent = o.parent;
            n.children = o.children;
            for mut child in o.children.into_iter().flatten() {
                child.as_mut().parent = Some(new);
            }
            self.replace_in_parent(old, Some(new));
        }
    }

    /// Rotates `node` above its parent, keeping the search order.
    ///
    /// # Safety
    ///
    /// `node` is linked and has a parent.
    unsafe fn rotate_up(&mut self, mut node: NonNull<Node>) {
        // SAFETY: `node`, its parent, grandparent and the moved subtree are all linked.
        unsafe {
            let mut parent = node.as_ref().parent.expect("rotate_up needs a parent");
            let grandparent = parent.as_ref().parent;
            // `node` is on `side` of its parent; its subtree on the other side changes parent.
            let side = usize::from(parent.as_ref().children[1] == Some(node));
            let moved = node.as_ref().children[side ^ 1];

            parent.as_mut().children[side] = moved;
            if let Some(mut moved) = moved {
                moved.as_mut().parent = Some(parent);
            }
            self.replace_in_parent(parent, Some(node));
            node.as_mut().parent = grandparent;
            node.as_mut().children[side ^ 1] = Some(parent);
            parent.as_mut().parent = Some(node);
        }
    }

    /// Makes whatever pointed down at `old` (its parent, or the root) point at `new` instead.
    /// `new`'s own parent link is the caller's business.
    ///
    /// # Safety
    ///
    /// `old` is linked.
    unsafe fn replace_in_parent(&mut self, old: NonNull<Node>, new: Link) {
        // SAFETY: `old` and its parent are linked.
        unsafe {
            let parent = old.as_ref().parent;
            let side = match parent {
                Some(p) => usize::from(p.as_ref().children[1] == Some(old)),
                None => 0,
            };
            self.set_child(parent, side, new);
        }
    }

    /// # Safety
    ///
    /// `parent`, if any, is alive and ours to modify.
    unsafe fn set_child(&mut self, parent: Link, side: usize, child: Link) {
        match parent {
            // SAFETY: the caller's rule.
            Some(mut p) => unsafe { p.as_mut().children[side] = child },
            None => self.root = child,
        }
    }

    /// xorshift32: uniform enough for balancing, no state beyond one word, never zero.
    fn next_priority(&mut self) -> u32 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        x
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::boxed::Box;
    use std::collections::BTreeMap;
    use std::vec::Vec;

    /// Walks the whole treap, checking every invariant; returns the keys in order and the depth.
    fn check(treap: &Treap) -> (Vec<usize>, usize) {
        fn walk(
            node: Link,
            parent: Link,
            lo: Option<usize>,
            hi: Option<usize>,
            keys: &mut Vec<usize>,
        ) -> usize {
            let Some(ptr) = node else { return 0 };
            // SAFETY: the tests keep every linked node alive in their arena.
            let n = unsafe { ptr.as_ref() };
            assert_eq!(n.parent, parent, "parent link of {}", n.key);
            assert!(
                lo.map_or(true, |lo| n.key > lo) && hi.map_or(true, |hi| n.key < hi),
                "search order"
            );
            for child in n.children.into_iter().flatten() {
                // SAFETY: as above.
                let c = unsafe { child.as_ref() };
                assert!(c.priority <= n.priority, "heap order");
            }
            let left = walk(n.children[0], node, lo, Some(n.key), keys);
            keys.push(n.key);
            let right = walk(n.children[1], node, Some(n.key), hi, keys);
            1 + left.max(right)
        }
        let mut keys = Vec::new();
        let depth = walk(treap.root, None, None, None, &mut keys);
        (keys, depth)
    }

    /// A deterministic generator for the test's choices (not the treap's).
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n
        }
    }

    /// Nodes for the tests, each allocated once and afterwards reached only through its
    /// `NonNull`, as the queue reaches waiters: a fresh `&mut` to a linked node would
    /// invalidate the pointers the treap holds to it.
    struct Arena(Vec<NonNull<Node>>);
    impl Arena {
        fn node(&mut self, key: usize) -> NonNull<Node> {
            let node = NonNull::from(Box::leak(Box::new(Node::new(key))));
            self.0.push(node);
            node
        }
    }
    impl Drop for Arena {
        fn drop(&mut self) {
            for node in self.0.drain(..) {
                // SAFETY: each came from `Box::leak` and is freed once, after the treap is done.
                drop(unsafe { Box::from_raw(node.as_ptr()) });
            }
        }
    }

    /// Random inserts, removals, replacements and lookups, compared step by step against a
    /// `BTreeMap` that plays the treap's role.
    fn differential(seed: u64, steps: usize, key_space: usize) {
        let mut rng = Rng(seed);
        let mut arena = Arena(Vec::new());
        let mut model: BTreeMap<usize, NonNull<Node>> = BTreeMap::new();
        let mut treap = Treap::new();
        for _ in 0..steps {
            let key = rng.below(key_space);
            match (rng.below(4), model.get(&key).copied()) {
                (0 | 1, None) => {
                    let node = arena.node(key);
                    // SAFETY: the node is fresh and lives until the arena drops.
                    unsafe { treap.insert(node) };
                    model.insert(key, node);
                }
                (0..=2, Some(node)) => {
                    // SAFETY: `node` is linked.
                    unsafe { treap.remove(node) };
                    model.remove(&key);
                }
                (3, Some(old)) => {
                    let new = arena.node(key);
                    // SAFETY: `old` is linked, `new` is fresh with the same key.
                    unsafe { treap.replace(old, new) };
                    model.insert(key, new);
                }
                _ => {}
            }
            // Lookups agree, present or absent.
            let probe = rng.below(key_space);
            // SAFETY: linked nodes live in the arena.
            let found = unsafe { treap.find(probe) };
            assert_eq!(found, model.get(&probe).copied(), "find({probe})");
        }
        let (keys, _) = check(&treap);
        assert_eq!(keys, model.keys().copied().collect::<Vec<_>>());
        assert_eq!(treap.is_empty(), model.is_empty());
    }

    #[test]
    fn matches_a_btreemap() {
        let (seeds, steps) = if cfg!(miri) { (3, 200) } else { (64, 2_000) };
        for seed in 0..seeds {
            differential(seed, steps, 64);
            differential(seed, steps, 4096);
        }
    }

    #[test]
    fn invariants_hold_after_every_step() {
        let mut rng = Rng(7);
        let mut arena = Arena(Vec::new());
        let mut treap = Treap::new();
        let mut linked = Vec::new();
        for i in 0..if cfg!(miri) { 40 } else { 300 } {
            let node = arena.node(i * 8);
            // SAFETY: fresh node, alive until the arena drops.
            unsafe { treap.insert(node) };
            linked.push(node);
            check(&treap);
        }
        while !linked.is_empty() {
            let node = linked.swap_remove(rng.below(linked.len()));
            // SAFETY: `node` is linked.
            unsafe { treap.remove(node) };
            check(&treap);
        }
        assert!(treap.is_empty());
    }

    /// Keys that arrive in order would make a plain search tree a list; the treap stays shallow.
    #[test]
    fn sorted_inserts_stay_logarithmic() {
        let n = if cfg!(miri) { 256 } else { 4096 };
        let mut arena = Arena(Vec::new());
        let mut treap = Treap::new();
        for key in 0..n {
            let node = arena.node(key);
            // SAFETY: fresh node, alive until the arena drops.
            unsafe { treap.insert(node) };
        }
        let (keys, depth) = check(&treap);
        assert_eq!(keys.len(), n);
        // Expected depth is about 3 ln n (25 for 4096); a list would be 4096 deep.
        let bound = 6 * (usize::BITS - n.leading_zeros()) as usize;
        assert!(depth <= bound, "depth {depth} for {n} sorted keys");
    }

    /// The priorities are Marsaglia's xorshift32 with the triple (13, 17, 5), whose period is
    /// every nonzero `u32`. A changed shift or an `|=` for an `^=` can leave bits stuck (all
    /// ones, or the top bits never changing) or shorten the cycle, and the treap quietly turns
    /// into a list; the depth test above may not notice, so the sequence is checked itself.
    #[test]
    fn priorities_are_xorshift32() {
        let mut treap = Treap::new();
        // The first outputs from the seed, worked out by hand outside this code.
        let first: [u32; 4] = core::array::from_fn(|_| treap.next_priority());
        assert_eq!(first, [0x510C_4619, 0xE02E_553E, 0x7BB9_8F3A, 0x0183_A8B5]);

        // Every bit takes both values, and no value comes back within many calls.
        let n = if cfg!(miri) { 1 << 10 } else { 1 << 16 };
        let mut seen = std::collections::BTreeSet::new();
        let (mut any, mut all) = (0u32, u32::MAX);
        for i in 0..n {
            let p = treap.next_priority();
            assert!(seen.insert(p), "priority {p:#x} repeated after {i} calls");
            any |= p;
            all &= p;
        }
        assert_eq!(any, u32::MAX, "some priority bits never set");
        assert_eq!(all, 0, "some priority bits never clear");
    }
}
