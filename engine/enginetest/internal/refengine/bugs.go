package refengine

import "fmt"

// Bug selects a deliberately broken variant of the reference engine. The
// kit's self-test (TestBroken) runs the kit on each and requires it to
// fail in the named subtest.
type Bug int

// The variants.
const (
	// NoBug is the correct engine.
	NoBug Bug = iota
	// BugDropNewestSynced forgets the newest record of the log at Open:
	// the last write, even a synced one, is lost on reopen.
	BugDropNewestSynced
	// BugIterSkip makes Next skip the entry after the third entry in an
	// iterator's bounds.
	BugIterSkip
	// BugSnapshotSeesLater makes a snapshot's Get read the live data, so
	// it sees writes made after the snapshot (its iterators stay right).
	BugSnapshotSeesLater
	// BugStaleAfterDelete makes Delete forget to remove the key from the
	// hot-row cache that Get consults first: Get returns the deleted value
	// while iterators do not show it.
	BugStaleAfterDelete
	// BugIgnoreCorruption skips the payload checksum check at replay, so a
	// damaged value is served as if it were right.
	BugIgnoreCorruption
	// BugSwallowWriteError ignores an error from the log Write: the write
	// is acknowledged though nothing reached the file.
	BugSwallowWriteError
	numBugs
)

var bugNames = [numBugs]string{
	NoBug:                "none",
	BugDropNewestSynced:  "drop-newest-synced",
	BugIterSkip:          "iter-skip",
	BugSnapshotSeesLater: "snapshot-sees-later",
	BugStaleAfterDelete:  "stale-after-delete",
	BugIgnoreCorruption:  "ignore-corruption",
	BugSwallowWriteError: "swallow-write-error",
}

// String returns the variant's name, as ParseBug reads it.
func (b Bug) String() string {
	if b >= 0 && b < numBugs {
		return bugNames[b]
	}
	return fmt.Sprintf("Bug(%d)", int(b))
}

// Bugs returns every broken variant (not NoBug).
func Bugs() []Bug {
	var bs []Bug
	for b := NoBug + 1; b < numBugs; b++ {
		bs = append(bs, b)
	}
	return bs
}

// ParseBug returns the variant named name.
func ParseBug(name string) (Bug, error) {
	for b, n := range bugNames {
		if n == name {
			return Bug(b), nil
		}
	}
	return 0, fmt.Errorf("refengine: unknown bug variant %q", name)
}
