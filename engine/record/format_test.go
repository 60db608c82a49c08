package record

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"testing"
)

// TestFormatFrozen pins the bytes of a small stream: the layout is frozen,
// so this must never change.
func TestFormatFrozen(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriterWithOptions(&buf, 0x1_0000_0007, WriterOptions{TrackSyncs: true})
	w.WriteRecord([]byte("ab"))
	w.MarkSynced(w.Size())
	w.WriteRecord(nil)
	w.Seal()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if len(b) != BlockSize+HeaderSize {
		t.Fatalf("stream of %d bytes, want %d", len(b), BlockSize+HeaderSize)
	}
	const want = "" +
		"9ce4d286" + "01" + "0200" + "07000000" + "00000000" + "6162" + // full "ab", log 7 (low 32 bits), synced 0
		"b85fd8f3" + "01" + "0000" + "07000000" + "11000000" + // full "", synced 17
		"4a337134" + "05" + "d17f" + "07000000" + "11000000" // seal, 32721 zero bytes to the block end
	const witness = "5e6dc7a5" + "05" + "0000" + "07000000" + "11000000" // seal at the next block
	if got := hex.EncodeToString(b[:47]); got != want {
		t.Fatalf("stream\n got %s\nwant %s", got, want)
	}
	if !bytes.Equal(b[47:BlockSize], make([]byte, BlockSize-47)) {
		t.Fatal("first seal's payload is not zeros")
	}
	if got := hex.EncodeToString(b[BlockSize:]); got != witness {
		t.Fatalf("witness\n got %s\nwant %s", got, witness)
	}
	// The checksums are CRC-32C (Castagnoli) of bytes [4, end) of each
	// chunk, as computed by the standard library.
	tab := crc32.MakeTable(crc32.Castagnoli)
	for _, c := range []struct{ off, n int }{{0, 17}, {17, 15}, {32, BlockSize - 32}, {BlockSize, 15}} {
		chunk := b[c.off : c.off+c.n]
		if got, want := binary.LittleEndian.Uint32(chunk), crc32.Checksum(chunk[4:], tab); got != want {
			t.Fatalf("chunk at %d: crc %08x, CRC-32C %08x", c.off, got, want)
		}
	}
}
