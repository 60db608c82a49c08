// Package enginetest is the conformance kit every Lightning backend must
// pass: one call runs the whole engine.Engine contract against a backend,
// including model-checked randomized, crash, fault-injection and
// corruption tests.
//
// # Use
//
// In the backend's tests:
//
//	func TestConformance(t *testing.T) { enginetest.Run(t, mybackend.OpenOn) }
//
// where the OpenFunc opens the backend in a directory of the given vfs.FS
// (the kit passes an in-memory vfs.MemFS, or an errorfs wrapper of one).
// A backend that lacks a capability says so explicitly, and the kit skips
// (t.Skip, with the reason) what needs it:
//
//	enginetest.Run(t, open, enginetest.Unsupported(enginetest.Durability, "in-memory engine"))
//
// Run the kit under -race too: the Concurrency subtest is designed to
// expose data races in the backend.
//
// # Subtests
//
//   - CRUD: Set/Get/Delete; overwrite; delete of an absent key; empty
//     values (present, distinct from absent); binary keys with 0x00/0xff;
//     bytewise order; the largest key and value accepted and one byte more
//     refused with ErrKeyTooLarge/ErrValueTooLarge and nothing written,
//     with small limits and with the defaults (64 KiB / 64 MiB);
//     ErrEmptyKey for Set, Delete and inside a batch (which is then not
//     applied at all); Get appends to dst; returned and passed-in buffers
//     are not shared with the engine; ErrNotFound; ErrClosed after Close.
//   - Batch: mixed batches; empty batches; the last op on a key wins;
//     a 100,000-op batch; atomic visibility to concurrent iterators and
//     snapshots.
//   - Iterator: every combination of bounds (Lower inclusive, Upper
//     exclusive) from a set of probes on, between and outside the keys,
//     with First/Last/SeekGE/SeekLT from every probe and scripted direction
//     changes, all checked against the model; iterating while writing (the
//     view stays the one at creation); 1000 iterators open at once over
//     different views; Key/Value slices not changed by writes; Close twice
//     returns ErrClosed; bounds are copied.
//   - Snapshot: a snapshot and its iterators never see later sets,
//     overwrites or deletes; many snapshots at once; snapshots survive
//     Flush (and Compact); use after Close returns ErrClosed.
//   - Persistence (Durability): Close and reopen keeps everything, deletes
//     and unsynced writes included; reopen after Flush; several reopen
//     cycles; a second Open of an open directory fails with an error
//     wrapping engine.ErrLocked, and Close releases the lock; an Open with
//     Options.ReadOnly reads everything, refuses writes with
//     engine.ErrReadOnly and changes no file (the lock file aside).
//   - Crash (Durability): see below.
//   - Faults (Durability): see below.
//   - Corruption (Durability): see below.
//   - Concurrency: writers each own a group of keys and set all of them to
//     version v in one batch (or delete them all), v = 1, 2, ...; a Set/
//     Delete writer on other keys; readers with Gets, iterators, snapshots
//     and full reverse scans; Flush (and Compact) and Metrics running
//     meanwhile. Every view must show a group entirely at one version
//     (atomicity and point-in-time views), a reader's successive views
//     never go back in time, and every read
//     must return a version between the last one acknowledged before the
//     read began and the last one started before it ended (no stale reads
//     after a delete or overwrite, no invented data). Writers are paced by
//     the readers' progress, never by time.
//   - Randomized: a seeded random op log (sets, deletes, batches, Gets with
//     dst prefixes, iterators with random bounds kept open across writes
//     and moved at random, snapshots opened, read and closed, Flush, and
//     with Durability reopen and crash-and-recover) runs on the backend and
//     on the model — a map, sorted on demand, with snapshots as copies —
//     and every result is compared. A mismatch prints the seed, the op
//     index, the last 20 ops and the replay command.
//
// If the engine implements Compacter (Compact() error), the kit calls
// Compact wherever it calls Flush to check that data and snapshots survive
// moving data around.
//
// # Capabilities
//
// Durability is the only optional capability: writes survive Close and
// reopen, Sync writes survive a crash, and all data lives in files on the
// given vfs.FS. Without it Persistence, Crash, Faults and Corruption are
// skipped, and Randomized does no reopen or crash. Capabilities are never
// guessed; the kit logs the unsupported ones at the start of Run.
//
// # Seeds and sizes
//
// Every randomized part takes its seed from the flag -enginetest.seed. At
// 0 (the default) each randomized subtest runs several time-based seeds;
// with a non-zero value it runs exactly that seed (the fixed Faults
// workload then also uses it). Each logs its seed and the command that
// replays it, e.g.
//
//	go test -run '^TestConformance$/^Randomized$' -enginetest.seed=42 .
//
// Under -short the kit keeps to a few seconds on a simple backend (fewer
// ops, seeds and flips; about 2 s on the reference engine); the full run
// goes deeper (about 7 s on the reference engine). The kit opens
// engines with small limits and sizes (MaxKeySize 1 KiB, MaxValueSize 64
// KiB, MemTableSize and WALSegmentSize 64 KiB) so that flushes and log
// rotations happen with little data; WithOptions adjusts them.
//
// # What Crash accepts
//
// A seeded random history of sets, deletes and batches, with Sync true
// and false mixed and an occasional Flush, runs on a vfs.MemFS. At random
// points the disk is copied with CrashClone — keeping only synced file
// data and synced directory entries — once cleanly and once (subtest
// TornTail) keeping a random prefix of each file's unsynced tail. Each
// copy is opened and read whole (both iteration directions, and a Get of
// every key the history touched, which must agree). The recovered state
// must equal the model state after some prefix of the history that
// includes every write acknowledged before the last acknowledged Sync
// write or Flush at the crash point: no hole, no lost synced write, no
// resurrected delete, no partial batch. The last copy of each generation
// becomes the disk the next generation writes on, so recovery after
// recovery is tested too. A failure prints the history around the last
// durable write and the closest valid state.
//
// # What Faults accepts
//
// A fixed workload — Open, n Sync writes, Flush, n mixed writes ending
// with a Sync one, Close — runs once through an errorfs counter, then once
// per op index i = 0, 1, 2 ... with an injector failing exactly op i,
// until a run completes without the injector firing. After the first
// failed call the workload makes one more Sync write (which, if
// acknowledged, must survive) and closes. Each time the injector fired,
// at least one call (Open, a write, Flush or Close) must have returned an
// error, and none may panic: a backend must surface a background error at
// the latest at its next Flush or Close, never swallow it. Then the disk
// as left and a CrashClone of it are each reopened without injection: Open
// must succeed (a failed Open or Close must still release the lock), and
// the state must be a valid prefix as for Crash, where a write whose call
// failed may be present or absent as a whole.
//
// # What Corruption accepts
//
// A known dataset is written (three rounds, each followed by Flush; Compact
// after the first), then a few more writes, and last one Sync batch not
// followed by Flush; the engine is closed. For every file below the
// engine's directory except the lock file (LockFile, default "LOCK") and
// empty files, single bytes are XOR-ed with a random non-zero mask at its
// first and last byte and at seeded offsets, each in a fresh copy of the
// disk. Each copy is opened and read whole (a Get of every key, full
// iterations in both directions). Every outcome must be either an error
// satisfying errors.Is(err, engine.ErrCorruption) — at Open, at a Get or
// ending an iteration (the keys before it must be right) — or fully
// correct data. Never wrong data, never a missing key without an error,
// never another error, never a panic (the kit recovers panics and reports
// them as failures).
//
// The one exception: if the flipped byte is among the bytes the last
// write (or the Close after it) wrote, the damage is indistinguishable
// from a torn write at the end of the log, which recovery must treat as
// the end of the log. Then the kit also accepts the state without that
// last write — lost as a whole, every read consistent with it. The kit
// finds those bytes by comparing each file with a copy of the disk taken
// just before the last write.
package enginetest
