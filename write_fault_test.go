package spsql_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// The write fault matrix: every fault below × every kind of write (one
// INSERT, UPDATE or DELETE alone, and three of them through $batch),
// through database/sql. A write is applied, not applied, or in doubt —
// in doubt only when bytes of it may have reached SharePoint and no
// answer says what became of it. After each run the list is read back
// with the faults cleared, and what the driver reported for each row
// must match it: applied rows are in the list, rows not applied are not,
// and rows in doubt may be either. Each fault also names the one honest
// report, which the driver must give.

// outcome is what became of one row of a write.
type outcome int

const (
	applied outcome = iota + 1
	notApplied
	inDoubt
	// appliedOrInDoubt: the answer was cut part-way, so the rows it
	// answered are applied and the rest in doubt.
	appliedOrInDoubt
)

func (o outcome) String() string {
	return map[outcome]string{applied: "applied", notApplied: "not applied", inDoubt: "in doubt", appliedOrInDoubt: "applied or in doubt"}[o]
}

func (o outcome) allows(got outcome) bool {
	if o == appliedOrInDoubt {
		return got == applied || got == inDoubt
	}
	return o == got
}

// writeFaultSite is a list of six items, the first one only read.
func writeFaultSite() sptest.Site {
	items := make([]sptest.Item, 6)
	for i := range items {
		items[i] = sptest.Item{"Title": fmt.Sprintf("seed%d", i+1)}
	}
	return sptest.Site{Lists: []sptest.List{{Title: "Log", Items: items}}}
}

// writeKind is one kind of write and how to tell, from the list read back
// (title by ID), whether its row i was applied.
type writeKind struct {
	name string
	rows int // 1: one request; more: one $batch
	sql  string
	done func(list map[int]string, row int) (bool, error)
}

func inserted(list map[int]string, row int) (bool, error) {
	n := 0
	for _, title := range list {
		if title == fmt.Sprintf("new%d", row) {
			n++
		}
	}
	if n > 1 {
		return true, fmt.Errorf("row %d is in the list %d times", row, n)
	}
	return n == 1, nil
}

// updated and deleted: row i is item 2+i.
func updated(list map[int]string, row int) (bool, error) { return list[2+row] == "upd", nil }
func deleted(list map[int]string, row int) (bool, error) {
	_, ok := list[2+row]
	return !ok, nil
}

var writeKinds = []writeKind{
	{"INSERT", 1, "INSERT INTO Log (Title) VALUES ('new0')", inserted},
	{"UPDATE", 1, "UPDATE Log SET Title = 'upd' WHERE ID = 2", updated},
	{"DELETE", 1, "DELETE FROM Log WHERE ID = 2", deleted},
	{"batch INSERT", 3, "INSERT INTO Log (Title) VALUES ('new0'), ('new1'), ('new2')", inserted},
	{"batch UPDATE", 3, "UPDATE Log SET Title = 'upd' WHERE ID IN (2, 3, 4)", updated},
	{"batch DELETE", 3, "DELETE FROM Log WHERE ID IN (2, 3, 4)", deleted},
}

// dialFaults breaks the connections the driver opens: refused (a closed
// port), to a server that does not speak TLS, or cancelling the write's
// context while connecting.
type dialFaults struct {
	mu        sync.Mutex
	refuse    int // the next n dials are refused
	plainTLS  int // the next n dials reach a server that answers in plain HTTP
	cancel    context.CancelFunc
	closed    string // an address nothing listens on
	plain     string // the plain-HTTP server's address
	fired     int
	realDials net.Dialer
}

func (d *dialFaults) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	switch {
	case d.refuse > 0:
		d.refuse--
		addr = d.closed
		d.fired++
	case d.plainTLS > 0:
		d.plainTLS--
		addr = d.plain
		d.fired++
	case d.cancel != nil:
		cancel := d.cancel
		d.cancel = nil
		d.fired++
		d.mu.Unlock()
		cancel()
		<-ctx.Done()
		return nil, ctx.Err()
	}
	d.mu.Unlock()
	return d.realDials.DialContext(ctx, network, addr)
}

func (d *dialFaults) firedCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.fired
}

// writeEnv is one run: an emulator over TLS, the driver's transport and
// its dial faults, and the request counts before the fault.
type writeEnv struct {
	srv                 *sptest.Server
	dial                *dialFaults
	cancel              context.CancelFunc // the write's context
	spBefore, tokBefore int
	recvBefore          int // srv.Received()'s length
}

