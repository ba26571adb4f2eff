package sptest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Writes. The emulator accepts what SharePoint accepts for list
// items — POST …/items (create), POST …/items(n) with X-HTTP-Method MERGE
// or DELETE and IF-MATCH, and _api/$batch with changesets — and refuses
// the rest with SharePoint's errors: an unknown property, a value of the
// wrong type, a read-only field, a verbose body without (or with the
// wrong) __metadata.type, a stale ETag (412). Declared lists change in
// memory and read back through GET; lists made by a Generator are fixed
// and refuse writes with 501.

// writeState serialises writes against reads: GETs hold the read lock
// while they serve, writes the write lock.
type writeState struct {
	mu         sync.RWMutex
	deletedMax map[*listModel]int // the highest ID each list has handed out
}

// isItemWrite reports whether method writes: POST (with or without
// X-HTTP-Method), or the verbs POST tunnels, sent as themselves — PATCH
// and MERGE update, DELETE deletes (docs/sharepoint.md §11.1).
func isItemWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodDelete, "MERGE":
		return true
	}
	return false
}

// serveItemWrite answers a write to list l's items or one item.
func (s *Server) serveItemWrite(w http.ResponseWriter, r *http.Request, f format, l *listModel, segs []segment) {
	if l.gen != nil {
		writeError(w, f, &apiError{http.StatusNotImplemented, "-1, Microsoft.SharePoint.Client.ClientServiceException", "sptest: list '" + l.Title + "' is generated (Site.Lists[].Generator) and cannot be written; declare its items to write to it."})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	method := strings.ToUpper(r.Header.Get("X-HTTP-Method"))
	if r.Method != http.MethodPost {
		method = r.Method // PATCH, MERGE or DELETE sent as itself
	}
	s.writes.mu.Lock()
	defer s.writes.mu.Unlock()
	defer s.clearSortCache()
	switch {
	case len(segs) == 1 && segs[0].name == "items" && !segs[0].hasArg && method == "":
		s.createItem(w, r, f, l, body)
	case len(segs) == 1 && (segs[0].name == "items" || segs[0].name == "getitembyid") && segs[0].hasArg:
		id, err := strconv.Atoi(strings.TrimSpace(segs[0].arg))
		if err != nil {
			writeError(w, f, errInvalidExpression(segs[0].arg))
			return
		}
		i, found := slices.BinarySearch(l.ids, id)
		if !found {
			writeError(w, f, &apiError{http.StatusNotFound, "-2130575338, System.ArgumentException", "Item does not exist. It may have been deleted by another user."})
			return
		}
		if m := r.Header.Get("If-Match"); m != "" && m != "*" {
			etag := `"` + strconv.Itoa(l.rows[i][l.versionIdx].int()) + `"`
			if m != etag {
				writeError(w, f, &apiError{http.StatusPreconditionFailed, "-2130575305, Microsoft.SharePoint.SPException", "The request ETag value '" + m + "' does not match the object's ETag value '" + etag + "'."})
				return
			}
		}
		switch method {
		case "MERGE", "PATCH":
			s.updateItem(w, r, f, l, i, body)
		case "DELETE":
			l.ids = slices.Delete(l.ids, i, i+1)
			l.rows = slices.Delete(l.rows, i, i+1)
			w.WriteHeader(http.StatusOK)
		default:
			writeError(w, f, &apiError{http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "The HTTP method '" + r.Method + "' cannot be used on an item without X-HTTP-Method MERGE or DELETE."})
		}
	default:
		writeError(w, f, &apiError{http.StatusNotImplemented, "-1, Microsoft.SharePoint.Client.ClientServiceException", "sptest: this write is not emulated."})
	}
}

func (s *Server) clearSortCache() {
	c := &s.sp.sortCache
	c.mu.Lock()
	c.entries, c.order = nil, nil
	c.mu.Unlock()
}

// decodeItemBody checks a create or update body and converts its values.
func (s *Server) decodeItemBody(r *http.Request, l *listModel, body []byte) (map[*fieldModel]value, *apiError) {
	var props map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&props); err != nil || props == nil {
		return nil, &apiError{http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "Invalid JSON. A token was not recognized in the JSON content."}
	}
	verbose := strings.Contains(strings.ToLower(r.Header.Get("Content-Type")), "odata=verbose")
	meta, hasMeta := props["__metadata"].(map[string]any)
	delete(props, "__metadata")
	typ, _ := meta["type"].(string)
	switch {
	case verbose && !hasMeta:
		return nil, &apiError{http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "A type named '' could not be resolved by the model. When a model is available, each type name must resolve to a valid type."}
	case hasMeta && typ != l.itemType:
		return nil, &apiError{http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "A type named '" + typ + "' could not be resolved by the model. When a model is available, each type name must resolve to a valid type."}
	}
	sc := &siteContext{loc: s.model.loc, users: s.model.users}
	out := map[*fieldModel]value{}
	for key, raw := range props {
		fm := l.itemKey(key)
		if fm == nil || (fm.logical.isLookup() && key != fm.entity+"Id") {
			return nil, &apiError{http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "The property '" + key + "' does not exist on type '" + l.itemType + "'. Make sure to only use property names that are defined by the type."}
		}
		if fm.ReadOnly || fm.system && fm.InternalName != "Title" {
			return nil, &apiError{http.StatusBadRequest, "-2147024809, System.ArgumentException", "Field '" + fm.InternalName + "' is read-only."}
		}
		if aerr := primitiveForCollection(fm, raw, verbose); aerr != nil {
			return nil, aerr
		}
		raw = unwrapVerbose(raw)
		if fm.dateOnly {
			raw = sc.restDateOnly(raw) // dateonly_writes.go
		}
		v, err := sc.convertValue(fm, raw)
		if err != nil {
			return nil, &apiError{http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", fmt.Sprintf("An unexpected value was found for the property '%s' of type '%s': %v.", key, fm.Type, err)}
		}
		out[fm] = v
	}
	return out, nil
}

// primitiveForCollection refuses a single value (a string such as
// "A;#B", a number, a Boolean) given for a multi-value column, with the
// error of SharePoint's OData reader: a verbose body must hold an object
// ({"results":[…]}), a JSON light body an array (docs/sharepoint.md §11.2).
func primitiveForCollection(fm *fieldModel, raw any, verbose bool) *apiError {
	if !fm.logical.isMulti() {
		return nil
	}
	switch raw.(type) {
	case string, json.Number, bool:
	default:
		return nil
	}
	want := "StartArray"
	if verbose {
		want = "StartObject"
	}
	return &apiError{http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "An unexpected 'PrimitiveValue' node was found when reading from the JSON reader. A '" + want + "' node was expected."}
}

// unwrapVerbose turns verbose collections ({"results":[…]}) into arrays,
// SP.FieldUrlValue objects into what convertValue takes, and JSON numbers
// into float64.
func unwrapVerbose(raw any) any {
	switch x := raw.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		if res, ok := x["results"].([]any); ok {
			for i := range res {
				res[i] = unwrapVerbose(res[i])
			}
			return res
		}
		if u, ok := x["Url"]; ok {
			desc, _ := x["Description"].(string)
			us, _ := u.(string)
			return map[string]any{"Url": us, "Description": desc}
		}
	case []any:
		for i := range x {
			x[i] = unwrapVerbose(x[i])
		}
	}
	return raw
}

