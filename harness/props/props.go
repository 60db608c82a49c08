package props

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/harness/measure"
)

// Source says where a property's value came from.
type Source struct {
	// File is the workload file's name, "-p" for a command-line override,
	// or "" for a default.
	File string
	// Line is the line in File (1-based), the override's position for
	// "-p", 0 for a default.
	Line int
}

// String renders "file:line", "-p #n" or "default".
func (s Source) String() string {
	switch s.File {
	case "":
		return "default"
	case "-p":
		return fmt.Sprintf("-p #%d", s.Line)
	}
	return fmt.Sprintf("%s:%d", s.File, s.Line)
}

// Value is one property as set: its text and where it was set.
type Value struct {
	Name   string
	Value  string
	Source Source
	seq    int // order of setting, for "the last one set"
}

// Set is the properties of a workload as set by files and overrides,
// later settings replacing earlier ones (like YCSB's -P and -p). Every
// name and value is checked when it is set; cross-property checks happen
// in Workload. The zero value is an empty Set ready to use. A Set is not
// safe for concurrent mutation.
type Set struct {
	vals    map[string]Value
	nextArg int // count of -p overrides, for their Source.Line
	seq     int // settings so far
}

// New returns an empty Set.
func New() *Set { return &Set{} }

// Parse reads properties in YCSB's format from data, naming them file in
// errors and sources: one key=value per line, whitespace around key and
// value ignored, blank lines and lines starting with # or ! ignored. A
// later line replaces an earlier one. The first bad line stops parsing
// with an *Error; properties of earlier lines stay set.
func (s *Set) Parse(file string, data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" || t[0] == '#' || t[0] == '!' {
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return &Error{File: file, Line: line, Reason: fmt.Sprintf("want key=value, got %q", clip(t)), Err: ErrSyntax}
		}
		if err := s.set(strings.TrimSpace(k), strings.TrimSpace(v), Source{file, line}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &Error{File: file, Line: line + 1, Reason: err.Error(), Err: ErrSyntax}
	}
	return nil
}

// SetArg applies one command-line override "key=value" (YCSB's -p).
func (s *Set) SetArg(kv string) error {
	s.nextArg++
	src := Source{"-p", s.nextArg}
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return &Error{File: src.File, Line: src.Line, Reason: fmt.Sprintf("want key=value, got %q", clip(kv)), Err: ErrSyntax}
	}
	return s.set(strings.TrimSpace(k), strings.TrimSpace(v), src)
}

// LoadFile parses the workload file name (YCSB's -P). It reads name from
// fsys; if no such file exists there and builtin is not nil, it reads
// path.Base(name) from builtin (pass workloads.FS so "-P workloada" works
// from any directory). A file found nowhere is an *Error wrapping
// ErrMissingFile.
func (s *Set) LoadFile(fsys vfs.FS, builtin fs.FS, name string) error {
	var data []byte
	var err error
	if fsys != nil {
		data, err = vfs.ReadFile(fsys, name)
	} else {
		err = fs.ErrNotExist
	}
	if err != nil && vfs.IsNotExist(err) && builtin != nil {
		var berr error
		if data, berr = fs.ReadFile(builtin, path.Base(name)); berr == nil {
			err = nil
			name = "builtin:" + path.Base(name)
		}
	}
	if err != nil {
		if vfs.IsNotExist(err) {
			return &Error{File: name, Reason: "no such workload file (neither on disk nor built in)", Err: ErrMissingFile}
		}
		return &Error{File: name, Reason: err.Error(), Err: ErrMissingFile}
	}
	return s.Parse(name, data)
}

// Get returns the value of name as set, or its default when not set. ok
// is false for a name that is neither set nor defined.
func (s *Set) Get(name string) (v Value, ok bool) {
	if v, ok := s.vals[name]; ok {
		return v, true
	}
	if d, ok := Lookup(name); ok {
		return Value{Name: name, Value: d.Default}, true
	}
	return Value{}, false
}

// IsSet reports whether name was set explicitly.
func (s *Set) IsSet(name string) bool { _, ok := s.vals[name]; return ok }

// Clone returns an independent copy of s.
func (s *Set) Clone() *Set {
	c := &Set{nextArg: s.nextArg, seq: s.seq, vals: make(map[string]Value, len(s.vals))}
	for k, v := range s.vals {
		c.vals[k] = v
	}
	return c
}

