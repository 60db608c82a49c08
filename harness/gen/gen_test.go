package gen

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/lightningdb/lightning/harness/measure"
	"github.com/lightningdb/lightning/harness/props"
)

// ycsbKeyReference builds a key the way YCSB does, written independently
// of KeyBuilder from these lines of YCSB (core/src/main/java/site/ycsb):
//
//	Utils.java:
//	  public static final long FNV_OFFSET_BASIS_64 = 0xCBF29CE484222325L;
//	  public static final long FNV_PRIME_64 = 1099511628211L;
//	  public static long fnvhash64(long val) {
//	    long hashval = FNV_OFFSET_BASIS_64;
//	    for (int i = 0; i < 8; i++) {
//	      long octet = val & 0x00ff;
//	      val = val >> 8;
//	      hashval = hashval ^ octet;
//	      hashval = hashval * FNV_PRIME_64;
//	    }
//	    return Math.abs(hashval);
//	  }
//	workloads/CoreWorkload.java, buildKeyName:
//	  if (!orderedinserts) { keynum = Utils.hash(keynum); }
//	  String value = Long.toString(keynum);
//	  int fill = zeropadding - value.length();
//	  String prekey = "user";
//	  for (int i = 0; i < fill; i++) { prekey += '0'; }
//	  return prekey + value;
//
// The loop is FNV-1a over the long's 8 bytes, least significant first, so
// the reference uses the standard library's FNV-1a on the little-endian
// encoding.
func ycsbKeyReference(keynum int64, zeropadding int, ordered bool) string {
	if !ordered {
		h := fnv.New64a()
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(keynum))
		h.Write(b[:])
		s := int64(h.Sum64())
		if s < 0 && s != math.MinInt64 {
			s = -s
		}
		keynum = s
	}
	value := strconv.FormatInt(keynum, 10)
	fill := zeropadding - len(value)
	return "user" + strings.Repeat("0", max(fill, 0)) + value
}

func TestYCSBKeys(t *testing.T) {
	// Pinned: YCSB's keys for key numbers 0, 1, 2 and 1000 with its
	// defaults (hashed, zeropadding=1). "user6284781860667377211" is the
	// first key of every YCSB load.
	pinned := map[int64]string{
		0:    "user6284781860667377211",
		1:    "user8517097267634966620",
		2:    "user1820151046732198393",
		1000: "user5952875239596136740",
	}
	kb := YCSBKeys()
	for k, want := range pinned {
		if got := string(kb.Append(nil, k)); got != want {
			t.Errorf("key %d = %s, want %s", k, got, want)
		}
		if ref := ycsbKeyReference(k, 1, false); ref != want {
			t.Errorf("reference key %d = %s, want %s", k, ref, want)
		}
	}
	r := testRand(t)
	for i := range 20000 {
		var k int64
		switch i % 4 {
		case 0:
			k = int64(i)
		case 1:
			k = int64(r.Uint64() >> 1)
		case 2:
			k = int64(r.Uint64n(1 << 32))
		case 3:
			k = int64(r.Uint64n(100))
		}
		pad := int(r.Uint64n(25))
		for _, ordered := range []bool{false, true} {
			kb := KeyBuilder{Prefix: "user", ZeroPadding: pad, Hashed: !ordered}
			got := string(kb.Append(nil, k))
			if want := ycsbKeyReference(k, pad, ordered); got != want {
				t.Fatalf("key %d pad %d ordered %v = %s, want %s", k, pad, ordered, got, want)
			}
			if len(got) > kb.MaxLen() {
				t.Fatalf("key %s longer than MaxLen %d", got, kb.MaxLen())
			}
		}
	}
}

func TestFNVHash64MinInt(t *testing.T) {
	// Java's Math.abs(Long.MIN_VALUE) is Long.MIN_VALUE; the key then
	// carries a minus sign. Find no preimage (2^-64 odds); check the
	// formatting path directly.
	kb := KeyBuilder{Prefix: "user", ZeroPadding: 22}
	if got := string(kb.Append(nil, math.MinInt64)); got != "user00-9223372036854775808" {
		t.Errorf("MinInt64 key = %s", got)
	}
}

