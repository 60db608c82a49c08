package checksum

import "encoding/binary"

// The portable CRC-32C: slicing-by-8 over eight 256-entry tables. It shares
// no code with hash/crc32, so testing one against the other compares two
// independent implementations.

// castagnoliReflected is the Castagnoli polynomial 0x1EDC6F41, bit-reversed.
const castagnoliReflected = 0x82F63B78

// slicing8 holds the tables: slicing8[0][b] is the CRC of the single byte
// b; slicing8[k][b] is the CRC contribution of byte b followed by k zero
// bytes.
var slicing8 = makeSlicing8()

func makeSlicing8() *[8][256]uint32 {
	t := new([8][256]uint32)
	for b := range 256 {
		c := uint32(b)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ castagnoliReflected
			} else {
				c >>= 1
			}
		}
		t[0][b] = c
	}
	for b := range 256 {
		c := t[0][b]
		for k := 1; k < 8; k++ {
			c = t[0][c&0xff] ^ c>>8
			t[k][b] = c
		}
	}
	return t
}

// crc32cPortable returns the CRC-32C of p.
func crc32cPortable(p []byte) uint32 { return crc32cUpdate(0, p) }

// crc32cUpdate extends crc, the CRC-32C of some prefix, with p.
func crc32cUpdate(crc uint32, p []byte) uint32 {
	t := slicing8
	c := ^crc
	for len(p) >= 8 {
		c ^= binary.LittleEndian.Uint32(p)
		c = t[7][c&0xff] ^ t[6][c>>8&0xff] ^ t[5][c>>16&0xff] ^ t[4][c>>24] ^
			t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]]
		p = p[8:]
	}
	for _, b := range p {
		c = t[0][byte(c)^b] ^ c>>8
	}
	return ^c
}
