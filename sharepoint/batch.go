package sharepoint

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// MaxBatchOps is how many operations one $batch request carries at most
// (SharePoint's limit is 100 per batch, docs/sharepoint.md §11.3).
const MaxBatchOps = 100

// OpKind is what a batched operation does.
type OpKind int

const (
	OpCreate OpKind = iota + 1
	OpUpdate
	OpDelete
)

// Op is one write of a Batch.
type Op struct {
	Kind   OpKind
	ID     int    // the item, for OpUpdate and OpDelete
	Values Values // the fields, for OpCreate and OpUpdate
	// Row is the caller's index for the operation (a statement's row),
	// echoed in its OpResult and in BatchError.
	Row int
}

// OpState is what happened to one operation.
type OpState int

const (
	// OpNotSent: the operation was not applied, and SharePoint never
	// acted on it: it was never sent (an earlier batch failed, no access
	// token could be had, no connection could be opened), or SharePoint
	// refused its batch before reading it (401).
	OpNotSent OpState = iota
	// OpDone: SharePoint applied it (2xx). For an OpCreate whose answer
	// gave no ID, ID is 0 and Err matches ErrCreatedIDUnknown.
	OpDone
	// OpFailed: SharePoint answered that it was not applied: its part
	// had an error status, or the whole $batch request was answered with
	// a 4xx, a throttling answer, SharePoint's own 5xx error or a
	// redirect.
	OpFailed
	// OpInDoubt: it may have reached SharePoint and no answer says what
	// became of it (see the table in writes.go). It was not retried.
	OpInDoubt
)

// OpResult is the outcome of one operation.
type OpResult struct {
	Row    int
	State  OpState
	Status int   // the part's HTTP status, when answered
	ID     int   // the new item's ID (OpCreate), or Op.ID
	Err    error // *Error for OpFailed; the cause for OpNotSent and OpInDoubt
}

// BatchError reports a Batch that did not apply every operation, by row:
// which were applied, which were not — refused by SharePoint (Failed) or
// never acted on (NotSent) — and which are in doubt: those may or may not
// be in the list, and the client did not retry them. It matches
// ErrWriteInDoubt when any row is in doubt, and ErrWriteNotApplied when no
// row was applied and none is in doubt.
type BatchError struct {
	Applied, Failed, NotSent, InDoubt []int
	// First is the first failure: a row's SharePoint error, or the cause
	// that left rows not sent or in doubt.
	First error
}

func (e *BatchError) Error() string {
	var b strings.Builder
	b.WriteString("sharepoint: batch write incomplete: ")
	if len(e.Applied) > 0 {
		fmt.Fprintf(&b, "%s applied", rowList(e.Applied))
	} else {
		b.WriteString("no row applied")
	}
	if len(e.Failed) > 0 {
		fmt.Fprintf(&b, ", %s not applied (refused by SharePoint)", rowList(e.Failed))
	}
	if len(e.InDoubt) > 0 {
		fmt.Fprintf(&b, ", %s IN DOUBT (they may have reached SharePoint and no answer says whether they were applied; they were not retried: check the list before writing them again)", rowList(e.InDoubt))
	}
	if len(e.NotSent) > 0 {
		fmt.Fprintf(&b, ", %s not applied (not sent, or not acted on)", rowList(e.NotSent))
	}
	if len(e.Failed)+len(e.NotSent) > 0 {
		b.WriteString("; rows not applied can be written again once the cause is fixed")
	}
	if e.First != nil {
		b.WriteString(": ")
		b.WriteString(e.First.Error())
	}
	return b.String()
}

func (e *BatchError) Unwrap() []error {
	errs := []error{e.First}
	switch {
	case len(e.InDoubt) > 0:
		errs = append(errs, ErrWriteInDoubt)
	case len(e.Applied) == 0:
		errs = append(errs, ErrWriteNotApplied)
	}
	return errs
}

// rowList renders row numbers (0-based indexes shown 1-based) compactly:
// "row 3", "rows 3, 5-9".
func rowList(rows []int) string {
	if len(rows) == 1 {
		return "row " + strconv.Itoa(rows[0]+1)
	}
	return "rows " + rowRanges(rows)
}

