// Package manifest keeps the LSM backend's catalogue of tables: which
// SSTable files make up the database, at which level, with which key and
// sequence ranges. The catalogue is a Version; a VersionEdit changes one
// Version into the next (files added and removed, the WAL position and
// counters); the MANIFEST file is the log of those edits, and the CURRENT
// file names the MANIFEST in use.
//
// # Versions
//
// A Version is immutable once built: Apply returns a new Version and
// leaves the old one alone, so readers holding an old Version keep a
// consistent set of files for as long as they hold it. Level 0 holds
// flushed memtables; its files may overlap and are ordered oldest first
// (by largest sequence number, then file number), so a newer file shadows
// an older one. Levels 1 to NumLevels-1 hold files whose user-key ranges
// are disjoint (no user key in two files of one level), ordered by key.
// Apply checks these invariants and reports a violation as an error.
//
// Versions and files are reference counted (Retain, Release): a file whose
// last Version is released is obsolete, and its owner deletes it.
//
// # MANIFEST files (frozen)
//
// A MANIFEST-NNNNNN file (NNNNNN the file number, %06d, wider past
// 999999) is a record stream of package engine/record, written with the
// strict writer and the file number as log number. Each record is one
// encoded VersionEdit. The first record is a snapshot: the edit that
// builds the whole Version from nothing, with every counter set. Each
// later record is appended and synced before the change it describes is
// used. A MANIFEST without a readable first record is corrupt; a torn
// tail (a record a crash interrupted) is the end of the log.
//
// A VersionEdit is a sequence of tagged fields, each tag a uvarint;
// integers are uvarints and byte strings a uvarint length then the
// bytes:
//
//	tag 1  log number        uvarint   WAL segments below it are obsolete
//	tag 2  next file number  uvarint   every file number in use is below it
//	tag 3  last sequence     uvarint   every write with a sequence number
//	                                   at or below it is in the tables
//	tag 4  deleted file      level uvarint, file number uvarint
//	tag 5  new file          level uvarint, file number uvarint,
//	                         size uvarint,
//	                         smallest key (bytes: encoded internal key),
//	                         largest key (bytes: encoded internal key),
//	                         smallest seq uvarint, largest seq uvarint
//	tag 6  format version    uvarint (1); present in snapshots
//
// Encoded internal keys are those of package base (user key, then the
// 8-byte trailer). An unknown tag, a truncated field, a level at or past
// NumLevels or an invalid key is a decoding error; the reader reports it
// as corruption with the file and record offset.
//
// # CURRENT (frozen)
//
// CURRENT holds the name of the MANIFEST in use followed by a newline,
// e.g. "MANIFEST-000005\n", and nothing else. It is replaced atomically:
// the new content is written to CURRENT.tmp and synced, CURRENT.tmp is
// renamed over CURRENT, and the directory is synced.
//
// Stable only at v1.
package manifest
