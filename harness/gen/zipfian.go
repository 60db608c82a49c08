package gen

import (
	"math"
	"math/bits"
	"sync"
)

// ZipfianConstant is YCSB's default skew, theta.
const ZipfianConstant = 0.99

// ScrambledItems is the item space of YCSB's scrambled zipfian
// (ScrambledZipfianGenerator.ITEM_COUNT), and ScrambledZetan YCSB's
// precomputed zeta(10^10, 0.99) (ScrambledZipfianGenerator.ZETAN).
const (
	ScrambledItems = 10_000_000_000
	ScrambledZetan = 26.46902820178302
)

// exactZetaLimit is the largest n whose zeta is summed term by term;
// beyond it the tail is summed by Euler-Maclaurin (zetaTail).
const exactZetaLimit = 1 << 20

var zetaCache sync.Map // zetaKey -> float64

type zetaKey struct {
	n     uint64
	theta float64
}

// Zeta returns zeta(n, theta) = sum_{i=1..n} 1/i^theta, the normalising
// constant of a zipfian over n items. Results are cached for the process
// (computed once, then shared read-only by every worker). Up to 2^20 items
// the sum is exact (term by term, as YCSB); beyond, the terms past 2^20
// are summed with the Euler-Maclaurin formula, whose error there is far
// below float64 rounding -- so zeta(10^10, 0.99) costs microseconds, not
// YCSB's minutes, and matches YCSB's ScrambledZetan to 1e-9.
func Zeta(n uint64, theta float64) float64 {
	k := zetaKey{n, theta}
	if v, ok := zetaCache.Load(k); ok {
		return v.(float64)
	}
	var z float64
	if n <= exactZetaLimit {
		z = zetaSum(0, n, theta, 0)
	} else {
		z = Zeta(exactZetaLimit-1, theta) + zetaTail(exactZetaLimit, n, theta)
	}
	zetaCache.Store(k, z)
	return z
}

// zetaSum adds the terms st+1..n to initial: YCSB's zetastatic.
func zetaSum(st, n uint64, theta, initial float64) float64 {
	sum := initial
	for i := st; i < n; i++ {
		sum += 1 / math.Pow(float64(i+1), theta)
	}
	return sum
}

// zetaTail returns sum_{i=m..n} i^-theta by Euler-Maclaurin: the integral,
// the end-point half terms and the first two Bernoulli corrections. For
// m >= 2^20 the omitted remainder is below m^-5.
func zetaTail(m, n uint64, theta float64) float64 {
	fm, fn := float64(m), float64(n)
	f := func(x float64) float64 { return math.Pow(x, -theta) }
	d1 := func(x float64) float64 { return -theta * math.Pow(x, -theta-1) }
	d3 := func(x float64) float64 { return -theta * (theta + 1) * (theta + 2) * math.Pow(x, -theta-3) }
	integral := (math.Pow(fn, 1-theta) - math.Pow(fm, 1-theta)) / (1 - theta)
	return integral + (f(fm)+f(fn))/2 + (d1(fn)-d1(fm))/12 - (d3(fn)-d3(fm))/720
}

// Zipfian draws integers in [min, min+items) with P(min+k) proportional
// to 1/(k+1)^theta: the most popular item is min. It is Gray et al.'s
// "Quickly Generating Billion-Record Synthetic Databases" (SIGMOD 1994)
// algorithm as in YCSB's ZipfianGenerator: one uniform draw and one pow
// per value. The two most popular items are drawn exactly; the rest
// follow the algorithm's continuous approximation of the pmf (see
// GrayPMF).
//
// NextN draws over a different item count; when the count grows (items
// inserted meanwhile) zeta is extended incrementally, adding only the new
// terms, as YCSB does. A Zipfian is owned by one worker.
type Zipfian struct {
	r     *Rand
	base  uint64
	items uint64
	theta float64
	alpha float64 // 1 / (1 - theta)
	half  float64 // 1 + 0.5^theta
	zeta2 float64 // zeta(2, theta)

	countForZeta uint64 // the item count zetan and eta are for
	zetan        float64
	eta          float64
	pow          *powTable // x^alpha for the current count; nil: math.Pow
}

// NewZipfian returns a zipfian over [min, max] with skew theta (0 < theta
// < 1), drawing from r. Zeta comes from the shared cache.
func NewZipfian(r *Rand, min, max uint64, theta float64) *Zipfian {
	return newZipfian(r, min, max-min+1, theta, Zeta(max-min+1, theta))
}

func newZipfian(r *Rand, base, items uint64, theta, zetan float64) *Zipfian {
	z := &Zipfian{r: r, base: base, items: items, theta: theta,
		alpha: 1 / (1 - theta), half: 1 + math.Pow(0.5, theta), zeta2: zetaSum(0, 2, theta, 0)}
	z.setCount(items, zetan)
	return z
}

func (z *Zipfian) setCount(n uint64, zetan float64) {
	z.countForZeta, z.zetan = n, zetan
	z.eta = (1 - math.Pow(2/float64(n), 1-z.theta)) / (1 - z.zeta2/zetan)
	z.pow = nil
	if n == z.items && n > 2 {
		z.pow = sharedPowTable(n, z.theta, z.eta, z.alpha)
	}
}

// Next returns the next value.
func (z *Zipfian) Next() uint64 { return z.NextN(z.items) }

// NextN returns a value in [min, min+n) from a zipfian over n items.
func (z *Zipfian) NextN(n uint64) uint64 {
	if n != z.countForZeta {
		z.resize(n)
	}
	u := z.r.Float64()
	uz := u * z.zetan
	if uz < 1 {
		return z.base
	}
	if uz < z.half {
		return z.base + 1
	}
	var p float64
	if z.pow != nil {
		p = z.pow.at(u)
	} else {
		p = math.Pow(z.eta*u-z.eta+1, z.alpha)
	}
	v := uint64(float64(n) * p)
	if v >= n { // float rounding at u -> 1
		v = n - 1
	}
	return z.base + v
}

// resize moves zetan and eta to n items: incrementally when n grew (only
// the new terms are summed, YCSB's "incremental zeta"), from the shared
// cache when it shrank. (YCSB keeps eta's 2/n term at the original item
// count after growing; here eta follows n, as Gray et al.'s formula says.)
func (z *Zipfian) resize(n uint64) {
	if n > z.countForZeta && n-z.countForZeta <= exactZetaLimit {
		z.setCount(n, zetaSum(z.countForZeta, n, z.theta, z.zetan))
		return
	}
	z.setCount(n, Zeta(n, z.theta))
}

// GrayPMF returns the exact probability that Gray et al.'s algorithm, as
// implemented by Zipfian, draws item k (0-based) of n with skew theta. It
// differs from the true zipfian pmf 1/((k+1)^theta zeta(n)) for k >= 2
// because the algorithm inverts a continuous approximation of the CDF;
// tests use it to check the generator exactly and to bound that
// approximation.
func GrayPMF(n uint64, theta float64) []float64 {
	zetan := Zeta(n, theta)
	zeta2 := zetaSum(0, 2, theta, 0)
	eta := (1 - math.Pow(2/float64(n), 1-theta)) / (1 - zeta2/zetan)
	alpha := 1 / (1 - theta)
	p := make([]float64, n)
	half := 1 + math.Pow(0.5, theta)
	switch n {
	case 1:
		p[0] = 1
		return p
	case 2:
		p[0], p[1] = 1/zetan, (half-1)/zetan
		return p
	}
	p[0] = 1 / zetan
	p[1] = math.Min(half, zetan)/zetan - p[0]
	// For u >= half/zetan the value is floor(n * (eta*u - eta + 1)^alpha),
	// increasing in u: it is < k iff u < ((k/n)^(1/alpha) - 1 + eta) / eta.
	uBelow := func(k float64) float64 {
		u := (math.Pow(k/float64(n), 1/alpha) - 1 + eta) / eta
		return math.Max(half/zetan, math.Min(1, u))
	}
	for k := uint64(0); k < n; k++ {
		lo, hi := uBelow(float64(k)), uBelow(float64(k+1))
		if k == n-1 {
			hi = 1
		}
		if hi > lo {
			p[k] += hi - lo
		}
	}
	return p
}

// ZipfPMF returns the true zipfian pmf over n items: 1/((k+1)^theta zeta).
func ZipfPMF(n uint64, theta float64) []float64 {
	zetan := Zeta(n, theta)
	p := make([]float64, n)
	for k := range p {
		p[k] = 1 / math.Pow(float64(k+1), theta) / zetan
	}
	return p
}

// ScrambledZipfian is YCSB's ScrambledZipfianGenerator: a zipfian over a
// fixed space of ScrambledItems (10^10) items, each drawn value hashed
// with FNVHash64 and reduced modulo the item count, so popular items are
// scattered over [min, max] instead of clustered at min, and the
// popularity of an item does not depend on the item count. With theta
// 0.99 it uses YCSB's precomputed ScrambledZetan.
type ScrambledZipfian struct {
	z   *Zipfian
	min uint64
	mod fastMod
}

