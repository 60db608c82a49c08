package props

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns is an *Error wrapping
// one of them; all of them also match ErrInvalid under errors.Is, so a CLI
// can map any workload mistake to one exit code.
var (
	// ErrInvalid matches every workload error.
	ErrInvalid = errors.New("props: invalid workload")
	// ErrSyntax: a line that is neither blank, a comment nor key=value.
	ErrSyntax = errors.New("props: syntax error")
	// ErrUnknownProperty: a property name nobody defines.
	ErrUnknownProperty = errors.New("props: unknown property")
	// ErrBadValue: a value of the wrong syntax or out of range.
	ErrBadValue = errors.New("props: bad value")
	// ErrProportions: the operation proportions do not sum to 1.
	ErrProportions = errors.New("props: proportions do not sum to 1")
	// ErrMissingFile: a -P file that exists neither on disk nor built in.
	ErrMissingFile = errors.New("props: missing workload file")
	// ErrUnsupported: a YCSB feature this harness does not implement.
	ErrUnsupported = errors.New("props: unsupported")
)

// Error is a workload error with its place: the file and line of the
// property at fault (File "-p" for a command-line override, whose Line is
// the override's position, 1-based; File "" and Line 0 for a default).
type Error struct {
	File     string
	Line     int
	Property string // "" when no single property is at fault
	Value    string
	Reason   string
	Err      error // one of the sentinels above
}

// Error implements error: "file:line: property name: reason".
func (e *Error) Error() string {
	s := ""
	switch {
	case e.File != "" && e.Line > 0:
		s = fmt.Sprintf("%s:%d: ", e.File, e.Line)
	case e.File != "":
		s = e.File + ": "
	}
	if e.Property != "" {
		s += "property " + e.Property + ": "
	}
	return s + e.Reason
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// Is makes every *Error match ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }
