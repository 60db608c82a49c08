package main

// cmdLoad is "lbench load": the load phase of a workload (-P), inserting
// its records into the backend's database in -dir, measured and reported.
// With a temporary -dir (the default) the data is dropped at exit unless
// -keep; load into a -dir of your own to run phases on it afterwards with
// lbench run. (The in-memory backend keeps nothing across processes: use
// lbench bench for it.)
func cmdLoad(e *env, args []string) error {
	return e.onePhase("load", "Run the load phase of a workload: insert its records, measured.", args)
}
