package spsql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// writeSite has a declared (writable) list with one column of each
// writable type, and a list its lookups point at.
func writeSite() sptest.Site {
	return sptest.Site{Lists: []sptest.List{
		{Title: "Projects", Items: []sptest.Item{{"Title": "P1"}, {"Title": "P2"}, {"Title": "P3"}}},
		{Title: "Log", Fields: []sptest.Field{
			{Title: "Amount", Type: "Number"},
			{Title: "Price", Type: "Currency"},
			{Title: "Count", Type: "Integer"},
			{Title: "Flag", Type: "Boolean"},
			{Title: "When", Type: "DateTime"},
			{Title: "Status", Type: "Choice", Choices: []string{"Open", "Closed"}},
			{Title: "Tags", Type: "MultiChoice", Choices: []string{"A", "B"}},
			{Title: "Notes", Type: "Note"},
			{Title: "Link", Type: "URL"},
			{Title: "Project", Type: "Lookup", LookupList: "Projects"},
			{Title: "Projects", Type: "LookupMulti", LookupList: "Projects"},
			{Title: "Owner", Type: "User"},
			{Title: "Key", Type: "Guid"},
		}},
	}}
}

func openWrite(t *testing.T, srv *sptest.Server, extra string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sharepoint", srv.ConnString()+extra)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestEachFieldTypeIsWrittenAndReadBack(t *testing.T) {
	srv := sptest.NewServer(writeSite())
	defer srv.Close()
	db := openWrite(t, srv, "")
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("+2", 7200))
	res, err := db.Exec(`INSERT INTO Log (Title, Amount, Price, Count, Flag, "When", Status, Tags, Notes, Link, ProjectId, ProjectsId, OwnerId, [Key])
		VALUES (?, 1.5, 10, 3, true, ?, 'Open', '["A","B"]', 'long text', 'https://example.com', 2, '[1,3]', 7, '{6F1C3BDE-58F7-4B3E-9D0C-2A4D7C9E1F00}')`, "first", when)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := res.LastInsertId(); id != 1 {
		t.Errorf("LastInsertId = %d, want 1", id)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Errorf("RowsAffected = %d", n)
	}
	var title, status, tags, notes, link, projects, owner, key string
	var amount, price float64
	var count, projectID, ownerID int64
	var flag bool
	var got time.Time
	err = db.QueryRow(`SELECT Title, Amount, Price, Count, Flag, "When", Status, Tags, Notes, Link, ProjectId, ProjectsId, OwnerId, Owner, [Key] FROM Log WHERE ID = 1`).
		Scan(&title, &amount, &price, &count, &flag, &got, &status, &tags, &notes, &link, &projectID, &projects, &ownerID, &owner, &key)
	if err != nil {
		t.Fatal(err)
	}
	if title != "first" || amount != 1.5 || price != 10 || count != 3 || !flag || !got.Equal(when) || status != "Open" ||
		tags != `["A","B"]` || notes != "long text" || link != "https://example.com" || projectID != 2 || projects != "[1,3]" ||
		ownerID != 7 || owner == "" || key != "6f1c3bde-58f7-4b3e-9d0c-2a4d7c9e1f00" {
		t.Errorf("read back: %q %v %v %v %v %v %q %q %q %q %v %q %v %q %q", title, amount, price, count, flag, got, status, tags, notes, link, projectID, projects, ownerID, owner, key)
	}
	if _, err := db.Exec(`INSERT INTO Log (Title, [Key]) VALUES ('x', 'not-a-guid')`); err == nil || !strings.Contains(err.Error(), "a GUID") {
		t.Errorf("a bad GUID: %v, want an error asking for a GUID", err)
	}
}