// NewScrambledZipfian returns a scrambled zipfian over [min, max].
func NewScrambledZipfian(r *Rand, min, max uint64, theta float64) *ScrambledZipfian {
	zetan := ScrambledZetan
	if theta != ZipfianConstant {
		zetan = Zeta(ScrambledItems, theta)
	}
	return &ScrambledZipfian{z: newZipfian(r, 0, ScrambledItems, theta, zetan), min: min, mod: newFastMod(max - min + 1)}
}

// Next returns the next value.
func (s *ScrambledZipfian) Next() uint64 {
	return s.min + s.mod.mod(uint64(FNVHash64(int64(s.z.Next()))))
}

// Fill sets every element of dst to a next value. It draws all the
// zipfian values first and hashes them after, so the CPU overlaps the
// independent hash chains: about twice the rate of calling Next.
func (s *ScrambledZipfian) Fill(dst []uint64) {
	for i := range dst {
		dst[i] = s.z.Next()
	}
	for i, v := range dst {
		dst[i] = s.min + s.mod.mod(uint64(FNVHash64(int64(v))))
	}
}

// fastMod computes x mod d for a fixed d without a division instruction
// (a 64-bit DIV costs 30-90 cycles): q = high64(x * floor((2^64-1)/d)) is
// floor(x/d) or one less, so one correction step gives the remainder.
type fastMod struct {
	d, m uint64
}

func newFastMod(d uint64) fastMod { return fastMod{d: d, m: math.MaxUint64 / d} }

func (f fastMod) mod(x uint64) uint64 {
	hi, _ := bits.Mul64(x, f.m)
	r := x - hi*f.d
	if r >= f.d {
		r -= f.d
	}
	return r
}

// powTableSize is the number of intervals of a powTable.
const powTableSize = 1024

// powTable evaluates f(u) = (eta*u - eta + 1)^alpha, the costly step of
// Gray's algorithm (math.Pow with a non-integer exponent takes about 50 ns),
// in about 5 ns: u in [0, 1) is cut into powTableSize intervals whose
// left ends x0 = eta*i/size - eta + 1 have x0^alpha tabulated, and
//
//	x^alpha = x0^alpha * exp(alpha * log1p(t)),  t = (x - x0) / x0,
//
// with log1p and exp by short series. Within an interval t <= eta/size/x0;
// a table is only built where that bound is below 1e-3 and alpha times it
// below 0.05 (YCSB's cases: 10^10 or 10^6 items at theta 0.99 are well
// inside), so the series' truncation errors stay below 1e-11 relative:
// the drawn values are those of math.Pow except when n*f(u) falls within
// that of an integer (tests compare both on many draws). Elsewhere
// Zipfian uses math.Pow. A table is built once per (item count, theta) and
// shared read-only.
type powTable struct {
	eta, alpha float64
	ent        [powTableSize + 1]powEntry
}

type powEntry struct {
	k  float64 // eta / x0
	p0 float64 // x0^alpha
}

var powTables sync.Map // zetaKey -> *powTable

func sharedPowTable(n uint64, theta, eta, alpha float64) *powTable {
	k := zetaKey{n, theta}
	if t, ok := powTables.Load(k); ok {
		return t.(*powTable)
	}
	t := &powTable{eta: eta, alpha: alpha}
	x0 := 1 - eta
	// The series need t = eta/size/x0 and alpha*t small (their truncation
	// errors are about t^4/4 and (alpha*t)^7/5040); otherwise no table.
	if x0 <= 0 || eta/powTableSize/x0 > 1e-3 || alpha*eta/powTableSize/x0 > 0.05 {
		return nil
	}
	for i := range t.ent {
		x := eta*(float64(i)/powTableSize) - eta + 1
		t.ent[i] = powEntry{k: eta / x, p0: math.Pow(x, alpha)}
	}
	powTables.Store(k, t)
	return t
}

func (t *powTable) at(u float64) float64 {
	f := u * powTableSize
	i := int(f)
	e0 := &t.ent[i]
	tt := e0.k * (u - float64(i)*(1.0/powTableSize))
	// log1p(tt) to the cubic term, then exp of alpha times it to the 6th
	// power, evaluated in Estrin's form to keep the dependency chain short.
	y := t.alpha * tt * (1 - tt*(0.5-tt*(1.0/3)))
	y2 := y * y
	e := (1 + y) + y2*((1.0/2+y*(1.0/6))+y2*((1.0/24+y*(1.0/120))+y2*(1.0/720)))
	return e0.p0 * e
}
