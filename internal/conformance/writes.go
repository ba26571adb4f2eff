package conformance

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// row is what the kit wrote to one item of the main list, by column
// internal name, as the driver reads it back: text as string, numbers as
// float64, integers as int64, times as UTC time.Time (date-only: midnight
// UTC of the day), multi-values as their JSON text; nil is NULL.
type row map[string]any

// readColumns are the main list's columns the kit reads back.
var readColumns = []string{"Title", "TxtV", "MemoV", "NumV", "MoneyV", "WholeV", "FlagV", "WhenV", "DayV",
	"PickV", "PicksV", "RefV", "RefVId", "RefsV", "RefsVId", "WhoVId", "LinkV", "UidV"}

// writeColumns are the ones INSERT sets, in this order.
var writeColumns = []string{"Title", "TxtV", "MemoV", "NumV", "MoneyV", "WholeV", "FlagV", "WhenV", "DayV",
	"PickV", "PicksV", "RefVId", "RefsVId", "WhoVId", "LinkV", "UidV"}

// dstChanges finds the changes of the site zone's UTC offset in 2025 (in
// the northern hemisphere spring, then autumn); none for zones without.
func dstChanges(loc *time.Location) []time.Time {
	var out []time.Time
	t := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	_, off := t.In(loc).Zone()
	for i := 0; i < 365*24; i++ {
		t = t.Add(time.Hour)
		if _, o := t.In(loc).Zone(); o != off {
			out = append(out, t)
			off = o
		}
	}
	return out
}

// input is one row to write: SQL arguments by column, plus what reading
// it back gives.
type input struct {
	args map[string]any
	want row
}

// newInput builds a row from its written values; lookups are given as
// target item indexes (0, 1, 2) and become IDs and names.
func (k *kit) newInput(title string, v map[string]any) input {
	in := input{args: map[string]any{"Title": title}, want: row{"Title": title}}
	names := []string{"alpha", "beta", "gamma"}
	for _, c := range writeColumns[1:] {
		x, set := v[c]
		if !set || x == nil {
			in.args[c] = nil
			in.want[c] = nil
			continue
		}
		switch c {
		case "RefVId":
			i := x.(int)
			in.args[c] = k.targetItems[i]
			in.want[c], in.want["RefV"] = k.targetItems[i], names[i]
			continue
		case "RefsVId":
			var ids, shown []string
			for _, i := range x.([]int) {
				ids = append(ids, fmt.Sprint(k.targetItems[i]))
				shown = append(shown, `"`+names[i]+`"`)
			}
			in.args[c] = "[" + strings.Join(ids, ",") + "]"
			in.want[c], in.want["RefsV"] = "["+strings.Join(ids, ",")+"]", "["+strings.Join(shown, ",")+"]"
			continue
		case "PicksV":
			var q []string
			for _, s := range x.([]string) {
				q = append(q, `"`+s+`"`)
			}
			in.args[c] = "[" + strings.Join(q, ",") + "]"
			in.want[c] = in.args[c]
			continue
		case "DayV":
			d := x.(time.Time) // a calendar day
			in.args[c] = d.Format("2006-01-02")
			in.want[c] = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
			continue
		case "WhenV":
			in.args[c] = x.(time.Time)
			in.want[c] = x.(time.Time).UTC()
			continue
		case "NumV", "MoneyV":
			in.args[c] = x
			in.want[c] = x
			continue
		}
		in.args[c] = x
		in.want[c] = x
	}
	if in.want["RefV"] == nil {
		in.want["RefV"] = nil
	}
	if in.want["RefsV"] == nil {
		in.want["RefsV"] = nil
	}
	return in
}

func (in input) values() []any {
	out := make([]any, len(writeColumns))
	for i, c := range writeColumns {
		out[i] = in.args[c]
	}
	return out
}