func TestUpdateAndDeleteCountExactly(t *testing.T) {
	srv := sptest.NewServer(writeSite())
	defer srv.Close()
	db := openWrite(t, srv, "")
	res, err := db.Exec("INSERT INTO Log (Title, Amount) VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 4)")
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := res.LastInsertId(); id != 4 {
		t.Errorf("LastInsertId = %d, want the last row's 4", id)
	}
	for _, tc := range []struct {
		sql  string
		args []any
		want int64
	}{
		{"UPDATE Log SET Notes = 'x' WHERE ID = ?", []any{2}, 1},
		{"UPDATE Log SET Notes = 'y' WHERE ID IN (1, 3, 99)", nil, 2},
		{"UPDATE Log SET Status = 'Closed' WHERE Amount > 2", nil, 2},
		{"UPDATE Log SET Flag = 1 WHERE Notes LIKE '%y%'", nil, 2}, // residual: driver-side
		{"DELETE FROM Log WHERE Status = 'Closed'", nil, 2},
		{"DELETE FROM Log WHERE ID = 3", nil, 0}, // already gone
		{"UPDATE Log SET Amount = 0 WHERE 1=1", nil, 2},
	} {
		res, err := db.Exec(tc.sql, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		if n, _ := res.RowsAffected(); n != tc.want {
			t.Errorf("%s: RowsAffected = %d, want %d", tc.sql, n, tc.want)
		}
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM Log WHERE Amount = 0 AND Flag = true").Scan(&n); err != nil || n != 1 {
		t.Errorf("after the updates: %d rows, %v", n, err)
	}
}

func TestWholeListWritesNeedToBeMeant(t *testing.T) {
	srv := sptest.NewServer(writeSite())
	defer srv.Close()
	db := openWrite(t, srv, "")
	if _, err := db.Exec("DELETE FROM Projects"); err == nil || !strings.Contains(err.Error(), "WHERE 1=1") {
		t.Errorf("DELETE without WHERE: %v", err)
	}
	all := openWrite(t, srv, ";AllowFullTableWrites=true")
	res, err := all.Exec("DELETE FROM Projects")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 3 {
		t.Errorf("RowsAffected = %d, want 3", n)
	}
}

func TestTransactionModeIgnoreRunsStatementsAtOnce(t *testing.T) {
	srv := sptest.NewServer(writeSite())
	defer srv.Close()
	if _, err := openWrite(t, srv, "").Begin(); !errors.Is(err, spsql.ErrNoTransactions) {
		t.Errorf("Begin = %v", err)
	}
	db := openWrite(t, srv, ";TransactionMode=Ignore")
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO Log (Title) VALUES ('kept')"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM Log WHERE Title = 'kept'").Scan(&n); err != nil || n != 1 {
		t.Errorf("Rollback undid nothing, as documented: want 1 row, got %d (%v)", n, err)
	}
}

func TestAThousandRowsTakeAtMostTenWriteRequests(t *testing.T) {
	srv := sptest.NewServer(writeSite())
	defer srv.Close()
	db := openWrite(t, srv, "")
	var b strings.Builder
	b.WriteString("INSERT INTO Log (Title, Count) VALUES ")
	for i := range 1000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "('r%d', %d)", i, i)
	}
	before := srv.Requests()
	res, err := db.Exec(b.String())
	if err != nil {
		t.Fatal(err)
	}
	writes := 0
	for _, r := range srv.Requests()[len(before):] {
		if r.Method == http.MethodPost {
			writes++
		}
	}
	if writes > 10 {
		t.Errorf("%d write requests for 1,000 rows, want at most 10", writes)
	}
	if n, _ := res.RowsAffected(); n != 1000 {
		t.Errorf("RowsAffected = %d", n)
	}
	if id, _ := res.LastInsertId(); id != 1000 {
		t.Errorf("LastInsertId = %d", id)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM Log WHERE Count >= 0").Scan(&n); err != nil || n != 1000 {
		t.Errorf("read back %d rows, %v", n, err)
	}
}

// faultTransport breaks the nth POST at a chosen stage.
type faultTransport struct {
	base  http.RoundTripper
	stage string // "before", "after", "mid"
	nth   int32
	posts atomic.Int32
}

func (ft *faultTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodPost || ft.posts.Add(1) != ft.nth {
		return ft.base.RoundTrip(r)
	}
	switch ft.stage {
	case "before":
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	case "after":
		resp, err := ft.base.RoundTrip(r)
		if err == nil {
			resp.Body.Close()
		}
		return nil, errors.New("connection reset after the request was sent")
	}
	resp, err := ft.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &cutBody{r: resp.Body, left: 3000}
	return resp, nil
}

