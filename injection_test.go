package spsql_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// Injection: list titles, column names and parameters holding
// quotes, %27, &, #, /, ?, $filter= fragments, unicode look-alikes and
// control characters reach SharePoint only as their literal values: in
// getbytitle('…') with ' doubled and percent-encoded, and in $filter as
// one quoted OData literal, with no query option added or changed.

// hostileStrings are the values tried as list titles, column names and
// parameters.
var hostileStrings = []string{
	"O'Brien & Co",
	"A/B?C#D",
	"50%27 off",
	"x&$filter=ID gt 0",
	"' or 1 eq 1 or Title eq '",
	"it''s ')/items?$top=1#",
	"Oʼ＇Brien", // modifier letter apostrophe, fullwidth apostrophe
	"semi;colon=1+2",
	"tab\there",
	"ctl\x01\x1f end",
}

// requestURIs is a reverse proxy in front of the emulator that records
// each request line's URI exactly as the driver sent it (the emulator's
// log holds the decoded path only).
type requestURIs struct {
	mu   sync.Mutex
	uris []string
}

func (r *requestURIs) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.uris...)
}

// injectionDB opens a *sql.DB on site through a recording proxy.
func injectionDB(t *testing.T, site sptest.Site) (*sptest.Server, *requestURIs, *sql.DB) {
	t.Helper()
	srv := sptest.NewServer(site)
	t.Cleanup(srv.Close)
	target, _ := url.Parse(srv.URL)
	rec := &requestURIs{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.uris = append(rec.uris, r.RequestURI)
		rec.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	dsn := strings.Replace(srv.ConnString(), "ServiceURL="+srv.URL, "ServiceURL="+front.URL, 1)
	db, err := sql.Open("sharepoint", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return srv, rec, db
}

// pathLiteral is what getbytitle('…') must carry for title: each '
// doubled, then every byte but an unreserved character or the quote
// percent-encoded (as PnPjs does).
func pathLiteral(title string) string {
	var b strings.Builder
	for _, c := range []byte(strings.ReplaceAll(title, "'", "''")) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '\'':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// odataLiteral is s as one OData string literal.
func odataLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// sqlIdent quotes name for SQL in brackets or double quotes.
func sqlIdent(name string, brackets bool) string {
	if brackets {
		return "[" + strings.ReplaceAll(name, "]", "]]") + "]"
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// knownOptions are the query options the driver may send.
var knownOptions = map[string]bool{
	"$select": true, "$filter": true, "$orderby": true, "$top": true,
	"$skip": true, "$expand": true, "$skiptoken": true,
}

// checkOptions fails unless raw holds only known query options, each once.
func checkOptions(t *testing.T, raw string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Errorf("query %q does not parse: %v", raw, err)
	}
	for k, vals := range v {
		if !knownOptions[k] || len(vals) != 1 {
			t.Errorf("query %q: unexpected option %q = %q", raw, k, vals)
		}
	}
	return v
}

func queryIDs(t *testing.T, db *sql.DB, query string, args ...any) []int {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s %q: %v", query, args, err)
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s %q: %v", query, args, err)
	}
	return ids
}

// TestInjectionListTitles: lists titled with each hostile string are
// addressed by getbytitle('…') holding exactly the escaped literal, from
// [bracketed] and "quoted" names, and the items request adds nothing.
func TestInjectionListTitles(t *testing.T) {
	var site sptest.Site
	for _, title := range hostileStrings {
		site.Lists = append(site.Lists, sptest.List{
			Title:  title,
			Fields: []sptest.Field{{Title: "Code", InternalName: "Code", Type: "Text"}},
			Items:  []sptest.Item{{"Title": "one", "Code": "a"}, {"Title": title, "Code": "b"}},
		})
	}
	srv, rec, db := injectionDB(t, site)
	for _, title := range hostileStrings {
		for _, brackets := range []bool{true, false} {
			name := fmt.Sprintf("%q/brackets=%v", title, brackets)
			t.Run(name, func(t *testing.T) {
				spBefore, uriBefore := len(srv.Requests()), len(rec.all())
				q := "SELECT ID FROM " + sqlIdent(title, brackets) + " WHERE Code = 'b'"
				if ids := queryIDs(t, db, q); len(ids) != 1 || ids[0] != 2 {
					t.Fatalf("%s: got IDs %v, want [2]", q, ids)
				}
				wantSeg := "getbytitle('" + pathLiteral(title) + "')"
				wantDecoded := "getbytitle('" + strings.ReplaceAll(title, "'", "''") + "')"
				var items int
				for _, uri := range rec.all()[uriBefore:] {
					path, raw, _ := strings.Cut(uri, "?")
					if strings.Contains(uri, "#") {
						t.Errorf("request %q carries a raw #", uri)
					}
					i := strings.Index(strings.ToLower(path), "getbytitle(")
					if i < 0 {
						continue
					}
					seg := path[i:]
					if j := strings.Index(seg, "')"); j >= 0 {
						seg = seg[:j+2]
					}
					if seg != wantSeg {
						t.Errorf("request %q: list segment %q, want %q", uri, seg, wantSeg)
					}
					if strings.HasSuffix(strings.ToLower(path), "/items") {
						items++
						v := checkOptions(t, raw)
						if got := v.Get("$filter"); got != "Code eq 'b'" {
							t.Errorf("request %q: $filter %q, want %q", uri, got, "Code eq 'b'")
						}
					}
				}
				if items == 0 {
					t.Errorf("no items request among %q", rec.all()[uriBefore:])
				}
				for _, r := range srv.Requests()[spBefore:] {
					if strings.Contains(strings.ToLower(r.Path), "getbytitle(") && !strings.Contains(r.Path, wantDecoded) {
						t.Errorf("emulator saw path %q, want it to name %q", r.Path, wantDecoded)
					}
				}
			})
		}
	}
}

// TestInjectionColumnNames: columns whose display names are the hostile
// strings are sent by internal name only; the display name never reaches
// SharePoint, and $filter is exactly the expected comparison.
func TestInjectionColumnNames(t *testing.T) {
	list := sptest.List{Title: "Odd"}
	for i, name := range hostileStrings {
		list.Fields = append(list.Fields, sptest.Field{Title: name, InternalName: fmt.Sprintf("Odd%d", i), Type: "Text"})
	}
	for id := 1; id <= 3; id++ {
		it := sptest.Item{"Title": fmt.Sprint("row ", id)}
		for i := range hostileStrings {
			it[fmt.Sprintf("Odd%d", i)] = fmt.Sprintf("v%d", id)
		}
		list.Items = append(list.Items, it)
	}
	srv, rec, db := injectionDB(t, sptest.Site{Lists: []sptest.List{list}})
	for i, name := range hostileStrings {
		for _, brackets := range []bool{true, false} {
			t.Run(fmt.Sprintf("%q/brackets=%v", name, brackets), func(t *testing.T) {
				before := len(srv.Requests())
				col := sqlIdent(name, brackets)
				q := "SELECT ID, " + col + " FROM Odd WHERE " + col + " = 'v2' ORDER BY " + col
				rows, err := db.Query(q)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				var got []int
				for rows.Next() {
					var id int
					var v string
					if err := rows.Scan(&id, &v); err != nil {
						t.Fatal(err)
					}
					got = append(got, id)
				}
				if err := rows.Err(); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				rows.Close()
				if len(got) != 1 || got[0] != 2 {
					t.Fatalf("%s: got IDs %v, want [2]", q, got)
				}
				internal := fmt.Sprintf("Odd%d", i)
				var items int
				for _, r := range itemsRequests(srv.Requests()[before:]) {
					items++
					v := checkOptions(t, r.RawQuery)
					if got, want := v.Get("$filter"), internal+" eq 'v2'"; got != want {
						t.Errorf("$filter %q, want %q", got, want)
					}
					if strings.Contains(r.Path, name) || strings.Contains(r.RawQuery, url.QueryEscape(name)) {
						t.Errorf("the display name %q reached SharePoint: %s?%s", name, r.Path, r.RawQuery)
					}
					for _, s := range []string{v.Get("$select"), v.Get("$orderby")} {
						if !strings.Contains(s, internal) {
							t.Errorf("option %q does not name %s", s, internal)
						}
					}
				}
				if items == 0 {
					t.Errorf("no items request among %q", rec.all())
				}
			})
		}
	}
}

// TestInjectionParameters: each hostile string bound to ? becomes exactly
// one OData string literal in $filter, for = and for LIKE 'prefix%'.
func TestInjectionParameters(t *testing.T) {
	list := sptest.List{Title: "Params"}
	for _, s := range hostileStrings {
		list.Items = append(list.Items, sptest.Item{"Title": s})
	}
	srv, _, db := injectionDB(t, sptest.Site{Lists: []sptest.List{list}})
	for i, s := range hostileStrings {
		t.Run(fmt.Sprintf("%q", s), func(t *testing.T) {
			cases := []struct {
				query, arg, filter string
			}{
				{"SELECT ID FROM Params WHERE Title = ?", s, "Title eq " + odataLiteral(s)},
				{"SELECT ID FROM Params WHERE Title <> ?", s, ""},
			}
			for _, c := range cases {
				before := len(srv.Requests())
				ids := queryIDs(t, db, c.query, c.arg)
				reqs := itemsRequests(srv.Requests()[before:])
				if len(reqs) == 0 {
					t.Fatalf("%s: no items request", c.query)
				}
				for _, r := range reqs {
					v := checkOptions(t, r.RawQuery)
					if c.filter != "" && v.Get("$filter") != c.filter {
						t.Errorf("%s with %q: $filter %q, want %q", c.query, c.arg, v.Get("$filter"), c.filter)
					}
					if c.filter == "" && !strings.Contains(v.Get("$filter"), odataLiteral(s)) {
						t.Errorf("%s with %q: $filter %q does not hold %s", c.query, c.arg, v.Get("$filter"), odataLiteral(s))
					}
				}
				switch c.query {
				case cases[0].query:
					if len(ids) != 1 || ids[0] != i+1 {
						t.Errorf("%s with %q: IDs %v, want [%d]", c.query, c.arg, ids, i+1)
					}
				default:
					if len(ids) != len(hostileStrings)-1 {
						t.Errorf("%s with %q: %d rows, want %d", c.query, c.arg, len(ids), len(hostileStrings)-1)
					}
				}
			}
		})
	}
}
