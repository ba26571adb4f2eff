package sptest

import (
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// format is the response shape a request asked for with its Accept and
// OData-Version headers (docs/sharepoint.md §5.1).
type format struct {
	verbose bool   // odata=verbose: {"d":…}, __metadata, __deferred
	minimal bool   // per-row type/id/etag annotations (minimalmetadata, v4 minimal)
	v4      bool   // OData-Version 4.0: @odata.* annotations
	lang    string // the site's language for error texts (WithLanguage); "" is en-US
}

// negotiate picks the format:
//
//   - application/json;odata=verbose → verbose
//   - application/json;odata=minimalmetadata (or fullmetadata, which the
//     emulator answers as minimal) → minimalmetadata
//   - application/json;odata=nometadata → nometadata
//   - plain application/json → minimalmetadata, SharePoint Online's JSON
//     default
//   - no Accept header, or */* → nometadata. Real SharePoint answers Atom
//     XML then; the emulator speaks JSON only and picks the driver's format.
//   - with "OData-Version: 4.0": application/json;odata.metadata=minimal
//     (or full) → v4 minimal, odata.metadata=none → v4 none, plain
//     application/json → v4 minimal; an "odata=…" parameter in v4 mode is
//     SharePoint's 400 "The HTTP header ACCEPT is missing or its value is
//     invalid." (docs/sharepoint.md §5.1).
//
// Without OData-Version 4.0 an odata.metadata parameter is ignored, as a v3
// service ignores unknown parameters.
func negotiate(r *http.Request) (format, *apiError) {
	f, err := negotiateMedia(r)
	f.lang = languageOf(r)
	return f, err
}

func negotiateMedia(r *http.Request) (format, *apiError) {
	v4 := strings.HasPrefix(strings.TrimSpace(r.Header.Get("OData-Version")), "4")
	accept := r.Header.Get("Accept")
	if strings.TrimSpace(accept) == "" {
		return format{v4: v4, minimal: v4}, nil
	}
	var sawJSON, sawAny bool
	var chosen format
parts:
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "*/*", "application/*":
			sawAny = true
			continue
		case "application/json":
		default:
			continue
		}
		odata, hasV3 := params["odata"]
		meta, hasV4 := params["odata.metadata"]
		if v4 {
			if hasV3 {
				return format{v4: true}, &apiError{http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.ClientServiceException", "The HTTP header ACCEPT is missing or its value is invalid."}
			}
			chosen = format{v4: true, minimal: !hasV4 || strings.ToLower(meta) != "none"}
			sawJSON = true
			break parts
		}
		switch strings.ToLower(odata) {
		case "verbose":
			chosen = format{verbose: true}
		case "nometadata":
			chosen = format{}
		default: // minimalmetadata, fullmetadata, absent
			chosen = format{minimal: true}
		}
		sawJSON = true
		break parts
	}
	if !sawJSON {
		if sawAny {
			return format{v4: v4, minimal: v4}, nil
		}
		return format{v4: v4}, &apiError{http.StatusNotAcceptable, "-1, Microsoft.SharePoint.Client.ClientServiceException", "The HTTP header ACCEPT is missing or its value is invalid."}
	}
	return chosen, nil
}

// contentType is the Content-Type SharePoint sends for f.
func (f format) contentType() string {
	switch {
	case f.v4 && f.minimal:
		return "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
	case f.v4:
		return "application/json;odata.metadata=none;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
	case f.verbose:
		return "application/json;odata=verbose;charset=utf-8"
	case f.minimal:
		return "application/json;odata=minimalmetadata;streaming=true;charset=utf-8"
	}
	return "application/json;odata=nometadata;streaming=true;charset=utf-8"
}

// setHeaders sets the Content-Type and the headers SharePoint sends with
// every answer (docs/sharepoint.md §5.5: SPRequestGuid, SPClientServiceRequestDuration,
// X-SharePointHealthScore, X-SP-SERVERSTATE).
func (f format) setHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", f.contentType())
	h.Set("SPRequestGuid", newGUID())
	h.Set("request-id", h.Get("SPRequestGuid"))
	h.Set("SPClientServiceRequestDuration", "12")
	h.Set("X-SharePointHealthScore", "0")
	h.Set("X-SP-SERVERSTATE", "ReadOnly=0")
	if f.v4 {
		h.Set("OData-Version", "4.0")
	} else {
		h.Set("DataServiceVersion", "3.0")
	}
}

