package conformance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-spsql/spsql/internal/redact"
)

// Recording is a recorded run: its exchanges in the order they were sent.
type Recording struct {
	Names     []string // file names, e.g. 0001.json
	Exchanges []Exchange
}

// LoadRecording reads the files a --record run wrote to dir.
func LoadRecording(dir string) (*Recording, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	rec := &Recording{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var ex Exchange
		if err := json.Unmarshal(b, &ex); err != nil {
			return nil, fmt.Errorf("spsql: recording %s: %w", f, err)
		}
		rec.Names = append(rec.Names, filepath.Base(f))
		rec.Exchanges = append(rec.Exchanges, ex)
	}
	if len(rec.Exchanges) == 0 {
		return nil, fmt.Errorf("spsql: no recorded exchanges (NNNN.json) in %s", dir)
	}
	return rec, nil
}

// Difference is one way a replayed answer differs from the recorded one.
type Difference struct {
	Exchange string // the recording's file name
	Request  string // method and path
	Path     string // where in the answer: "status", "code", a JSON path
	Recorded string
	Replayed string
}

func (d Difference) String() string {
	return fmt.Sprintf("%s %s: %s: recorded %s, replayed %s", d.Exchange, d.Request, d.Path, d.Recorded, d.Replayed)
}

// VolatileProperties are the JSON properties whose values differ between
// any two runs and are not compared: creation and modification times,
// ETags and versions' metadata, and a list content type's ID (0x0100
// followed by a hex string SharePoint derives per list). GUIDs are not compared either (two
// GUID-shaped strings are equal), but a GUID an answer gave is mapped to
// the replayed one in later requests, so that they address the same
// object.
var VolatileProperties = map[string]bool{
	"Created": true, "Modified": true, "LastItemModifiedDate": true, "LastItemUserModifiedDate": true,
	"LastItemDeletedDate": true, "odata.etag": true, "etag": true, "@odata.etag": true,
	"odata.editLink": true, "odata.id": true, "uri": true, "id": true,
	"ContentTypeId": true,
}

