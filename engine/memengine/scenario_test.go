package memengine

import (
	"flag"
	"fmt"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of the testdata scenarios")

// A scenario file is a list of blocks separated by blank lines. A block is
// a command line, optional input lines, a line "----" and the expected
// output. Lines starting with # outside blocks are comments. Keys and
// values are bare words or Go-quoted strings ("\x00"). Commands:
//
//	open [max_key_size=N] [max_value_size=N] [read_only]   fresh DB
//	write            input: "set k v" / "del k" lines, applied one by one
//	batch            input: "set k v" / "del k" lines, applied as one batch
//	get [snap=S] k... one line per key
//	scan [snap=S]    every key=value in order
//	iter [lower=k] [upper=k] [snap=S]
//	                 input: first, last, next, prev, seek-ge k, seek-lt k,
//	                 close; one output line per move
//	snapshot S       take snapshot S
//	close-snapshot S
//	close            close the DB
//	metrics          the operation counts
type scenario struct {
	db    *DB
	snaps map[string]engine.Snapshot
}

func TestScenarios(t *testing.T) {
	names, err := vfs.Default.List("testdata")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range names {
		if strings.HasSuffix(name, ".txt") {
			n++
			t.Run(name, func(t *testing.T) { runScenarioFile(t, path.Join("testdata", name)) })
		}
	}
	if n == 0 {
		t.Fatal("no scenario files in testdata")
	}
}

func runScenarioFile(t *testing.T, file string) {
	data, err := vfs.ReadFile(vfs.Default, file)
	if err != nil {
		t.Fatal(err)
	}
	s := &scenario{snaps: map[string]engine.Snapshot{}}
	defer func() {
		if s.db != nil {
			s.db.Close()
		}
	}()
	var out strings.Builder // the rewritten file
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	for i := 0; i < len(lines); {
		line := lines[i]
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			out.WriteString(line + "\n")
			i++
			continue
		}
		start := i + 1
		cmd := line
		var input []string
		for i++; i < len(lines) && lines[i] != "----"; i++ {
			input = append(input, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("%s:%d: block without ----", file, start)
		}
		i++ // skip ----
		var want []string
		for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
			want = append(want, lines[i])
		}
		got := s.run(t, cmd, input)
		if !*rewrite && strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:%d: %s\n got:\n%s\nwant:\n%s", file, start, cmd, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		out.WriteString(cmd + "\n")
		for _, l := range input {
			out.WriteString(l + "\n")
		}
		out.WriteString("----\n")
		for _, l := range got {
			out.WriteString(l + "\n")
		}
	}
	if *rewrite {
		if err := vfs.WriteFileSync(vfs.Default, file, []byte(out.String())); err != nil {
			t.Fatal(err)
		}
	}
}

// words splits a line into words; a word starting with " is a Go string.
func words(t *testing.T, line string) []string {
	t.Helper()
	var ws []string
	for line = strings.TrimSpace(line); line != ""; line = strings.TrimSpace(line) {
		if line[0] == '"' {
			q, err := strconv.QuotedPrefix(line)
			if err != nil {
				t.Fatalf("bad quoted word in %q: %v", line, err)
			}
			w, _ := strconv.Unquote(q)
			ws = append(ws, w)
			line = line[len(q):]
			continue
		}
		w, rest, _ := strings.Cut(line, " ")
		ws = append(ws, w)
		line = rest
	}
	return ws
}

// show renders a key or value: bare when printable and without spaces or
// quotes, else Go-quoted; the empty string is "".
func show(b []byte) string {
	s := string(b)
	if s == "" {
		return `""`
	}
	for _, c := range b {
		if c <= ' ' || c > '~' || c == '"' {
			return strconv.Quote(s)
		}
	}
	return s
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return "error: " + err.Error()
}

// args splits "name=value" words from plain ones.
func args(ws []string) (map[string]string, []string) {
	named := map[string]string{}
	var plain []string
	for _, w := range ws {
		if k, v, ok := strings.Cut(w, "="); ok {
			named[k] = v
		} else {
			plain = append(plain, w)
		}
	}
	return named, plain
}

// reader returns the DB or the snapshot named by snap=.
func (s *scenario) reader(t *testing.T, named map[string]string) engine.Reader {
	if name, ok := named["snap"]; ok {
		snap := s.snaps[name]
		if snap == nil {
			t.Fatalf("no snapshot %q", name)
		}
		return snap
	}
	return s.db
}

