package btree

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// pageOwners walks a closed engine's file like Check and returns what
// uses each page id.
func pageOwners(t *testing.T, fs vfs.FS) (map[uint64]string, int) {
	t.Helper()
	s, err := openStore(storeConfig{fs: fs, dir: "db", readOnly: true})
	must(t, "openStore", err)
	defer s.close()
	c := checker{s: s, owner: map[uint64]string{}}
	_, err = c.run()
	must(t, "check", err)
	return c.owner, s.pg.l.PageSize
}

func flipByte(t *testing.T, fs *vfs.MemFS, off int64) {
	t.Helper()
	f, err := fs.OpenReadWrite(filepath.Join("db", DataFile))
	must(t, "open", err)
	defer f.Close()
	b := make([]byte, 1)
	_, err = f.ReadAt(b, off)
	must(t, "ReadAt", err)
	b[0] ^= 0x20
	_, err = f.WriteAt(b, off)
	must(t, "WriteAt", err)
	must(t, "Sync", f.Sync())
}

// openAndRead opens the engine on fs and reads everything.
func openAndRead(fs vfs.FS, opts *engine.Options) (map[string]string, error) {
	o := opts.Clone()
	o.FS = fs
	db, err := Open("db", o)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return dump(db)
}

// TestCorruptionByPageType damages one byte of one page of every type and
// of each meta page, and checks that the damage is reported as
// engine.ErrCorruption (at Open or at the read that meets it, naming the
// data file) and never returned as data; damage to a free page or to the
// older meta page is harmless.
func TestCorruptionByPageType(t *testing.T) {
	mem := vfs.NewMem()
	opts := testOptions(mem)
	db := mustOpen(t, "db", opts)
	want := map[string]string{}
	long := strings.Repeat("K", db.s.pg.l.MaxInlineKey()+10)
	for i := 0; i < 3000; i++ {
		k := fmt.Sprintf("key%05d", i)
		if i%100 == 0 {
			k = long + k
		}
		v := fmt.Sprintf("value-%d", i)
		if i%50 == 0 {
			v = strings.Repeat(v, 1000)
		}
		must(t, "Set", db.Set([]byte(k), []byte(v), engine.NoSync))
		want[k] = v
	}
	must(t, "Flush", db.Flush())
	// Overwrites after the flush leave freed pages in the free list.
	for i := 0; i < 3000; i += 3 {
		k := fmt.Sprintf("key%05d", i)
		if i%100 == 0 {
			k = long + k
		}
		must(t, "Set", db.Set([]byte(k), []byte("new"), engine.NoSync))
		want[k] = "new"
	}
	must(t, "Close", db.Close())
	owners, ps := pageOwners(t, mem)
	byType := map[string][]uint64{}
	for id, what := range owners {
		byType[what] = append(byType[what], id)
	}
	for _, what := range []string{"leaf", "branch", "key run", "value run", "free-list page", "free page"} {
		if len(byType[what]) == 0 {
			t.Fatalf("the data set has no %s: %v", what, owners)
		}
		slices.Sort(byType[what])
	}
	m0, m1 := readMetaPair(t, mem)
	newest, older := int64(0), int64(ps)
	if m1 > m0 {
		newest, older = older, newest
	}

	cases := []struct {
		name     string
		offs     []int64
		harmless bool
	}{
		{"leaf", []int64{int64(byType["leaf"][0])*int64(ps) + int64(ps)/2}, false},
		{"leaf header", []int64{int64(byType["leaf"][len(byType["leaf"])-1])*int64(ps) + 9}, false},
		{"branch", []int64{int64(byType["branch"][0])*int64(ps) + 40}, false},
		{"key run", []int64{int64(byType["key run"][0])*int64(ps) + 100}, false},
		{"value run", []int64{int64(byType["value run"][0])*int64(ps) + int64(ps) - 1}, false},
		{"free-list page", []int64{int64(byType["free-list page"][0])*int64(ps) + 50}, false},
		{"newest meta", []int64{newest + 60}, false},
		{"both metas", []int64{newest + 60, older + 60}, false},
		{"older meta", []int64{older + 60}, true},
		{"free page", []int64{int64(byType["free page"][0])*int64(ps) + 50}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := mem.Clone()
			for _, off := range tc.offs {
				flipByte(t, fs, off)
			}
			got, err := openAndRead(fs, opts)
			switch {
			case tc.harmless && err != nil:
				t.Fatalf("harmless damage reported: %v", err)
			case tc.harmless:
				if d := diff(got, want); d != "" {
					t.Fatalf("wrong data: %s", d)
				}
			case err == nil:
				t.Fatalf("damage not detected (data %s)", diff(got, want))
			case !errors.Is(err, engine.ErrCorruption):
				t.Fatalf("error %v is not corruption", err)
			case !strings.Contains(err.Error(), DataFile):
				t.Fatalf("error %v does not name the data file", err)
			default:
				t.Logf("detected: %v", err)
			}
			if !tc.harmless {
				if err := Check(fs, "db", nil); !errors.Is(err, engine.ErrCorruption) {
					t.Fatalf("Check: %v, want corruption", err)
				}
			}
		})
	}
}

// readMetaPair returns the checkpoint ids of meta pages 0 and 1.
func readMetaPair(t *testing.T, fs vfs.FS) (uint64, uint64) {
	t.Helper()
	b, err := vfs.ReadFile(fs, filepath.Join("db", DataFile))
	must(t, "ReadFile", err)
	id := func(p []byte) uint64 { return uint64(p[16]) | uint64(p[17])<<8 | uint64(p[18])<<16 | uint64(p[19])<<24 }
	ps := 4096
	if !bytes.Equal(b[32:40], []byte("LTNGBTRE")) {
		t.Fatal("no magic")
	}
	return id(b[:ps]), id(b[ps : 2*ps])
}
