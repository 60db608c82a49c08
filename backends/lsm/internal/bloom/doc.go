// Package bloom is the LSM backend's bloom filter: one standard
// (unblocked) bloom filter per SSTable over the user keys of the table, so
// a point read can skip a table that cannot hold its key.
//
// # Hashing and probing
//
// Every key is hashed once with XXH3-64 (seed 0, github.com/zeebo/xxh3);
// the k probe positions come from that one hash by double hashing:
//
//	h1 = h
//	h2 = rotl64(h, 32) | 1
//	probe i (0 <= i < k) = bit floor((h1 + i*h2 mod 2^64) * m / 2^64)
//
// where m is the number of bits of the filter; the multiply-high maps a
// 64-bit value onto [0, m) without a division. A caller that checks one
// key against many filters (one per table) hashes it once with Hash and
// probes with MayContainHash.
//
// k is round(bitsPerKey * ln 2), clamped to [1, MaxProbes]: 7 probes at
// the default 10 bits per key, for a theoretical false-positive rate of
// about 0.82% (FalsePositiveRate); the tests measure it.
//
// A whole-table filter rather than one per data block: one probe sequence
// per table and read, no index lookup before the filter, and a table's
// filter is loaded once when the table is opened and kept in memory (about
// bitsPerKey/8 bytes per distinct user key: 1.25 bytes at 10 bits).
//
// # Encoded form (format 1, frozen)
//
//	+---------------------------------+-------+--------+
//	| bit array: n bytes              |   k   | format |
//	+---------------------------------+-------+--------+
//	                                    1 byte  1 byte
//
//	bit array  m = 8*n bits; bit j is (byte[j/8] >> (j%8)) & 1.
//	           The builder makes n a multiple of 8 and at least 8 when
//	           there is at least one key; n = 0 is the filter of the empty
//	           set (it contains nothing).
//	k          number of probes, 1..MaxProbes.
//	format     1 (this layout and hash). Other values are reserved.
//
// Decode checks the trailer and reports a malformed filter as an error;
// MayContain, which does not, answers "maybe" (true) for a malformed
// filter, so a damaged filter can cost a read but never hide a key. A
// damaged bit array cannot be detected here: in an SSTable the filter is
// a checksummed block, and the checksum catches it.
//
// Nothing here panics on any input.
package bloom
