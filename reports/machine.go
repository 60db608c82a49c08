package reports

import (
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/lightningdb/lightning/engine/checksum"
	"github.com/lightningdb/lightning/engine/vfs"
)

// Machine describes the machine and build a report was made on.
type Machine struct {
	// CPUModel is the CPU's model name from /proc/cpuinfo ("" if unknown).
	CPUModel string `json:"cpu_model"`
	// Cores is runtime.NumCPU: logical CPUs usable by the process.
	Cores int `json:"cores"`
	// GOMAXPROCS is the Go scheduler's limit when the report was made.
	GOMAXPROCS int `json:"gomaxprocs"`
	// GoVersion, OS and Arch describe the binary (runtime.Version, GOOS,
	// GOARCH).
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	// Checksum maps each checksum kind to the implementation chosen for
	// this CPU (engine/checksum.Implementation): {"crc32c":
	// "crc32c/sse4.2", "xxh3": "xxh3/avx2"}.
	Checksum map[string]string `json:"checksum"`
	// Commit is the VCS revision the binary was built from
	// (debug.ReadBuildInfo's vcs.revision), "" when the build does not say
	// (go run and go test do not stamp it). Modified is vcs.modified.
	Commit   string `json:"commit"`
	Modified bool   `json:"modified,omitempty"`
}

// CollectMachine describes this machine and binary. It reads
// /proc/cpuinfo through fs (vfs.Default if nil); a missing file leaves
// CPUModel empty.
func CollectMachine(fs vfs.FS) Machine {
	if fs == nil {
		fs = vfs.Default
	}
	m := Machine{
		Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		Checksum: map[string]string{},
	}
	for _, k := range []checksum.Kind{checksum.CRC32C, checksum.XXH3} {
		m.Checksum[k.String()] = checksum.Implementation(k)
	}
	if data, err := vfs.ReadFile(fs, "/proc/cpuinfo"); err == nil {
		m.CPUModel = ParseCPUModel(string(data))
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				m.Commit = s.Value
			case "vcs.modified":
				m.Modified = s.Value == "true"
			}
		}
	}
	return m
}

// ParseCPUModel returns the CPU model named in the text of /proc/cpuinfo:
// the first "model name" line (x86), else "Hardware", "Processor" or "cpu
// model" (some ARM and MIPS kernels), else "".
func ParseCPUModel(cpuinfo string) string {
	found := map[string]string{}
	for _, line := range strings.Split(cpuinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if _, seen := found[k]; !seen && v != "" {
			found[k] = v
		}
	}
	for _, k := range []string{"model name", "Hardware", "Processor", "cpu model"} {
		if v, ok := found[k]; ok {
			return v
		}
	}
	return ""
}

// String renders the machine on one line for summaries.
func (m Machine) String() string {
	cpu := m.CPUModel
	if cpu == "" {
		cpu = "unknown CPU"
	}
	var sb strings.Builder
	sb.WriteString(cpu)
	sb.WriteString(", ")
	sb.WriteString(itoa(m.Cores))
	sb.WriteString(" cores, GOMAXPROCS ")
	sb.WriteString(itoa(m.GOMAXPROCS))
	sb.WriteString(", " + m.GoVersion + " " + m.OS + "/" + m.Arch)
	return sb.String()
}