func TestAppendDecimal(t *testing.T) {
	cases := []int64{0, 1, 9, 10, 99, 100, 12345678, 99999999, 100000000, 100000001,
		9999999999999999, 10000000000000000, math.MaxInt64, -1, math.MinInt64}
	for i := int64(1); i > 0 && i < math.MaxInt64/10; i *= 10 {
		cases = append(cases, i-1, i, i+1)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		cases = append(cases, int64(r.Uint64()>>r.IntN(64)))
	}
	for _, v := range cases {
		want := strconv.FormatInt(v, 10)
		if got := string(appendDecimal(nil, v)); got != want {
			t.Fatalf("appendDecimal(%d) = %s", v, got)
		}
		if n := decimalLen(v); n != len(want) {
			t.Fatalf("decimalLen(%d) = %d, want %d", v, n, len(want))
		}
	}
}

func TestCompactKeys(t *testing.T) {
	kb := KeyBuilder{Prefix: "u", Format: KeyCompact}
	a, b := kb.Append(nil, 255), kb.Append(nil, 256)
	if string(a) != "u\x00\x00\x00\x00\x00\x00\x00\xff" || string(a) >= string(b) || len(a) != kb.MaxLen() {
		t.Errorf("compact keys %q %q", a, b)
	}
	kb.Hashed = true
	if got := binary.BigEndian.Uint64(kb.Append(nil, 0)[1:]); got != uint64(FNVHash64(0)) {
		t.Errorf("hashed compact key %x", got)
	}
}

func TestZeta(t *testing.T) {
	// Past 2^20 items zeta uses Euler-Maclaurin: compare with the exact sum.
	thetas := []float64{0.5, 0.99, 0.2}
	if testing.Short() {
		thetas = thetas[1:2]
	}
	for _, theta := range thetas {
		n := uint64(exactZetaLimit + 12345)
		exact := zetaSum(0, n, theta, 0)
		if got := Zeta(n, theta); math.Abs(got-exact)/exact > 1e-12 {
			t.Errorf("theta %g: zeta(%d) = %.15g, exact %.15g", theta, n, got, exact)
		}
	}
	// YCSB's precomputed constant for its scrambled zipfian.
	if got := Zeta(ScrambledItems, 0.99); math.Abs(got-ScrambledZetan)/ScrambledZetan > 1e-9 {
		t.Errorf("zeta(1e10, 0.99) = %.15g, YCSB's ZETAN is %.15g", got, ScrambledZetan)
	}
	// Small cases by hand.
	if got := Zeta(2, 0.5); math.Abs(got-(1+1/math.Sqrt2)) > 1e-15 {
		t.Errorf("zeta(2, .5) = %v", got)
	}
}

func TestZipfianMatchesGrayPMF(t *testing.T) {
	r := testRand(t)
	for _, tc := range []struct {
		n     uint64
		theta float64
	}{{1, 0.99}, {2, 0.99}, {3, 0.99}, {10, 0.99}, {100, 0.99}, {50, 0.5}, {1000, 0.8}} {
		z := NewZipfian(r, 7, 7+tc.n-1, tc.theta)
		const draws = 300000
		obs := make([]int, tc.n)
		for range draws {
			v := z.Next()
			if v < 7 || v >= 7+tc.n {
				t.Fatalf("n=%d: value %d out of range", tc.n, v)
			}
			obs[v-7]++
		}
		p := GrayPMF(tc.n, tc.theta)
		sum := 0.0
		for _, x := range p {
			sum += x
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("n=%d: GrayPMF sums to %v", tc.n, sum)
		}
		if tc.n > 1 {
			checkChi(t, fmt.Sprintf("zipfian n=%d theta=%g", tc.n, tc.theta), obs, p, draws)
		}
		// Gray's algorithm approximates the true zipfian: the two most
		// popular items exactly, the rest closely (total variation).
		zp := ZipfPMF(tc.n, tc.theta)
		tv := 0.0
		for k := range p {
			tv += math.Abs(p[k]-zp[k]) / 2
		}
		if tc.n > 2 && (math.Abs(p[0]-zp[0]) > 1e-12 || tv > 0.05) {
			t.Errorf("n=%d theta=%g: Gray pmf is %.4f (TV) from the true zipfian, p0 %v vs %v", tc.n, tc.theta, tv, p[0], zp[0])
		}
		t.Logf("n=%d theta=%g: TV(Gray, Zipf) = %.4f", tc.n, tc.theta, tv)
	}
}

