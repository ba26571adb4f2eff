package sptest

import "net/url"

// QueryOptions are the OData query options of a request, decoded, so that
// tests can assert exactly what a client sent (e.g. the $filter text).
type QueryOptions struct {
	Select    string
	Filter    string
	OrderBy   string
	Top       string
	Skip      string
	Expand    string
	SkipToken string
}

// Query decodes the request's query options from RawQuery. Options that
// were not sent are empty.
func (r SPRequest) Query() QueryOptions {
	v, _ := url.ParseQuery(r.RawQuery)
	return QueryOptions{
		Select:    v.Get("$select"),
		Filter:    v.Get("$filter"),
		OrderBy:   v.Get("$orderby"),
		Top:       v.Get("$top"),
		Skip:      v.Get("$skip"),
		Expand:    v.Get("$expand"),
		SkipToken: v.Get("$skiptoken"),
	}
}
