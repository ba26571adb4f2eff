package engine

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// compareForSort orders values with NULL lowest.
func compareForSort(a, b any) (int, error) {
	switch {
	case a == nil && b == nil:
		return 0, nil
	case a == nil:
		return -1, nil
	case b == nil:
		return 1, nil
	}
	return compareValues(a, b)
}

// appendRowKey appends row's key to b — an output row's identity for
// DISTINCT, UNION, GROUP BY and joins: values as the evaluator sees
// them, strings lower-cased (as = compares them), numbers by value (1
// and 1.0 are one), times as instants. Callers that look keys up in a
// map reuse one buffer, and m[string(b)] does not allocate.
func appendRowKey(b []byte, row []any) []byte {
	for _, v := range row {
		n, err := normaliseValue(v, nil)
		if err != nil {
			n = fmt.Sprint(v)
		}
		switch x := n.(type) {
		case nil:
			b = append(b, 'N')
		case string:
			b = append(b, 'S')
			b = strconv.AppendInt(b, int64(foldedLen(x)), 10)
			b = append(b, ':')
			b = appendFolded(b, x)
		case int64:
			b = append(b, 'F')
			b = strconv.AppendFloat(b, float64(x), 'g', -1, 64)
			b = append(b, '/')
			b = strconv.AppendInt(b, x, 10)
		case float64:
			b = append(b, 'F')
			b = strconv.AppendFloat(b, x, 'g', -1, 64)
			if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
				b = append(b, '/')
				b = strconv.AppendInt(b, int64(x), 10)
			}
		case bool:
			b = append(b, 'B')
			b = strconv.AppendBool(b, x)
		case time.Time:
			b = append(b, 'T')
			b = strconv.AppendInt(b, x.UnixNano(), 10)
		default:
			b = append(b, '?')
			b = append(b, fmt.Sprint(x)...)
		}
		b = append(b, 0)
	}
	return b
}

// foldedLen is the length in bytes of s folded (appendFolded).
func foldedLen(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			n := i
			for _, r := range s[i:] {
				n += utf8.RuneLen(foldRune(r))
			}
			return n
		}
	}
	return len(s)
}

// appendFolded appends s with every rune folded as compareFold folds it.
func appendFolded(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			for _, r := range s[i:] {
				b = utf8.AppendRune(b, foldRune(r))
			}
			return b
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// identity reports whether the output row is the fetched row itself: every
// column copies its own position and nothing else was fetched.
func identity(cols []OutputColumn, fetched int) bool {
	if len(cols) != fetched {
		return false
	}
	for i, c := range cols {
		if c.plain != i+1 {
			return false
		}
	}
	return true
}
