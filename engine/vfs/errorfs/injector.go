package errorfs

import (
	"fmt"
	"math"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
)

// Injector decides whether an operation fails. MaybeError returns nil to
// let op proceed, or the error to fail it with (the FS wraps it in an
// *Error). Implementations used by concurrent code must be safe for
// concurrent use; all injectors in this package are.
type Injector interface {
	MaybeError(op Op) error
}

// InjectorFunc adapts a function to an Injector.
type InjectorFunc func(op Op) error

// MaybeError calls f(op).
func (f InjectorFunc) MaybeError(op Op) error { return f(op) }

// OnIndex fails exactly the operation whose Op.Index is n.
func OnIndex(n int64) Injector {
	return InjectorFunc(func(op Op) error {
		if op.Index == n {
			return ErrInjected
		}
		return nil
	})
}

// FromIndex fails every operation whose Op.Index is n or more: a device
// that dies and stays dead.
func FromIndex(n int64) Injector {
	return InjectorFunc(func(op Op) error {
		if op.Index >= n {
			return ErrInjected
		}
		return nil
	})
}

// Nth fails the n-th operation (from 0) it is asked about, and no other.
// Unlike OnIndex it counts only what reaches it, so behind a filter it
// means "the n-th matching operation": OpKinds(Nth(2), OpSync) fails the
// third sync.
func Nth(n int64) Injector {
	var seen atomic.Int64
	return InjectorFunc(func(Op) error {
		if seen.Add(1)-1 == n {
			return ErrInjected
		}
		return nil
	})
}

// Random fails each operation with probability p, clamped to [0, 1] (NaN
// counts as 0). The decision is a pure function of seed and Op.Index, so
// a given seed fails the same indices in every run, whatever the timing of
// concurrent callers.
func Random(p float64, seed int64) Injector {
	if math.IsNaN(p) {
		p = 0
	}
	p = min(max(p, 0), 1)
	return InjectorFunc(func(op Op) error {
		if unitFloat(mix64(uint64(seed)^mix64(uint64(op.Index)))) < p {
			return ErrInjected
		}
		return nil
	})
}

// mix64 is the splitmix64 finalizer: a bijective scramble of 64 bits.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unitFloat maps 64 random bits to [0, 1).
func unitFloat(x uint64) float64 { return float64(x>>11) / (1 << 53) }

// Filter asks inner only about the operations match accepts; every other
// operation proceeds. A nil inner fails nothing.
func Filter(match func(Op) bool, inner Injector) Injector {
	return InjectorFunc(func(op Op) error {
		if inner == nil || !match(op) {
			return nil
		}
		return inner.MaybeError(op)
	})
}

// OpKinds asks inner only about operations of the given kinds.
func OpKinds(inner Injector, kinds ...OpKind) Injector {
	kinds = slices.Clone(kinds)
	return Filter(func(op Op) bool { return slices.Contains(kinds, op.Kind) }, inner)
}

// PathFunc asks inner only about operations whose Path, or NewPath for a
// rename, satisfies match.
func PathFunc(match func(path string) bool, inner Injector) Injector {
	return Filter(func(op Op) bool {
		return match(op.Path) || (op.NewPath != "" && match(op.NewPath))
	}, inner)
}

// PathMatch asks inner only about operations whose path matches the glob
// pattern (path.Match syntax) — Path, or NewPath for a rename. A pattern
// with a "/" is matched against the whole slash-separated path; one without
// is matched against the last element, so "*.log" matches "/db/000001.log".
// It returns an error for a malformed pattern.
func PathMatch(pattern string, inner Injector) (Injector, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("errorfs: pattern %q: %w", pattern, err)
	}
	whole := strings.Contains(pattern, "/")
	return PathFunc(func(p string) bool {
		p = filepath.ToSlash(p)
		if !whole {
			p = path.Base(p)
		}
		ok, _ := path.Match(pattern, p) // the pattern was checked above
		return ok
	}, inner), nil
}

// Counter fails nothing and counts the operations it is asked about, in
// total and by kind. Its zero value is ready to use; use it by pointer.
type Counter struct {
	total  atomic.Int64
	byKind [numOpKinds]atomic.Int64
}

// MaybeError counts op and returns nil.
func (c *Counter) MaybeError(op Op) error {
	c.total.Add(1)
	if op.Kind < numOpKinds {
		c.byKind[op.Kind].Add(1)
	}
	return nil
}

// Count returns how many operations were counted.
func (c *Counter) Count() int64 { return c.total.Load() }

// CountOf returns how many operations of kind k were counted.
func (c *Counter) CountOf(k OpKind) int64 {
	if k >= numOpKinds {
		return 0
	}
	return c.byKind[k].Load()
}

// Toggle passes operations to an inner Injector while enabled and fails
// nothing while disabled, so a test can stop injecting once the failure it
// wanted has happened (to reopen and check the store on the same FS).
type Toggle struct {
	inner    Injector
	disabled atomic.Bool
}

// NewToggle returns an enabled Toggle around inner.
func NewToggle(inner Injector) *Toggle { return &Toggle{inner: inner} }

// Enable turns injection on or off. It is safe for concurrent use.
func (t *Toggle) Enable(on bool) { t.disabled.Store(!on) }

// Enabled reports whether injection is on.
func (t *Toggle) Enabled() bool { return !t.disabled.Load() }

// MaybeError asks the inner Injector if the Toggle is enabled. A disabled
// Toggle does not pass operations on, so counting injectors inside it (Nth,
// Counter) do not see them.
func (t *Toggle) MaybeError(op Op) error {
	if t.disabled.Load() || t.inner == nil {
		return nil
	}
	return t.inner.MaybeError(op)
}