var guidRE = regexp.MustCompile(`(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
var guidAnyRE = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// Replay sends the recording's SharePoint requests (token endpoint
// exchanges and requests that got no answer are left out) to the site at siteOrigin ("http://127.0.0.1:…",
// its host replacing ScrubbedHost) through client, in order, and lists
// every difference between the answers: status, error code, JSON shape
// and values, each part of a $batch answer alike.
func Replay(rec *Recording, siteOrigin string, client *http.Client) ([]Difference, error) {
	r := &replayer{origin: strings.TrimSuffix(siteOrigin, "/"), client: client, guids: map[string]string{}}
	for i, ex := range rec.Exchanges {
		// Token exchanges, and requests that got no answer.
		if strings.Contains(ex.Request.URL, "/oauth2/") || ex.Error != "" {
			continue
		}
		if err := r.replay(rec.Names[i], ex); err != nil {
			return r.diffs, err
		}
	}
	return r.diffs, nil
}

type replayer struct {
	origin string
	client *http.Client
	guids  map[string]string // recorded GUID → replayed GUID
	diffs  []Difference
	name   string
	what   string
}

// rewrite puts the replay site's origin and the replayed GUIDs into
// recorded request text.
func (r *replayer) rewrite(s string) string {
	for _, scheme := range []string{"https://", "http://"} {
		s = strings.ReplaceAll(s, scheme+ScrubbedHost, r.origin)
	}
	return guidAnyRE.ReplaceAllStringFunc(s, func(g string) string {
		if n, ok := r.guids[strings.ToLower(g)]; ok {
			return n
		}
		return g
	})
}

func (r *replayer) replay(name string, ex Exchange) error {
	url := r.rewrite(ex.Request.URL)
	req, err := http.NewRequest(ex.Request.Method, url, strings.NewReader(r.rewrite(ex.Request.Body)))
	if err != nil {
		return fmt.Errorf("spsql: replaying %s: %w", name, err)
	}
	for k, v := range ex.Request.Header {
		req.Header.Set(k, r.rewrite(v))
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("spsql: replaying %s: %w", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("spsql: replaying %s: %w", name, err)
	}
	r.name, r.what = name, ex.Request.Method+" "+req.URL.Path
	r.compareAnswer("", ex.Response.Status, ex.Response.Header["Content-Type"], ex.Response.Body,
		resp.StatusCode, resp.Header.Get("Content-Type"), string(body))
	return nil
}

func (r *replayer) diff(path, recorded, replayed string) {
	r.diffs = append(r.diffs, Difference{Exchange: r.name, Request: r.what, Path: path, Recorded: recorded, Replayed: replayed})
}

// compareAnswer compares one answer (or one part of a $batch answer).
func (r *replayer) compareAnswer(prefix string, recStatus int, recType, recBody string, status int, typ, body string) {
	if recStatus != status {
		r.diff(prefix+"status", strconv.Itoa(recStatus), strconv.Itoa(status))
		return
	}
	recMT, recParams, _ := mime.ParseMediaType(recType)
	mt, params, _ := mime.ParseMediaType(typ)
	if recMT == "multipart/mixed" || mt == "multipart/mixed" {
		r.compareBatch(prefix, recParams["boundary"], recBody, params["boundary"], body)
		return
	}
	recBody, body = strings.TrimSpace(recBody), strings.TrimSpace(body)
	var recJSON, gotJSON any
	recErr := json.Unmarshal([]byte(recBody), &recJSON)
	gotErr := json.Unmarshal([]byte(body), &gotJSON)
	switch {
	case recErr != nil && gotErr != nil:
		if recBody != body {
			r.diff(prefix+"body", clip(recBody), clip(body))
		}
		return
	case recErr != nil || gotErr != nil:
		r.diff(prefix+"body", clip(recBody), clip(body))
		return
	}
	if code, got := errorCode(recJSON), errorCode(gotJSON); code != got {
		r.diff(prefix+"code", code, got)
	}
	r.compareJSON(prefix+"$", recJSON, gotJSON)
}

// errorCode is the "code" of an odata.error or error body, or "".
func errorCode(v any) string {
	m, _ := v.(map[string]any)
	for _, k := range []string{"odata.error", "error"} {
		if e, ok := m[k].(map[string]any); ok {
			s, _ := e["code"].(string)
			return s
		}
	}
	return ""
}

func (r *replayer) compareJSON(path string, rec, got any) {
	switch x := rec.(type) {
	case map[string]any:
		y, ok := got.(map[string]any)
		if !ok {
			r.diff(path, kind(rec), kind(got))
			return
		}
		keys := make([]string, 0, len(x)+len(y))
		for k := range x {
			keys = append(keys, k)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			xv, inRec := x[k]
			yv, inGot := y[k]
			switch {
			case !inRec:
				r.diff(path+"."+k, "absent", clip(fmt.Sprint(yv)))
			case !inGot:
				r.diff(path+"."+k, clip(fmt.Sprint(xv)), "absent")
			case VolatileProperties[k]:
			default:
				r.compareJSON(path+"."+k, xv, yv)
			}
		}
	case []any:
		y, ok := got.([]any)
		if !ok {
			r.diff(path, kind(rec), kind(got))
			return
		}
		if len(x) != len(y) {
			r.diff(path+".length", strconv.Itoa(len(x)), strconv.Itoa(len(y)))
		}
		for i := range min(len(x), len(y)) {
			r.compareJSON(path+"["+strconv.Itoa(i)+"]", x[i], y[i])
		}
	case string:
		y, ok := got.(string)
		if !ok {
			r.diff(path, kind(rec), kind(got))
			return
		}
		if guidRE.MatchString(x) && guidRE.MatchString(y) {
			if !strings.EqualFold(x, y) {
				r.guids[strings.ToLower(x)] = y
			}
			return
		}
		if r.rewrite(x) != y && !sameGUIDsAside(r.rewrite(x), y) && !scrubbedMatch(x, y) {
			r.diff(path, clip(strconv.Quote(x)), clip(strconv.Quote(y)))
		}
	default:
		if fmt.Sprint(rec) != fmt.Sprint(got) || kind(rec) != kind(got) {
			r.diff(path, clip(fmt.Sprint(rec)), clip(fmt.Sprint(got)))
		}
	}
}

// scrubbedMatch reports whether recorded, a string the Recorder scrubbed
// (a secret or a person's name replaced by redact.Mask), matches got with
// any text in place of each mask: the recording cannot tell what was there.
func scrubbedMatch(recorded, got string) bool {
	if !strings.Contains(recorded, redact.Mask) {
		return false
	}
	parts := strings.Split(recorded, redact.Mask)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	re, err := regexp.Compile("^" + strings.Join(parts, ".+") + "$")
	return err == nil && re.MatchString(got)
}

// sameGUIDsAside reports a and b equal once every GUID in them is
// replaced by the same placeholder (a schema's field and list IDs).
func sameGUIDsAside(a, b string) bool {
	return guidAnyRE.ReplaceAllString(a, "GUID") == guidAnyRE.ReplaceAllString(b, "GUID")
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:117] + "…"
	}
	return s
}

// compareBatch compares two $batch answers part by part.
func (r *replayer) compareBatch(prefix, recBoundary, recBody, boundary, body string) {
	recParts, recErr := batchParts(recBoundary, recBody)
	parts, err := batchParts(boundary, body)
	if recErr != nil || err != nil {
		r.diff(prefix+"batch", fmt.Sprint(recErr), fmt.Sprint(err))
		return
	}
	if len(recParts) != len(parts) {
		r.diff(prefix+"batch.parts", strconv.Itoa(len(recParts)), strconv.Itoa(len(parts)))
	}
	for i := range min(len(recParts), len(parts)) {
		p, q := recParts[i], parts[i]
		r.compareAnswer(fmt.Sprintf("%spart[%d].", prefix, i), p.status, p.typ, p.body, q.status, q.typ, q.body)
	}
}

type batchPart struct {
	status    int
	typ, body string
}

// batchParts reads the HTTP answers of a multipart/mixed $batch answer.
func batchParts(boundary, body string) ([]batchPart, error) {
	if boundary == "" {
		return nil, fmt.Errorf("no boundary")
	}
	mr := multipart.NewReader(strings.NewReader(body), boundary)
	var out []batchPart
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		raw, err := io.ReadAll(p)
		if err != nil {
			return out, err
		}
		tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw)))
		line, err := tp.ReadLine()
		if err != nil {
			return out, err
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			return out, fmt.Errorf("part status line %q", line)
		}
		st, err := strconv.Atoi(f[1])
		if err != nil {
			return out, fmt.Errorf("part status line %q", line)
		}
		hdr, _ := tp.ReadMIMEHeader()
		rest, _ := io.ReadAll(tp.R)
		out = append(out, batchPart{status: st, typ: hdr.Get("Content-Type"), body: string(rest)})
	}
}
