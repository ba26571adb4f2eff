package sharepoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Values are the fields of one item to write, keyed by entity property
// name (EntityPropertyName; "XId" for a lookup's or person's item ID).
// Values are string, int64, float64, bool, time.Time (sent in UTC),
// []string (MultiChoice), []int64 (LookupMulti/UserMulti IDs), URLValue
// (Hyperlink) or nil (clears the field).
type Values map[string]any

// ErrWriteInDoubt matches (errors.Is) a write that may or may not have
// been applied: the request left, and no answer said what happened to it
// (the connection broke, the answer was cut, or the time ran out). Such a
// write is never retried by the client: read the list to find out.
var ErrWriteInDoubt = errors.New("sharepoint: the write may or may not have been applied")

// Writes are sent in the verbose JSON format (docs/sharepoint.md §11.2): its shape is
// the documented one — "__metadata":{"type": ListItemEntityTypeFullName},
// multi-values as {"results":[…]}, Hyperlinks as SP.FieldUrlValue — while
// the JSON-light array forms for multi-values are not confirmed. Answers
// are asked for in nometadata, as for reads. Values travel in the body
// only: list titles reach the URL through ListPath's escaping, item IDs
// as integers, so no value can change which endpoint is addressed.
const verboseJSON = "application/json;odata=verbose"

// writeBody is the body and extra headers of a write request.
type writeBody struct {
	contentType string
	body        []byte
	headers     map[string]string
}

func (wb *writeBody) reader() io.Reader {
	if wb == nil {
		return nil
	}
	return bytes.NewReader(wb.body)
}

func (wb *writeBody) setHeaders(req *http.Request) {
	if wb == nil {
		return
	}
	req.Header.Set("Content-Type", wb.contentType)
	for k, v := range wb.headers {
		req.Header.Set(k, v)
	}
}