func (s *Server) createItem(w http.ResponseWriter, r *http.Request, f format, l *listModel, body []byte) {
	vals, aerr := s.decodeItemBody(r, l, body)
	if aerr != nil {
		writeError(w, f, aerr)
		return
	}
	ir, aerr := s.newItemsRequest(r, f, l, true) // the answer's projection
	if aerr != nil {
		writeError(w, f, aerr)
		return
	}
	id := 1
	if n := len(l.ids); n > 0 {
		id = l.ids[n-1] + 1
	}
	if s.writes.deletedMax == nil {
		s.writes.deletedMax = map[*listModel]int{}
	}
	id = max(id, s.writes.deletedMax[l]+1) // IDs are never reused
	s.writes.deletedMax[l] = id
	row := make([]value, len(l.fields))
	l.defaultRow(id, row)
	now := timeValue(time.Now())
	row[l.createdIdx], row[l.modifiedIdx] = now, now
	for fm, v := range vals {
		row[fm.index] = v
	}
	l.ids = append(l.ids, id)
	l.rows = append(l.rows, row)
	// 201 with the whole new item, as a GET of it gives it, and its ETag
	// (docs/sharepoint.md §11.1).
	b := ir.appendItem(nil, row, true)
	if f.verbose {
		b = append(append([]byte(`{"d":`), b...), '}')
	}
	f.setHeaders(w)
	w.Header().Set("ETag", `"1"`)
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(b)
}

