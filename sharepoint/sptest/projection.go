package sptest

import (
	"strings"
)

// outKind says what one output property of an item holds.
type outKind int

const (
	oValue    outKind = iota // the column's value
	oID                      // "XId" of a lookup or person column
	oStringID                // "XStringId" of a person column
	oExpand                  // "X": the expanded lookup or person
	oPseudo                  // FileSystemObjectType, Id, ServerRedirectedEmbedUri/Url
)

// outCol is one property of the items a request returns.
type outCol struct {
	key  string
	kind outKind
	f    *fieldModel
	subs []*fieldModel // oExpand: projected columns of f.target (nil entry: Id)
}

// projection is the property list of a request's items.
type projection struct {
	cols []outCol
	// all: no $select (or "*"): verbose adds __deferred navigation links.
	all bool
}

// pseudoProps are SP.ListItem properties that are not columns but appear in
// recorded default rows.
var pseudoProps = []string{"FileSystemObjectType", "Id", "ServerRedirectedEmbedUri", "ServerRedirectedEmbedUrl"}

// colorTagKey is the always-null property rows carry without $select.
const colorTagKey = "OData__ColorTag"

// parseExpand reads $expand: lookup and person columns only, else
// "The field or property 'X' does not exist." (docs/sharepoint.md §3.2).
func (q *queryCtx) parseExpand(src string) *apiError {
	for name := range strings.SplitSeq(src, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		f := q.l.field(name)
		if f == nil || !f.logical.isLookup() || f.textual {
			return errFieldNotExist(name)
		}
		q.expanded[f] = true
	}
	return nil
}

// defaultProjection is what SharePoint returns without $select: the pseudo
// properties, then every column marked defaultOut in field order (lookups as
// XId, persons as XId and XStringId), then expanded columns as objects.
func (q *queryCtx) defaultProjection() projection {
	p := projection{all: true}
	p.cols = append(p.cols, outCol{key: "FileSystemObjectType", kind: oPseudo}, outCol{key: "Id", kind: oPseudo},
		outCol{key: "ServerRedirectedEmbedUri", kind: oPseudo}, outCol{key: "ServerRedirectedEmbedUrl", kind: oPseudo})
	for _, f := range q.l.fields {
		if !f.defaultOut {
			continue
		}
		if f.logical.isLookup() {
			p.cols = append(p.cols, outCol{key: f.entity + "Id", kind: oID, f: f})
			// Person columns add XStringId, except Author and Editor, which
			// recorded default rows carry as AuthorId/EditorId only.
			if (f.logical == ltUser || f.logical == ltUserMulti) && !f.system {
				p.cols = append(p.cols, outCol{key: f.entity + "StringId", kind: oStringID, f: f})
			}
			continue
		}
		p.cols = append(p.cols, outCol{key: f.entity, kind: oValue, f: f})
	}
	if q.l.field(colorTagKey) == nil {
		// Rows recorded from tenants since 2023 end with
		// "OData__ColorTag": null, though the list has no such field
		// (docs/sharepoint.md §6.2).
		p.cols = append(p.cols, outCol{key: colorTagKey, kind: oPseudo})
	}
	for _, f := range q.l.fields {
		if q.expanded[f] {
			p.cols = append(p.cols, outCol{key: f.entity, kind: oExpand, f: f, subs: defaultSubs(f)})
		}
	}
	return p
}

// defaultSubs is an expanded column's projection when $select names no
// sub-columns: Id and the lookup's shown column (no source says
// what SharePoint projects then; this is the emulator's choice).
func defaultSubs(f *fieldModel) []*fieldModel {
	return []*fieldModel{nil, f.targetField}
}

// parseSelect reads $select. Names are entity property names, matched
// case-insensitively; output follows the order of $select.
func (q *queryCtx) parseSelect(src string) (projection, *apiError) {
	if strings.TrimSpace(src) == "" {
		return q.defaultProjection(), nil
	}
	var p projection
	expandAt := map[*fieldModel]int{} // index in p.cols of an oExpand
	for name := range strings.SplitSeq(src, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			continue
		case name == "*":
			d := q.defaultProjection()
			p.all = true
			for _, c := range d.cols {
				if c.kind == oExpand {
					continue // added below when $select names it
				}
				p.cols = append(p.cols, c)
			}
			continue
		}
		if base, subName, ok := strings.Cut(name, "/"); ok {
			f := q.l.field(base)
			if f == nil || !f.logical.isLookup() || f.textual {
				return p, errFieldNotExist(base)
			}
			if !q.expanded[f] {
				return p, errNeedsExpand(name, f.entity)
			}
			var sub *fieldModel
			if !strings.EqualFold(subName, "Id") {
				sub = f.target.field(subName)
				if sub == nil || sub.logical.isLookup() || sub.textual {
					return p, errFieldNotExist(subName)
				}
			}
			i, seen := expandAt[f]
			if !seen {
				i = len(p.cols)
				expandAt[f] = i
				p.cols = append(p.cols, outCol{key: f.entity, kind: oExpand, f: f})
			}
			p.cols[i].subs = append(p.cols[i].subs, sub)
			continue
		}
		for _, ps := range pseudoProps {
			if name == ps {
				p.cols = append(p.cols, outCol{key: ps, kind: oPseudo})
				name = ""
				break
			}
		}
		if name == "" {
			continue
		}
		if f := q.l.field(name); f != nil {
			if f.logical.isLookup() {
				if !q.expanded[f] {
					return p, errNeedsExpand(name, f.entity)
				}
				if _, seen := expandAt[f]; !seen {
					expandAt[f] = len(p.cols)
					p.cols = append(p.cols, outCol{key: f.entity, kind: oExpand, f: f, subs: defaultSubs(f)})
				}
				continue
			}
			p.cols = append(p.cols, outCol{key: f.entity, kind: oValue, f: f})
			continue
		}
		if base, ok := strings.CutSuffix(name, "StringId"); ok {
			if f := q.l.field(base); f != nil && (f.logical == ltUser || f.logical == ltUserMulti) {
				p.cols = append(p.cols, outCol{key: f.entity + "StringId", kind: oStringID, f: f})
				continue
			}
		}
		if base, ok := strings.CutSuffix(name, "Id"); ok {
			if f := q.l.field(base); f != nil && f.logical.isLookup() && !f.textual {
				p.cols = append(p.cols, outCol{key: f.entity + "Id", kind: oID, f: f})
				continue
			}
		}
		return p, errFieldNotExist(name)
	}
	return p, nil
}
