package sptest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// Results that are not entities: the context information (form digest)
// and a list's property addressed on its own.

// formDigestTimeout is how long a form digest stays valid: SharePoint's
// default of 30 minutes, reported as FormDigestTimeoutSeconds
// (docs/sharepoint.md §11.6).
const formDigestTimeout = 30 * time.Minute

// serveContextInfo answers POST _api/contextinfo with the site's
// SP.ContextWebInformation: the form digest and its lifetime, the library
// version and the site's URLs (docs/sharepoint.md §11.6). The digest is
// made up; the emulator does not check X-RequestDigest, since requests
// with a bearer token need none (docs/sharepoint.md §11.1).
func (s *Server) serveContextInfo(w http.ResponseWriter, r *http.Request) {
	f, ferr := negotiate(r)
	if ferr != nil {
		writeError(w, f, ferr)
		return
	}
	if r.Method != http.MethodPost {
		// "the /contextinfo operator accepts only POST requests"
		writeError(w, f, &apiError{http.StatusMethodNotAllowed, "-1, Microsoft.SharePoint.Client.ClientServiceException", "The HTTP method '" + r.Method + "' cannot be used to access the resource 'GetContextWebInformation'. The operation type of the resource is specified as 'Invoke'. Please use correct HTTP method to invoke the resource."})
		return
	}
	raw := make([]byte, 64)
	_, _ = rand.Read(raw)
	digest := "0x" + strings.ToUpper(hex.EncodeToString(raw)) + "," + time.Now().UTC().Format("02 Jan 2006 15:04:05 -0000")
	props := obj{
		{"FormDigestTimeoutSeconds", int(formDigestTimeout / time.Second)},
		{"FormDigestValue", digest},
		{"LibraryVersion", "16.0.0.0"},
		{"SiteFullUrl", s.ServiceURL()},
		{"SupportedSchemaVersions", []string{"14.0.0.0", "15.0.0.0"}},
		{"WebFullUrl", s.ServiceURL()},
	}
	writeComplex(w, f, s.ServiceURL(), "GetContextWebInformation", "SP.ContextWebInformation", props)
}

// writeComplex writes the result of a function that returns a complex
// type: verbose wraps it in {"d":{"<function>":{…}}} with __metadata,
// minimal metadata names its type in odata.metadata (@odata.context in
// v4), no metadata gives the bare object.
func writeComplex(w http.ResponseWriter, f format, site, function, typ string, props obj) {
	var b []byte
	switch {
	case f.verbose:
		b = append(b, `{"d":{`...)
		b = appendJSONString(b, function)
		b = append(b, `:{"__metadata":{"type":`...)
		b = appendJSONString(b, typ)
		b = append(b, '}')
		for _, p := range props {
			b = append(b, ',')
			b = appendJSONString(b, p.k)
			b = append(b, ':')
			if ss, ok := p.v.([]string); ok {
				b = appendJSON(b, verboseCollection("Collection(Edm.String)", ss))
				continue
			}
			b = appendJSON(b, p.v)
		}
		b = append(b, "}}}"...)
	default:
		if f.minimal {
			key := "odata.metadata"
			if f.v4 {
				key = "@odata.context"
			}
			props = append(obj{{key, site + "/_api/$metadata#" + typ}}, props...)
		}
		b = appendJSON(b, props)
	}
	f.setHeaders(w)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// writePrimitive writes one primitive property addressed on its own, such
// as …/getbytitle('T')/ItemCount: {"d":{"ItemCount":5}} in verbose,
// {"value":5} otherwise, with odata.metadata (@odata.context in v4) naming
// its type in minimal metadata (docs/sharepoint.md §7.1).
func writePrimitive(w http.ResponseWriter, f format, site, name, edmType string, v any) {
	var b []byte
	switch {
	case f.verbose:
		b = appendJSON(b, obj{{"d", obj{{name, v}}}})
	case f.minimal:
		key := "odata.metadata"
		if f.v4 {
			key = "@odata.context"
		}
		b = appendJSON(b, obj{{key, site + "/_api/$metadata#" + edmType}, {"value", v}})
	default:
		b = appendJSON(b, obj{{"value", v}})
	}
	f.setHeaders(w)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// serveListProperty answers GET of one of list l's scalar properties
// (ItemCount, Title, Id, …) addressed as a path segment, and reports
// whether name was one.
func (s *Server) serveListProperty(w http.ResponseWriter, f format, l *listModel, name string) bool {
	for _, p := range s.listProps(l) {
		if !strings.EqualFold(p.k, name) {
			continue
		}
		var edm string
		switch p.v.(type) {
		case int:
			edm = "Edm.Int32"
		case bool:
			edm = "Edm.Boolean"
		case time.Time:
			edm = "Edm.DateTime"
		case string:
			edm = "Edm.String"
			switch p.k {
			case "Id", "TemplateFeatureId", "DefaultContentApprovalWorkflowId":
				edm = "Edm.Guid"
			}
		default:
			return false // a complex or collection property: not emulated
		}
		writePrimitive(w, f, s.ServiceURL(), p.k, edm, p.v)
		return true
	}
	return false
}