func TestZipfianGrows(t *testing.T) {
	r := testRand(t)
	z := NewZipfian(r, 0, 99, 0.99)
	for n := uint64(100); n <= 5000; n += 37 {
		z.NextN(n)
		if want := Zeta(n, 0.99); math.Abs(z.zetan-want)/want > 1e-12 {
			t.Fatalf("incremental zeta at n=%d: %v, want %v", n, z.zetan, want)
		}
	}
	// And the draws over the grown count follow its pmf.
	const n, draws = 200, 200000
	obs := make([]int, n)
	for range draws {
		obs[z.NextN(n)]++
	}
	checkChi(t, "zipfian after shrink to 200", obs, GrayPMF(n, 0.99), draws)
}

func TestScrambledZipfian(t *testing.T) {
	r := testRand(t)
	const n, draws = 1000, 400000
	s := NewScrambledZipfian(r, 5000, 5000+n-1, 0.99)
	obs := make([]int, n)
	for range draws {
		v := s.Next()
		if v < 5000 || v >= 5000+n {
			t.Fatalf("value %d out of range", v)
		}
		obs[v-5000]++
	}
	// The most popular draw, 0, maps to FNVHash64(0) mod n with
	// probability 1/zeta(10^10) (plus the few other draws that collide).
	hot := uint64(FNVHash64(0)) % n
	p := float64(obs[hot]) / draws
	if want := 1 / ScrambledZetan; p < want*0.95 || p > want*1.2 {
		t.Errorf("hottest item %d has %.4f of draws, want about %.4f", hot, p, want)
	}
	// Popular items are scattered, not clustered at the low end.
	low := 0
	for _, c := range obs[:n/10] {
		low += c
	}
	if f := float64(low) / draws; f > 0.3 {
		t.Errorf("first tenth of the range gets %.2f of draws: not scrambled", f)
	}
	// fastMod agrees with %.
	for range 100000 {
		x, d := r.Uint64(), r.Uint64n(1<<40)+1
		if got := newFastMod(d).mod(x); got != x%d {
			t.Fatalf("fastMod %d mod %d = %d", x, d, got)
		}
	}
	if got := newFastMod(math.MaxUint64).mod(math.MaxUint64); got != 0 {
		t.Fatalf("fastMod max = %d", got)
	}
}

func TestUniform(t *testing.T) {
	r := testRand(t)
	const n, draws = 97, 200000
	u := NewUniform(r, 10, 10+n-1)
	obs := make([]int, n)
	for range draws {
		obs[u.Next()-10]++
	}
	p := make([]float64, n)
	for i := range p {
		p[i] = 1.0 / n
	}
	checkChi(t, "uniform", obs, p, draws)
}

func TestHotspot(t *testing.T) {
	r := testRand(t)
	for _, tc := range []struct{ data, opn float64 }{{0.2, 0.8}, {0.01, 0.99}, {0.5, 0.5}, {0, 0.8}, {1, 0.3}} {
		const n, draws = 1000, 200000
		h := NewHotspot(r, 0, n-1, tc.data, tc.opn)
		hotN := int(n * tc.data)
		obs := make([]int, n)
		for range draws {
			obs[h.Next()]++
		}
		p := make([]float64, n)
		for i := range p {
			switch {
			case hotN == 0:
				p[i] = 1.0 / n
			case hotN == n:
				p[i] = 1.0 / n
			case i < hotN:
				p[i] = tc.opn / float64(hotN)
			default:
				p[i] = (1 - tc.opn) / float64(n-hotN)
			}
		}
		checkChi(t, fmt.Sprintf("hotspot %g/%g", tc.data, tc.opn), obs, p, draws)
	}
}

