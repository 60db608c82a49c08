package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/harness"
	"github.com/lightningdb/lightning/harness/props"
	"github.com/lightningdb/lightning/reports"

	// Backends lbench can drive, registered by name.
	_ "github.com/lightningdb/lightning/backends/btree"
	_ "github.com/lightningdb/lightning/backends/lsm"
	_ "github.com/lightningdb/lightning/engine/memengine"
	_ "github.com/lightningdb/lightning/harness/nullengine"
)

// Exit codes.
const (
	exitOK = 0
	// exitFail: a target failed or operations returned errors under
	// -check, or the run itself failed (engine or I/O error, interrupt).
	exitFail = 1
	// exitUsage: bad input -- unknown subcommand or flag, bad workload
	// file or property, unknown backend, unreadable report.
	exitUsage = 2
)

// env is what a subcommand runs with: its output streams, the clock, a
// context canceled on interrupt.
type env struct {
	ctx            context.Context
	stdout, stderr io.Writer
	now            func() time.Time
	// statusEvery is the status line period (1 s; tests shorten it).
	statusEvery time.Duration
}

// command is one subcommand: its name, one-line summary and function.
type command struct {
	name, args, summary string
	run                 func(e *env, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"bench", "[flags]", "load then run workloads over backends into one report folder with plots", cmdBench},
		{"load", "-P workload [flags]", "run the load phase of a workload (insert the records)", cmdLoad},
		{"run", "-P workload [flags]", "run the run phase of a workload (the operation mix)", cmdRun},
		{"plot", "[-out DIR] report.json|DIR|file.hgrm ...", "redraw plots from saved reports or .hgrm files", cmdPlot},
		{"compare", "[flags] BASELINE NEW", "compare runs of a baseline and a new build; exit 1 on a regression", cmdCompare},
		{"list", "[backends|workloads|properties]", "list backends, built-in workloads and workload properties", cmdList},
		{"check", "-backend btree -dir DIR", "check a closed database offline (exit 1 if damaged)", cmdCheck},
	}
}

// run is lbench: it runs the subcommand args[0] and returns the process
// exit code. Everything it prints goes to stdout (results) or stderr
// (status, warnings, errors).
func run(stdout, stderr io.Writer, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e := &env{ctx: ctx, stdout: stdout, stderr: stderr, now: time.Now, statusEvery: time.Second}
	return e.main(args)
}

// main dispatches args to a subcommand and maps its error to an exit
// code.
func (e *env) main(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage())
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, usage())
		return exitOK
	}
	for _, c := range commands {
		if c.name == name {
			return e.exit(c.name, c.run(e, args[1:]))
		}
	}
	fmt.Fprintf(e.stderr, "lbench: unknown command %q\n\n%s", name, usage())
	return exitUsage
}

// exit prints err (if any) and returns its exit code.
func (e *env) exit(cmd string, err error) int {
	if err == nil {
		return exitOK
	}
	var fe failedError
	if errors.As(err, &fe) {
		fmt.Fprintf(e.stderr, "lbench %s: %v\n", cmd, err)
		return exitFail
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(e.stderr, "lbench %s: %v\n", cmd, err)
	return exitCode(err)
}

// exitCode classifies an error: bad input gives exitUsage, anything
// else exitFail.
func exitCode(err error) int {
	var ue usageError
	switch {
	case errors.As(err, &ue),
		errors.Is(err, props.ErrInvalid),
		errors.Is(err, engine.ErrUnknownBackend),
		errors.Is(err, engine.ErrInvalidOptions),
		errors.Is(err, harness.ErrPhase),
		errors.Is(err, reports.ErrSchema),
		errors.Is(err, engine.ErrCorruption):
		return exitUsage
	}
	return exitFail
}

// usageError is bad input from the command line.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// failedError reports a check that failed (-check), exit code 1.
type failedError struct{ msg string }

func (f failedError) Error() string { return f.msg }

func usage() string {
	var sb strings.Builder
	sb.WriteString(`lbench runs YCSB core workloads against Lightning's storage engines.

Usage: lbench <command> [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(&sb, "  %-7s %s\n          %s\n", c.name, c.args, c.summary)
	}
	sb.WriteString(`
Start with "lbench bench": the built-in smoke workload on the in-memory
engine, a summary on stdout and a report folder with plots.
"lbench <command> -h" lists a command's flags.

Exit status: 0 ok; 1 a target failed (with -check) or the run failed;
2 bad input (flags, workload files, properties, backend names).
`)
	return sb.String()
}

// stringList is a repeatable or comma-separated flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// commaList is a flag of comma-separated names.
type commaList []string

func (c *commaList) String() string { return strings.Join(*c, ",") }

func (c *commaList) Set(v string) error {
	*c = nil
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			*c = append(*c, f)
		}
	}
	if len(*c) == 0 {
		return errors.New("empty list")
	}
	return nil
}

// cmdFlags is a subcommand's flag set and its help text.
type cmdFlags struct {
	*flag.FlagSet
	help func()
}

// newFlagSet returns the flag set of subcommand name; -h prints its help
// to e.stderr.
func (e *env) newFlagSet(name, args, summary string) *cmdFlags {
	fs := flag.NewFlagSet("lbench "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse reports errors itself
	fs.Usage = func() {}
	help := func() {
		fmt.Fprintf(e.stderr, "Usage: lbench %s %s\n\n%s\n\nFlags:\n", name, args, summary)
		fs.SetOutput(e.stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return &cmdFlags{fs, help}
}

// parse parses args. -h prints the help and returns flag.ErrHelp (exit
// 0); a bad flag is a usage error naming it.
func (c *cmdFlags) parse(args []string) error {
	if err := c.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.help()
			return err
		}
		return usagef("%v (see %s -h)", err, c.Name())
	}
	return nil
}