type cutBody struct {
	r    interface{ Read([]byte) (int, error) }
	left int
}

func (c *cutBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errors.New("connection cut mid-response")
	}
	if len(p) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= n
	return n, err
}
func (c *cutBody) Close() error { return nil }

// TestInsertBatchFaultsLoseAndDuplicateNothing cuts the connection of the
// second $batch of a 250-row INSERT before it is sent, after it is sent
// (the answer lost) and mid-answer: every row is then in the list exactly
// once or reported, by number, as not applied or in doubt — never twice.
func TestInsertBatchFaultsLoseAndDuplicateNothing(t *testing.T) {
	for _, stage := range []string{"before", "after", "mid"} {
		t.Run(stage, func(t *testing.T) {
			srv := sptest.NewServer(writeSite())
			defer srv.Close()
			ft := &faultTransport{base: srv.Client().Transport, stage: stage, nth: 2}
			db := sql.OpenDB(mustConnector(t, srv, ft))
			defer db.Close()
			var b strings.Builder
			b.WriteString("INSERT INTO Log (Title, Count) VALUES ")
			for i := range 250 {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "('r%d', %d)", i, i)
			}
			_, err := db.ExecContext(context.Background(), b.String())
			var be *sharepoint.BatchError
			if stage == "before" {
				if err != nil {
					t.Fatalf("a request refused before sending is retried safely: %v", err)
				}
			} else if !errors.As(err, &be) || !errors.Is(err, sharepoint.ErrWriteInDoubt) {
				t.Fatalf("want a BatchError with rows in doubt, got %v", err)
			}
			seen := map[int]int{}
			rows, qerr := db.Query("SELECT Count FROM Log")
			if qerr != nil {
				t.Fatal(qerr)
			}
			for rows.Next() {
				var c int
				_ = rows.Scan(&c)
				seen[c]++
			}
			rows.Close()
			doubt := map[int]bool{}
			if be != nil {
				for _, r := range be.InDoubt {
					doubt[r] = true
				}
				if len(be.InDoubt) == 0 || len(be.Applied)+len(be.InDoubt)+len(be.NotSent)+len(be.Failed) != 250 {
					t.Errorf("applied %d, in doubt %v, not sent %d", len(be.Applied), be.InDoubt, len(be.NotSent))
				}
				if !strings.Contains(err.Error(), "IN DOUBT") {
					t.Errorf("the error does not name the rows in doubt: %v", err)
				}
			}
			for i := range 250 {
				switch {
				case seen[i] > 1:
					t.Errorf("row %d duplicated", i)
				case seen[i] == 0 && !doubt[i] && (be == nil || !contains(be.NotSent, i)):
					t.Errorf("row %d lost without being reported", i)
				}
			}
		})
	}
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func mustConnector(t *testing.T, srv *sptest.Server, rt http.RoundTripper) *spsql.Connector {
	t.Helper()
	cfg, err := spsql.ParseDSN(srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	c, err := spsql.NewConnector(cfg, spsql.WithHTTPClient(&http.Client{Transport: rt}))
	if err != nil {
		t.Fatal(err)
	}
	return c.(*spsql.Connector)
}

// TestCountAfterWrites: COUNT(*) of a whole list (answered from the
// cached ItemCount) sees the items a write added or deleted.
func TestCountAfterWrites(t *testing.T) {
	db, _ := openDB(t, sptest.Site{Lists: []sptest.List{{Title: "Notes", Items: []sptest.Item{{"Title": "a"}, {"Title": "b"}}}}})
	count := func() int64 {
		var n int64
		if err := db.QueryRow("SELECT COUNT(*) FROM Notes").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 2 {
		t.Fatalf("COUNT(*) = %d, want 2", n)
	}
	if _, err := db.Exec("INSERT INTO Notes (Title) VALUES ('c'), ('d')"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 4 {
		t.Errorf("after INSERT: COUNT(*) = %d, want 4", n)
	}
	if _, err := db.Exec("DELETE FROM Notes WHERE Title = 'a'"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 3 {
		t.Errorf("after DELETE: COUNT(*) = %d, want 3", n)
	}
}
