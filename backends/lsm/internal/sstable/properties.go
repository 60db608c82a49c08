package sstable

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/checksum"
	"github.com/lightningdb/lightning/engine/compress"
)

// Properties describe a table. The writer records them in the properties
// block; Reader.Properties returns them. Keys (Smallest, Largest, and their
// UserKey bytes) are owned by the Properties value.
type Properties struct {
	// FileNum is the WriterOptions.FileNum the table was written with.
	FileNum uint64
	// Entries counts every entry (sets and deletions); Deletions counts
	// the deletions among them.
	Entries, Deletions uint64
	// RawKeyBytes sums the user key lengths of all entries; RawValueBytes
	// sums their value lengths. Both before prefix compression and codecs.
	RawKeyBytes, RawValueBytes uint64
	// Smallest and Largest are the first and last internal keys.
	Smallest, Largest base.InternalKey
	// SmallestSeq and LargestSeq bound the sequence numbers of all entries.
	SmallestSeq, LargestSeq uint64
	// Codec is the codec the writer compressed data and index blocks with
	// (a block the codec did not shrink enough is stored raw anyway).
	Codec compress.Codec
	// Checksum is the checksum kind of every block trailer.
	Checksum checksum.Kind
	// DataBlocks counts the data blocks.
	DataBlocks uint64
	// DataBytes, IndexBytes and FilterBytes are the on-disk sizes of the
	// data blocks, the index block and the filter block, trailers included.
	DataBytes, IndexBytes, FilterBytes uint64
	// FilterBitsPerKey is the filter's bits per key; 0 means no filter.
	FilterBitsPerKey int
	// BlockSize and RestartInterval are the writer's options.
	BlockSize, RestartInterval int
	// CreationTime is when the writer was created (UTC, nanoseconds).
	CreationTime time.Time
	// Creator names the writing software and format.
	Creator string
}

// creator is written into every table's properties.
const creator = "lightning lsm sstable v1"

// Property names in the properties block (frozen). Integers are uvarints
// except creation_time (a varint of Unix nanoseconds); keys are encoded
// internal keys; creator is raw text.
const (
	propBlockSize       = "lightning.block_size"
	propChecksum        = "lightning.checksum"
	propCodec           = "lightning.codec"
	propCreationTime    = "lightning.creation_time"
	propCreator         = "lightning.creator"
	propDataBlocks      = "lightning.data_blocks"
	propDataBytes       = "lightning.data_bytes"
	propDeletions       = "lightning.deletions"
	propEntries         = "lightning.entries"
	propFileNum         = "lightning.file_num"
	propFilterBitsKey   = "lightning.filter_bits_per_key"
	propFilterBytes     = "lightning.filter_bytes"
	propIndexBytes      = "lightning.index_bytes"
	propLargest         = "lightning.largest"
	propLargestSeq      = "lightning.largest_seq"
	propRawKeyBytes     = "lightning.raw_key_bytes"
	propRawValueBytes   = "lightning.raw_value_bytes"
	propRestartInterval = "lightning.restart_interval"
	propSmallest        = "lightning.smallest"
	propSmallestSeq     = "lightning.smallest_seq"
)

// encode builds the properties block (raw, before the trailer). Names are
// written in sorted order.
func (p *Properties) encode(bw *blockWriter) []byte {
	bw.reset()
	u := func(name string, v uint64) { bw.add([]byte(name), binary.AppendUvarint(nil, v)) }
	u(propBlockSize, uint64(p.BlockSize))
	u(propChecksum, uint64(p.Checksum))
	u(propCodec, uint64(p.Codec))
	bw.add([]byte(propCreationTime), binary.AppendVarint(nil, p.CreationTime.UnixNano()))
	bw.add([]byte(propCreator), []byte(p.Creator))
	u(propDataBlocks, p.DataBlocks)
	u(propDataBytes, p.DataBytes)
	u(propDeletions, p.Deletions)
	u(propEntries, p.Entries)
	u(propFileNum, p.FileNum)
	u(propFilterBitsKey, uint64(p.FilterBitsPerKey))
	u(propFilterBytes, p.FilterBytes)
	u(propIndexBytes, p.IndexBytes)
	bw.add([]byte(propLargest), p.Largest.Append(nil))
	u(propLargestSeq, p.LargestSeq)
	u(propRawKeyBytes, p.RawKeyBytes)
	u(propRawValueBytes, p.RawValueBytes)
	u(propRestartInterval, uint64(p.RestartInterval))
	bw.add([]byte(propSmallest), p.Smallest.Append(nil))
	u(propSmallestSeq, p.SmallestSeq)
	return bw.finish()
}

