package memengine

import (
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/enginetest"
	"github.com/lightningdb/lightning/engine/vfs"
)

// TestConformance runs the engine conformance kit. memengine keeps nothing
// across Close and writes no files, so everything that needs durability
// (Persistence, Crash, Faults, Corruption, reopen in Randomized) is
// declared unsupported and skipped.
func TestConformance(t *testing.T) {
	enginetest.Run(t, func(_ vfs.FS, dir string, opts *engine.Options) (engine.Engine, error) {
		return Open(dir, opts)
	}, enginetest.Unsupported(enginetest.Durability, "in-memory engine: nothing survives Close, no files are written"))
}