// apiError is an error SharePoint reports in its error body.
type apiError struct {
	status int
	code   string // "<hresult>, <exception type>"
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// writeError writes e in f's error shape: {"odata.error":{…}} for
// minimal/nometadata, {"error":{…}} for verbose (docs/sharepoint.md §8.1). For v4 no
// shape is recorded (unverified); the emulator sends the verbose one,
// {"error":{"code":…,"message":{"lang":…,"value":…}}}, which both error
// parsers a client already needs understand.
func writeError(w http.ResponseWriter, f format, e *apiError) {
	f.setHeaders(w)
	key := "odata.error"
	if f.verbose || f.v4 {
		key = "error"
	}
	lang, msg := "en-US", e.msg
	if f.lang != "" {
		lang, msg = f.lang, localize(f.lang, e.msg)
	}
	body := obj{{key, obj{{"code", e.code}, {"message", obj{{"lang", lang}, {"value", msg}}}}}}
	w.WriteHeader(e.status)
	_, _ = w.Write(appendJSON(nil, body))
}

// kv and obj are an ordered JSON object: SharePoint's property order is
// part of the shape the recorded payloads show.
type kv struct {
	k string
	v any
}
type obj []kv

// get returns the value of key (case-insensitive) in o.
func (o obj) get(key string) (any, bool) {
	for _, p := range o {
		if strings.EqualFold(p.k, key) {
			return p.v, true
		}
	}
	return nil, false
}

// rawJSON is already-encoded JSON.
type rawJSON []byte

// appendJSON appends v as JSON. It knows the handful of types the emulator
// produces; anything else is a programming error and encodes as null.
func appendJSON(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case float64:
		return appendJSONFloat(b, v)
	case time.Time:
		b = append(b, '"')
		b = v.UTC().AppendFormat(b, "2006-01-02T15:04:05Z")
		return append(b, '"')
	case rawJSON:
		return append(b, v...)
	case obj:
		b = append(b, '{')
		for i, p := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, p.k)
			b = append(b, ':')
			b = appendJSON(b, p.v)
		}
		return append(b, '}')
	case []obj:
		return appendArray(b, v, func(b []byte, e obj) []byte { return appendJSON(b, e) })
	case []any:
		return appendArray(b, v, appendJSON)
	case []string:
		return appendArray(b, v, appendJSONString)
	case []int:
		return appendArray(b, v, func(b []byte, e int) []byte { return strconv.AppendInt(b, int64(e), 10) })
	}
	return append(b, "null"...)
}

// appendJSONFloat writes an Edm.Double the way SharePoint's OData writer
// does: integral values keep a ".0" (recorded "Number1": 67687.0).
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		b = strconv.AppendFloat(b, f, 'f', -1, 64)
		return append(b, ".0"...)
	}
	if a := math.Abs(f); a >= 1e-6 && a < 1e21 {
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendJSONStringContent(b, s)
	return append(b, '"')
}

