// Package props reads workload files: YCSB's core-workload property
// format, with YCSB's property names, defaults and meanings, plus
// Lightning's own properties under "lightning.".
//
// # File format
//
// A workload file is text, one property per line; YCSB's own workload
// files read unchanged. The format is frozen:
//
//	# a comment (also "!" as in Java properties)
//	                                  <- blank lines are ignored
//	recordcount=1000000               <- name=value; spaces around either are trimmed
//	readproportion = 0.5
//	lightning.target.read.ops=14400000
//
// A value runs to the end of its line; there are no continuation lines or
// escapes. A later setting of a name replaces an earlier one, across
// files and command-line overrides, in the order they are applied: lbench
// applies every -P file in order, then every -p key=value, like YCSB.
//
// # Checking
//
// Every name must be known: a YCSB core-workload property (Defs), one of
// YCSB's client or binding properties that mean nothing to an embedded
// engine (Ignored: accepted, kept, without effect), or a patterned
// Lightning property (lightning.option.<engine option>,
// lightning.target.<op>.ops, lightning.target.<op>.p<N>). Values are
// checked when set, cross-property rules (proportions sum to 1 within
// 1e-9, insertstart+insertcount <= recordcount, ...) when the Set is
// resolved into a Workload. Every error is an *Error with the file, line
// and property at fault, matching ErrInvalid (lbench exits 2 on it) and a
// more precise sentinel.
//
// Differences from YCSB, all deliberate: YCSB silently normalises
// proportions that do not sum to 1, treats an unknown insertorder as
// "ordered", any boolean other than "true" as false, coerces hotspot
// fractions out of [0, 1] to 0, and accepts unknown names; here each of
// those is an error. recordcount must be set (YCSB's default 0 means 2^31-1
// keys). dataintegrity=true and fieldlengthdistribution=histogram are not
// supported.
package props
