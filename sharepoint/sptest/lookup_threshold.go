package sptest

import "net/http"

// LookupThreshold is SharePoint Online's list view lookup threshold: a
// query of list items may involve at most 12 lookup and person columns
// (each is a join in SharePoint's database), whether it selects, expands,
// filters or sorts on them, or only reads their IDs (AuthorId still
// joins Author). More fails the whole request; single-item requests
// (items(42)) are exempt. The limit is documented in SharePoint's
// software boundaries and reported by PnPjs and Office365-REST-Python-
// Client users (pnp/pnpjs#2721, vgrem/Office365-REST-Python-Client#758).
//
// Unverified (docs/sharepoint.md §9.2): whether managed metadata columns count (reports
// disagree, sp-dev-docs#4660); the emulator does not count them, and
// whether a request without $select counts every default column (the
// emulator does: every lookup and person column is in the default view).
const LookupThreshold = 12

// errLookupThreshold is SharePoint's answer to a request over the lookup
// threshold, as reported in vgrem/Office365-REST-Python-Client#758: an
// HTTP 500 SPQueryThrottledException like the list view threshold's, but
// with its own HRESULT (0x80070093) and text. Older on-premises versions
// append " enforced by the administrator." (docs/sharepoint.md §9.2).
func errLookupThreshold() *apiError {
	return &apiError{http.StatusInternalServerError, "-2147024749, Microsoft.SharePoint.SPQueryThrottledException",
		"The query cannot be completed because the number of lookup columns it contains exceeds the lookup column threshold."}
}

// lookupColumns counts the distinct lookup and person columns the request
// involves: in its projection ($select, or the default columns), $expand,
// $filter and $orderby.
func (ir *itemsRequest) lookupColumns() int {
	seen := map[*fieldModel]bool{}
	add := func(f *fieldModel) {
		if f != nil && f.logical.isLookup() && !f.textual {
			seen[f] = true
		}
	}
	for _, c := range ir.proj.cols {
		add(c.f)
	}
	for f := range ir.q.expanded {
		add(f)
	}
	for _, u := range ir.q.used {
		add(u.f)
	}
	return len(seen)
}
