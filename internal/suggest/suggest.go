// Package suggest picks the known name closest to a misspelt one, for the
// "did you mean" in the driver's errors (connection properties, columns).
package suggest

// Distance is the optimal string alignment (restricted Damerau-Levenshtein)
// distance over runes: insertions, deletions, substitutions and swaps of
// two adjacent characters each count one, so "ClientSecert" is one edit
// from "ClientSecret".
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// MaxDistance is how far a name may be from a suggestion: about one edit
// in three characters, at least two.
func MaxDistance(name string) int { return max(2, len([]rune(name))/3) }
