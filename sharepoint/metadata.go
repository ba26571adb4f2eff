package sharepoint

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// List is a SharePoint list's metadata.
type List struct {
	ID                         string    `json:"Id"`
	Title                      string    `json:"Title"`
	Description                string    `json:"Description"`
	ItemCount                  int64     `json:"ItemCount"`
	EntityTypeName             string    `json:"EntityTypeName"`
	ListItemEntityTypeFullName string    `json:"ListItemEntityTypeFullName"`
	BaseTemplate               int       `json:"BaseTemplate"`
	Hidden                     bool      `json:"Hidden"`
	Created                    time.Time `json:"Created"`
	LastItemModifiedDate       time.Time `json:"LastItemModifiedDate"`
}

// Field is a list column's metadata. Type is SharePoint's TypeAsString,
// which tells LookupMulti from Lookup and UserMulti from User where
// FieldTypeKind does not (docs/sharepoint.md §6.1); Fields fills it from
// FieldTypeKind when a server leaves it out. What a field's values are is
// decided by its methods (TypeName, ValueType, IsLookup, IsMulti…), for
// the decoder and every other user of fields alike.
type Field struct {
	ID                 string   `json:"Id"`
	Title              string   `json:"Title"`        // display name (mutable)
	InternalName       string   `json:"InternalName"` // immutable, _xHHHH_-encoded
	StaticName         string   `json:"StaticName"`
	EntityPropertyName string   `json:"EntityPropertyName"` // the name in JSON and OData
	Type               string   `json:"TypeAsString"`
	Kind               int      `json:"FieldTypeKind"`
	Hidden             bool     `json:"Hidden"`
	ReadOnly           bool     `json:"ReadOnlyField"`
	Required           bool     `json:"Required"`
	Indexed            bool     `json:"Indexed"`
	Choices            []string `json:"Choices"`
	LookupList         string   `json:"LookupList"`
	LookupField        string   `json:"LookupField"`
	AllowMultiple      bool     `json:"AllowMultipleValues"`
	// OutputType is the FieldTypeKind a Calculated field's formula yields
	// (2 Text, 4 DateTime, 8 Boolean, 9 Number, 10 Currency).
	OutputType int `json:"OutputType"`
	// DisplayFormat of a DateTime field: 0 date only, 1 date and time.
	DisplayFormat int `json:"DisplayFormat"`
}

// FieldTypeKind values used by the decoder (docs/sharepoint.md §6.1).
const (
	KindInteger    = 1
	KindText       = 2
	KindDateTime   = 4
	KindBoolean    = 8
	KindNumber     = 9
	KindCurrency   = 10
	KindCalculated = 17

	kindCounter = 5
)

// DateOnly reports a DateTime field displayed as a date: SharePoint stores
// it as midnight in the site's time zone, expressed in UTC.
func (f *Field) DateOnly() bool { return f.TypeName() == "DateTime" && f.DisplayFormat == 0 }

// Lists returns the site's lists that are not hidden, cached for the
// client's metadata TTL.
func (c *Client) Lists(ctx context.Context) ([]List, error) {
	v, err := c.meta.get(ctx, "lists", func(ctx context.Context) (any, error) {
		var lists []List
		err := c.getCollection(ctx,
			"_api/web/lists?$select=Id,Title,Description,ItemCount,EntityTypeName,ListItemEntityTypeFullName,BaseTemplate,Hidden,Created,LastItemModifiedDate&$filter="+
				url.QueryEscape("Hidden eq false"), // metadata filters take true/false (docs/sharepoint.md §4.6)
			func(raw json.RawMessage) error {
				var l List
				if err := json.Unmarshal(raw, &l); err != nil {
					return err
				}
				if !l.Hidden {
					lists = append(lists, l)
				}
				return nil
			})
		return lists, err
	})
	if err != nil {
		return nil, err
	}
	return append([]List(nil), v.([]List)...), nil
}

// Fields returns every field of the list titled list (hidden ones
// included; callers choose), cached for the client's metadata TTL. A list
// that does not exist gives an error matching ErrListNotFound.
func (c *Client) Fields(ctx context.Context, list string) ([]Field, error) {
	key := "fields\x00" + strings.ToLower(list)
	v, err := c.meta.get(ctx, key, func(ctx context.Context) (any, error) {
		var fields []Field
		// No $select: SharePoint returns each field's own type's
		// properties (LookupList, OutputType, Choices…), which a $select
		// on the base SP.Field type could not name.
		err := c.getCollection(ctx, ListPath(list)+"/fields", func(raw json.RawMessage) error {
			var f Field
			if err := json.Unmarshal(raw, &f); err != nil {
				return err
			}
			if f.EntityPropertyName == "" {
				f.EntityPropertyName = entityPropertyName(f.InternalName)
			}
			if f.Type == "" {
				f.Type = f.TypeName() // from FieldTypeKind
			}
			fields = append(fields, f)
			return nil
		})
		return fields, err
	})
	if err != nil {
		return nil, err
	}
	return append([]Field(nil), v.([]Field)...), nil
}