// appendJSONStringContent appends s escaped for a JSON string, without the
// quotes.
func appendJSONStringContent(b []byte, s string) []byte {
	const hexdigits = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexdigits[c>>4], hexdigits[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// entityMeta is the per-entity metadata the non-nometadata formats carry.
type entityMeta struct {
	typ         string // e.g. SP.List, SP.Data.TasksListItem
	id          string // odata.id / __metadata.id
	uri         string // absolute URI (__metadata.uri)
	editLink    string // relative edit link, e.g. Web/Lists(guid'…')
	etag        string // e.g. "\"1\""; empty: none
	metadataSet string // the $metadata fragment of the entity set, e.g. SP.ApiData.Lists
}

// appendEntityStart opens one entity of a collection (or a single entity
// when single) and writes its metadata; properties follow, each preceded by
// a comma when needsComma is returned true.
func appendEntityStart(b []byte, f format, site string, m entityMeta, single bool) (out []byte, needsComma bool) {
	b = append(b, '{')
	switch {
	case f.verbose:
		b = append(b, `"__metadata":{"id":`...)
		b = appendJSONString(b, m.id)
		b = append(b, `,"uri":`...)
		b = appendJSONString(b, m.uri)
		if m.etag != "" {
			b = append(b, `,"etag":`...)
			b = appendJSONString(b, m.etag)
		}
		b = append(b, `,"type":`...)
		b = appendJSONString(b, m.typ)
		b = append(b, '}')
		return b, true
	case f.v4 && f.minimal:
		if single {
			b = append(b, `"@odata.context":`...)
			b = appendJSONString(b, site+"/_api/$metadata#"+m.metadataSet+"/$entity")
			b = append(b, ',')
		}
		b = append(b, `"@odata.type":`...)
		b = appendJSONString(b, "#"+m.typ)
		b = append(b, `,"@odata.id":`...)
		b = appendJSONString(b, m.uri)
		if m.etag != "" {
			b = append(b, `,"@odata.etag":`...)
			b = appendJSONString(b, m.etag)
		}
		b = append(b, `,"@odata.editLink":`...)
		b = appendJSONString(b, m.editLink)
		return b, true
	case f.minimal && !f.v4:
		if single {
			b = append(b, `"odata.metadata":`...)
			b = appendJSONString(b, site+"/_api/$metadata#"+m.metadataSet+"/@Element")
			b = append(b, ',')
		}
		b = append(b, `"odata.type":`...)
		b = appendJSONString(b, m.typ)
		b = append(b, `,"odata.id":`...)
		b = appendJSONString(b, m.id)
		if m.etag != "" {
			b = append(b, `,"odata.etag":`...)
			b = appendJSONString(b, m.etag)
		}
		b = append(b, `,"odata.editLink":`...)
		b = appendJSONString(b, m.editLink)
		return b, true
	}
	return b, false
}

// appendCollectionStart opens a collection. v3 nometadata and
// minimalmetadata put odata.nextLink before "value", as the recorded page
// does; verbose puts __next and v4 @odata.nextLink after the rows (see
// appendCollectionEnd), so clients meet both orders.
func appendCollectionStart(b []byte, f format, site, metadataSet, next string) []byte {
	switch {
	case f.verbose:
		return append(b, `{"d":{"results":[`...)
	case f.v4:
		b = append(b, '{')
		if f.minimal {
			b = append(b, `"@odata.context":`...)
			b = appendJSONString(b, site+"/_api/$metadata#"+metadataSet)
			b = append(b, ',')
		}
		return append(b, `"value":[`...)
	}
	b = append(b, '{')
	if f.minimal {
		b = append(b, `"odata.metadata":`...)
		b = appendJSONString(b, site+"/_api/$metadata#"+metadataSet)
		b = append(b, ',')
	}
	if next != "" {
		b = append(b, `"odata.nextLink":`...)
		b = appendJSONString(b, next)
		b = append(b, ',')
	}
	return append(b, `"value":[`...)
}

func appendCollectionEnd(b []byte, f format, next string) []byte {
	switch {
	case f.verbose:
		b = append(b, ']')
		if next != "" {
			b = append(b, `,"__next":`...)
			b = appendJSONString(b, next)
		}
		return append(b, "}}"...)
	case f.v4:
		b = append(b, ']')
		if next != "" {
			b = append(b, `,"@odata.nextLink":`...)
			b = appendJSONString(b, next)
		}
		return append(b, '}')
	}
	return append(b, "]}"...)
}

// writeEntity writes one metadata entity (a list, a field, the time zone).
func writeEntity(w http.ResponseWriter, f format, site string, m entityMeta, props obj, etag string) {
	b := appendEntity(nil, f, site, m, props, true)
	if f.verbose {
		b = append(append([]byte(`{"d":`), b...), '}')
	}
	f.setHeaders(w)
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func appendEntity(b []byte, f format, site string, m entityMeta, props obj, single bool) []byte {
	b, comma := appendEntityStart(b, f, site, m, single)
	for _, p := range props {
		if comma {
			b = append(b, ',')
		}
		comma = true
		b = appendJSONString(b, p.k)
		b = append(b, ':')
		if ss, ok := p.v.([]string); ok && f.verbose {
			// Verbose wraps collections: {"__metadata":{"type":
			// "Collection(Edm.String)"},"results":[…]} (docs/sharepoint.md §7.2).
			b = appendJSON(b, verboseCollection("Collection(Edm.String)", ss))
			continue
		}
		if rp, ok := p.v.(resourcePath); ok {
			b = appendJSON(b, rp.obj(f.verbose))
			continue
		}
		b = appendJSON(b, p.v)
	}
	return append(b, '}')
}

// writeCollection writes a collection of metadata entities.
func writeCollection(w http.ResponseWriter, f format, site, metadataSet string, metas []entityMeta, rows []obj) {
	b := appendCollectionStart(nil, f, site, metadataSet, "")
	for i, row := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendEntity(b, f, site, metas[i], row, false)
	}
	b = appendCollectionEnd(b, f, "")
	f.setHeaders(w)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// verboseCollection wraps a multi-value for verbose: {"__metadata":{"type":
// "Collection(Edm.String)"},"results":[…]} (docs/sharepoint.md §5.2, §11.2).
func verboseCollection(typ string, v any) obj {
	return obj{{"__metadata", obj{{"type", typ}}}, {"results", v}}
}

// appendArray appends v as a JSON array, each element by appendElem.
func appendArray[T any](b []byte, v []T, appendElem func([]byte, T) []byte) []byte {
	b = append(b, '[')
	for i, e := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendElem(b, e)
	}
	return append(b, ']')
}
