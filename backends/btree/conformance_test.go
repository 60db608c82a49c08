package btree

import (
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/enginetest"
	"github.com/lightningdb/lightning/engine/vfs"
)

// openOn is the kit's OpenFunc: the btree engine on fs, with 4 KiB pages
// so that the kit's small data sets still build trees of several levels.
func openOn(fs vfs.FS, dir string, opts *engine.Options) (engine.Engine, error) {
	opts.FS = fs
	return Open(dir, opts)
}

// TestConformance runs the kit on both write paths: through the write
// buffer (the default) and straight into the tree.
func TestConformance(t *testing.T) {
	for _, buffered := range []string{"true", "false"} {
		t.Run("write_buffer="+buffered, func(t *testing.T) {
			enginetest.Run(t, openOn, enginetest.WithOptions(func(o *engine.Options) {
				if o.Extra == nil {
					o.Extra = map[string]string{}
				}
				o.Extra[OptPageSize] = "4096"
				o.Extra[OptWriteBuffer] = buffered
			}))
		})
	}
}
