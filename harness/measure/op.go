package measure

import "fmt"

// Op is the type of one workload operation. Its values index per-op
// arrays ([NumOps]T) throughout the harness.
type Op uint8

// The operation types of YCSB's core workload.
const (
	// Read is a point lookup (Engine.Get).
	Read Op = iota
	// Update overwrites an existing record (Engine.Set).
	Update
	// Insert adds a new record (Engine.Set of a fresh key).
	Insert
	// Scan reads a run of consecutive records (NewIter, SeekGE, Next...).
	Scan
	// ReadModifyWrite reads a record and writes it back (Get then Set),
	// timed as one operation.
	ReadModifyWrite
	// NumOps is the number of operation types.
	NumOps = 5
)

var opNames = [NumOps]string{"read", "update", "insert", "scan", "readmodifywrite"}

// YCSB's spelling of the op names in its reports.
var opYCSB = [NumOps]string{"READ", "UPDATE", "INSERT", "SCAN", "READ-MODIFY-WRITE"}

// Name returns the op's lower-case name as used in property names
// ("read", "readmodifywrite").
func (o Op) Name() string {
	if o < NumOps {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// String returns the op's name as YCSB prints it in reports ("READ",
// "READ-MODIFY-WRITE").
func (o Op) String() string {
	if o < NumOps {
		return opYCSB[o]
	}
	return fmt.Sprintf("OP(%d)", uint8(o))
}

// ParseOp returns the Op named name, accepting either spelling of Name or
// String.
func ParseOp(name string) (Op, bool) {
	for i := range NumOps {
		if name == opNames[i] || name == opYCSB[i] {
			return Op(i), true
		}
	}
	return 0, false
}

// Ops lists every op type in order.
func Ops() [NumOps]Op { return [NumOps]Op{Read, Update, Insert, Scan, ReadModifyWrite} }
