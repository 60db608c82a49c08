package enginetest_test

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/enginetest"
	"github.com/lightningdb/lightning/engine/enginetest/internal/refengine"
	"github.com/lightningdb/lightning/engine/vfs"
)

func openRef(bug refengine.Bug) enginetest.OpenFunc {
	return func(fs vfs.FS, dir string, opts *engine.Options) (engine.Engine, error) {
		db, err := refengine.Open(fs, dir, opts, bug)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
}

// TestReferenceEngine runs the whole kit on the correct reference engine:
// it must pass.
func TestReferenceEngine(t *testing.T) {
	enginetest.Run(t, openRef(refengine.NoBug))
}

const brokenEnv = "ENGINETEST_BROKEN_VARIANT"

// TestBrokenTarget runs the kit on the broken variant named by the
// environment variable ENGINETEST_BROKEN_VARIANT (TestBroken sets it in a
// subprocess). Without it, it is skipped.
func TestBrokenTarget(t *testing.T) {
	name := os.Getenv(brokenEnv)
	if name == "" {
		t.Skip("run by TestBroken in a subprocess with " + brokenEnv + " set")
	}
	bug, err := refengine.ParseBug(name)
	if err != nil {
		t.Fatal(err)
	}
	enginetest.Run(t, openRef(bug))
}

// TestBroken proves the kit catches real bugs: it runs the kit on each
// broken variant of the reference engine in a subprocess and requires the
// run to fail in the subtests listed for the variant, which are the
// checks meant to catch it.
func TestBroken(t *testing.T) {
	if os.Getenv(brokenEnv) != "" {
		t.Skip("inside a broken-variant subprocess")
	}
	tests := []struct {
		bug      refengine.Bug
		caughtBy []string
	}{
		{refengine.BugDropNewestSynced, []string{"Persistence", "Crash", "Randomized"}},
		{refengine.BugIterSkip, []string{"Iterator", "Randomized"}},
		{refengine.BugSnapshotSeesLater, []string{"Snapshot", "Randomized"}},
		{refengine.BugStaleAfterDelete, []string{"CRUD", "Randomized"}},
		{refengine.BugIgnoreCorruption, []string{"Corruption"}},
		{refengine.BugSwallowWriteError, []string{"Faults"}},
	}
	subprocess := func(bug refengine.Bug, areas []string) ([]byte, error) {
		run := "^TestBrokenTarget$/^(" + strings.Join(areas, "|") + ")$"
		cmd := exec.Command(os.Args[0], "-test.run="+run, "-test.short", "-enginetest.seed=1")
		cmd.Env = append(os.Environ(), brokenEnv+"="+bug.String())
		return cmd.CombinedOutput()
	}
	// The control: the same harness on the correct engine passes, so the
	// failures below come from the bugs.
	t.Run("control", func(t *testing.T) {
		t.Parallel()
		areas := []string{"CRUD", "Iterator", "Snapshot", "Persistence", "Crash", "Faults", "Corruption", "Randomized"}
		out, err := subprocess(refengine.NoBug, areas)
		if err != nil {
			t.Fatalf("the subprocess harness fails on the correct engine: %v\n%s", err, out)
		}
	})
	for _, tc := range tests {
		t.Run(tc.bug.String(), func(t *testing.T) {
			t.Parallel()
			out, err := subprocess(tc.bug, tc.caughtBy)
			if err == nil {
				t.Fatalf("the kit passed on broken variant %s; output:\n%s", tc.bug, out)
			}
			if _, ok := err.(*exec.ExitError); !ok {
				t.Fatalf("running the subprocess: %v", err)
			}
			for _, area := range tc.caughtBy {
				re := regexp.MustCompile(`--- FAIL: TestBrokenTarget/` + area + `\b`)
				if !re.Match(out) {
					t.Errorf("broken variant %s was not caught by %s; output:\n%s", tc.bug, area, out)
				}
			}
			if t.Failed() {
				return
			}
			t.Logf("caught by %s: %s", strings.Join(tc.caughtBy, ", "), firstFailure(out))
		})
	}
}

// firstFailure returns the first failure line the kit printed, for the
// log: the first file:line message after a failing subtest that is not one
// of the kit's informational lines.
func firstFailure(out []byte) string {
	info := regexp.MustCompile(`seed \d+|workload|single-byte flips|\d+ files:|read rounds|enginetest: `)
	failing := false
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "--- FAIL: TestBrokenTarget/") {
			failing = true
			continue
		}
		if failing && strings.Contains(line, ".go:") && !info.MatchString(line) {
			return strings.TrimSpace(line)
		}
	}
	return fmt.Sprintf("(no failure line found in %d bytes of output)", len(out))
}
