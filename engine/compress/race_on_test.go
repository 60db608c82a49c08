//go:build race

package compress

// raceEnabled reports a -race build, where allocation counts are not
// meaningful (sync.Pool drops items at random).
const raceEnabled = true
