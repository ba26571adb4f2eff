package sptest

import (
	"strconv"
)

// verboseDeferred are the navigation properties SP.ListItem has in verbose
// answers without $select, each a {"__deferred":{"uri":…}} link; lookup and
// person columns add their own.
var verboseDeferred = []string{
	"FirstUniqueAncestorSecurableObject", "RoleAssignments", "AttachmentFiles", "ContentType",
	"GetDlpPolicyTip", "FieldValuesAsHtml", "FieldValuesAsText", "FieldValuesForEdit",
	"File", "Folder", "LikedByInformation", "ParentList", "Properties", "Versions",
}

// appendItem renders one item of ir's list in ir's format and projection.
// It does not allocate for the common column types, since it runs for every
// item of every page a benchmark streams.
func (ir *itemsRequest) appendItem(b []byte, row []value, single bool) []byte {
	l, f := ir.l, ir.f
	id := row[l.idIdx].int()
	b = append(b, '{')
	comma := false
	switch {
	case f.verbose:
		b = append(b, `"__metadata":{"id":`...)
		b = appendQuotedParts(b, ir.editPrefix, id, ")")
		b = append(b, `,"uri":`...)
		b = appendQuotedParts(b, ir.uriPrefix, id, ")")
		b = append(b, `,"etag":`...)
		b = ir.appendETag(b, row)
		b = append(b, `,"type":`...)
		b = appendJSONString(b, l.itemType)
		b = append(b, '}')
		comma = true
		if ir.proj.all {
			for _, nav := range verboseDeferred {
				b = ir.appendDeferred(b, nav, id)
			}
			for _, fm := range l.fields {
				if fm.defaultOut && fm.logical.isLookup() && !ir.q.expanded[fm] {
					b = ir.appendDeferred(b, fm.entity, id)
				}
			}
		}
	case f.minimal:
		prefix := `"odata.`
		if f.v4 {
			prefix = `"@odata.`
		}
		if single {
			b = append(b, prefix...)
			if f.v4 {
				b = append(b, `context":`...)
				b = appendJSONString(b, ir.site+"/_api/$metadata#"+ir.metadataSet()+"/$entity")
			} else {
				b = append(b, `metadata":`...)
				b = appendJSONString(b, ir.site+"/_api/$metadata#"+ir.metadataSet()+"/@Element")
			}
			b = append(b, ',')
		}
		b = append(b, prefix...)
		b = append(b, `type":`...)
		if f.v4 {
			b = appendJSONString(b, "#"+l.itemType)
		} else {
			b = appendJSONString(b, l.itemType)
		}
		b = append(b, ',')
		b = append(b, prefix...)
		b = append(b, `id":`...)
		if f.v4 {
			b = appendQuotedParts(b, ir.uriPrefix, id, ")")
		} else {
			// SharePoint's odata.id for an item is an opaque GUID.
			b = append(b, '"')
			b = appendGeneratedGUID(b, row[l.guidIdx].u^0x5bd1e995)
			b = append(b, '"')
		}
		b = append(b, ',')
		b = append(b, prefix...)
		b = append(b, `etag":`...)
		b = ir.appendETag(b, row)
		b = append(b, ',')
		b = append(b, prefix...)
		b = append(b, `editLink":`...)
		b = appendQuotedParts(b, ir.editPrefix, id, ")")
		comma = true
	}
	for i := range ir.proj.cols {
		c := &ir.proj.cols[i]
		if comma {
			b = append(b, ',')
		}
		comma = true
		if c.kind == oExpand && f.minimal && !f.v4 {
			b = appendJSONString(b, c.key+"@odata.navigationLinkUrl")
			b = append(b, ':')
			b = appendQuotedParts(b, ir.editPrefix, id, ")/"+c.key)
			b = append(b, ',')
		}
		b = appendJSONString(b, c.key)
		b = append(b, ':')
		b = ir.appendCol(b, c, row, id)
	}
	return append(b, '}')
}

func (ir *itemsRequest) appendETag(b []byte, row []value) []byte {
	b = append(b, `"\"`...)
	b = strconv.AppendInt(b, int64(max(row[ir.l.versionIdx].int(), 1)), 10)
	return append(b, `\""`...)
}

func (ir *itemsRequest) appendDeferred(b []byte, nav string, id int) []byte {
	b = append(b, ',')
	b = appendJSONString(b, nav)
	b = append(b, `:{"__deferred":{"uri":`...)
	b = appendQuotedParts(b, ir.uriPrefix, id, ")/"+nav)
	return append(b, "}}"...)
}

// appendQuotedParts appends "<prefix><n><suffix>" as a JSON string.
func appendQuotedParts(b []byte, prefix string, n int, suffix string) []byte {
	b = append(b, '"')
	b = appendJSONStringContent(b, prefix)
	b = strconv.AppendInt(b, int64(n), 10)
	b = appendJSONStringContent(b, suffix)
	return append(b, '"')
}

