package sptest

import (
	"compress/gzip"
	"net/http"
	"strings"
	"sync"
)

// WithGzip makes the SharePoint side compress its answers with gzip when
// the request accepts it (Accept-Encoding: gzip), as SharePoint Online
// does. Go's HTTP transport asks for gzip by itself and decompresses the
// answer transparently, so a client sees the same bodies; only the bytes
// on the wire change. Cut faults still cut: the compressed stream ends
// early and the client reads an unexpected EOF.
func WithGzip() Option { return func(c *config) { c.gzip = true } }

// acceptsGzip reports whether r lists gzip in Accept-Encoding (with no
// q=0, which the emulator does not bother to parse: no client sends it).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(name, "gzip") {
			return true
		}
	}
	return false
}

// gzipWriters are reused: a gzip.Writer holds about 800 KB of state.
var gzipWriters = sync.Pool{New: func() any {
	// BestSpeed, like IIS's default dynamic compression level: the
	// emulator shares the machine's cores with the client it serves.
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

// gzipResponseWriter compresses what a handler writes. The Content-Length
// a handler sets is the uncompressed one and is dropped.
type gzipResponseWriter struct {
	http.ResponseWriter
	zw          *gzip.Writer
	wroteHeader bool
}

func newGzipResponseWriter(w http.ResponseWriter) *gzipResponseWriter {
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(w)
	return &gzipResponseWriter{ResponseWriter: w, zw: zw}
}

func (w *gzipResponseWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Encoding", "gzip")
	h.Add("Vary", "Accept-Encoding")
	w.ResponseWriter.WriteHeader(code)
}

func (w *gzipResponseWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.zw.Write(b)
}

// Flush sends what is compressed so far (cut faults flush before they
// abort).
func (w *gzipResponseWriter) Flush() {
	_ = w.zw.Flush()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *gzipResponseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish ends the gzip stream and returns the writer to the pool. An
// answer with no body is sent as it is, uncompressed.
func (w *gzipResponseWriter) finish() {
	if w.wroteHeader {
		_ = w.zw.Close()
	}
	w.zw.Reset(nil)
	gzipWriters.Put(w.zw)
}