func TestSequentialAndCounter(t *testing.T) {
	s := NewSequential(10, 13, 6)
	var got []uint64
	for range 6 {
		got = append(got, s.Next())
	}
	if fmt.Sprint(got) != "[12 13 10 11 12 13]" {
		t.Errorf("sequential %v", got)
	}
	c := NewCounter(5)
	if c.Next() != 5 || c.Next() != 6 {
		t.Error("counter")
	}
}

func TestExponential(t *testing.T) {
	r := testRand(t)
	// YCSB's parameters: 95% of draws below 1/7... of 1000 items.
	e := NewExponential(r, 95, 1000*0.8571428571)
	const bins, draws = 60, 200000
	width := 50.0
	obs := make([]int, bins+1)
	below := 0
	for range draws {
		v := e.Next()
		if float64(v) < 1000*0.8571428571 {
			below++
		}
		obs[min(int(float64(v)/width), bins)]++
	}
	// floor(X) in [a, b) iff X in [a, b): P = exp(-g a) - exp(-g b).
	g := 1 / e.Mean()
	p := make([]float64, bins+1)
	for i := range bins {
		p[i] = math.Exp(-g*width*float64(i)) - math.Exp(-g*width*float64(i+1))
	}
	p[bins] = math.Exp(-g * width * bins)
	checkChi(t, "exponential", obs, p, draws)
	if f := float64(below) / draws; math.Abs(f-0.95) > 0.005 {
		t.Errorf("%.4f of draws below the range, want 0.95", f)
	}
}

func TestSkewedLatest(t *testing.T) {
	r := testRand(t)
	ack := NewAckCounter(500)
	l := NewSkewedLatest(r, ack, 0.99)
	// Last = 499: 500 items, the newest the most popular.
	const draws = 300000
	obs := make([]int, 500)
	for range draws {
		v := l.Next()
		if v > 499 {
			t.Fatalf("latest returned %d past Last", v)
		}
		obs[499-v]++ // rank by recency
	}
	checkChi(t, "latest", obs, GrayPMF(500, 0.99), draws)
	// After more inserts are acknowledged, the newest item moves.
	for range 100 {
		if err := ack.Acknowledge(ack.Next()); err != nil {
			t.Fatal(err)
		}
	}
	newest := 0
	for range 10000 {
		if l.Next() == 599 {
			newest++
		}
	}
	if f := float64(newest) / 10000; math.Abs(f-1/Zeta(600, 0.99)) > 0.02 {
		t.Errorf("newest item drawn %.3f of the time, want %.3f", f, 1/Zeta(600, 0.99))
	}
}