// appendCol renders one output property.
func (ir *itemsRequest) appendCol(b []byte, c *outCol, row []value, id int) []byte {
	switch c.kind {
	case oPseudo:
		switch c.key {
		case "FileSystemObjectType":
			return append(b, '0')
		case "Id":
			return strconv.AppendInt(b, int64(id), 10)
		case "ServerRedirectedEmbedUrl":
			return append(b, `""`...)
		}
		return append(b, "null"...)
	case oID:
		v := row[c.f.index]
		if c.f.logical == ltUserMulti && len(v.ints) == 0 {
			return append(b, "null"...) // as recorded (docs/sharepoint.md §6.4)
		}
		if c.f.logical == ltLookupMulti || c.f.logical == ltUserMulti {
			// An empty multi-value lookup is [], an empty multi-value
			// person null (recorded, docs/sharepoint.md §6.4).
			return ir.appendInts(b, v.ints, "Collection(Edm.Int32)", false)
		}
		if v.kind != vInt {
			return append(b, "null"...)
		}
		return strconv.AppendInt(b, int64(v.n), 10)
	case oStringID:
		v := row[c.f.index]
		if c.f.logical == ltUserMulti {
			if len(v.ints) == 0 {
				return append(b, "null"...)
			}
			return ir.appendInts(b, v.ints, "Collection(Edm.String)", true)
		}
		if v.kind != vInt {
			return append(b, "null"...)
		}
		b = append(b, '"')
		b = strconv.AppendInt(b, int64(v.n), 10)
		return append(b, '"')
	case oExpand:
		return ir.appendExpanded(b, c, row)
	}
	return ir.appendValue(b, c.f, row, id)
}

// appendInts renders a multi-value ID list: [1,2], or ["1","2"] for
// StringId; verbose wraps it as {"__metadata":{"type":…},"results":[…]}.
func (ir *itemsRequest) appendInts(b []byte, ids []int, typ string, quoted bool) []byte {
	if ir.f.verbose {
		b = append(b, `{"__metadata":{"type":`...)
		b = appendJSONString(b, typ)
		b = append(b, `},"results":`...)
	}
	b = append(b, '[')
	for i, n := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		if quoted {
			b = append(b, '"')
		}
		b = strconv.AppendInt(b, int64(n), 10)
		if quoted {
			b = append(b, '"')
		}
	}
	b = append(b, ']')
	if ir.f.verbose {
		b = append(b, '}')
	}
	return b
}

// appendValue renders column f's value in row by the value-shape table of
// docs/sharepoint.md §6.2.
func (ir *itemsRequest) appendValue(b []byte, f *fieldModel, row []value, id int) []byte {
	if f.textual {
		return ir.appendTextual(b, f, row, id)
	}
	v := row[f.index]
	if v.kind == vNull && f.logical != ltTaxonomyMulti {
		return append(b, "null"...)
	}
	switch f.logical {
	case ltCalculated:
		b = append(b, '"')
		b = appendCalculated(b, v)
		return append(b, '"')
	case ltNumber:
		return appendJSONFloat(b, v.n)
	case ltInt:
		return strconv.AppendInt(b, int64(v.n), 10)
	case ltBool:
		return strconv.AppendBool(b, v.n != 0)
	case ltDateTime:
		b = append(b, '"')
		b = v.time().AppendFormat(b, "2006-01-02T15:04:05Z")
		return append(b, '"')
	case ltGuid:
		if v.kind == vGUIDGen {
			b = append(b, '"')
			b = appendGeneratedGUID(b, v.u)
			return append(b, '"')
		}
		return appendJSONString(b, v.s)
	case ltMultiChoice:
		if ir.f.verbose {
			b = append(b, `{"__metadata":{"type":"Collection(Edm.String)"},"results":`...)
		}
		b = appendJSON(b, v.strs)
		if ir.f.verbose {
			b = append(b, '}')
		}
		return b
	case ltURL:
		b = append(b, '{')
		if ir.f.verbose {
			b = append(b, `"__metadata":{"type":"SP.FieldUrlValue"},`...)
		}
		b = append(b, `"Description":`...)
		b = appendJSONString(b, v.s2)
		b = append(b, `,"Url":`...)
		b = appendJSONString(b, v.s)
		return append(b, '}')
	case ltTaxonomy:
		return ir.appendTaxonomy(b, v.taxs[0])
	case ltGeolocation:
		return appendGeolocation(b, *v.geo, ir.f.verbose)
	case ltTaxonomyMulti: // an empty one is [], as recorded (docs/sharepoint.md §6.4)
		if ir.f.verbose {
			b = append(b, `{"__metadata":{"type":"Collection(SP.Taxonomy.TaxonomyFieldValue)"},"results":`...)
		}
		b = append(b, '[')
		for i, t := range v.taxs {
			if i > 0 {
				b = append(b, ',')
			}
			b = ir.appendTaxonomy(b, t)
		}
		b = append(b, ']')
		if ir.f.verbose {
			b = append(b, '}')
		}
		return b
	case ltLookup, ltUser:
		return strconv.AppendInt(b, int64(v.n), 10)
	case ltLookupMulti, ltUserMulti:
		return ir.appendInts(b, v.ints, "Collection(Edm.Int32)", false)
	}
	return appendJSONString(b, v.s)
}