func rowRanges(rows []int) string {
	var parts []string
	for i := 0; i < len(rows); {
		j := i
		for j+1 < len(rows) && rows[j+1] == rows[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(rows[i]+1))
		} else {
			parts = append(parts, strconv.Itoa(rows[i]+1)+"-"+strconv.Itoa(rows[j]+1))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// Batch runs ops on list through _api/$batch, at most MaxBatchOps per
// request (fewer when the client's pacer knows a budget they fill
// better, see Pacer), each request one changeset. SharePoint's batches are not
// transactions: each operation succeeds or fails on its own, and results
// come per operation, in order. After a request with a failed or
// in-doubt operation, the remaining requests are not sent. A batch
// request is retried only when it was not applied and another attempt may
// succeed (see doWrite); what became of each operation is classed as the
// table in writes.go says. The error, when not nil, is a *BatchError.
func (c *Client) Batch(ctx context.Context, list string, ops []Op) ([]OpResult, error) {
	results := make([]OpResult, len(ops))
	for i, op := range ops {
		results[i] = OpResult{Row: op.Row, ID: op.ID}
	}
	var et string
	for _, op := range ops {
		if op.Kind != OpDelete {
			var err error
			if et, err = c.EntityType(ctx, list); err != nil {
				be := &BatchError{First: err}
				for _, r := range results {
					be.NotSent = append(be.NotSent, r.Row)
				}
				return results, be
			}
			break
		}
	}
	var first error
	for start, end := 0, 0; start < len(ops); start = end {
		// Each operation costs 2 units (requestCost): the pacer may
		// size batches to fill its budget's windows.
		end = min(start+c.pacer.batchOps(MaxBatchOps, 2), len(ops))
		err := c.batchOnce(ctx, list, et, ops[start:end], results[start:end])
		if err != nil && first == nil {
			first = err
		}
		if first != nil {
			break
		}
		for _, r := range results[start:end] {
			if r.State != OpDone {
				first = r.Err
				break
			}
		}
		if first != nil {
			break
		}
	}
	if first == nil {
		return results, nil
	}
	be := &BatchError{First: first}
	for _, r := range results {
		switch r.State {
		case OpDone:
			be.Applied = append(be.Applied, r.Row)
		case OpFailed:
			be.Failed = append(be.Failed, r.Row)
		case OpInDoubt:
			be.InDoubt = append(be.InDoubt, r.Row)
		default:
			be.NotSent = append(be.NotSent, r.Row)
		}
	}
	return results, be
}

// batchOnce sends one $batch request and fills results. When the request
// fails, the operations without an answer are marked not sent, failed
// (SharePoint answered the request that it did not act on it) or in
// doubt, as doWrite classed the failure, and the cause is returned.
func (c *Client) batchOnce(ctx context.Context, list, entityType string, ops []Op, results []OpResult) error {
	body, boundary, err := c.encodeBatch(list, entityType, ops)
	if err != nil {
		return err
	}
	answered := 0
	err = c.doWrite(ctx, http.MethodPost, c.apiURL("_api/$batch"), &writeBody{
		contentType: "multipart/mixed; boundary=" + boundary, body: body, parts: len(ops),
	}, func(resp *http.Response) error {
		return parseBatchResponse(resp, func(status int, data []byte) error {
			if answered >= len(ops) {
				return fmt.Errorf("sharepoint: the $batch answer has more parts than the %d operations sent", len(ops))
			}
			r := &results[answered]
			answered++
			r.Status = status
			if status < 200 || status > 299 {
				r.State, r.Err = OpFailed, c.serverError(status, methodOf(ops[answered-1]), "row "+strconv.Itoa(r.Row+1), data)
				return nil
			}
			r.State = OpDone // a 2xx part: applied
			if ops[answered-1].Kind == OpCreate {
				id, err := createdID(data)
				if err != nil {
					r.Err = fmt.Errorf("%w (row %d, HTTP %d, %v): do not create it again; find it in the list", ErrCreatedIDUnknown, r.Row+1, status, err)
					return nil
				}
				r.ID = id
			}
			return nil
		})
	})
	if err == nil && answered < len(ops) {
		err = fmt.Errorf("sharepoint: the $batch answer has %d parts for %d operations: %w", answered, len(ops), ErrWriteInDoubt)
	}
	if err == nil {
		return nil
	}
	// A $batch answered 2xx whose parts are missing leaves those in doubt;
	// otherwise doWrite classed the failure of the request as a whole.
	state := OpInDoubt
	var wf *writeFailure
	if errors.As(err, &wf) {
		err = wf.err
		var spErr *Error
		switch {
		case wf.inDoubt:
		case errors.As(err, &spErr):
			state = OpFailed
		default:
			state = OpNotSent
		}
	}
	for i := answered; i < len(ops); i++ {
		results[i].State, results[i].Err = state, err
	}
	return err
}

func methodOf(op Op) string {
	switch op.Kind {
	case OpUpdate:
		return "MERGE"
	case OpDelete:
		return "DELETE"
	}
	return "POST"
}

func newBoundary(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// encodeBatch renders ops as one changeset inside one batch (docs/sharepoint.md §11.3:
// application/http parts, absolute same-site URLs, binary transfer).
func (c *Client) encodeBatch(list, entityType string, ops []Op) ([]byte, string, error) {
	batch, changeset := newBoundary("batch_"), newBoundary("changeset_")
	var b bytes.Buffer
	fmt.Fprintf(&b, "--%s\r\nContent-Type: multipart/mixed; boundary=%s\r\n\r\n", batch, changeset)
	items := c.apiURL(ListPath(list) + "/items")
	for _, op := range ops {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n", changeset)
		var body []byte
		var err error
		switch op.Kind {
		case OpCreate:
			fmt.Fprintf(&b, "POST %s HTTP/1.1\r\n", items)
			body, err = encodeItem(entityType, op.Values)
		case OpUpdate:
			fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nX-HTTP-Method: MERGE\r\nIF-MATCH: *\r\n", c.itemURL(list, op.ID))
			body, err = encodeItem(entityType, op.Values)
		case OpDelete:
			fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nX-HTTP-Method: DELETE\r\nIF-MATCH: *\r\n", c.itemURL(list, op.ID))
		default:
			return nil, "", fmt.Errorf("sharepoint: unknown batch operation %d", op.Kind)
		}
		if err != nil {
			return nil, "", fmt.Errorf("%w (row %d)", err, op.Row+1)
		}
		fmt.Fprintf(&b, "Content-Type: %s\r\nAccept: application/json;odata=nometadata\r\n\r\n", verboseJSON)
		b.Write(body)
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n\r\n--%s--\r\n", changeset, batch)
	return b.Bytes(), batch, nil
}

// parseBatchResponse reads a $batch answer: multipart/mixed parts, each an
// application/http response, or a nested multipart (a changeset's
// answers), in order. Each complete part is handed to each as soon as it
// is read, so a cut answer keeps what arrived before the cut.
func parseBatchResponse(resp *http.Response, each func(status int, body []byte) error) error {
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return fmt.Errorf("sharepoint: the $batch answer is not multipart (Content-Type %q): %w", resp.Header.Get("Content-Type"), ErrWriteInDoubt)
	}
	if err := readParts(resp.Body, params["boundary"], each); err != nil {
		return fmt.Errorf("sharepoint: reading the $batch answer: %w: %w", err, ErrWriteInDoubt)
	}
	return nil
}

func readParts(r io.Reader, boundary string, each func(int, []byte) error) error {
	mr := multipart.NewReader(r, boundary)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		mt, params, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if strings.HasPrefix(mt, "multipart/") {
			if err := readParts(part, params["boundary"], each); err != nil {
				return err
			}
			continue
		}
		raw, err := io.ReadAll(part)
		if err != nil {
			return err
		}
		status, body, err := parseHTTPPart(raw)
		if err != nil {
			return err
		}
		if err := each(status, body); err != nil {
			return err
		}
	}
}

// parseHTTPPart reads "HTTP/1.1 201 Created\r\nheaders\r\n\r\nbody".
func parseHTTPPart(raw []byte) (int, []byte, error) {
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw)))
	line, err := tp.ReadLine()
	if err != nil {
		return 0, nil, fmt.Errorf("a $batch part has no status line: %w", err)
	}
	_, rest, ok := strings.Cut(line, " ")
	code, _, _ := strings.Cut(rest, " ")
	status, err := strconv.Atoi(code)
	if !ok || err != nil || !strings.HasPrefix(line, "HTTP/") {
		return 0, nil, fmt.Errorf("a $batch part's status line %q is not HTTP", line)
	}
	if _, err := tp.ReadMIMEHeader(); err != nil && err != io.EOF {
		return 0, nil, fmt.Errorf("a $batch part's headers: %w", err)
	}
	body, _ := io.ReadAll(tp.R)
	return status, bytes.TrimRight(body, "\r\n"), nil
}