// Resolved returns every property in effect: each defined property with
// its value (set or default; a computed default is left empty here and
// shown by Workload), followed by the set patterned and ignored properties
// sorted by name. Reports embed it so a run can be reproduced.
func (s *Set) Resolved() []Value {
	out := make([]Value, 0, len(defs)+len(s.vals))
	for _, d := range defs {
		v, _ := s.Get(d.Name)
		v.Name = d.Name
		out = append(out, v)
	}
	var extra []Value
	for k, v := range s.vals {
		if _, ok := defIndex[k]; !ok {
			extra = append(extra, v)
		}
	}
	slices.SortFunc(extra, func(a, b Value) int { return strings.Compare(a.Name, b.Name) })
	return append(out, extra...)
}

// String renders the explicitly set properties as a workload file, sorted
// by name, that Parse reads back to an equal Set (sources aside).
func (s *Set) String() string {
	names := make([]string, 0, len(s.vals))
	for k := range s.vals {
		names = append(names, k)
	}
	slices.Sort(names)
	var sb strings.Builder
	for _, k := range names {
		fmt.Fprintf(&sb, "%s=%s\n", k, s.vals[k].Value)
	}
	return sb.String()
}

// set checks name and value and stores them.
func (s *Set) set(name, value string, src Source) error {
	fail := func(sentinel error, format string, args ...any) error {
		return &Error{File: src.File, Line: src.Line, Property: name, Value: value,
			Reason: fmt.Sprintf(format, args...), Err: sentinel}
	}
	if name == "" {
		return fail(ErrSyntax, "empty property name")
	}
	if strings.ContainsAny(value, "\r\n") {
		return fail(ErrBadValue, "value must be one line")
	}
	if d, ok := Lookup(name); ok {
		if err := checkValue(d, value); err != "" {
			return fail(ErrBadValue, "bad value %q: %s", clip(value), err)
		}
		if name == "dataintegrity" && strings.EqualFold(value, "true") {
			return fail(ErrUnsupported, "dataintegrity=true (value verification) is not supported")
		}
	} else if _, ok := ignored[name]; ok {
		// accepted without effect
	} else if opt, ok := strings.CutPrefix(name, OptionPrefix); ok {
		if err := checkOption(opt, value); err != "" {
			return fail(ErrBadValue, "%s", err)
		}
	} else if t, ok := strings.CutPrefix(name, TargetPrefix); ok {
		if _, err := parseTarget(t, value); err != "" {
			return fail(ErrBadValue, "%s", err)
		}
	} else {
		hint := ""
		if strings.HasPrefix(name, "lightning.") {
			hint = " (Lightning's properties: see lbench list)"
		} else if near := nearest(name); near != "" {
			hint = fmt.Sprintf(" (did you mean %s?)", near)
		}
		return fail(ErrUnknownProperty, "unknown property%s", hint)
	}
	if s.vals == nil {
		s.vals = map[string]Value{}
	}
	s.seq++
	s.vals[name] = Value{Name: name, Value: value, Source: src, seq: s.seq}
	return nil
}

// checkValue returns "" if value has d's syntax, else what is wrong.
func checkValue(d Def, value string) string {
	switch d.Type {
	case Int:
		if _, err := strconv.ParseUint(value, 10, 63); err != nil {
			return "want a non-negative integer"
		}
	case Float:
		f, err := strconv.ParseFloat(value, 64)
		if err != nil || f < 0 || f != f || f > 1e300 {
			return "want a non-negative number"
		}
	case Bool:
		if !strings.EqualFold(value, "true") && !strings.EqualFold(value, "false") {
			return "want true or false"
		}
	case Enum:
		if !slices.Contains(d.Enum, value) {
			return "want one of " + strings.Join(d.Enum, ", ")
		}
	case Duration:
		if _, err := parseDuration(value); err != nil {
			return err.Error()
		}
	}
	return ""
}

// nearest returns a defined property name within edit distance 2 of name.
func nearest(name string) string {
	best, bestD := "", 3
	for _, d := range defs {
		if dist := editDistance(strings.ToLower(name), d.Name); dist < bestD {
			best, bestD = d.Name, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// opNameOK reports whether t names an op or "overall".
func opNameOK(t string) bool {
	if t == "overall" {
		return true
	}
	_, ok := measure.ParseOp(t)
	return ok && t == strings.ToLower(t)
}

// Load builds a Set as YCSB's command line does: every -P file in order
// (see LoadFile for fsys and builtin), then every -p key=value override,
// later settings winning. It stops at the first error.
func Load(fsys vfs.FS, builtin fs.FS, files, overrides []string) (*Set, error) {
	s := New()
	for _, f := range files {
		if err := s.LoadFile(fsys, builtin, f); err != nil {
			return nil, err
		}
	}
	for _, kv := range overrides {
		if err := s.SetArg(kv); err != nil {
			return nil, err
		}
	}
	return s, nil
}