// InvalidateItemCounts drops the cached lists (and their ItemCount), for
// after a write that added or deleted items.
func (c *Client) InvalidateItemCounts() { c.meta.invalidate("lists") }

// Invalidate drops the cached metadata of list (its fields), or all
// cached metadata when list is "". The next use fetches it again.
func (c *Client) Invalidate(list string) {
	if list == "" {
		c.meta.invalidate("")
		return
	}
	c.meta.invalidate("fields\x00" + strings.ToLower(list))
	c.meta.invalidate("lists")
}

// entityPropertyName derives the OData name from an internal name when a
// server leaves it out: a leading '_' gets "OData_" (docs/sharepoint.md §7.3).
func entityPropertyName(internal string) string {
	if strings.HasPrefix(internal, "_") {
		return "OData_" + internal
	}
	return internal
}

// ListPath returns the REST path of the list titled title:
// _api/web/lists/getbytitle('…') with each ' doubled and the title
// percent-encoded as a path segment (docs/sharepoint.md §2.2, as PnPjs does).
func ListPath(title string) string {
	quoted := strings.ReplaceAll(title, "'", "''")
	return "_api/web/lists/getbytitle('" + escapePathSegment(quoted) + "')"
}

// escapePathSegment percent-encodes everything but unreserved characters
// and the quote, so '&', '#', '?', '/', '%' and spaces in titles are safe.
func escapePathSegment(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ('a' <= ch && ch <= 'z') || ('A' <= ch && ch <= 'Z') || ('0' <= ch && ch <= '9') ||
			ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == '\'' {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}

// getCollection GETs a metadata collection, following next links with
// the guards of every paged read (see Client.walk), and calls each with
// every element, in any of SharePoint's envelopes.
func (c *Client) getCollection(ctx context.Context, path string, each func(json.RawMessage) error) error {
	return c.walk(ctx, c.apiURL(path), walk{
		limits: c.metadataLimits(),
		decode: func(body []byte) (int, string, error) {
			var env struct {
				Value     []json.RawMessage `json:"value"`
				NextLink  string            `json:"odata.nextLink"`
				NextLink4 string            `json:"@odata.nextLink"`
				D         *struct {
					Results []json.RawMessage `json:"results"`
					Next    string            `json:"__next"`
				} `json:"d"`
			}
			if err := json.Unmarshal(body, &env); err != nil {
				return 0, "", err
			}
			var (
				elems []json.RawMessage
				next  string
			)
			switch {
			case env.Value != nil:
				elems, next = env.Value, env.NextLink+env.NextLink4
			case env.D != nil && env.D.Results != nil:
				elems, next = env.D.Results, env.D.Next
			default:
				return 0, "", notAPage(body)
			}
			// Decoded before the page is handed over: a page's elements
			// are all good or the read fails, and none refers to body.
			for _, raw := range elems {
				if err := each(raw); err != nil {
					return 0, "", err
				}
			}
			return len(elems), next, nil
		},
		emit: func() bool { return true },
	})
}

// originOf returns scheme://host of a URL for messages, without its path
// or query, which might be long.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "an unparsable URL"
	}
	return u.Scheme + "://" + u.Host
}

// UnmarshalJSON decodes a field as any of SharePoint's formats sends it:
// Choices may be an array or, verbose, {"results":[…]}.
func (f *Field) UnmarshalJSON(b []byte) error {
	type plain Field // Field's fields and tags, without this method
	var v struct {
		plain
		Choices stringList `json:"Choices"` // shadows plain's
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Field(v.plain)
	f.Choices = v.Choices
	return nil
}

// stringList decodes a JSON array of strings, or the verbose
// {"results":[…]} wrapper around one, or null.
type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) error {
	var arr []string
	if err := json.Unmarshal(b, &arr); err == nil {
		*s = arr
		return nil
	}
	var wrapped struct {
		Results []string `json:"results"`
	}
	if err := json.Unmarshal(b, &wrapped); err != nil {
		return err
	}
	*s = wrapped.Results
	return nil
}
