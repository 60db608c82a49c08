package enginetest

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// OpenFunc opens (creating if needed) the backend under test in dir on fs.
// opts is a fresh, prepared (cloned, defaults filled, validated) value
// whose FS field is fs; the function may keep it.
type OpenFunc func(fs vfs.FS, dir string, opts *engine.Options) (engine.Engine, error)

// Capability names a property of the contract that a backend may lack.
// A backend declares what it lacks with Unsupported; the kit skips the
// subtests that need it.
type Capability string

// Capabilities the kit knows.
const (
	// Durability: writes survive Close and reopen; Sync writes survive a
	// crash; the backend keeps its data in files on the given vfs.FS.
	// Persistence, Crash, Faults and Corruption need it, and the
	// reopen/crash operations of Randomized.
	Durability Capability = "durability"
)

// Option configures Run.
type Option func(*config)

type config struct {
	unsupported map[Capability]string
	lockFile    string
	tweak       []func(*engine.Options)
}

// Unsupported declares that the backend lacks capability c, for reason
// (logged and given to t.Skip). Capabilities are never guessed: a backend
// that lacks one and does not say so fails the subtests that need it.
func Unsupported(c Capability, reason string) Option {
	return func(cfg *config) { cfg.unsupported[c] = reason }
}

// LockFile names the backend's lock file, relative to the engine's
// directory, so that Corruption does not flip bytes in it. Default "LOCK".
// Empty files are never flipped.
func LockFile(name string) Option {
	return func(cfg *config) { cfg.lockFile = name }
}

// WithOptions lets the backend adjust the Options the kit opens it with
// (for example to set backend-specific Extra settings). f is called on
// every Options value after the kit has filled it in.
func WithOptions(f func(*engine.Options)) Option {
	return func(cfg *config) { cfg.tweak = append(cfg.tweak, f) }
}

var seedFlag = flag.Int64("enginetest.seed", 0,
	"seed for the randomized parts of the engine conformance kit (0: time-based; non-zero: run exactly that seed)")

// Compacter is the optional hook a backend may implement: where the kit
// calls Flush to check that data (and snapshots) survive moving data to
// the main files, it also calls Compact.
type Compacter interface {
	Compact() error
}

// kit is the state shared by the subtests of one Run.
type kit struct {
	open OpenFunc
	cfg  config
}

// Run runs the whole conformance test of a backend, one named subtest per
// area: CRUD, Batch, Iterator, Snapshot, Persistence, Crash, Faults,
// Corruption, Concurrency, Randomized. See the package documentation for
// what each checks.
func Run(t *testing.T, open OpenFunc, opts ...Option) {
	t.Helper()
	k := &kit{open: open, cfg: config{unsupported: map[Capability]string{}, lockFile: "LOCK"}}
	for _, o := range opts {
		o(&k.cfg)
	}
	if len(k.cfg.unsupported) == 0 {
		t.Logf("enginetest: backend declares every capability supported")
	}
	for _, c := range []Capability{Durability} {
		if why, ok := k.cfg.unsupported[c]; ok {
			t.Logf("enginetest: unsupported capability %q: %s", c, why)
		}
	}
	t.Run("CRUD", k.testCRUD)
	t.Run("Batch", k.testBatch)
	t.Run("Iterator", k.testIterator)
	t.Run("Snapshot", k.testSnapshot)
	t.Run("Persistence", k.testPersistence)
	t.Run("Crash", k.testCrash)
	t.Run("Faults", k.testFaults)
	t.Run("Corruption", k.testCorruption)
	t.Run("Concurrency", k.testConcurrency)
	t.Run("Randomized", k.testRandomized)
}

// need skips t if the backend declared c unsupported.
func (k *kit) need(t *testing.T, c Capability) {
	t.Helper()
	if why, ok := k.cfg.unsupported[c]; ok {
		t.Skipf("backend does not support %s: %s", c, why)
	}
}

func (k *kit) has(c Capability) bool {
	_, ok := k.cfg.unsupported[c]
	return !ok
}

// testDir is the directory every subtest opens its engine in.
const testDir = "db"

// smallOptions returns the options most subtests use: small limits and
// sizes so that flushes and segment rotations happen with little data.
func (k *kit) smallOptions(t testing.TB, fs vfs.FS) *engine.Options {
	return k.prepare(t, &engine.Options{
		FS:             fs,
		MaxKeySize:     1024,
		MaxValueSize:   64 << 10,
		CacheSize:      1 << 20,
		MemTableSize:   64 << 10,
		WALSegmentSize: 64 << 10,
	})
}

func (k *kit) prepare(t testing.TB, o *engine.Options) *engine.Options {
	t.Helper()
	o.Logger = newTestLogger(t)
	for _, f := range k.cfg.tweak {
		f(o)
	}
	p, err := o.Prepare()
	if err != nil {
		t.Fatalf("enginetest: kit options do not validate: %v", err)
	}
	return p
}

// openWith opens the backend in testDir on fs with opts (a fresh clone is
// passed each time).
func (k *kit) openWith(fs vfs.FS, opts *engine.Options) (engine.Engine, error) {
	o := opts.Clone()
	o.FS = fs
	return k.open(fs, testDir, o)
}

// mustOpen opens the backend on fs with small options or fails t.
func (k *kit) mustOpen(t testing.TB, fs vfs.FS) engine.Engine {
	t.Helper()
	e, err := k.openWith(fs, k.smallOptions(t, fs))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if e == nil {
		t.Fatalf("Open returned a nil engine and no error")
	}
	return e
}

// flush calls Flush and, if the engine has the hook, Compact.
func flush(e engine.Engine) error {
	if err := e.Flush(); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	if c, ok := e.(Compacter); ok {
		if err := c.Compact(); err != nil {
			return fmt.Errorf("compact: %w", err)
		}
	}
	return nil
}

// closeEngine closes e at the end of a subtest, reporting an error.
func closeEngine(t testing.TB, e engine.Engine) {
	t.Helper()
	if err := e.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// testLogger sends the engine's log lines to the test log while the test
// runs and drops them afterwards (background goroutines may outlive it).
type testLogger struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func newTestLogger(t testing.TB) *testLogger {
	l := &testLogger{t: t}
	t.Cleanup(func() {
		l.mu.Lock()
		l.done = true
		l.mu.Unlock()
	})
	return l
}

// Logf implements engine.Logger.
func (l *testLogger) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Logf("engine: "+format, args...)
	}
}

// seeds returns the seeds a randomized test runs: exactly the flag's seed
// if it is set, otherwise n time-based seeds.
func seeds(n int) []int64 {
	if *seedFlag != 0 {
		return []int64{*seedFlag}
	}
	base := time.Now().UnixNano()
	s := make([]int64, n)
	for i := range s {
		s[i] = base + int64(i)*7919
		if s[i] == 0 {
			s[i] = 1
		}
	}
	return s
}

// logSeed logs seed and the command that replays the test with it.
func logSeed(t testing.TB, seed int64) {
	t.Helper()
	t.Logf("seed %d; replay: %s", seed, replayCommand(t.Name(), seed))
}

func replayCommand(name string, seed int64) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	dir := "."
	if wd, err := os.Getwd(); err == nil {
		dir = wd
	}
	return fmt.Sprintf("cd %s && go test -run '%s' -enginetest.seed=%d .", dir, strings.Join(parts, "/"), seed)
}

// protect runs f and turns a panic into an error.
func protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{val: r}
		}
	}()
	return f()
}

type panicError struct{ val any }

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.val) }

func isPanic(err error) bool {
	var p *panicError
	return errors.As(err, &p)
}