// EntityType returns the list's ListItemEntityTypeFullName
// ("SP.Data.TasksListItem"), which a verbose write body must name;
// cached like the list's fields.
func (c *Client) EntityType(ctx context.Context, list string) (string, error) {
	key := "entitytype\x00" + strings.ToLower(list)
	v, err := c.meta.get(ctx, key, func(ctx context.Context) (any, error) {
		var l List
		if err := c.getJSON(ctx, ListPath(list)+"?$select=ListItemEntityTypeFullName", &l); err != nil {
			return nil, err
		}
		if l.ListItemEntityTypeFullName == "" {
			return nil, fmt.Errorf("sharepoint: list %q has no ListItemEntityTypeFullName; it cannot be written", list)
		}
		return l.ListItemEntityTypeFullName, nil
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// encodeItem renders an item body in the verbose format. Keys are sorted
// so that bodies are reproducible.
func encodeItem(entityType string, v Values) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"__metadata":{"type":`)
	writeJSONString(&b, entityType)
	b.WriteString("}")
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteByte(',')
		writeJSONString(&b, k)
		b.WriteByte(':')
		if err := encodeValue(&b, v[k]); err != nil {
			return nil, fmt.Errorf("sharepoint: field %s: %w", k, err)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	out, _ := json.Marshal(s) // a string always marshals
	b.Write(out)
}

func encodeValue(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		writeJSONString(b, x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		out, err := json.Marshal(x)
		if err != nil {
			return err
		}
		b.Write(out)
	case time.Time:
		writeJSONString(b, x.UTC().Format("2006-01-02T15:04:05Z"))
	case []string:
		b.WriteString(`{"__metadata":{"type":"Collection(Edm.String)"},"results":[`)
		for i, s := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, s)
		}
		b.WriteString("]}")
	case []int64:
		b.WriteString(`{"results":[`)
		for i, n := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatInt(n, 10))
		}
		b.WriteString("]}")
	case URLValue:
		b.WriteString(`{"__metadata":{"type":"SP.FieldUrlValue"},"Url":`)
		writeJSONString(b, x.URL)
		b.WriteString(`,"Description":`)
		writeJSONString(b, x.Description)
		b.WriteByte('}')
	default:
		return fmt.Errorf("cannot write a %T", v)
	}
	return nil
}

// CreateItem adds an item to list (POST …/items) and returns its ID.
func (c *Client) CreateItem(ctx context.Context, list string, v Values) (int, error) {
	et, err := c.EntityType(ctx, list)
	if err != nil {
		return 0, err
	}
	body, err := encodeItem(et, v)
	if err != nil {
		return 0, err
	}
	var id int
	err = c.doWrite(ctx, http.MethodPost, c.apiURL(ListPath(list)+"/items"),
		&writeBody{contentType: verboseJSON, body: body},
		func(resp *http.Response) error {
			data, err := io.ReadAll(resp.Body)
			if err != nil {
				return fmt.Errorf("sharepoint: reading the answer to the new item: %w: %w", err, ErrWriteInDoubt)
			}
			if id, err = createdID(data); err != nil {
				return fmt.Errorf("%w: %w", err, ErrWriteInDoubt)
			}
			return nil
		})
	return id, err
}

// createdID reads the new item's ID from a create answer, in any format.
func createdID(data []byte) (int, error) {
	var item struct {
		ID *int `json:"ID"`
		Id *int `json:"Id"` // SharePoint sends both spellings
		D  *struct {
			ID *int `json:"ID"`
			Id *int `json:"Id"`
		} `json:"d"`
	}
	if err := json.Unmarshal(data, &item); err != nil {
		return 0, fmt.Errorf("sharepoint: decoding the new item: %w", err)
	}
	for _, p := range []*int{item.ID, item.Id} {
		if p != nil {
			return *p, nil
		}
	}
	if item.D != nil {
		for _, p := range []*int{item.D.ID, item.D.Id} {
			if p != nil {
				return *p, nil
			}
		}
	}
	return 0, errors.New("sharepoint: the answer to a new item has no ID")
}

// UpdateItem changes the given fields of item id (MERGE semantics, IF-MATCH
// * : the last writer wins, as SQL's UPDATE does).
func (c *Client) UpdateItem(ctx context.Context, list string, id int, v Values) error {
	et, err := c.EntityType(ctx, list)
	if err != nil {
		return err
	}
	body, err := encodeItem(et, v)
	if err != nil {
		return err
	}
	return c.doWrite(ctx, http.MethodPost, c.itemURL(list, id), &writeBody{
		contentType: verboseJSON, body: body,
		headers: map[string]string{"X-HTTP-Method": "MERGE", "IF-MATCH": "*"},
	}, discardBody)
}

// DeleteItem deletes item id (X-HTTP-Method: DELETE, IF-MATCH: *),
// outright rather than to the recycle bin (…/recycle() would keep it).
func (c *Client) DeleteItem(ctx context.Context, list string, id int) error {
	return c.doWrite(ctx, http.MethodPost, c.itemURL(list, id), &writeBody{
		contentType: verboseJSON,
		headers:     map[string]string{"X-HTTP-Method": "DELETE", "IF-MATCH": "*"},
	}, discardBody)
}

func (c *Client) itemURL(list string, id int) string {
	return c.apiURL(ListPath(list) + "/items(" + strconv.Itoa(id) + ")")
}

func discardBody(resp *http.Response) error {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	return nil
}

// doWrite sends a request that must not be applied twice. Unlike do, it
// retries only when SharePoint provably did not process the request:
// a throttling answer (429, or 503 with Retry-After), or a connection
// that could not be opened (nothing was sent). Any other failure after
// the request may have left — a reset, a timeout, a 500, a cut answer —
// is final and matches ErrWriteInDoubt unless SharePoint answered with a
// status (then the write was refused or failed there).
func (c *Client) doWrite(ctx context.Context, method, target string, wb *writeBody, handle func(*http.Response) error) error {
	for attempt := 0; ; attempt++ {
		err := c.attemptWith(ctx, method, target, wb, handle)
		if err == nil {
			return nil
		}
		wait, retry := c.writeRetry(err, attempt)
		if !retry || ctx.Err() != nil {
			return writeError(err)
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return writeError(err)
		}
		c.logger.WarnContext(ctx, "sharepoint: retrying a write that was not processed", "url", target,
			"attempt", attempt+1, "of", c.retry.max, "wait", wait, "error", err)
		if serr := c.retry.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("sharepoint: %s %s: %w (while waiting to retry after: %v)", method, target, serr, err)
		}
	}
}

// writeRetry is the retry policy for writes: see doWrite.
func (c *Client) writeRetry(err error, attempt int) (time.Duration, bool) {
	if attempt >= c.retry.max {
		return 0, false
	}
	if notSent(err) {
		return c.retry.backoff(attempt), true
	}
	var spErr *Error
	if errors.As(err, &spErr) && spErr.throttled() && spErr.retryAfter > 0 {
		if spErr.StatusCode == http.StatusServiceUnavailable || spErr.StatusCode == http.StatusTooManyRequests {
			if spErr.retryAfter > c.retry.maxRetryAfter {
				return 0, false
			}
			return max(spErr.retryAfter, c.retry.backoff(attempt)), true
		}
	}
	return 0, false
}

// notSent reports a failure to open the connection: the request was never
// written, so sending it again cannot apply it twice.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// writeError marks a failed write that may have been applied: anything
// but an answer from SharePoint and a connection never opened.
func writeError(err error) error {
	var spErr *Error
	if errors.As(err, &spErr) || notSent(err) || errors.Is(err, ErrWriteInDoubt) {
		var re *retryableError
		if errors.As(err, &re) && !errors.Is(err, ErrWriteInDoubt) {
			return re.err
		}
		return err
	}
	var re *retryableError
	if errors.As(err, &re) {
		err = re.err
	}
	return fmt.Errorf("%w: %w", err, ErrWriteInDoubt)
}