func (s *Server) updateItem(w http.ResponseWriter, r *http.Request, f format, l *listModel, i int, body []byte) {
	vals, aerr := s.decodeItemBody(r, l, body)
	if aerr != nil {
		writeError(w, f, aerr)
		return
	}
	row := slices.Clone(l.rows[i]) // readers may hold the old row
	for fm, v := range vals {
		row[fm.index] = v
	}
	row[l.modifiedIdx] = timeValue(time.Now())
	version := row[l.versionIdx].int() + 1
	row[l.versionIdx] = intValue(version)
	l.rows[i] = row
	w.Header().Set("ETag", `"`+strconv.Itoa(version)+`"`)
	w.WriteHeader(http.StatusNoContent)
}

// serveBatch answers POST _api/$batch: each application/http part (inside
// changesets or not) is served as its own request, in order, and answered
// as one flat part of the response, as SharePoint does. URLs must be
// absolute and on this server (docs/sharepoint.md §11.3).
func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request) {
	f, _ := negotiate(r)
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method != http.MethodPost || err != nil || mt != "multipart/mixed" || params["boundary"] == "" {
		writeError(w, f, &apiError{http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "The batch request must be a POST of multipart/mixed with a boundary."})
		return
	}
	var parts [][]byte
	if err := collectParts(r.Body, params["boundary"], &parts); err != nil {
		writeError(w, f, &apiError{http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "The batch request is malformed: " + err.Error()})
		return
	}
	if len(parts) > maxBatchOperations { // batch_limit.go
		writeError(w, f, errBatchTooLarge(len(parts)))
		return
	}
	// SharePoint's boundaries are batchresponse_<GUID>, and every part
	// has a CONTENT-TYPE, a 204's too (docs/sharepoint.md §6.10).
	boundary := "batchresponse_" + newGUID()
	var out bytes.Buffer
	for _, raw := range parts {
		rec := &recordingWriter{header: http.Header{}, status: http.StatusOK}
		partFormat := f
		if req, err := s.batchPartRequest(r, raw); err != nil {
			writeError(rec, f, &apiError{http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", err.Error()})
		} else if partFormat, _ = negotiate(req); req.Method == http.MethodGet {
			s.writes.mu.RLock()
			s.serveSite(rec, req)
			s.writes.mu.RUnlock()
		} else {
			s.serveSite(rec, req)
		}
		fmt.Fprintf(&out, "--%s\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n", boundary)
		fmt.Fprintf(&out, "HTTP/1.1 %d %s\r\n", rec.status, http.StatusText(rec.status))
		ct := rec.header.Get("Content-Type")
		if ct == "" {
			ct = partFormat.contentType()
		}
		fmt.Fprintf(&out, "CONTENT-TYPE: %s\r\n", ct)
		if et := rec.header.Get("ETag"); et != "" {
			fmt.Fprintf(&out, "ETAG: %s\r\n", et)
		}
		out.WriteString("\r\n")
		out.Write(rec.body.Bytes())
		out.WriteString("\r\n")
	}
	fmt.Fprintf(&out, "--%s--\r\n", boundary)
	w.Header().Set("Content-Type", "multipart/mixed; boundary="+boundary)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out.Bytes())
}

// collectParts gathers the application/http parts, descending into
// changesets.
func collectParts(r io.Reader, boundary string, parts *[][]byte) error {
	mr := multipart.NewReader(r, boundary)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		mt, params, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if strings.HasPrefix(mt, "multipart/") {
			if err := collectParts(p, params["boundary"], parts); err != nil {
				return err
			}
			continue
		}
		raw, err := io.ReadAll(p)
		if err != nil {
			return err
		}
		*parts = append(*parts, raw)
	}
}

// batchPartRequest rebuilds one part as a request to this server.
func (s *Server) batchPartRequest(outer *http.Request, raw []byte) (*http.Request, error) {
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw)))
	line, err := tp.ReadLine()
	if err != nil {
		return nil, fmt.Errorf("a batch part has no request line")
	}
	fields := strings.Fields(line)
	if len(fields) != 3 {
		return nil, fmt.Errorf("the batch part's request line %q is not METHOD URL HTTP/1.1", line)
	}
	scheme := "http"
	if outer.TLS != nil {
		scheme = "https"
	}
	if !strings.HasPrefix(fields[1], scheme+"://"+outer.Host+"/") {
		return nil, fmt.Errorf("the batch part's URL must be absolute and on this site: %s", fields[1])
	}
	hdr, err := tp.ReadMIMEHeader()
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("the batch part's headers: %v", err)
	}
	body, _ := io.ReadAll(tp.R)
	req := httptest.NewRequestWithContext(outer.Context(), fields[0], fields[1], bytes.NewReader(bytes.TrimRight(body, "\r\n")))
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.TLS = outer.TLS
	return req, nil
}