func TestAckCounterConcurrent(t *testing.T) {
	r := testRand(t)
	const workers, per = 8, 5000
	c := NewAckCounter(100)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		seed := r.Uint64()
		wg.Add(1)
		go func() {
			defer wg.Done()
			rr := NewRand(seed, uint64(w))
			var pending []uint64
			for range per {
				pending = append(pending, c.Next())
				// Acknowledge a random pending value, out of order.
				if len(pending) > 3 || rr.Uint64n(2) == 0 {
					i := rr.Uint64n(uint64(len(pending)))
					v := pending[i]
					pending = append(pending[:i], pending[i+1:]...)
					if last := c.Last(); last >= int64(v) {
						errs <- fmt.Errorf("Last %d covers unacknowledged %d", last, v)
						return
					}
					if err := c.Acknowledge(v); err != nil {
						errs <- err
						return
					}
				}
			}
			for _, v := range pending {
				if err := c.Acknowledge(v); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := c.Last(); got != 100+workers*per-1 {
		t.Errorf("Last = %d after all acknowledged, want %d", got, 100+workers*per-1)
	}
	if err := c.Acknowledge(100); err == nil {
		t.Error("double acknowledgement accepted")
	}
	if err := c.Acknowledge(c.Next() + AckWindow + 5); err == nil {
		t.Error("acknowledgement past the window accepted")
	}
}

func testWorkload(t *testing.T, lines ...string) *props.Workload {
	t.Helper()
	s := props.New()
	for _, l := range append([]string{"recordcount=1000"}, lines...) {
		if err := s.SetArg(l); err != nil {
			t.Fatal(err)
		}
	}
	w, err := s.Workload()
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestOpChooser(t *testing.T) {
	r := testRand(t)
	p := [measure.NumOps]float64{0.5, 0.2, 0.05, 0.25, 0}
	c := newOpChooser(p)
	const draws = 200000
	obs := make([]int, measure.NumOps)
	for range draws {
		obs[c.next(r)]++
	}
	checkChi(t, "ops", obs, p[:], draws)
	if obs[measure.ReadModifyWrite] != 0 {
		t.Error("op with proportion 0 chosen")
	}
	one := newOpChooser([measure.NumOps]float64{0, 0, 0, 1, 0})
	if one.next(r) != measure.Scan {
		t.Error("single op")
	}
}

func TestWorkerKeysInRange(t *testing.T) {
	for _, dist := range []string{"uniform", "zipfian", "latest", "hotspot", "sequential", "exponential"} {
		w := testWorkload(t, "requestdistribution="+dist, "insertstart=100", "insertcount=800",
			"readproportion=0.9", "insertproportion=0.1", "updateproportion=0", "operationcount=1000")
		sh, err := NewShared(w)
		if err != nil {
			t.Fatal(err)
		}
		g := sh.NewWorker(*seedFlag+1, 0, 2)
		for range 20000 {
			k := g.NextKeynum()
			if k < 0 || k > sh.Inserts.Last() {
				t.Fatalf("%s: keynum %d outside [0, %d]", dist, k, sh.Inserts.Last())
			}
			if dist != "latest" && dist != "exponential" && (k < 100 || k >= 900) && dist != "zipfian" {
				t.Fatalf("%s: keynum %d outside insertstart..insertstart+insertcount", dist, k)
			}
		}
		// Inserts extend what requests may address.
		k := g.NextInsert()
		if k != 1000 {
			t.Errorf("%s: first insert key %d, want recordcount", dist, k)
		}
		if err := g.Inserted(k); err != nil || sh.Inserts.Last() != 1000 {
			t.Errorf("%s: after insert Last = %d (%v)", dist, sh.Inserts.Last(), err)
		}
	}
}

func TestValues(t *testing.T) {
	r := testRand(t)
	w := testWorkload(t, "lightning.valuesize=100")
	v := NewValues(r, w)
	a := v.Next()
	if len(a) != 100 {
		t.Fatalf("value of %d bytes", len(a))
	}
	for _, b := range a {
		if b < ' ' || b > '~' {
			t.Fatalf("byte %q not printable", b)
		}
	}
	for _, dist := range []string{"constant", "uniform", "zipfian"} {
		w := testWorkload(t, "fieldcount=3", "fieldlength=20", "minfieldlength=5", "fieldlengthdistribution="+dist)
		v := NewValues(r, w)
		for range 100 {
			rec := v.Next()
			for i := range 3 {
				n, k := binary.Uvarint(rec)
				name := string(rec[k : k+int(n)])
				rec = rec[k+int(n):]
				if name != fmt.Sprintf("field%d", i) {
					t.Fatalf("%s: field name %q", dist, name)
				}
				n, k = binary.Uvarint(rec)
				if (dist == "constant" && n != 20) || n < 5 || n > 20 {
					t.Fatalf("%s: field length %d", dist, n)
				}
				rec = rec[k+int(n):]
			}
			if len(rec) != 0 {
				t.Fatalf("%s: %d trailing bytes", dist, len(rec))
			}
		}
	}
}

func TestNewSharedRejects(t *testing.T) {
	w := testWorkload(t)
	bad := *w
	bad.RequestDistribution = "gaussian"
	if _, err := NewShared(&bad); err == nil {
		t.Error("bad distribution accepted")
	}
	bad = *w
	bad.MinScanLength = 0
	if _, err := NewShared(&bad); err == nil {
		t.Error("bad scan length accepted")
	}
	bad = *w
	bad.Proportions = [measure.NumOps]float64{}
	if _, err := NewShared(&bad); err == nil {
		t.Error("no ops accepted")
	}
}

func TestPowTable(t *testing.T) {
	r := testRand(t)
	for _, tc := range []struct {
		n     uint64
		theta float64
	}{{ScrambledItems, 0.99}, {1000000, 0.99}, {1000, 0.5}, {100, 0.2}, {5, 0.99}, {3, 0.5}} {
		z := NewZipfian(r, 0, tc.n-1, tc.theta)
		if z.pow == nil {
			t.Logf("n=%d theta=%g: no table (falls back to math.Pow)", tc.n, tc.theta)
			continue
		}
		worst, mismatched := 0.0, 0
		const draws = 300000
		for i := range draws {
			u := r.Float64()
			switch i {
			case 0:
				u = 0
			case 1:
				u = 1 - 0x1p-53
			case 2:
				u = 0.5
			}
			want := math.Pow(z.eta*u-z.eta+1, z.alpha)
			got := z.pow.at(u)
			if rel := math.Abs(got-want) / want; rel > worst {
				worst = rel
			}
			if uint64(float64(tc.n)*got) != uint64(float64(tc.n)*want) {
				mismatched++
			}
		}
		t.Logf("n=%d theta=%g: worst relative error %.2g, %d of %d draws differ", tc.n, tc.theta, worst, mismatched, draws)
		if worst > 1e-11 || mismatched > draws/10000 {
			t.Errorf("n=%d theta=%g: worst relative error %.2g, %d draws differ from math.Pow", tc.n, tc.theta, worst, mismatched)
		}
	}
}

func TestNextKeynumsMatchesNextKeynum(t *testing.T) {
	// Fill draws the same random numbers in the same order as Next, so
	// with one seed both give the same keys (a redraw past Last, with
	// probability about 1/recordcount per key, would reorder them; with
	// the default seed there is none).
	seed := *seedFlag + 1
	t.Logf("seed %d", seed)
	w := testWorkload(t, "recordcount=1000000", "requestdistribution=zipfian", "readproportion=1", "updateproportion=0")
	sh, err := NewShared(w)
	if err != nil {
		t.Fatal(err)
	}
	a, b := sh.NewWorker(seed, 3, 4), sh.NewWorker(seed, 3, 4)
	batch := make([]int64, 64)
	for range 4 {
		a.NextKeynums(batch)
		for i, k := range batch {
			if want := b.NextKeynum(); k != want {
				t.Fatalf("key %d of a batch: %d, NextKeynum gives %d", i, k, want)
			}
		}
	}
	// Non-filler distributions take the generic path.
	w = testWorkload(t, "requestdistribution=uniform")
	sh, _ = NewShared(w)
	a, b = sh.NewWorker(seed, 0, 1), sh.NewWorker(seed, 0, 1)
	a.NextKeynums(batch)
	for _, k := range batch {
		if want := b.NextKeynum(); k != want {
			t.Fatalf("uniform batch %d vs %d", k, want)
		}
	}
}

func TestPut8(t *testing.T) {
	var b [8]byte
	step := uint32(7) // every 7th of the 10^8 values: 1.4e7 conversions
	if testing.Short() {
		step = 997
	}
	for v := uint32(0); v < 1e8; v += step {
		put8(b[:], v)
		if got, want := string(b[:]), fmt.Sprintf("%08d", v); got != want {
			t.Fatalf("put8(%d) = %s", v, got)
		}
	}
	put8(b[:], 99999999)
	if string(b[:]) != "99999999" {
		t.Fatalf("put8(99999999) = %s", b[:])
	}
}