func (s *scenario) run(t *testing.T, cmd string, input []string) []string {
	ws := words(t, cmd)
	named, plain := args(ws[1:])
	var out []string
	switch ws[0] {
	case "open":
		if s.db != nil {
			s.db.Close()
		}
		opts := &engine.Options{}
		for _, w := range plain {
			if w == "read_only" {
				opts.ReadOnly = true
			}
		}
		opts.MaxKeySize, _ = strconv.Atoi(named["max_key_size"])
		opts.MaxValueSize, _ = strconv.Atoi(named["max_value_size"])
		db, err := Open("ignored", opts)
		if err != nil {
			return []string{errText(err)}
		}
		s.db = db
		s.snaps = map[string]engine.Snapshot{}
		return []string{"ok"}
	case "write", "batch":
		b := engine.NewBatch()
		for _, l := range input {
			op := words(t, l)
			var err error
			switch {
			case op[0] == "set" && len(op) == 3:
				if ws[0] == "batch" {
					b.Set([]byte(op[1]), []byte(op[2]))
				} else {
					err = s.db.Set([]byte(op[1]), []byte(op[2]), engine.NoSync)
				}
			case op[0] == "del" && len(op) == 2:
				if ws[0] == "batch" {
					b.Delete([]byte(op[1]))
				} else {
					err = s.db.Delete([]byte(op[1]), engine.NoSync)
				}
			default:
				t.Fatalf("bad write line %q", l)
			}
			if ws[0] == "write" {
				out = append(out, l+": "+errText(err))
			}
		}
		if ws[0] == "batch" {
			out = append(out, errText(s.db.Apply(b, engine.Sync)))
		}
	case "get":
		r := s.reader(t, named)
		for _, k := range plain {
			v, err := r.Get([]byte(k), nil)
			if err != nil {
				out = append(out, show([]byte(k))+": "+errText(err))
			} else {
				out = append(out, show([]byte(k))+"="+show(v))
			}
		}
	case "scan":
		it, err := s.reader(t, named).NewIter(engine.IterOptions{})
		if err != nil {
			return []string{errText(err)}
		}
		for ok := it.First(); ok; ok = it.Next() {
			out = append(out, show(it.Key())+"="+show(it.Value()))
		}
		if err := it.Close(); err != nil {
			out = append(out, errText(err))
		}
		if len(out) == 0 {
			out = append(out, "(empty)")
		}
	case "iter":
		var opts engine.IterOptions
		if v, ok := named["lower"]; ok {
			opts.Lower = []byte(words(t, v)[0])
		}
		if v, ok := named["upper"]; ok {
			opts.Upper = []byte(words(t, v)[0])
		}
		it, err := s.reader(t, named).NewIter(opts)
		if err != nil {
			return []string{errText(err)}
		}
		for _, l := range input {
			op := words(t, l)
			var ok bool
			switch op[0] {
			case "first":
				ok = it.First()
			case "last":
				ok = it.Last()
			case "next":
				ok = it.Next()
			case "prev":
				ok = it.Prev()
			case "seek-ge":
				ok = it.SeekGE([]byte(op[1]))
			case "seek-lt":
				ok = it.SeekLT([]byte(op[1]))
			case "close":
				out = append(out, l+": "+errText(it.Close()))
				continue
			default:
				t.Fatalf("bad iter line %q", l)
			}
			res := "."
			if ok {
				res = show(it.Key()) + "=" + show(it.Value())
			}
			if ok != it.Valid() {
				res += fmt.Sprintf(" (Valid()=%v)", it.Valid())
			}
			if err := it.Error(); err != nil {
				res += " " + errText(err)
			}
			out = append(out, l+": "+res)
		}
		it.Close()
	case "snapshot":
		snap, err := s.db.NewSnapshot()
		if err == nil {
			s.snaps[plain[0]] = snap
		}
		out = append(out, errText(err))
	case "close-snapshot":
		out = append(out, errText(s.snaps[plain[0]].Close()))
	case "close":
		out = append(out, errText(s.db.Close()))
	case "flush":
		out = append(out, errText(s.db.Flush()))
	case "metrics":
		m := s.db.Metrics()
		out = append(out, fmt.Sprintf("gets=%d sets=%d deletes=%d batches=%d iterators=%d user_bytes=%d keys=%v live_bytes=%v",
			m.Gets, m.Sets, m.Deletes, m.Batches, m.Iterators, m.UserBytesWritten, m.Extra["mem.keys"], m.Extra["mem.live_bytes"]))
	default:
		t.Fatalf("unknown command %q", cmd)
	}
	return out
}

// TestScenarioWords checks the scenario parser's helpers.
func TestScenarioWords(t *testing.T) {
	got := words(t, `set "a b" c "\x00\xff"`)
	want := []string{"set", "a b", "c", "\x00\xff"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("words = %q, want %q", got, want)
	}
	for in, want := range map[string]string{"": `""`, "abc": "abc", "a b": `"a b"`, "\x00": `"\x00"`} {
		if got := show([]byte(in)); got != want {
			t.Errorf("show(%q) = %s, want %s", in, got, want)
		}
	}
}
