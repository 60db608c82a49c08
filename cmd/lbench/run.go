package main

// cmdRun is "lbench run": the run phase of a workload (-P), its operation
// mix against the database in -dir (load it first with lbench load),
// measured and reported.
func cmdRun(e *env, args []string) error {
	return e.onePhase("run", "Run the run phase of a workload (its operation mix) against the database in -dir.", args)
}