// spStatus: a SharePoint request after the fault was set got this status
// (0: its connection was dropped without an answer).
func spStatus(code int) func(*writeEnv) bool {
	return func(e *writeEnv) bool {
		for _, r := range e.srv.Requests()[e.spBefore:] {
			if r.Status == code {
				return true
			}
		}
		return false
	}
}

func tokStatus(code int) func(*writeEnv) bool {
	return func(e *writeEnv) bool {
		for _, r := range e.srv.Tokens.Requests()[e.tokBefore:] {
			if r.Status == code {
				return true
			}
		}
		return false
	}
}

func dialed(e *writeEnv) bool { return e.dial.firedCount() > 0 }

func both(a, b func(*writeEnv) bool) func(*writeEnv) bool {
	return func(e *writeEnv) bool { return a(e) && b(e) }
}

type writeScenario struct {
	name string
	// shortTokens: access tokens live under a second, so every request
	// fetches a new one first (a token failure then comes before sending).
	shortTokens bool
	// slow: the fault is an answer slower than WSTimeout, which is then 2
	// seconds (30 otherwise, so that a loaded machine times nothing out).
	// shortTokens also sets LoginTimeout to 1 second.
	slow bool
	set  func(e *writeEnv)
	// want is the honest report for every row; wantBatch, when set, for
	// the rows of a $batch.
	want, wantBatch outcome
	fired           func(e *writeEnv) bool
}

func writeScenarios() []writeScenario {
	gatewayPage := "<html><head><title>502 Bad Gateway</title></head><body>The upstream server did not answer in time.</body></html>"
	revokeAll := func(e *writeEnv) {
		for _, s := range e.srv.Tokens.Secrets() {
			e.srv.Tokens.RevokeRefreshToken(s)
		}
	}
	return []writeScenario{
		{name: "no fault", want: applied, set: func(*writeEnv) {}},
		{name: "SharePoint refuses the write (400, odata.error)", want: notApplied, fired: spStatus(400), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Status: 400, Code: "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", Message: "The property 'X' does not exist."})
		}},
		{name: "SharePoint fails the write (500, odata.error)", want: notApplied, fired: spStatus(500), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Status: 500})
		}},
		{name: "429 with Retry-After, then answered", want: applied, fired: spStatus(429), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Status: 429, RetryAfter: "1"})
		}},
		{name: "429 without Retry-After", want: notApplied, fired: spStatus(429), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Status: 429})
		}},
		{name: "503 with Retry-After from a gateway, then answered", want: applied, fired: spStatus(503), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Status: 503, RetryAfter: "1", Gateway: true, GatewayBody: "<html>Service Unavailable</html>"})
		}},
		{name: "gateway 502 (HTML) without forwarding", want: inDoubt, fired: spStatus(502), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Status: 502, Gateway: true, GatewayBody: gatewayPage})
		}},
		{name: "gateway forwards, then answers 500 (HTML)", want: inDoubt, fired: spStatus(500), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Forward: true, Status: 500, Gateway: true, GatewayBody: "<html><body>Internal Server Error</body></html>"})
		}},
		{name: "gateway forwards, then answers 502 (HTML)", want: inDoubt, fired: spStatus(502), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Forward: true, Status: 502, Gateway: true, GatewayBody: gatewayPage})
		}},
		{name: "gateway forwards, then answers 503 (empty, no Retry-After)", want: inDoubt, fired: spStatus(503), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Forward: true, Status: 503, Gateway: true})
		}},
		{name: "gateway forwards, then answers 504 (empty)", want: inDoubt, fired: spStatus(504), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Forward: true, Status: 504, Gateway: true})
		}},
		{name: "connection reset before the body is read", want: inDoubt, fired: spStatus(0), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Reset: true})
		}},
		{name: "connection reset after the write was applied", want: inDoubt, fired: spStatus(0), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Forward: true, Reset: true})
		}},
		{name: "answer cut after the write was applied", want: applied, wantBatch: appliedOrInDoubt, set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Cut: true})
		}},
		{name: "answer slower than WSTimeout, the write applied", slow: true, want: inDoubt, set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Forward: true, Latency: 3 * time.Second})
		}},
		{name: "answer slower than WSTimeout, before the site", slow: true, want: inDoubt, set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Latency: 3 * time.Second})
		}},
		{name: "redirect 302 to a sign-in page (not followed)", want: notApplied, fired: spStatus(302), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Status: 302, Gateway: true, Location: "https://login.example.com/signin"})
		}},
		{name: "redirect 307 (not followed)", want: notApplied, fired: spStatus(307), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Status: 307, Gateway: true, Location: e.srv.ServiceURL() + "/_api/web"})
		}},
		{name: "303 See Other after the write was applied (not followed)", want: inDoubt, fired: spStatus(303), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Forward: true, Status: 303, Gateway: true, Location: e.srv.ServiceURL() + "/_api/web"})
		}},
		{name: "connection refused once, then retried", want: applied, fired: dialed, set: func(e *writeEnv) {
			e.dial.mu.Lock()
			e.dial.refuse = 1
			e.dial.mu.Unlock()
		}},
		{name: "connection refused every time", want: notApplied, fired: dialed, set: func(e *writeEnv) {
			e.dial.mu.Lock()
			e.dial.refuse = 100
			e.dial.mu.Unlock()
		}},
		{name: "TLS handshake fails", want: notApplied, fired: dialed, set: func(e *writeEnv) {
			e.dial.mu.Lock()
			e.dial.plainTLS = 100
			e.dial.mu.Unlock()
		}},
		{name: "context cancelled while connecting", want: notApplied, fired: dialed, set: func(e *writeEnv) {
			e.dial.mu.Lock()
			e.dial.cancel = e.cancel
			e.dial.mu.Unlock()
		}},
		{name: "no access token: token endpoint 500", shortTokens: true, want: notApplied, fired: tokStatus(500), set: func(e *writeEnv) {
			e.srv.Tokens.FailNext(1000, 500)
		}},
		{name: "no access token: refresh token revoked", shortTokens: true, want: notApplied, fired: tokStatus(400), set: revokeAll},
		{name: "token endpoint 503 once, then a token", shortTokens: true, want: applied, fired: tokStatus(503), set: func(e *writeEnv) {
			e.srv.Tokens.FailNext(1, 503)
		}},
		{name: "401, then the refresh fails", want: notApplied, fired: both(spStatus(401), tokStatus(400)), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Status: 401})
			revokeAll(e)
		}},
		{name: "401, then a new token and the write again", want: applied, fired: spStatus(401), set: func(e *writeEnv) {
			e.srv.FailRequest(1, sptest.Fault{Status: 401})
		}},
	}
}

