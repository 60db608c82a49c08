package tsc

import (
	"testing"
	"time"
)

func TestNowTracksMonotonic(t *testing.T) {
	Init()
	t.Logf("clock source %s, %.4f ns/tick", Source(), scale)
	// Over 50 ms the clock agrees with the monotonic clock to 0.5% (plus
	// scheduling noise around the readings, bounded by 1 ms).
	a, ma := Now(), mono()
	time.Sleep(50 * time.Millisecond)
	b, mb := Now(), mono()
	d, md := b-a, mb-ma
	if diff := d - md; diff > int64(time.Millisecond)+md/200 || -diff > int64(time.Millisecond)+md/200 {
		t.Errorf("clock advanced %v while the monotonic clock advanced %v", time.Duration(d), time.Duration(md))
	}
	// Same epoch as the monotonic clock, to within a millisecond.
	if off := Now() - mono(); off > int64(time.Millisecond) || off < -int64(time.Millisecond) {
		t.Errorf("offset from monotonic clock %v", time.Duration(off))
	}
	// Monotonic within one goroutine.
	prev := Now()
	for range 100000 {
		n := Now()
		if n < prev {
			t.Fatalf("clock went back from %d to %d", prev, n)
		}
		prev = n
	}
}

func BenchmarkNow(b *testing.B) {
	Init()
	var s int64
	for b.Loop() {
		s += Now()
	}
	_ = s
}

func BenchmarkMono(b *testing.B) {
	var s int64
	for b.Loop() {
		s += mono()
	}
	_ = s
}
