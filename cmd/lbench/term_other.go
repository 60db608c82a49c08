//go:build !linux

package main

import "io"

// isTerminal reports false: outside Linux lbench prints plain status
// lines.
func isTerminal(io.Writer) bool { return false }

// termWidth returns 0: unknown.
func termWidth(io.Writer) int { return 0 }
