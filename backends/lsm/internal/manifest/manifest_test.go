package manifest

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

func ik(k string, seq uint64, kind engine.Kind) base.InternalKey {
	return base.MakeKey([]byte(k), seq, kind)
}

func meta(num uint64, lo, hi string, sseq, lseq uint64) *FileMeta {
	return &FileMeta{FileNum: num, Size: 100 * num, Smallest: ik(lo, lseq, engine.KindSet), Largest: ik(hi, sseq, engine.KindDelete),
		SmallestSeq: sseq, LargestSeq: lseq}
}

func TestEditRoundTrip(t *testing.T) {
	cases := []VersionEdit{
		{},
		{LogNum: 3},
		{LogNum: 3, NextFileNum: 9, LastSeq: 1 << 40, FormatVersion: FormatVersion},
		{Deleted: []DeletedFile{{0, 4}, {6, 1 << 33}}},
		{Added: []NewFile{{0, meta(5, "a", "z", 1, 9)}, {3, meta(6, "", "\xff\x00", 0, 0)}}},
		{LogNum: 1, Deleted: []DeletedFile{{1, 2}}, Added: []NewFile{{2, meta(2, "k", "k", 4, 4)}}},
	}
	for i, c := range cases {
		b := c.Encode(nil)
		var got VersionEdit
		if err := got.Decode(b); err != nil {
			t.Fatalf("case %d: Decode: %v", i, err)
		}
		if !reflect.DeepEqual(normalize(got), normalize(c)) {
			t.Errorf("case %d: round trip\n got %+v\nwant %+v", i, got, c)
		}
	}
}

// normalize clears what DeepEqual should not compare (nil vs empty).
func normalize(e VersionEdit) VersionEdit {
	if len(e.Deleted) == 0 {
		e.Deleted = nil
	}
	if len(e.Added) == 0 {
		e.Added = nil
	}
	for i, a := range e.Added {
		m := &FileMeta{FileNum: a.Meta.FileNum, Size: a.Meta.Size, Smallest: a.Meta.Smallest, Largest: a.Meta.Largest,
			SmallestSeq: a.Meta.SmallestSeq, LargestSeq: a.Meta.LargestSeq}
		if len(m.Smallest.UserKey) == 0 {
			m.Smallest.UserKey = nil
		}
		if len(m.Largest.UserKey) == 0 {
			m.Largest.UserKey = nil
		}
		e.Added[i] = NewFile{a.Level, m}
	}
	return e
}

func TestEditDecodeErrors(t *testing.T) {
	good := (&VersionEdit{Added: []NewFile{{1, meta(5, "a", "b", 1, 2)}}}).Encode(nil)
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"unknown tag", []byte{99, 1}, "unknown tag 99"},
		{"truncated varint", []byte{tagLogNum, 0x80}, "bad log number"},
		{"bad level", []byte{tagDeletedFile, NumLevels, 1}, "level 7"},
		{"format version", []byte{tagFormatVersion, 2}, "format version 2"},
		{"truncated new file", good[:len(good)-3], "at byte"},
		{"key overflow", []byte{tagNewFile, 1, 5, 10, 200, 1}, "overflows"},
		{"short key", []byte{tagNewFile, 1, 5, 10, 3, 'a', 'b', 'c'}, "invalid smallest key"},
		{"inverted keys", (&VersionEdit{Added: []NewFile{{1, &FileMeta{FileNum: 1, Smallest: ik("b", 1, 1), Largest: ik("a", 1, 1)}}}}).Encode(nil), "above largest"},
		{"file number 0", (&VersionEdit{Added: []NewFile{{1, &FileMeta{FileNum: 0, Smallest: ik("a", 1, 1), Largest: ik("a", 1, 1)}}}}).Encode(nil), "file number 0"},
	}
	for _, c := range cases {
		var e VersionEdit
		err := e.Decode(c.b)
		if !errors.Is(err, ErrDecode) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ErrDecode mentioning %q", c.name, err, c.want)
		}
	}
}