func placeholders(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

// writes inserts, updates and deletes rows of the main list through SQL.
func (k *kit) writes(ctx context.Context) {
	changes := dstChanges(k.loc)
	hasDST := len(changes) >= 2
	if !hasDST {
		changes = []time.Time{time.Date(2025, 3, 30, 1, 0, 0, 0, time.UTC), time.Date(2025, 10, 26, 1, 0, 0, 0, time.UTC)}
	}
	change, autumn := changes[0], changes[1]
	localDay := func(t time.Time) time.Time {
		y, m, d := t.In(k.loc).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	before, after := change.Add(-30*time.Minute), change.Add(90*time.Minute)
	dayBefore, dayOf := localDay(change.Add(-24*time.Hour)), localDay(change)
	k.dstChange, k.dstAutumn = change, autumn

	// The person: whoever the kit signs in as, the author of its items.
	if err := k.db.QueryRowContext(ctx, "SELECT AuthorId FROM "+quote(k.target)+" WHERE ID = ?", k.targetItems[0]).Scan(&k.userID); err != nil {
		k.check("write/person-id", func() error { return fmt.Errorf("reading the signed-in user's ID (AuthorId): %w", err) })
	}
	var who any
	if k.userID > 0 {
		who = k.userID
	}
	first := k.newInput("first", map[string]any{
		"TxtV": "plain text", "MemoV": "line one\nline two", "NumV": 1.5, "MoneyV": 10.25, "WholeV": int64(7), "FlagV": true,
		"WhenV": before, "DayV": dayBefore, "PickV": "Red", "PicksV": []string{"Red", "Ünïcode"},
		"RefVId": 0, "RefsVId": []int{0, 1}, "WhoVId": who, "LinkV": "https://example.com/a?b=1&c=2",
		"UidV": "6f1c3bde-58f7-4b3e-9d0c-2a4d7c9e1f00",
	})
	more := []input{
		k.newInput("nulls", nil),
		k.newInput("quotes", map[string]any{"TxtV": `O'Brien "quoted"`, "NumV": -2.5, "MoneyV": 0.0, "WholeV": int64(-3), "FlagV": false,
			"WhenV": after, "DayV": dayOf, "PickV": "Green & Blue", "PicksV": []string{"Green & Blue"}, "RefVId": 1, "RefsVId": []int{2}}),
		k.newInput("percent", map[string]any{"TxtV": "100% sure #1 & more", "NumV": 0.0, "MoneyV": 99.99, "WholeV": int64(0), "FlagV": true,
			"WhenV": after.Add(24 * time.Hour), "PickV": "Ünïcode", "RefVId": 2}),
		k.newInput("spaces", map[string]any{"TxtV": "  spaced  ", "MemoV": "  leading and trailing  ", "NumV": 1e6, "WholeV": int64(5)}),
		k.newInput("unicode", map[string]any{"TxtV": "Grüße 日本 🎉", "MemoV": "é\ttab", "NumV": 2.0, "WholeV": int64(2), "PickV": "Red", "RefVId": 0}),
		// The hour that repeats when clocks go back: UTC tells them apart.
		k.newInput("autumn before", map[string]any{"WhenV": autumn.Add(-30 * time.Minute), "DayV": localDay(autumn)}),
		k.newInput("autumn after", map[string]any{"WhenV": autumn.Add(30 * time.Minute), "DayV": localDay(autumn.Add(24 * time.Hour))}),
		k.newInput("prefix one", map[string]any{"TxtV": "prefix-abc", "NumV": 3.0, "WholeV": int64(3)}),
		k.newInput("prefix two", map[string]any{"TxtV": "prefix-def", "NumV": 4.0, "WholeV": int64(4)}),
	}
	cols := strings.Join(writeColumns, ", ")
	k.check("write/insert-single-every-type", func() error {
		res, err := k.db.ExecContext(ctx, "INSERT INTO "+quote(k.main)+" ("+cols+") VALUES "+placeholders(len(writeColumns)), first.values()...)
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		k.rows[id] = first.want
		return nil
	})
	k.check("write/insert-multi-row-batch", func() error {
		var args []any
		var vals []string
		for _, in := range more {
			args = append(args, in.values()...)
			vals = append(vals, placeholders(len(writeColumns)))
		}
		res, err := k.db.ExecContext(ctx, "INSERT INTO "+quote(k.main)+" ("+cols+") VALUES "+strings.Join(vals, ", "), args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != int64(len(more)) {
			return fmt.Errorf("RowsAffected = %d, want %d", n, len(more))
		}
		last, err := res.LastInsertId()
		if err != nil {
			return err
		}
		// IDs follow one another; find them by title to be sure.
		rows, err := k.db.QueryContext(ctx, "SELECT ID, Title FROM "+quote(k.main)+" WHERE ID <= ? ORDER BY ID", last)
		if err != nil {
			return err
		}
		defer rows.Close()
		byTitle := map[string]int64{}
		for rows.Next() {
			var id int64
			var title string
			if err := rows.Scan(&id, &title); err != nil {
				return err
			}
			byTitle[title] = id
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, in := range more {
			id, ok := byTitle[in.want["Title"].(string)]
			if !ok {
				return fmt.Errorf("row %q is missing after the INSERT", in.want["Title"])
			}
			k.rows[id] = in.want
		}
		if byTitle["prefix two"] != last {
			return fmt.Errorf("LastInsertId = %d, want the last row's ID %d", last, byTitle["prefix two"])
		}
		return nil
	})
	if !hasDST {
		k.check("write/dates-across-dst", func() error { return skipped("the site's time zone has no daylight saving change") })
	}
	k.check("write/update-by-id", func() error {
		id := k.idOf("spaces")
		res, err := k.db.ExecContext(ctx, "UPDATE "+quote(k.main)+" SET NumV = ?, [Text value] = ?, FlagV = ? WHERE ID = ?", 2.25, " still spaced ", nil, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("RowsAffected = %d, want 1", n)
		}
		k.rows[id]["NumV"], k.rows[id]["TxtV"], k.rows[id]["FlagV"] = 2.25, " still spaced ", nil
		return nil
	})
	k.check("write/update-by-filter", func() error {
		res, err := k.db.ExecContext(ctx, "UPDATE "+quote(k.main)+" SET WholeV = 42, PicksV = ? WHERE TxtV LIKE 'prefix%'", `["Red","Green & Blue"]`)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 2 {
			return fmt.Errorf("RowsAffected = %d, want 2", n)
		}
		for _, t := range []string{"prefix one", "prefix two"} {
			k.rows[k.idOf(t)]["WholeV"] = int64(42)
			k.rows[k.idOf(t)]["PicksV"] = `["Red","Green & Blue"]`
		}
		return nil
	})
	k.check("write/delete", func() error {
		id := k.idOf("prefix one")
		res, err := k.db.ExecContext(ctx, "DELETE FROM "+quote(k.main)+" WHERE ID = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("RowsAffected = %d, want 1", n)
		}
		delete(k.rows, id)
		return nil
	})
	k.check("write/refused-read-only-column", func() error {
		_, err := k.db.ExecContext(ctx, "UPDATE "+quote(k.main)+" SET Created = ? WHERE ID = ?", time.Now(), k.idOf("first"))
		if err == nil {
			return fmt.Errorf("writing Created succeeded; it must be refused as read-only")
		}
		return nil
	})
}

// idOf is the ID of the row titled title (0 when it is not there).
func (k *kit) idOf(title string) int64 {
	for id, r := range k.rows {
		if r["Title"] == title {
			return id
		}
	}
	return 0
}
