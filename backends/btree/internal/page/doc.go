// Package page is the on-disk format of the btree backend's data file:
// page headers, checksums, meta pages, branch and leaf pages, overflow
// runs and free-list pages. It encodes pages into caller-supplied buffers
// and validates pages read from disk, so that every accessor used on a
// validated page is memory-safe whatever the bytes were. It is private to
// backends/btree, whose package documentation explains how the pages are
// used (copy-on-write checkpoints, the free list, recovery).
//
// # Format version 1 (frozen)
//
// The data file is an array of pages of one size, a power of two from
// 4 KiB to 64 KiB (default 8 KiB); page id i lives at byte i*size. Pages 0
// and 1 are meta pages; every other page is a branch, leaf, overflow or
// free-list page, or unused. All integers are little-endian; a Ref is a
// page id and the id of the checkpoint that wrote the page (its LSN), 16
// bytes: the reference of a page is only valid for that LSN, which is how
// a reader detects a page reused since it took the reference.
//
// Every page starts with the same 32-byte header:
//
//	0        8        16       24   25    26      28       32
//	+--------+--------+--------+----+-----+-------+--------+
//	|checksum| page id|  LSN   |type|flags| count |  aux   |
//	+--------+--------+--------+----+-----+-------+--------+
//
//	checksum  Sum(kind, page[8:size]) over the rest of the page; a CRC-32C
//	          is stored in the low 4 bytes (high 4 zero), an XXH3 in all 8.
//	          kind is the file's (meta field) for data pages and always
//	          CRC-32C for the two meta pages.
//	type      1 meta, 2 branch, 3 leaf, 4 overflow, 5 free list
//	flags     0 (reserved)
//	count     leaf: entries; branch: keys; free list: ids; else 0
//	aux       leaf: 0 (its level); branch: level >= 1, one more than its
//	          children's; overflow: payload bytes in this page; else 0
//
// Meta page (page id = checkpoint id % 2, so two alternate):
//
//	32      40        44        48   49      56          72        76
//	+-------+---------+---------+----+-------+-----------+---------+----+
//	| magic | version |page size|kind| zero  | root Ref  | height  |zero|
//	+-------+---------+---------+----+-------+-----------+---------+----+
//	80           88              104          112       120       128   136
//	+------------+---------------+------------+---------+---------+-----+
//	| page count | free list Ref | free count | last seq| WAL log |keys |
//	+------------+---------------+------------+---------+---------+-----+
//	136             144            152                160
//	+---------------+--------------+------------------+
//	| branch pages  | leaf pages   | overflow pages   |  then zero bytes
//	+---------------+--------------+------------------+  to the page end
//
//	magic "LTNGBTRE"; version 1; kind: checksum kind of data pages (1
//	CRC-32C, 2 XXH3); root: zero Ref for an empty tree; height: levels (0
//	empty, 1 a single leaf); page count: every page of this state has an id
//	below it; free list: first free-list page, free count: ids it holds;
//	last seq: sequence number of the last write in this state; WAL log:
//	first WAL segment recovery must replay; keys: number of keys; branch,
//	leaf and overflow pages: the tree's pages by type.
//
// Leaf page (entries sorted by key, strictly increasing):
//
//	32                        32+2n
//	+--------+--------+-----+--------+--------+-----+-----------+
//	| slot 0 | slot 1 | ... | cell 0 | cell 1 | ... | zero ...  |
//	+--------+--------+-----+--------+--------+-----+-----------+
//	slot: uint16 byte offset of the cell in the page
//
//	cell: +-------+-------------+-----------+---------------+----------------+
//	      | flags | uvarint klen| key part  | uvarint vlen  | value part     |
//	      +-------+-------------+-----------+---------------+----------------+
//	flags bit 0: key in overflow; bit 1: value in overflow
//	key part:   the key (klen <= MaxInlineKey), or its first MaxInlineKey
//	            bytes followed by the Ref of an overflow run holding it all
//	value part: the value, or the Ref of an overflow run holding it
//
// MaxInlineKey is (size-32)/16. A value is stored inline exactly when the
// cell with the value inline, slot included, is at most (size-32)/4 bytes,
// so no cell exceeds a quarter of the page and a node one cell too big
// always splits into two pages.
//
// Branch page (n keys, n+1 children; child i holds keys < key i <= keys of
// child i+1):
//
//	32            48                        48+2n
//	+-------------+--------+-----+--------+--------+-----+
//	| child 0 Ref | slot 0 | ... | cell 0 | cell 1 | ... |
//	+-------------+--------+-----+--------+--------+-----+
//	cell: | flags | uvarint klen | key part | child i+1 Ref |
//
// Overflow run: a value or key too large for a cell is stored in a run of
// consecutive pages first, first+1, ..., each with its own header and
// checksum:
//
//	32               40                 48
//	+----------------+------------------+------------------------+
//	| first page id  | total length     | payload (aux bytes)    |
//	+----------------+------------------+------------------------+
//
// Free-list page (a chain; the meta points to the first):
//
//	32                 48
//	+------------------+-------+-------+-----+
//	| next page Ref    | id 0  | id 1  | ... |   count uint64 ids
//	+------------------+-------+-------+-----+
//
// Writers put the cells of a leaf or branch page contiguously after the
// slots, in slot order, and zero the rest (the drawings above); a reader
// accepts cells anywhere after the slots, but their bytes and the slots'
// together never exceed the page.
//
// A reader validates every data page it reads (checksum, the id and LSN it
// expected, the type, then every slot and length) before using it; any
// failure is engine.ErrCorruption naming the file and the page's offset.
//
// Besides the frozen format, image.go defines node images: the in-memory
// form of leaf and branch pages the btree changes between checkpoints.
// They never reach the disk as such (Canonical turns one into a page).
package page
