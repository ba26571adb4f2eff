package conformance

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// wideLookups writes to and reads the list of 13 lookups: more than
// SharePoint's lookup threshold allows in one request, so the driver
// splits its reads and merges them by ID.
func (k *kit) wideLookups(ctx context.Context) {
	names := []string{"alpha", "beta", "gamma"}
	var cols, ph []string
	var args []any
	want := map[string]string{}
	for i := 1; i <= wideLookups; i++ {
		n := "L" + strconv.Itoa(i)
		cols = append(cols, n+"Id")
		ph = append(ph, "?")
		args = append(args, k.targetItems[i%3])
		want[n] = names[i%3]
	}
	ok := true
	k.check("lookups/insert-13-lookups", func() error {
		_, err := k.db.ExecContext(ctx, "INSERT INTO "+quote(k.wide)+" (Title, "+strings.Join(cols, ", ")+") VALUES ('wide', "+strings.Join(ph, ", ")+")", args...)
		ok = err == nil
		return err
	})
	if !ok {
		return
	}
	sel := []string{"ID"}
	for i := 1; i <= wideLookups; i++ {
		sel = append(sel, "L"+strconv.Itoa(i))
	}
	k.check("lookups/select-13-lookups-split", func() error {
		_, got, err := readRows(ctx, k.db, "SELECT "+strings.Join(sel, ", ")+" FROM "+quote(k.wide))
		if err != nil {
			return err
		}
		if len(got) != 1 {
			return fmt.Errorf("got %d rows, want 1", len(got))
		}
		for n, w := range want {
			if !same(w, got[0][n]) {
				return fmt.Errorf("%s: read %s, want %q", n, show(got[0][n]), w)
			}
		}
		return nil
	})
	k.check("lookups/filter-on-13th-lookup", func() error {
		_, got, err := readRows(ctx, k.db, "SELECT "+strings.Join(sel, ", ")+" FROM "+quote(k.wide)+" WHERE L13 = ?", want["L13"])
		if err != nil {
			return err
		}
		if len(got) != 1 {
			return fmt.Errorf("got %d rows, want 1", len(got))
		}
		for n, w := range want {
			if !same(w, got[0][n]) {
				return fmt.Errorf("%s: read %s, want %q", n, show(got[0][n]), w)
			}
		}
		// None: a filter that no item matches.
		_, none, err := readRows(ctx, k.db, "SELECT "+strings.Join(sel, ", ")+" FROM "+quote(k.wide)+" WHERE L13 = ?", "no such item")
		if err != nil {
			return err
		}
		if len(none) != 0 {
			return fmt.Errorf("WHERE L13 = 'no such item' gave %d rows, want none", len(none))
		}
		return nil
	})
}

// schemaViews checks SHOW TABLES, DESCRIBE and information_schema against
// the columns the kit created.
func (k *kit) schemaViews(ctx context.Context) {
	k.check("schema/information-schema-tables", func() error {
		rs, err := k.db.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.tables WHERE TABLE_NAME LIKE ?", k.cfg.Prefix+k.suffix+"%")
		if err != nil {
			return err
		}
		defer rs.Close()
		var got []string
		for rs.Next() {
			var n string
			if err := rs.Scan(&n); err != nil {
				return err
			}
			got = append(got, n)
		}
		if err := rs.Err(); err != nil {
			return err
		}
		slices.Sort(got)
		want := slices.Clone(k.created)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			return fmt.Errorf("got %q, want %q", got, want)
		}
		return nil
	})
	k.check("schema/information-schema-columns", func() error {
		rs, err := k.db.QueryContext(ctx, "SELECT COLUMN_NAME, INTERNAL_NAME, SHAREPOINT_TYPE FROM information_schema.columns WHERE TABLE_NAME = ?", k.main)
		if err != nil {
			return err
		}
		defer rs.Close()
		got := map[string][2]string{}
		for rs.Next() {
			var display, internal, typ string
			if err := rs.Scan(&display, &internal, &typ); err != nil {
				return err
			}
			got[internal] = [2]string{display, typ}
		}
		if err := rs.Err(); err != nil {
			return err
		}
		for _, c := range columns {
			g, ok := got[c.name]
			if !ok {
				return fmt.Errorf("column %s is missing", c.name)
			}
			if g[0] != c.display || g[1] != c.typ {
				return fmt.Errorf("column %s: %q of type %s, want %q of type %s", c.name, g[0], g[1], c.display, c.typ)
			}
		}
		return nil
	})
	k.check("schema/describe", func() error {
		rs, err := k.db.QueryContext(ctx, "DESCRIBE "+quote(k.main))
		if err != nil {
			return err
		}
		defer rs.Close()
		cols, err := rs.Columns()
		if err != nil {
			return err
		}
		if len(cols) < 5 || cols[0] != "Column" || cols[1] != "InternalName" || cols[2] != "Type" || cols[4] != "ReadOnly" {
			return fmt.Errorf("DESCRIBE's columns are %q, want Column, InternalName, Type, Nullable, ReadOnly…", cols)
		}
		type described struct {
			display, typ string
			readOnly     bool
		}
		got := map[string]described{}
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				return err
			}
			ro, _ := vals[4].(bool)
			got[fmt.Sprint(vals[1])] = described{fmt.Sprint(vals[0]), fmt.Sprint(vals[2]), ro}
		}
		if err := rs.Err(); err != nil {
			return err
		}
		for _, c := range columns {
			if g, want := got[c.name], (described{c.display, c.typ, false}); g != want {
				return fmt.Errorf("column %s: DESCRIBE shows %+v, want %+v", c.name, g, want)
			}
		}
		if !got["Created"].readOnly {
			return fmt.Errorf("DESCRIBE does not show Created as read-only: %+v", got["Created"])
		}
		return nil
	})
}

