package engine

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sqlparse"
)

// TestBuildQueryOneNow: NOW() is one instant for the whole statement —
// in the scans' $filter, above the join and in the subquery.
func TestBuildQueryOneNow(t *testing.T) {
	calls := 0
	opts := Options{Location: newYork(t), Now: func() time.Time {
		calls++
		return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC).Add(time.Duration(calls) * time.Hour)
	}}
	st, err := sqlparse.Parse("SELECT t.Title, NOW() FROM Tasks t JOIN Projects p ON t.ProjectId = p.ID WHERE t.Created < NOW() AND p.Start < NOW() AND t.ID IN (SELECT ID FROM Tasks WHERE Modified < NOW())")
	if err != nil {
		t.Fatal(err)
	}
	q, err := BuildQuery(context.Background(), st.(*sqlparse.Select), fixtureCatalog{}, nil, opts)
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

// TestODBCJoinAndEscape: Excel, Power BI and Tableau send outer joins as
// {oj …} and LIKE escapes as {escape '…'}.
func TestODBCJoinAndEscape(t *testing.T) {
	st, err := sqlparse.Parse(`SELECT t.Title FROM {oj Tasks t LEFT OUTER JOIN Projects p ON t.ProjectId = p.ID} WHERE t.Title LIKE 'a\_%' {escape '\'}`)
	if err != nil {
		t.Fatal(err)
	}
	q, err := BuildQuery(context.Background(), st.(*sqlparse.Select), fixtureCatalog{}, nil, Options{Location: newYork(t)})
	if err != nil {
		t.Fatal(err)
	}
	explain := strings.Join(q.Explain(), "\n")
	for _, want := range []string{"hash left join on t.ProjectId = p.ID", `$filter=startswith(Title,'a_')`} {
		if !strings.Contains(explain, want) {
			t.Errorf("EXPLAIN lacks %q:\n%s", want, explain)
		}
	}
}

func TestUnionOrderByNamesTheColumns(t *testing.T) {
	for sql, want := range map[string]string{
		"SELECT Title FROM Tasks UNION SELECT Title FROM Projects ORDER BY 2":         `ORDER BY of a UNION takes the result's column names (Title) or positions 1 to 1, not 2`,
		"SELECT Title FROM Tasks t UNION SELECT Title FROM Projects ORDER BY t.Title": `not t.Title`,
	} {
		st, err := sqlparse.Parse(sql)
		if err != nil {
			t.Fatal(err)
		}
		_, err = BuildQuery(context.Background(), st.(*sqlparse.Select), fixtureCatalog{}, nil, Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", sql, err, want)
		}
	}
}

// TestLongINListStaysInTheDriver: an IN list too long for a URL is
// checked in the driver, not sent as a huge $filter.
func TestLongINListStaysInTheDriver(t *testing.T) {
	plan := func(n int) *testPlan {
		vals := make([]string, n)
		for i := range vals {
			vals[i] = strconv.Itoa(i)
		}
		p, err := tryPlan(t, "SELECT Title FROM Tasks WHERE Estimate IN ("+strings.Join(vals, ", ")+") AND Status = 'Done'", Options{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if short := plan(10); !strings.Contains(short.Query.Filter, "Estimate eq 9") || short.Residual != nil {
		t.Errorf("10 values: $filter=%s, residual %v; want them pushed", short.Query.Filter, short.Residual != nil)
	}
	long := plan(400)
	if strings.Contains(long.Query.Filter, "Estimate") || long.Query.Filter != "Status eq 'Done'" || long.Residual == nil {
		t.Errorf("400 values: $filter=%.80s…, residual %v; want only Status pushed and the list in the driver", long.Query.Filter, long.Residual != nil)
	}
	row := make([]any, len(long.Query.Select))
	for i, s := range long.Query.Select {
		if s == "Estimate" {
			row[i] = int64(399)
		}
	}
	if ok, err := long.Residual(row); err != nil || !ok {
		t.Errorf("the driver's check of Estimate = 399: %v, %v", ok, err)
	}
}
