package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-spsql/spsql/internal/redact"
)

// Exchange is one recorded HTTP exchange, the file format of --record: one
// JSON file per exchange, named NNNN.json in the order they were sent.
// Secrets (the client secret, refresh and access tokens, anything shaped
// like one) and the names, e-mail addresses and login names of the people
// in person columns are replaced by "***" and the site's and token
// endpoint's hosts by ScrubbedHost; the tenant ID in the token URL by
// "TENANT".
type Exchange struct {
	Request struct {
		Method string            `json:"method"`
		URL    string            `json:"url"`
		Header map[string]string `json:"header,omitempty"`
		Body   string            `json:"body,omitempty"`
	} `json:"request"`
	Response struct {
		Status int               `json:"status"`
		Header map[string]string `json:"header,omitempty"`
		Body   string            `json:"body,omitempty"`
	} `json:"response"`
	// Error is why no answer came (a timeout, a reset connection, a
	// request cancelled in flight); Response is then empty.
	Error string `json:"error,omitempty"`
}

// ScrubbedHost stands for the tenant's host names in a recording.
const ScrubbedHost = "tenant.sharepoint.example"

// recordedHeaders are the headers that matter to SharePoint's answers;
// Authorization is never recorded.
var recordedHeaders = []string{"Accept", "Content-Type", "OData-Version", "X-HTTP-Method", "If-Match",
	"ETag", "Location", "Retry-After", "WWW-Authenticate", "X-Ms-Diagnostics", "Prefer"}

// Recorder is an http.RoundTripper that writes every exchange through it
// to a directory, scrubbed.
type Recorder struct {
	dir     string
	base    http.RoundTripper
	red     *redact.Set
	hosts   []string // to replace by ScrubbedHost
	tenants []string // to replace by TENANT

	mu         sync.Mutex
	n          int
	personCols map[string]bool // person columns' names, by learnPeople
}

// NewRecorder records the exchanges sent through base into dir (created
// if needed). secrets are the credentials of the run; hosts the site's and
// token endpoint's URLs, whose host names are scrubbed.
func NewRecorder(dir string, base http.RoundTripper, secrets []string, urls ...string) (*Recorder, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spsql: --record: %w", err)
	}
	r := &Recorder{dir: dir, base: base, red: redact.New()}
	r.red.Add(secrets...)
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			continue
		}
		r.hosts = append(r.hosts, u.Host)
		if h := u.Hostname(); h != u.Host {
			r.hosts = append(r.hosts, h)
		}
		// login.microsoftonline.com/<tenant>/oauth2/…: the tenant's ID or name.
		if seg := strings.Split(strings.Trim(u.Path, "/"), "/"); len(seg) > 1 && strings.HasPrefix(seg[1], "oauth2") {
			r.tenants = append(r.tenants, seg[0])
		}
		// contoso.sharepoint.com: "contoso" appears in e-mail addresses
		// and login names too.
		if name, ok := strings.CutSuffix(u.Hostname(), ".sharepoint.com"); ok {
			r.tenants = append(r.tenants, strings.TrimSuffix(name, "-admin"))
		}
	}
	return r, nil
}

// Count is how many exchanges were recorded.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// RoundTrip sends req through the base transport and records it.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	var ex Exchange
	ex.Request.Method = req.Method
	ex.Request.URL = r.scrub(req.URL.String())
	ex.Request.Header = r.headers(req.Header)
	ex.Request.Body = r.scrub(string(reqBody))
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		ex.Error = r.scrub(err.Error())
		if werr := r.write(ex); werr != nil {
			return nil, werr
		}
		return nil, err
	}
	respBody, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if rerr != nil {
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(respBody), errReader{rerr}))
	}
	r.learnTokens(respBody)
	r.learnPeople(respBody)
	// The request again: the answer may have named a person it shows.
	ex.Request.URL = r.scrub(req.URL.String())
	ex.Request.Header = r.headers(req.Header)
	ex.Request.Body = r.scrub(string(reqBody))
	ex.Response.Status = resp.StatusCode
	ex.Response.Header = r.headers(resp.Header)
	ex.Response.Body = r.scrub(string(respBody))
	if werr := r.write(ex); werr != nil {
		return nil, werr
	}
	return resp, nil
}

// write stores ex as the next NNNN.json.
func (r *Recorder) write(ex Exchange) error {
	r.mu.Lock()
	r.n++
	n := r.n
	r.mu.Unlock()
	// Without HTML escaping: & < > as they are, for people to read.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	_ = enc.Encode(ex)
	if err := os.WriteFile(filepath.Join(r.dir, fmt.Sprintf("%04d.json", n)), b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("spsql: --record: %w", err)
	}
	return nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// learnTokens adds the tokens of a token endpoint's answer to the secrets.
func (r *Recorder) learnTokens(body []byte) {
	var tok map[string]any
	if json.Unmarshal(body, &tok) != nil {
		return
	}
	for _, k := range []string{"access_token", "refresh_token", "id_token"} {
		if s, ok := tok[k].(string); ok && s != "" {
			r.red.Add(s)
		}
	}
}

func (r *Recorder) scrub(s string) string {
	s = r.red.Redact(s)
	for _, h := range r.hosts {
		s = strings.ReplaceAll(s, h, ScrubbedHost)
	}
	for _, t := range r.tenants {
		if len(t) >= 3 {
			s = replaceFold(s, t, "TENANT")
		}
	}
	return s
}

func replaceFold(s, old, repl string) string {
	lower, lo := strings.ToLower(s), strings.ToLower(old)
	if !strings.Contains(lower, lo) || len(lower) != len(s) {
		return strings.ReplaceAll(s, old, repl)
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, lo)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s, lower = s[i+len(old):], lower[i+len(old):]
	}
}

func (r *Recorder) headers(h http.Header) map[string]string {
	out := map[string]string{}
	for _, k := range recordedHeaders {
		if v := h.Get(k); v != "" {
			out[k] = r.scrub(v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
