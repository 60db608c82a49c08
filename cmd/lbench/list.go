package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/harness/props"
	"github.com/lightningdb/lightning/workloads"
)

// cmdList is "lbench list [section]": the registered backends, the
// built-in workloads with what each models, and every workload property
// with its default and meaning. A section (backends, workloads,
// properties) limits the listing to it.
func cmdList(e *env, args []string) error {
	fs := e.newFlagSet("list", "[backends|workloads|properties]",
		"List the backends, the built-in workloads and the workload properties.")
	if err := fs.parse(args); err != nil {
		return err
	}
	sections := []string{"backends", "workloads", "properties"}
	switch {
	case fs.NArg() > 1:
		return usagef("list takes at most one section, got %q", fs.Args())
	case fs.NArg() == 1:
		if !slices.Contains(sections, fs.Arg(0)) {
			return usagef("unknown section %q: want one of %s", fs.Arg(0), strings.Join(sections, ", "))
		}
		sections = []string{fs.Arg(0)}
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for i, s := range sections {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		switch s {
		case "backends":
			listBackends(tw)
		case "workloads":
			listWorkloads(tw)
		case "properties":
			listProperties(tw)
		}
	}
	return tw.Flush()
}

func listBackends(tw *tabwriter.Writer) {
	fmt.Fprintln(tw, "Backends (-backend NAME, -backends a,b):")
	notes := map[string]string{
		"btree": "paged B+tree in one file, WAL, page cache",
		"lsm":   "log-structured merge tree: WAL, memtable, SSTables, leveled compaction",
		"mem":   "in-memory engine: no files, nothing kept across processes; the baseline",
		"null":  "stores nothing, does nothing: measures the harness's own ceiling",
	}
	for _, b := range engine.Backends() {
		fmt.Fprintf(tw, "  %s\t%s\n", b, notes[b])
	}
}

func listWorkloads(tw *tabwriter.Writer) {
	fmt.Fprintln(tw, "Built-in workloads (-P NAME, -workloads a,b; a file path works too):")
	for _, name := range workloads.Names() {
		data, err := workloads.Read(name)
		desc := ""
		if err == nil {
			desc = firstComment(string(data))
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, desc)
	}
}

// firstComment returns the first sentence of the first comment paragraph
// of a workload file, without the "#"s.
func firstComment(text string) string {
	var words []string
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if !strings.HasPrefix(t, "#") {
			if len(words) > 0 {
				break
			}
			continue
		}
		t = strings.TrimSpace(strings.TrimLeft(t, "#"))
		if t == "" && len(words) > 0 {
			break
		}
		words = append(words, strings.Fields(t)...)
	}
	s := strings.Join(words, " ")
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	return s
}

func listProperties(tw *tabwriter.Writer) {
	fmt.Fprintln(tw, "Workload properties (name=default, meaning, value type), YCSB's then Lightning's:")
	for _, d := range props.Defs() {
		def := d.Default
		if def == "" {
			def = "(computed)"
		}
		kind := d.Type.String()
		if d.Type == props.Enum {
			kind = "one of " + strings.Join(d.Enum, ", ")
		}
		fmt.Fprintf(tw, "  %s=%s\t%s (%s)\n", d.Name, def, d.Doc, kind)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "Patterned Lightning properties:")
	fmt.Fprintf(tw, "  %s<option>=value\tengine option, named as engine.Options prints it (cache_size, compression, ...), or <backend>.<name> for a backend's own\n", props.OptionPrefix)
	fmt.Fprintf(tw, "  %s<op>.ops=N\ttarget: at least N operations/s of <op> (read, update, insert, scan, readmodifywrite, overall)\n", props.TargetPrefix)
	fmt.Fprintf(tw, "  %s<op>.p<N>=latency\ttarget: at most this latency (like 1ms) at percentile N (p99, p99.9) of <op>\n", props.TargetPrefix)
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "YCSB properties accepted without effect:")
	ign := props.Ignored()
	for _, k := range slices.Sorted(maps.Keys(ign)) {
		fmt.Fprintf(tw, "  %s\t%s\n", k, ign[k])
	}
}