func (ir *itemsRequest) appendTaxonomy(b []byte, t TaxonomyValue) []byte {
	b = append(b, '{')
	if ir.f.verbose {
		b = append(b, `"__metadata":{"type":"SP.Taxonomy.TaxonomyFieldValue"},`...)
	}
	b = append(b, `"Label":`...)
	b = appendJSONString(b, t.Label)
	b = append(b, `,"TermGuid":`...)
	b = appendJSONString(b, t.TermGuid)
	b = append(b, `,"WssId":`...)
	b = strconv.AppendInt(b, int64(t.WssId), 10)
	return append(b, '}')
}

// appendTextual renders the system columns whose values derive from the
// item's place in the list (FileRef, FileLeafRef, …); computed UI columns
// (Edit, LinkTitle, ContentType) are null, except LinkTitle*, which show
// the Title.
func (ir *itemsRequest) appendTextual(b []byte, f *fieldModel, row []value, id int) []byte {
	l := ir.l
	leaf := strconv.Itoa(id) + "_.000"
	switch f.InternalName {
	case "FileRef":
		return appendJSONString(b, l.serverRelURL+"/"+leaf)
	case "FileDirRef":
		return appendJSONString(b, l.serverRelURL)
	case "FileLeafRef":
		return appendJSONString(b, leaf)
	case "FSObjType":
		return append(b, `"0"`...)
	case "UniqueId":
		b = append(b, '"')
		b = appendGeneratedGUID(b, row[l.guidIdx].u^0x2545f491)
		return append(b, '"')
	case "LinkTitle", "LinkTitleNoMenu":
		if t := row[l.titleIdx]; t.kind == vText {
			return appendJSONString(b, t.s)
		}
	}
	return append(b, "null"...)
}

// appendExpanded renders an expanded lookup or person: an object with the
// projected columns of the looked-up item (an array of them for multi-value
// columns; verbose: {"results":[…]}), or null when empty.
func (ir *itemsRequest) appendExpanded(b []byte, c *outCol, row []value) []byte {
	v := row[c.f.index]
	multi := c.f.logical == ltLookupMulti || c.f.logical == ltUserMulti
	if !multi {
		if v.kind != vInt {
			return append(b, "null"...)
		}
		return ir.appendProjected(b, c, v.int())
	}
	if ir.f.verbose {
		b = append(b, `{"results":`...)
	}
	b = append(b, '[')
	for i, tid := range v.ints {
		if i > 0 {
			b = append(b, ',')
		}
		b = ir.appendProjected(b, c, tid)
	}
	b = append(b, ']')
	if ir.f.verbose {
		b = append(b, '}')
	}
	return b
}

func (ir *itemsRequest) appendProjected(b []byte, c *outCol, tid int) []byte {
	t := c.f.target
	buf := t.scratch(ir.q.scratch[t])
	ir.q.scratch[t] = buf
	trow, ok := t.row(tid, buf)
	if !ok {
		return append(b, "null"...)
	}
	b = append(b, '{')
	tUID := "Web/Lists(guid'" + t.ID + "')/Items("
	switch {
	case ir.f.verbose:
		b = append(b, `"__metadata":{"id":`...)
		b = appendQuotedParts(b, tUID, tid, ")")
		b = append(b, `,"type":`...)
		b = appendJSONString(b, t.itemType)
		b = append(b, "},"...)
	case ir.f.minimal && ir.f.v4:
		b = append(b, `"@odata.type":`...)
		b = appendJSONString(b, "#"+t.itemType)
		b = append(b, `,"@odata.id":`...)
		b = appendQuotedParts(b, ir.site+"/_api/"+tUID, tid, ")")
		b = append(b, ',')
	case ir.f.minimal:
		b = append(b, `"odata.type":`...)
		b = appendJSONString(b, t.itemType)
		b = append(b, `,"odata.id":`...)
		b = appendQuotedParts(b, ir.site+"/_api/"+tUID, tid, ")")
		b = append(b, ',')
	}
	sub := itemsRequest{s: ir.s, l: t, f: ir.f, q: ir.q}
	for i, sf := range c.subs {
		if i > 0 {
			b = append(b, ',')
		}
		if sf == nil {
			b = append(b, `"Id":`...)
			b = strconv.AppendInt(b, int64(tid), 10)
			continue
		}
		b = appendJSONString(b, sf.entity)
		b = append(b, ':')
		b = sub.appendValue(b, sf, trow, tid)
	}
	return append(b, '}')
}
