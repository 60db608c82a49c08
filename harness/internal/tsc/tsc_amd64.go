package tsc

// rdtsc returns the time-stamp counter (RDTSC).
func rdtsc() uint64

// cpuid executes CPUID with eax=leaf, ecx=0.
func cpuid(leaf uint32) (eax, ebx, ecx, edx uint32)

// haveInvariantTSC reports CPUID 0x80000007 EDX bit 8: the TSC ticks at a
// constant rate in every power state and is synchronized across cores.
func haveInvariantTSC() bool {
	if maxExt, _, _, _ := cpuid(0x80000000); maxExt < 0x80000007 {
		return false
	}
	_, _, _, edx := cpuid(0x80000007)
	return edx&(1<<8) != 0
}
