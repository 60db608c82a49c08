// Command rivals runs lbench's harness (the same workload files, key
// generators, threads and measurement) on Pebble and bbolt, through
// minimal engine.Engine adapters, and on Lightning's backends, in one
// process, alternating backends within each repeat, so that their figures
// come from the same machine state:
//
//	cd tools/rivals
//	go run . -workload workloadc -backends bbolt,btree,lsm,pebble -repeat 3 -p lightning.option.cache_size=268435456
//
// It prints the load and run throughput of each backend and repeat. It is
// a module of its own so that Lightning itself does not depend on Pebble
// or bbolt.
//
// The adapters: Pebble v2 with its default options, the given cache size
// and NoSync writes (Sync when the workload asks); every Get copies the
// value and closes its closer. bbolt v1.5 with NoSync, one bucket, one
// Update transaction per write or batch and one View per read, which is
// how the issue that set the btree's goals measured it. Neither adapter
// supports snapshots (no core workload uses them).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/harness"
	"github.com/lightningdb/lightning/harness/props"
	"github.com/lightningdb/lightning/workloads"

	_ "github.com/lightningdb/lightning/backends/btree"
	_ "github.com/lightningdb/lightning/backends/lsm"
	_ "github.com/lightningdb/lightning/engine/memengine"
)

func main() {
	wl := flag.String("workload", "workloadc", "workload: a built-in name (workloada..f, target-writes...) or a file")
	backends := flag.String("backends", "bbolt,btree,lsm,pebble", "comma-separated: bbolt, pebble, or a registered Lightning backend (btree, lsm, mem)")
	repeat := flag.Int("repeat", 1, "how many times to run every backend, alternating")
	var over stringList
	flag.Var(&over, "p", "property override key=value, as lbench -p; repeatable")
	flag.Parse()
	set, err := props.Load(vfs.Default, workloads.FS, []string{*wl}, over)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	w, err := set.Workload()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	opts, err := w.EngineOpts(nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for r := 0; r < *repeat; r++ {
		for _, b := range strings.Split(*backends, ",") {
			dir, err := os.MkdirTemp("", "rivals-")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			var eng engine.Engine
			if b == "bbolt" {
				eng, err = openBolt(dir)
			} else if b == "pebble" {
				cs := opts.CacheSize
				if cs == 0 {
					cs = 64 << 20
				}
				eng, err = openPebble(dir, cs)
			} else {
				eng, err = engine.Open(b, dir, opts)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			ld, err := harness.Load(context.Background(), eng, w, &harness.Options{})
			if err != nil {
				fmt.Fprintln(os.Stderr, b, "load:", err)
				os.Exit(1)
			}
			rn, err := harness.Run(context.Background(), eng, w, &harness.Options{})
			if err != nil {
				fmt.Fprintln(os.Stderr, b, "run:", err)
				os.Exit(1)
			}
			fmt.Printf("%-7s %s load %8.0f ops/s   run %8.0f ops/s\n", b, *wl, ld.Throughput, rn.Throughput)
			eng.Close()
			os.RemoveAll(dir)
		}
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
