package lsm

import (
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/enginetest"
	"github.com/lightningdb/lightning/engine/vfs"
)

func openOn(fs vfs.FS, dir string, opts *engine.Options) (engine.Engine, error) {
	opts.FS = fs
	return Open(dir, opts)
}

func TestConformance(t *testing.T) {
	enginetest.Run(t, openOn)
}