// decodeProperties parses a properties block. Unknown names are ignored
// (a later writer may add some); a malformed value, or a table with
// entries but no smallest/largest key, is corruption.
func decodeProperties(file string, blockOff int64, block []byte) (Properties, error) {
	var p Properties
	var it blockIter
	if err := it.init(file, blockOff, block, false); err != nil {
		return p, err
	}
	bad := func(name, format string, args ...any) error {
		return engine.Corruptf(file, blockOff, "properties: %s: %s", name, fmt.Sprintf(format, args...))
	}
	var haveSmallest, haveLargest bool
	for ok := it.First(); ok; ok = it.Next() {
		name, v := string(it.key), it.val
		if !strings.HasPrefix(name, "lightning.") {
			continue
		}
		uv := func(dst *uint64) error {
			x, n := binary.Uvarint(v)
			if n <= 0 || n != len(v) {
				return bad(name, "bad uvarint %x", v)
			}
			*dst = x
			return nil
		}
		small := func(dst *int, limit uint64) error {
			var x uint64
			if err := uv(&x); err != nil {
				return err
			}
			if x > limit {
				return bad(name, "%d is over %d", x, limit)
			}
			*dst = int(x)
			return nil
		}
		ikey := func(dst *base.InternalKey) error {
			k, ok := base.Decode(v)
			if !ok {
				return bad(name, "bad internal key %x", v)
			}
			k.UserKey = append([]byte(nil), k.UserKey...)
			*dst = k
			return nil
		}
		var err error
		var x uint64
		var n int
		switch name {
		case propBlockSize:
			err = small(&p.BlockSize, maxBlockSize)
		case propChecksum:
			if err = uv(&x); err == nil {
				if x > 255 || !checksum.Kind(x).Valid() {
					err = bad(name, "unknown checksum kind %d", x)
				}
				p.Checksum = checksum.Kind(x)
			}
		case propCodec:
			if err = uv(&x); err == nil {
				if x > 255 || !compress.Codec(x).Valid() {
					err = bad(name, "unknown codec %d", x)
				}
				p.Codec = compress.Codec(x)
			}
		case propCreationTime:
			t, m := binary.Varint(v)
			if m <= 0 || m != len(v) {
				err = bad(name, "bad varint %x", v)
			}
			p.CreationTime = time.Unix(0, t).UTC()
		case propCreator:
			p.Creator = string(v)
		case propDataBlocks:
			err = uv(&p.DataBlocks)
		case propDataBytes:
			err = uv(&p.DataBytes)
		case propDeletions:
			err = uv(&p.Deletions)
		case propEntries:
			err = uv(&p.Entries)
		case propFileNum:
			err = uv(&p.FileNum)
		case propFilterBitsKey:
			err = small(&n, 1<<16)
			p.FilterBitsPerKey = n
		case propFilterBytes:
			err = uv(&p.FilterBytes)
		case propIndexBytes:
			err = uv(&p.IndexBytes)
		case propLargest:
			err = ikey(&p.Largest)
			haveLargest = err == nil
		case propLargestSeq:
			err = uv(&p.LargestSeq)
		case propRawKeyBytes:
			err = uv(&p.RawKeyBytes)
		case propRawValueBytes:
			err = uv(&p.RawValueBytes)
		case propRestartInterval:
			err = small(&p.RestartInterval, 1<<31-1)
		case propSmallest:
			err = ikey(&p.Smallest)
			haveSmallest = err == nil
		case propSmallestSeq:
			err = uv(&p.SmallestSeq)
		}
		if err != nil {
			return Properties{}, err
		}
	}
	if it.err != nil {
		return Properties{}, it.err
	}
	if p.Entries > 0 && !(haveSmallest && haveLargest) {
		return Properties{}, engine.Corruptf(file, blockOff, "properties: %d entries but no smallest/largest key", p.Entries)
	}
	if !p.Checksum.Valid() {
		return Properties{}, engine.Corruptf(file, blockOff, "properties: no checksum kind")
	}
	return p, nil
}
