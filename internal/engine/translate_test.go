package engine

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sqlparse"
)

var update = flag.Bool("update", false, "rewrite testdata/translate/*.odata from the current translation")

// TestTranslateGolden plans each testdata/translate/NAME.sql against the
// Tasks fixture (site zone America/New_York) and compares Explain, the
// result columns, or the error, with NAME.odata. Regenerate with
// go test ./sqlparse -update and review the diff.
func TestTranslateGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/translate/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".sql")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := translate(t, string(src))
			golden := strings.TrimSuffix(file, ".sql") + ".odata"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./sqlparse -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("translation of %s changed:\n--- got\n%s--- want\n%s", file, got, want)
			}
		})
	}
}

// translate renders what a statement becomes: Explain lines and result
// columns, or the error.
func translate(t *testing.T, sql string) string {
	st, err := sqlparse.Parse(sql)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	sel, ok := st.(*sqlparse.Select)
	if ex, isExplain := st.(*sqlparse.Explain); isExplain {
		sel, ok = ex.Select, true
	}
	if !ok {
		t.Fatalf("%T is not a SELECT", st)
	}
	var (
		lines []string
		cols  []OutputColumn
	)
	q, err := BuildQuery(context.Background(), sel, fixtureCatalog{}, nil, Options{Location: newYork(t)})
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	lines, cols = q.Explain(), q.Columns
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	b.WriteString("columns:")
	for _, c := range cols {
		b.WriteString(" " + sqlparse.QuoteIdent(c.Name) + " " + c.DatabaseTypeName + ";")
	}
	b.WriteString("\n")
	return b.String()
}
