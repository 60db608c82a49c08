/*
Lbench runs YCSB core workloads against Lightning's storage engines and
writes what it measured: a YCSB-style summary, a JSON report, a CSV time
series, HdrHistogram percentile files, Go benchmark lines and plots.

Usage:

	lbench bench [-workloads a,b] [-backends x,y] [-repeat N] [flags]
	lbench load  -P workload [flags]
	lbench run   -P workload [flags]
	lbench plot  [-out DIR] report.json|DIR|file.hgrm ...
	lbench list  [backends|workloads|properties]

The first command to try is

	go run ./cmd/lbench bench

which loads and runs the built-in smoke workload on the in-memory engine
in a few seconds, prints the summary and says where the report folder is
(./lbench-out/<timestamp>: summary.txt, report.json, timeseries.csv,
bench.txt, *.hgrm, *.png, *.svg; see package reports for each file).

bench loads then runs each workload on each backend, each pair in a fresh
database, into one report folder with every plot, and the backend
comparison when there are several backends. bench -repeat N runs every
pair N times, interleaved (a b a b ...), each run recorded with its repeat
index: N samples of each configuration for lbench compare. load and run are YCSB's two
phases, for a database kept in -dir between them. plot redraws the plots
of saved reports (several at once, to compare runs of separate
invocations) or draws .hgrm files on one latency plot. list shows the
backends, the built-in workloads and every workload property with its
default.

Workloads are YCSB property files: -P names a file or a built-in workload
(workloada..workloadf, smoke, target-reads, target-writes, scanheavy,
writeheavy), -p key=value overrides a property, as in YCSB. Targets
declared with lightning.target.<op>.ops or lightning.target.<op>.p<N> are
printed with the measured value, ratio and PASS or FAIL.

Flags of bench, load and run:

	-backend NAME     backend of load and run (default mem)
	-backends a,b     backends of bench (default mem)
	-workloads a,b    workloads of bench (default smoke)
	-P file           workload file or built-in name; repeatable
	-p key=value      property override; repeatable
	-threads N        worker threads (overrides threadcount)
	-dir DIR          database directory (default: a fresh temporary one,
	                  removed at exit unless -keep)
	-keep             keep the temporary database directory
	-out DIR          report folder (default ./lbench-out/<timestamp>)
	-check            exit 1 if a target fails or an operation errs
	-quiet            no status line, progress bar or phase lines on stderr
	-plots=false      skip the PNG and SVG plots
	-repeat N         (bench) run every workload on every backend N times,
	                  interleaved
	-debug-delay [backend:]op=duration
	                  TESTING THE PERF GATE ONLY: busy-wait before each
	                  such engine op (get, set, delete, apply, iter, step);
	                  the figures then measure no real build

While a phase runs, a status line on stderr shows every second the
operations per second and the p50/p99 service time of each op type; the
load phase shows its progress (as a bar when stderr is a terminal). The
summary goes to stdout.

Exit status: 0 on success; 1 when a target failed or an operation
returned an error under -check, or the run itself failed (engine or I/O
error, interrupt); 2 on bad input: an unknown command, flag or backend, a
bad workload file or property, an unreadable report.

The command is a thin main over run(stdout, stderr, args), one file per
subcommand, tested end to end with golden files under testdata/
(regenerate them with go test ./cmd/lbench -update).
*/
package main
