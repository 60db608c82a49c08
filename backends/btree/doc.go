// Package btree is Lightning's paged B+tree backend, registered as "btree".
// (Design notes are being written; see the package page format in
// internal/page.)
package btree