// largeList fills a list past the view threshold and reads it back: the
// whole list in ID order (ID slices), a filter on a column that is not
// indexed (the driver's fallback), a count.
func (k *kit) largeList(ctx context.Context) {
	if !k.cfg.Large {
		k.check("large/view-threshold", func() error { return skipped("not asked for (--large)") })
		return
	}
	n := k.cfg.LargeCount
	if n <= 0 {
		n = 5100
	}
	ok := true
	k.check("large/create-and-fill", func() error {
		k.created = append(k.created, k.large)
		if _, err := k.cfg.Schema.CreateList(ctx, k.large, "Scratch list of spsql conformance; safe to delete."); err != nil {
			ok = false
			return err
		}
		for start := 0; start < n; start += 500 {
			var vals []string
			for i := start; i < min(start+500, n); i++ {
				vals = append(vals, fmt.Sprintf("('item %d')", i+1))
			}
			if _, err := k.db.ExecContext(ctx, "INSERT INTO "+quote(k.large)+" (Title) VALUES "+strings.Join(vals, ", ")); err != nil {
				ok = false
				return err
			}
		}
		return nil
	})
	if !ok {
		return
	}
	k.check("large/count", func() error {
		var got int
		if err := k.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quote(k.large)).Scan(&got); err != nil {
			return err
		}
		if got != n {
			return fmt.Errorf("COUNT(*) = %d, want %d", got, n)
		}
		return nil
	})
	readAll := func(db *sql.DB) error {
		ids, got, err := readRows(ctx, db, "SELECT ID, Title FROM "+quote(k.large))
		if err != nil {
			return err
		}
		if len(ids) != n || !slices.IsSorted(ids) {
			return fmt.Errorf("got %d rows (sorted: %v), want %d in ID order", len(ids), slices.IsSorted(ids), n)
		}
		seen := map[string]bool{}
		for _, r := range got {
			seen[fmt.Sprint(r["Title"])] = true
		}
		if len(seen) != n {
			return fmt.Errorf("got %d distinct titles, want %d", len(seen), n)
		}
		return nil
	}
	k.check("large/read-all-in-id-order", func() error { return readAll(k.db) })
	// Pages of n/10 items: ten pages, enough for the driver to read the
	// list in ID slices, several requests at a time.
	k.check("large/read-all-in-id-slices", func() error {
		db, err := k.open(max(n/10, 1))
		if err != nil {
			return err
		}
		plan, err := explain(ctx, db, "SELECT ID, Title FROM "+quote(k.large))
		if err != nil {
			return err
		}
		if !strings.Contains(plan, "ID slices") {
			return skipped("the driver does not plan ID slices here (ParallelRequests=1?):\n" + plan)
		}
		return readAll(db)
	})
	k.check("large/filter-non-indexed-fallback", func() error {
		want := fmt.Sprintf("item %d", n-7)
		_, got, err := readRows(ctx, k.db, "SELECT ID, Title FROM "+quote(k.large)+" WHERE Title = ?", want)
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0]["Title"] != want {
			return fmt.Errorf("got %v, want the one item %q", got, want)
		}
		return nil
	})
	k.check("large/order-by-non-indexed-limit", func() error {
		_, got, err := readRows(ctx, k.db, "SELECT ID, Title FROM "+quote(k.large)+" ORDER BY Title DESC LIMIT 1")
		if err != nil {
			return err
		}
		// "item 999…" sorts last as text.
		best := ""
		for i := 1; i <= n; i++ {
			if s := fmt.Sprintf("item %d", i); s > best {
				best = s
			}
		}
		if len(got) != 1 || got[0]["Title"] != best {
			return fmt.Errorf("got %v, want %q", got, best)
		}
		return nil
	})
}

// explain returns the EXPLAIN of query, one line per plan line.
func explain(ctx context.Context, db *sql.DB, query string) (string, error) {
	rs, err := db.QueryContext(ctx, "EXPLAIN "+query)
	if err != nil {
		return "", err
	}
	defer rs.Close()
	var b strings.Builder
	for rs.Next() {
		var line string
		if err := rs.Scan(&line); err != nil {
			return "", err
		}
		b.WriteString(line + "\n")
	}
	return b.String(), rs.Err()
}
