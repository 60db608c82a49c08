// Package gen holds the workload generators of YCSB's core workload, with
// YCSB's algorithms and constants: uniform, zipfian (Gray et al.),
// scrambled zipfian (FNV-scattered, over 10^10 items), skewed latest,
// hotspot, sequential, exponential, counters, and the acknowledged insert
// counter; YCSB's key names; and record values.
//
// Ownership: each worker owns its generators (Shared.NewWorker) and its
// Rand, so drawing a key takes no lock and writes no shared memory. What
// is shared is read-only (the zeta cache, the KeyBuilder) or one atomic
// counter touched by inserts only (AckCounter).
//
// Keys are byte-for-byte YCSB's with lightning.keyformat=ycsb (the
// default): "user" + the decimal FNV-1a hash of the key number, zero
// padded -- key number 0 is "user6284781860667377211" -- so a data set
// loaded by YCSB reads here and the other way round.
//
// Deviations from YCSB, each documented at its type: per-worker
// sequential counters with staggered starts; latest draws over Last+1
// items (YCSB over Last); zeta past 2^20 items by Euler-Maclaurin;
// eta follows the item count after growth; a hotspot with an empty hot or
// cold set sends every draw to the other; values are slices of a random
// printable buffer, not fresh random bytes.
package gen
