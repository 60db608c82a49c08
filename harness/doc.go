// Package harness runs YCSB core workloads against any engine.Engine:
// Load inserts the records, Run performs the operation mix, and each
// returns a Result with everything measured -- per-op-type HDR
// histograms, a per-interval time series, outcome counts, run time,
// throughput, the resolved properties and the engine's metrics -- from
// which package reports (and lbench) build every report and plot.
//
// Workloads are read by harness/props (YCSB's property files), their
// generators live in harness/gen, measurement in harness/measure;
// harness/nullengine is an engine that does nothing, to measure the
// driver itself.
//
// # Workers
//
// threadcount goroutines each own their generators, their histograms and
// their share of the work: in the load phase a contiguous range of key
// numbers, in the run phase operationcount/threadcount operations (the
// first operationcount%threadcount workers do one more, as in YCSB).
// Nothing is shared per operation except one atomic load (the last
// acknowledged insert) and, for run-phase inserts, one atomic add.
//
// # How latency is measured
//
// A worker generates a batch of up to 64 operations ahead -- op type, key
// bytes, value, scan length -- then executes them back to back, reading
// the clock once between consecutive operations: the reading after
// operation j is operation j's end and operation j+1's start. Only the
// engine call, a nil check of its error and the clock reading lie between
// two readings; generating and recording happen outside, before and after
// the batch. So every operation is timed individually -- no sampling, no
// averaging over a batch -- for one clock reading per operation.
//
// The service time of an operation is therefore the engine call plus one
// clock reading plus a few nanoseconds of loop (Result.ClockCost reports
// the measured cost of a reading: about 8 ns with the TSC clock, 20 ns
// with the runtime's monotonic clock). The clock (harness/internal/tsc) is
// the CPU's invariant TSC calibrated against the monotonic clock to 0.1%,
// or the monotonic clock where there is no invariant TSC
// (Result.ClockSource). A TSC reading is not serializing: the CPU may
// execute it some tens of cycles early or late, which shifts the boundary
// between two neighbouring operations by up to about 10 ns without
// changing their sum. Histograms keep 3 significant digits (each value
// within 0.1%). For an operation of a microsecond these errors are below
// 2%; for a 50 ns cache hit the reported time overstates the engine's own
// by about one clock reading, which the report can show next to it.
//
// Counts are exact: every operation is counted by type and outcome (OK,
// not found, error), errors included, never dropped.
//
// # Open loop and coordinated omission
//
// With target > 0 each worker issues its operations on a schedule,
// operation n due at start + n*threadcount/target, waiting when early
// and starting at once when late. Two latencies are recorded per
// operation: service time, from its actual start, and intended latency,
// from when it was due. When the engine stalls, the operations that
// should have started during the stall wait, and their intended latency
// shows it -- the coordinated-omission correction that closed-loop
// drivers (and YCSB by default) miss. Intended >= service for every
// operation. Result.Latency picks the intended histogram in open-loop
// runs.
//
// # Warm-up, intervals, throughput
//
// In the run phase, operations started before lightning.warmup has
// elapsed are counted in Result.WarmupCounts and are in no histogram; a
// batch is cut at the end of warm-up so the boundary is exact to one
// operation. operationcount counts measured operations only. Measured
// operations go to the interval of the time series in which they ended
// (lightning.interval, 1 s by default). RunTime is from the end of
// warm-up to the end of the last measured operation, and Throughput is
// measured operations per second of RunTime.
//
// # Driver cost
//
// BenchmarkNullEngine runs workload C's shape (scrambled zipfian keys over
// 1M records, YCSB key names) against harness/nullengine and reports the
// CPU time per operation: about 55-60 ns on the reference machine, that
// is about 33M ops/s on its 2 cores when nothing else runs.
package harness
