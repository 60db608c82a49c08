// Package overlay merges ordered layers into one view: the read path of a
// backend with a write buffer. The btree backend (and the hybrid one)
// reads through up to three layers, newest first: the active memtable, a
// frozen memtable being merged into the tree, and the tree itself. Iter
// merges them with the positioning semantics of engine.Iterator; Mem (or
// MemLayer) presents a memtable at a snapshot as a Layer; the backend
// supplies the tree's Layer.
//
// # Precedence and tombstones
//
// A Layer yields each key at most once, deletions included as entries with
// Deleted() true. Where several layers hold the same key, the newest layer
// (the lowest index in the slice given to New) wins and the older entries
// are shadowed: Iter shows the winner's value, or nothing if the winner is
// a deletion (tombstone), whatever the older layers hold. A tombstone in a
// layer with no older entry under it is skipped the same way. Iter never
// shows a deleted key and never shows a shadowed value.
//
// # Snapshot visibility in a memtable
//
// A memtable holds several versions of a key, ordered by sequence number
// descending. The Layer of a memtable at snapshot seq shows, for each user
// key, its newest version with a sequence number <= seq: a value, or a
// tombstone if that version is a KindDelete. Versions above seq are
// invisible; a key all of whose versions are above seq does not appear, so
// an older layer's entry for it shows through. Moving forward walks the
// skiplist's bottom level past the older versions of the key left behind;
// moving backward costs two searches (the memtable has no back links).
//
// # Positions and bounds
//
// Bounds are those of engine.IterOptions: lower inclusive, upper
// exclusive, nil unbounded. First is SeekGE(lower), Last is SeekLT(upper);
// SeekGE raises its key to lower, SeekLT lowers its key to upper. Moving
// off an end leaves the Iter not Valid; Next after moving off the low end
// acts as First, Prev after moving off the high end acts as Last, and on a
// fresh Iter Next acts as First and Prev as Last. Next off the high end and
// Prev off the low end stay false.
//
// # Direction switching
//
// Moving forward, every layer stands at its smallest key >= the current
// key k; the Iter knows which layers stand at k (the winner and the entries
// it shadows). Next steps those layers once and takes the smallest key
// again, skipping tombstones. Moving backward is the mirror image (largest
// key <= k). Prev after Next (or Next after Prev) must first move every
// layer to the other side of k: layers not at k are repositioned with
// SeekLT(k) (SeekGE(k)), which cannot land on k since they do not hold it,
// and the layers at k step once with Prev (Next), the winner last because
// k aliases its key. Switching direction thus costs one seek per layer not
// at k; steps in a steady direction cost one move per layer at k and one
// key comparison per valid layer.
//
// # Errors and memory
//
// A Layer that fails becomes invalid and reports the error; the Iter then
// stops: not Valid, every move false, Error returns the first error. A nil
// Layer gives ErrNilLayer. Key and Value alias the winning layer's slices
// and nothing is copied or allocated per move; Reset reuses an Iter.
package overlay