// reportedOutcomes reads what the driver said of each row.
func reportedOutcomes(err error, rows int) []outcome {
	out := make([]outcome, rows)
	var be *sharepoint.BatchError
	switch {
	case err == nil:
		for i := range out {
			out[i] = applied
		}
	case errors.As(err, &be):
		for i := range out {
			switch {
			case slices.Contains(be.Applied, i):
				out[i] = applied
			case slices.Contains(be.InDoubt, i):
				out[i] = inDoubt
			default:
				out[i] = notApplied
			}
		}
	default:
		o := notApplied
		if errors.Is(err, sharepoint.ErrWriteInDoubt) {
			o = inDoubt
		}
		for i := range out {
			out[i] = o
		}
	}
	return out
}

func TestWriteFaultMatrix(t *testing.T) {
	// A server that answers a TLS client hello in plain HTTP, as a
	// misconfigured proxy would: the handshake fails.
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Close() }) // after the parallel runs, not when this function returns
	go func() {
		for {
			c, err := plain.Accept()
			if err != nil {
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
			c.Close()
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close() // nothing listens there now: dials are refused

	var mu sync.Mutex
	runs, misreported := 0, 0
	tally := map[string]int{}
	for _, sc := range writeScenarios() {
		for _, kind := range writeKinds {
			t.Run(sc.name+"/"+kind.name, func(t *testing.T) {
				t.Parallel()
				got, bad := runWriteScenario(t, sc, kind, plain.Addr().String(), closedAddr)
				mu.Lock()
				defer mu.Unlock()
				runs++
				if bad {
					misreported++
				}
				for _, o := range got {
					tally[o.String()]++
				}
			})
		}
	}
	t.Cleanup(func() {
		t.Logf("write fault matrix: %d faults × %d kinds of write = %d runs; rows reported %v; %d runs misreported",
			len(writeScenarios()), len(writeKinds), runs, tally, misreported)
	})
}

// runWriteScenario runs one write under one fault and checks the report
// against the list read back. bad says whether it was misreported.
func runWriteScenario(t *testing.T, sc writeScenario, kind writeKind, plainAddr, closedAddr string) (got []outcome, bad bool) {
	srv := sptest.NewServer(writeFaultSite(), sptest.WithTLS())
	defer srv.Close()
	if sc.shortTokens {
		// expires_in 0: the driver fetches a token before every request.
		srv.Tokens.SetAccessTokenLifetime(900 * time.Millisecond)
	}
	dial := &dialFaults{closed: closedAddr, plain: plainAddr}
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = dial.DialContext
	defer tr.CloseIdleConnections()
	dsn := srv.ConnString() + ";WSRetryCount=2;WSTimeout=30"
	if sc.slow {
		dsn = strings.Replace(dsn, "WSTimeout=30", "WSTimeout=2", 1)
	}
	if sc.shortTokens {
		dsn += ";LoginTimeout=1" // a failing token endpoint is given up on soon
	}
	cfg, err := spsql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	// The client's own redirect policy applies: a write follows none.
	hc := &http.Client{Transport: tr}
	// Everything the driver emits on these paths — its debug log and the
	// error in every form — is searched for secrets at the end.
	var emitted bytes.Buffer
	var emittedMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedBuffer{&emittedMu, &emitted}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	connector, err := spsql.NewConnector(cfg, spsql.WithHTTPClient(hc), spsql.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	// Warm the metadata a write needs (time zone, fields, entity type)
	// with a write to the first item, so that the fault lands on the
	// write itself.
	if _, err := db.Exec("UPDATE Log SET Title = 'seed1' WHERE ID = 1"); err != nil {
		t.Fatal(err)
	}
	tr.CloseIdleConnections() // the write opens a new connection
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := &writeEnv{srv: srv, dial: dial, cancel: cancel, spBefore: srv.RequestCount(), tokBefore: srv.Tokens.RequestCount(), recvBefore: len(srv.Received())}
	sc.set(env)
	_, werr := db.ExecContext(ctx, kind.sql)
	if sc.fired != nil && !sc.fired(env) {
		t.Fatalf("the fault never fired, so the run proves nothing (error: %v)", werr)
	}
	emittedMu.Lock()
	fmt.Fprintf(&emitted, "%v\n%+v\n%#v\n%q\n", werr, werr, werr, werr)
	out := emitted.String()
	emittedMu.Unlock()
	for _, secret := range srv.Tokens.Secrets() {
		if strings.Contains(out, secret) {
			t.Fatal("an error or a log line shows a secret")
		}
	}

	// Read the list back with every fault cleared, through a driver of its
	// own (the one above may hold a revoked refresh token).
	srv.ClearFaults()
	srv.Tokens.FailNext(0, 0)
	srv.Tokens.SetAccessTokenLifetime(time.Hour)
	list := readBack(t, srv)

	want := sc.want
	if kind.rows > 1 && sc.wantBatch != 0 {
		want = sc.wantBatch
	}
	got = reportedOutcomes(werr, kind.rows)
	if slices.Contains(got, inDoubt) && !writeReached(srv.Received()[env.recvBefore:]) {
		t.Errorf("rows reported in doubt, but no write request reached the server (error: %v)", werr)
		bad = true
	}
	if msg := outcomeText(werr, got); msg != "" {
		t.Errorf("%s (error: %v)", msg, werr)
		bad = true
	}
	for row, o := range got {
		done, err := kind.done(list, row)
		if err != nil {
			t.Errorf("row %d: %v", row, err)
			bad = true
		}
		switch {
		case o == applied && !done:
			t.Errorf("row %d reported applied, but the list does not have it (error: %v)", row, werr)
			bad = true
		case o == notApplied && done:
			t.Errorf("row %d reported not applied, but the list has it (error: %v)", row, werr)
			bad = true
		}
		if !want.allows(o) {
			t.Errorf("row %d reported %s, want %s (error: %v)", row, o, want, werr)
			bad = true
		}
	}
	return got, bad
}

// writeReached reports whether a write request (a POST) reached the
// server among reqs, answered or not.
func writeReached(reqs []sptest.SPRequest) bool {
	for _, r := range reqs {
		if r.Method == http.MethodPost {
			return true
		}
	}
	return false
}

// outcomeText checks that a write's error says what became of its rows
// and matches the sentinel for it; it returns what is wrong, or "".
func outcomeText(err error, got []outcome) string {
	if err == nil {
		return ""
	}
	text := err.Error()
	switch {
	case slices.Contains(got, inDoubt) && (!strings.Contains(text, "IN DOUBT") || !strings.Contains(text, "check the list")):
		return "the error does not say the write is IN DOUBT and to check the list"
	case slices.Contains(got, inDoubt) && !errors.Is(err, sharepoint.ErrWriteInDoubt):
		return "rows in doubt, but the error does not match sharepoint.ErrWriteInDoubt"
	case slices.Contains(got, notApplied) && !strings.Contains(text, "not applied") && !strings.Contains(text, "nothing was written"):
		return "the error does not say the write was not applied"
	case !slices.Contains(got, applied) && !slices.Contains(got, inDoubt) && !errors.Is(err, sharepoint.ErrWriteNotApplied):
		return "nothing applied, but the error does not match sharepoint.ErrWriteNotApplied"
	}
	return ""
}

// readBack returns the list's items, title by ID.
func readBack(t *testing.T, srv *sptest.Server) map[int]string {
	cfg, err := spsql.ParseDSN(srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	connector, err := spsql.NewConnector(cfg, spsql.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	defer srv.Client().CloseIdleConnections()
	rows, err := db.Query("SELECT ID, Title FROM Log")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	list := map[int]string{}
	for rows.Next() {
		var id int
		var title string
		if err := rows.Scan(&id, &title); err != nil {
			t.Fatal(err)
		}
		list[id] = title
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(list[1], "seed") {
		t.Fatalf("item 1 reads %q: the read back is wrong", list[1])
	}
	return list
}

// An INSERT whose answer (201 Created) is cut before the new item's ID was
// applied: Exec succeeds, and only LastInsertId says the ID is unknown.
func TestAnInsertWhoseAnswerIsCutIsAppliedWithItsIDUnknown(t *testing.T) {
	srv := sptest.NewServer(writeFaultSite())
	defer srv.Close()
	db := openWrite(t, srv, "")
	if _, err := db.Exec("UPDATE Log SET Title = 'seed1' WHERE ID = 1"); err != nil { // warm the metadata
		t.Fatal(err)
	}
	srv.FailRequest(1, sptest.Fault{Cut: true, CutAfterBytes: 3})
	res, err := db.Exec("INSERT INTO Log (Title) VALUES ('new0')")
	if err != nil {
		t.Fatalf("the item was created, yet Exec failed: %v", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Errorf("RowsAffected = %d, want 1", n)
	}
	if id, err := res.LastInsertId(); !errors.Is(err, sharepoint.ErrCreatedIDUnknown) || id != 0 {
		t.Errorf("LastInsertId = %d, %v; want an error saying the ID is unknown", id, err)
	}
	srv.ClearFaults()
	if list := readBack(t, srv); list[7] != "new0" {
		t.Errorf("the list holds %v, want the new item as ID 7", list)
	}
}

// A write that fails while the driver reads what it needs first (the IDs
// an UPDATE or DELETE changes, the list's fields) wrote nothing, and says
// so.
func TestAFailureBeforeWritingSaysNothingWasWritten(t *testing.T) {
	srv := sptest.NewServer(writeFaultSite())
	defer srv.Close()
	db := openWrite(t, srv, ";WSRetryCount=0")
	if _, err := db.Exec("UPDATE Log SET Title = 'seed1' WHERE ID = 1"); err != nil { // warm the metadata
		t.Fatal(err)
	}
	srv.FailRequest(1, sptest.Fault{Status: 500})
	_, err := db.Exec("DELETE FROM Log WHERE Title = 'seed2'") // reads the IDs first
	if !errors.Is(err, sharepoint.ErrWriteNotApplied) || errors.Is(err, sharepoint.ErrWriteInDoubt) || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("err = %v, want not applied, saying nothing was written", err)
	}
	srv.ClearFaults()
	if list := readBack(t, srv); list[2] != "seed2" {
		t.Errorf("the list holds %v, want item 2 untouched", list)
	}
}
