package sqlparse

import (
	"strings"
	"testing"
	"time"
)

// TestBuildQueryOneNow: NOW() is one instant for the whole statement —
// in the scans' $filter, above the join and in the subquery.
func TestBuildQueryOneNow(t *testing.T) {
	calls := 0
	opts := Options{Location: newYork(t), Now: func() time.Time {
		calls++
		return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC).Add(time.Duration(calls) * time.Hour)
	}}
	st, err := Parse("SELECT t.Title, NOW() FROM Tasks t JOIN Projects p ON t.ProjectId = p.ID WHERE t.Created < NOW() AND p.Start < NOW() AND t.ID IN (SELECT ID FROM Tasks WHERE Modified < NOW())")
	if err != nil {
		t.Fatal(err)
	}
	q, err := BuildQuery(st.(*Select), fixtureCatalog{}, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("the clock was read %d times, want once", calls)
	}
	explain := strings.Join(q.Explain(), "\n")
	for _, want := range []string{"Created lt datetime'2024-05-06T08:08:09Z'", "Start lt datetime'2024-05-06T08:08:09Z'", "Modified lt datetime'2024-05-06T08:08:09Z'"} {
		if !strings.Contains(explain, want) {
			t.Errorf("EXPLAIN lacks %q:\n%s", want, explain)
		}
	}
}
