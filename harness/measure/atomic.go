package measure

import "sync/atomic"

// atomicCounter is a counter shared by the Recorders of a Collector.
type atomicCounter = atomic.Uint64