func TestApply(t *testing.T) {
	v := &Version{}
	v1, err := v.Apply(&VersionEdit{Added: []NewFile{
		{0, meta(3, "a", "m", 10, 20)}, {0, meta(2, "c", "z", 1, 9)},
		{1, meta(5, "n", "p", 1, 1)}, {1, meta(4, "a", "b", 1, 1)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(nums(v1.Levels[0]), nums(v1.Levels[1])); got != "[2 3] [4 5]" {
		t.Errorf("order = %s, want L0 oldest first and L1 by key", got)
	}
	if v.NumFiles() != 0 {
		t.Errorf("Apply changed its receiver")
	}
	bad := []struct {
		name string
		e    VersionEdit
		want string
	}{
		{"absent delete", VersionEdit{Deleted: []DeletedFile{{1, 9}}}, "not"},
		{"wrong level delete", VersionEdit{Deleted: []DeletedFile{{2, 4}}}, "not"},
		{"duplicate add", VersionEdit{Added: []NewFile{{2, meta(4, "x", "y", 1, 1)}}}, "already present"},
		{"overlap", VersionEdit{Added: []NewFile{{1, meta(7, "b", "c", 1, 1)}}}, "overlap"},
		{"shared boundary key", VersionEdit{Added: []NewFile{{1, meta(7, "p", "q", 1, 1)}}}, "overlap"},
		{"added twice", VersionEdit{Added: []NewFile{{2, meta(8, "a", "a", 1, 1)}, {3, meta(8, "a", "a", 1, 1)}}}, "twice"},
	}
	for _, c := range bad {
		if _, err := v1.Apply(&c.e); !errors.Is(err, ErrInvalidEdit) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ErrInvalidEdit mentioning %q", c.name, err, c.want)
		}
	}
	// A move: delete and re-add the same file one level down.
	f := v1.Levels[1][0]
	v2, err := v1.Apply(&VersionEdit{Deleted: []DeletedFile{{1, f.FileNum}}, Added: []NewFile{{2, f}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(v2.Levels[1]) != 1 || v2.Levels[2][0] != f {
		t.Errorf("move: %s", v2)
	}
}

func nums(files []*FileMeta) []uint64 {
	var n []uint64
	for _, f := range files {
		n = append(n, f.FileNum)
	}
	return n
}

func TestRefs(t *testing.T) {
	v1, _ := (&Version{}).Apply(&VersionEdit{Added: []NewFile{{0, meta(1, "a", "b", 1, 1)}, {0, meta(2, "a", "b", 2, 2)}}})
	v1.Retain()
	v2, _ := v1.Apply(&VersionEdit{Deleted: []DeletedFile{{0, 1}}, Added: []NewFile{{1, meta(3, "a", "b", 1, 1)}}})
	v2.Retain()
	v1.Retain() // a reader
	if obs := v1.Release(); len(obs) != 0 {
		t.Fatalf("obsolete while referenced: %v", obs)
	}
	if obs := v1.Release(); len(obs) != 1 || obs[0].FileNum != 1 {
		t.Fatalf("obsolete = %v, want file 1", obs)
	}
	if obs := v2.Release(); len(obs) != 2 {
		t.Fatalf("obsolete = %v, want files 2 and 3", obs)
	}
}

func TestOverlapsAndFind(t *testing.T) {
	v, err := (&Version{}).Apply(&VersionEdit{Added: []NewFile{
		{1, meta(1, "b", "d", 1, 1)}, {1, meta(2, "f", "h", 1, 1)}, {1, meta(3, "j", "l", 1, 1)},
		{0, meta(4, "a", "c", 1, 1)}, {0, meta(5, "k", "z", 2, 2)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		level  int
		lo, hi string
		want   string
	}{
		{1, "a", "a", "[]"}, {1, "a", "b", "[1]"}, {1, "d", "f", "[1 2]"}, {1, "e", "e", "[]"},
		{1, "c", "k", "[1 2 3]"}, {1, "m", "z", "[]"}, {1, "", "", "[1 2 3]"},
		{0, "c", "k", "[4 5]"}, {0, "d", "j", "[]"},
	}
	for _, c := range cases {
		var lo, hi []byte
		if c.lo != "" {
			lo, hi = []byte(c.lo), []byte(c.hi)
		}
		if got := fmt.Sprint(nums(v.Overlaps(c.level, lo, hi))); got != c.want {
			t.Errorf("Overlaps(%d, %q, %q) = %s, want %s", c.level, c.lo, c.hi, got, c.want)
		}
	}
	for _, c := range []struct {
		key  string
		want int
	}{{"a", 0}, {"d", 0}, {"e", 1}, {"h", 1}, {"i", 2}, {"m", 3}} {
		if got := v.FindFile(1, []byte(c.key)); got != c.want {
			t.Errorf("FindFile(%q) = %d, want %d", c.key, got, c.want)
		}
	}
}

func TestFileNames(t *testing.T) {
	for _, c := range []struct {
		name string
		num  uint64
		ok   bool
	}{
		{"MANIFEST-000001", 1, true}, {"MANIFEST-1234567", 1234567, true},
		{"MANIFEST-000000", 0, false}, {"MANIFEST-01", 0, false}, {"MANIFEST-0000001", 0, false},
		{"MANIFEST-00000a", 0, false}, {"000001.sst", 0, false}, {"CURRENT", 0, false},
	} {
		num, ok := ParseFileName(c.name)
		if num != c.num || ok != c.ok {
			t.Errorf("ParseFileName(%q) = %d, %v; want %d, %v", c.name, num, ok, c.num, c.ok)
		}
	}
}

func TestLogRoundTrip(t *testing.T) {
	fs := vfs.NewMem()
	dir := "db"
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	v, _ := (&Version{}).Apply(&VersionEdit{Added: []NewFile{{0, meta(3, "a", "c", 1, 5)}}})
	w, err := Create(fs, dir, 4, v.Snapshot(2, 5, 5))
	if err != nil {
		t.Fatal(err)
	}
	edits := []*VersionEdit{
		{LogNum: 3, LastSeq: 9, NextFileNum: 7, Added: []NewFile{{0, meta(6, "b", "d", 6, 9)}}},
		{Deleted: []DeletedFile{{0, 3}, {0, 6}}, Added: []NewFile{{1, meta(8, "a", "d", 1, 9)}}, NextFileNum: 9},
	}
	for _, e := range edits {
		if err := w.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := WriteCurrent(fs, dir, 4); err != nil {
		t.Fatal(err)
	}
	// Everything was synced: a crash keeps it all.
	crashed := fs.CrashClone(vfs.CrashOptions{})
	num, err := ReadCurrent(crashed, dir)
	if err != nil || num != 4 {
		t.Fatalf("ReadCurrent = %d, %v", num, err)
	}
	st, err := Load(crashed, dir, num)
	if err != nil {
		t.Fatal(err)
	}
	if st.LogNum != 3 || st.LastSeq != 9 || st.NextFileNum != 9 || st.Edits != 3 {
		t.Errorf("state = %+v", st)
	}
	if got := st.Version.String(); got != "L1: 000008[\"a\"#9,SET-\"d\"#1,DEL]\n" {
		t.Errorf("version = %q", got)
	}
}

func TestLoadDamage(t *testing.T) {
	fs := vfs.NewMem()
	dir := "db"
	_ = fs.MkdirAll(dir, 0o755)
	w, err := Create(fs, dir, 1, (&Version{}).Snapshot(1, 2, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(&VersionEdit{LastSeq: 4, Added: []NewFile{{0, meta(2, "a", "b", 1, 4)}}}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	path := filepath.Join(dir, FileName(1))
	data, _ := vfs.ReadFile(fs, path)

	// A torn tail: the last record cut short is the end of the log.
	if err := vfs.WriteFileSync(fs, path, data[:len(data)-2]); err != nil {
		t.Fatal(err)
	}
	st, err := Load(fs, dir, 1)
	if err != nil || st.Edits != 1 || st.Version.NumFiles() != 0 {
		t.Errorf("torn tail: %+v, %v; want the snapshot only", st, err)
	}
	// A damaged first record: corruption.
	bad := append([]byte(nil), data...)
	bad[20] ^= 0x40
	_ = vfs.WriteFileSync(fs, path, bad)
	if _, err := Load(fs, dir, 1); !errors.Is(err, engine.ErrCorruption) {
		t.Errorf("damaged snapshot: err = %v, want corruption", err)
	}
	// Missing MANIFEST and bad CURRENT.
	if _, err := Load(fs, dir, 9); !errors.Is(err, engine.ErrCorruption) {
		t.Errorf("missing manifest: err = %v, want corruption", err)
	}
	if _, err := ReadCurrent(fs, dir); !vfs.IsNotExist(err) {
		t.Errorf("ReadCurrent without CURRENT: %v, want not-exist", err)
	}
	for _, content := range []string{"", "MANIFEST-000001", "MANIFEST-000001\n\n", "MANIFEST-00000x\n", "manifest-000001\n"} {
		_ = vfs.WriteFileSync(fs, filepath.Join(dir, CurrentName), []byte(content))
		if _, err := ReadCurrent(fs, dir); !errors.Is(err, engine.ErrCorruption) {
			t.Errorf("CURRENT %q: err = %v, want corruption", content, err)
		}
	}
	// An edit that does not apply: corruption naming the file.
	w, _ = Create(fs, dir, 3, (&Version{}).Snapshot(1, 2, 0))
	_ = w.Append(&VersionEdit{Deleted: []DeletedFile{{0, 77}}})
	w.Close()
	if _, err := Load(fs, dir, 3); !errors.Is(err, engine.ErrCorruption) || !strings.Contains(err.Error(), "MANIFEST-000003") {
		t.Errorf("bad edit: err = %v, want corruption in MANIFEST-000003", err)
	}
}
