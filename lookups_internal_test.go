package spsql

import (
	"errors"
	"reflect"
	"testing"
)

// fakeStream serves rows of {ID, value}.
type fakeStream struct {
	rows [][]any
	pos  int
	err  error
}

func (f *fakeStream) Next() bool {
	if f.pos >= len(f.rows) {
		return false
	}
	f.pos++
	return true
}
func (f *fakeStream) Row() []any   { return f.rows[f.pos-1] }
func (f *fakeStream) Err() error   { return f.err }
func (f *fakeStream) Close() error { return nil }

func rowsOf(ids ...int64) [][]any {
	out := make([][]any, len(ids))
	for i, id := range ids {
		out[i] = []any{id, id * 10}
	}
	return out
}

// merged merges two parts of {ID, value} rows into {ID, value0, value1}.
func merged(byID bool, a, b *fakeStream) *mergedItems {
	split := &lookupSplit{
		parts: []lookupPart{{idCol: 0}, {idCol: 0}},
		from:  []struct{ part, col int }{{0, 0}, {0, 1}, {1, 1}},
	}
	return &mergedItems{split: split, its: []itemStream{a, b}, byID: byID, pending: make([][]any, 2), done: make([]bool, 2)}
}

func drain(m *mergedItems) ([]int64, error) {
	var ids []int64
	for m.Next() {
		r := m.Row()
		if r[1] != r[2] {
			return ids, errors.New("the parts' values do not belong to one item")
		}
		ids = append(ids, r[0].(int64))
	}
	return ids, m.Err()
}

func TestMergedPartsLineUpByID(t *testing.T) {
	for _, tt := range []struct {
		name string
		a, b []int64
		want []int64
	}{
		{"the same items", []int64{1, 2, 5}, []int64{1, 2, 5}, []int64{1, 2, 5}},
		{"an item deleted before the second part was read is left out", []int64{1, 2, 5, 9}, []int64{1, 5, 9}, []int64{1, 5, 9}},
		{"an item added before the second part was read is left out", []int64{1, 5}, []int64{1, 3, 5, 6}, []int64{1, 5}},
		{"the last items deleted", []int64{1, 2, 3}, []int64{1}, []int64{1}},
		{"nothing", nil, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := drain(merged(true, &fakeStream{rows: rowsOf(tt.a...)}, &fakeStream{rows: rowsOf(tt.b...)}))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestMergedPartsInAnotherOrderMustAgree(t *testing.T) {
	got, err := drain(merged(false, &fakeStream{rows: rowsOf(5, 1, 3)}, &fakeStream{rows: rowsOf(5, 1, 3)}))
	if err != nil || !reflect.DeepEqual(got, []int64{5, 1, 3}) {
		t.Errorf("got %v, %v", got, err)
	}
	_, err = drain(merged(false, &fakeStream{rows: rowsOf(5, 1, 3)}, &fakeStream{rows: rowsOf(5, 3)}))
	if !errors.Is(err, errListChanged) {
		t.Errorf("parts that disagree: %v, want errListChanged", err)
	}
}

func TestMergedPartsReportAPartsError(t *testing.T) {
	boom := errors.New("boom")
	_, err := drain(merged(true, &fakeStream{rows: rowsOf(1, 2)}, &fakeStream{rows: rowsOf(1), err: boom}))
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want the part's error", err)
	}
}

func TestIDOrdered(t *testing.T) {
	for in, want := range map[string]bool{"": true, "ID": true, "ID asc": true, "id ASC,Title": true, "ID desc": false, "Title": false, "IDX": false} {
		if idOrdered(in) != want {
			t.Errorf("idOrdered(%q) = %v", in, !want)
		}
	}
}
