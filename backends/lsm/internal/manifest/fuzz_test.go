package manifest

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// FuzzDecode checks that decoding never panics, that every failure wraps
// ErrDecode, and that a decoded edit re-encodes to something that decodes
// to the same edit.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{})
	f.Add((&VersionEdit{LogNum: 3, NextFileNum: 9, LastSeq: 77, FormatVersion: FormatVersion}).Encode(nil))
	f.Add((&VersionEdit{Deleted: []DeletedFile{{1, 5}}, Added: []NewFile{{2, meta(5, "a", "q", 1, 8)}}}).Encode(nil))
	f.Add([]byte{tagNewFile, 1, 5, 10, 9, 'a', 1, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var e VersionEdit
		if err := e.Decode(b); err != nil {
			if !errors.Is(err, ErrDecode) {
				t.Fatalf("error %v does not wrap ErrDecode", err)
			}
			return
		}
		var e2 VersionEdit
		if err := e2.Decode(e.Encode(nil)); err != nil {
			t.Fatalf("re-encoded edit does not decode: %v", err)
		}
		if string(e2.Encode(nil)) != string(e.Encode(nil)) {
			t.Fatalf("encoding not stable")
		}
	})
}

// FuzzLoad feeds arbitrary bytes as a MANIFEST: Load must return a state
// or an error satisfying ErrCorruption, never panic.
func FuzzLoad(f *testing.F) {
	fs := vfs.NewMem()
	_ = fs.MkdirAll("d", 0o755)
	w, err := Create(fs, "d", 1, (&Version{}).Snapshot(1, 2, 0))
	if err != nil {
		f.Fatal(err)
	}
	_ = w.Append(&VersionEdit{LastSeq: 4, Added: []NewFile{{0, meta(2, "a", "b", 1, 4)}}})
	_ = w.Append(&VersionEdit{Deleted: []DeletedFile{{0, 2}}, Added: []NewFile{{1, meta(3, "a", "b", 1, 4)}}})
	w.Close()
	good, _ := vfs.ReadFile(fs, filepath.Join("d", FileName(1)))
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		fs := vfs.NewMem()
		_ = fs.MkdirAll("d", 0o755)
		if err := vfs.WriteFileSync(fs, filepath.Join("d", FileName(1)), b); err != nil {
			t.Fatal(err)
		}
		st, err := Load(fs, "d", 1)
		if err != nil {
			if !errors.Is(err, engine.ErrCorruption) {
				t.Fatalf("error %v is not corruption", err)
			}
			return
		}
		if st.Edits == 0 {
			t.Fatalf("state without edits")
		}
	})
}

// FuzzCurrent feeds arbitrary bytes as CURRENT: ReadCurrent returns a
// MANIFEST number whose name round-trips, or a corruption error.
func FuzzCurrent(f *testing.F) {
	f.Add([]byte("MANIFEST-000001\n"))
	f.Add([]byte("MANIFEST-1234567\n"))
	f.Add([]byte("MANIFEST-000001"))
	f.Add([]byte("\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fs := vfs.NewMem()
		_ = fs.MkdirAll("d", 0o755)
		if err := vfs.WriteFileSync(fs, filepath.Join("d", CurrentName), b); err != nil {
			t.Fatal(err)
		}
		num, err := ReadCurrent(fs, "d")
		if err != nil {
			if !errors.Is(err, engine.ErrCorruption) {
				t.Fatalf("error %v is not corruption", err)
			}
			return
		}
		if FileName(num)+"\n" != string(b) {
			t.Fatalf("accepted %q as MANIFEST %d", b, num)
		}
	})
}
