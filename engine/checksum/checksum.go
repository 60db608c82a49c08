package checksum

import (
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"runtime"
	"sync/atomic"

	"github.com/zeebo/xxh3"
	"golang.org/x/sys/cpu"
)

// Kind is a checksum algorithm. Its values are stored on disk and are
// frozen (see the package documentation).
type Kind uint8

const (
	// CRC32C is CRC-32 with the Castagnoli polynomial, stored in 4 bytes.
	CRC32C Kind = 1
	// XXH3 is XXH3-64 with seed 0, stored in 8 bytes.
	XXH3 Kind = 2
)

// ErrUnknownKind is wrapped by the error of ParseKind and KindOf for a name
// or value that is not a checksum kind.
var ErrUnknownKind = errors.New("checksum: unknown kind")

// String returns the kind's name as engine.Options.Checksum spells it
// ("crc32c", "xxh3"), or "Kind(n)" for an invalid value.
func (k Kind) String() string {
	switch k {
	case CRC32C:
		return "crc32c"
	case XXH3:
		return "xxh3"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == CRC32C || k == XXH3 }

// Size returns the number of bytes a checksum of kind k occupies on disk:
// 4 for CRC32C, 8 for XXH3, 0 for an invalid kind.
func (k Kind) Size() int {
	switch k {
	case CRC32C:
		return 4
	case XXH3:
		return 8
	}
	return 0
}

// ParseKind returns the kind named s, as engine.Options.Checksum spells it:
// "crc32c" or "xxh3". Any other name is an error wrapping ErrUnknownKind.
func ParseKind(s string) (Kind, error) {
	switch s {
	case "crc32c":
		return CRC32C, nil
	case "xxh3":
		return XXH3, nil
	}
	return 0, fmt.Errorf("%w %q (want \"crc32c\" or \"xxh3\")", ErrUnknownKind, s)
}

// KindOf returns the kind whose on-disk value is b, or an error wrapping
// ErrUnknownKind. Readers use it on the kind byte of a file header (and
// wrap the error as corruption).
func KindOf(b byte) (Kind, error) {
	if k := Kind(b); k.Valid() {
		return k, nil
	}
	return 0, fmt.Errorf("%w: value %d", ErrUnknownKind, b)
}

// impl is one set of implementations, swapped as a whole by ForcePortable.
type impl struct {
	crc     func([]byte) uint32
	xxh     func([]byte) uint64
	crcName string
	xxhName string
}

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)

	portableImpl = &impl{
		crc:     crc32cPortable,
		xxh:     xxh3Portable,
		crcName: "crc32c/portable",
		xxhName: "xxh3/portable",
	}
	// fastImpl is the best implementation of each kind for this CPU; a kind
	// without a fast path uses its portable function and name.
	fastImpl = detect()

	current atomic.Pointer[impl]
)

func init() { current.Store(implForEnv(os.Getenv("LIGHTNING_CHECKSUM"))) }

// implForEnv maps the LIGHTNING_CHECKSUM setting to an implementation:
// "portable" forces the portable ones; anything else ("", "auto", ...)
// keeps the CPU's best.
func implForEnv(v string) *impl {
	if v == "portable" {
		return portableImpl
	}
	return fastImpl
}

// detect chooses the fast implementations from the CPU features. The
// choice of the XXH3 name mirrors github.com/zeebo/xxh3's own dispatch,
// which it makes with its own CPU detection.
func detect() *impl {
	im := *portableImpl
	switch {
	case runtime.GOARCH == "amd64" && cpu.X86.HasSSE42:
		im.crc, im.crcName = crc32cStdlib, "crc32c/sse4.2"
	case runtime.GOARCH == "arm64" && cpu.ARM64.HasCRC32:
		im.crc, im.crcName = crc32cStdlib, "crc32c/armv8-crc"
	}
	im.xxh = xxh3.Hash
	switch runtime.GOARCH {
	case "amd64":
		switch {
		case cpu.X86.HasAVX512F && cpu.X86.HasAVX2:
			im.xxhName = "xxh3/avx512+avx2"
		case cpu.X86.HasAVX2:
			im.xxhName = "xxh3/avx2"
		default:
			im.xxhName = "xxh3/sse2"
		}
	case "arm64":
		im.xxhName = "xxh3/neon"
	default:
		im.xxhName = "xxh3/zeebo-generic"
	}
	return &im
}

func crc32cStdlib(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// Sum returns the checksum of data with kind. A CRC-32C is returned widened
// to uint64 (high 32 bits zero). For an invalid kind Sum returns 0; callers
// check kinds read from disk with KindOf or Kind.Valid first.
//
// Sum is safe for concurrent use and does not allocate.
func Sum(kind Kind, data []byte) uint64 {
	im := current.Load()
	switch kind {
	case CRC32C:
		return uint64(im.crc(data))
	case XXH3:
		return im.xxh(data)
	}
	return 0
}

// SumCRC32C returns the CRC-32C of data with the implementation in use.
func SumCRC32C(data []byte) uint32 { return current.Load().crc(data) }

// SumXXH3 returns the XXH3-64 (seed 0) of data with the implementation in
// use.
func SumXXH3(data []byte) uint64 { return current.Load().xxh(data) }

// Implementation names the implementation of kind in use, such as
// "crc32c/sse4.2", "crc32c/portable" or "xxh3/avx2", for reports and
// engine.Metrics.Checksum. An invalid kind gives "".
func Implementation(kind Kind) string { return current.Load().name(kind) }

func (im *impl) name(kind Kind) string {
	switch kind {
	case CRC32C:
		return im.crcName
	case XXH3:
		return im.xxhName
	}
	return ""
}

// ForcePortable(true) switches every kind to its portable pure-Go
// implementation; ForcePortable(false) goes back to the CPU's best. It is
// meant for tests and for measuring the fallback. It is safe to call at
// any time; checksums computed by either implementation are identical.
func ForcePortable(on bool) {
	if on {
		current.Store(portableImpl)
	} else {
		current.Store(fastImpl)
	}
}
