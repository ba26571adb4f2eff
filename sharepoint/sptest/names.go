package sptest

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf16"
)

// maxInternalNameLen is SharePoint's limit on a field's internal name; longer
// encoded names are cut, even inside an _xHHHH_ escape, as in Microsoft's
// sample "How_x0020_frequently_x0020_do_x02" (docs/sharepoint.md §7.3).
const maxInternalNameLen = 32

// InternalName returns the internal name SharePoint gives a field created
// with display name title: ASCII letters, digits and '_' are kept, every
// other UTF-16 code unit becomes _xHHHH_ (space → _x0020_, é → _x00e9_), a
// leading digit is escaped too, and the result is cut to 32 characters
// (docs/sharepoint.md §7.3).
func InternalName(title string) string {
	s := xmlEncodeName(title, false)
	if len(s) > maxInternalNameLen {
		s = s[:maxInternalNameLen]
	}
	return s
}

// EntityPropertyName returns the OData property name of a field with the
// given internal name: the internal name itself, with "OData_" prefixed when
// it starts with '_' (_UIVersionString → OData__UIVersionString, docs/sharepoint.md
// §7.3).
func EntityPropertyName(internalName string) string {
	if strings.HasPrefix(internalName, "_") {
		return "OData_" + internalName
	}
	return internalName
}

// EntityTypeName returns the EntityTypeName SharePoint derives for a custom
// list (BaseTemplate 100) titled title: the title with non-alphanumerics
// (including '_') escaped as _xHHHH_, "OData_" prefixed when the result starts
// with '_', and "List" appended: "Tasks" → "TasksList", "Project Tasks" →
// "Project_x0020_TasksList". Other templates get no "List" suffix, as the
// recorded "Shared_x0020_Documents" and "OData__x005f_catalogs_x002f_hubsite"
// show (docs/sharepoint.md §7.4).
func EntityTypeName(title string, baseTemplate int) string {
	s := xmlEncodeName(title, true)
	if strings.HasPrefix(s, "_") {
		s = "OData_" + s
	}
	if baseTemplate == 0 || baseTemplate == 100 {
		s += "List"
	}
	return s
}

// xmlEncodeName escapes a name the way SharePoint's XmlConvert-like encoder
// does. underscoreToo escapes '_' as well, as entity type names do.
func xmlEncodeName(name string, underscoreToo bool) string {
	var b strings.Builder
	for i, r := range name {
		keep := r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' && !underscoreToo)
		if keep && i == 0 && r >= '0' && r <= '9' {
			keep = false
		}
		if keep {
			b.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&b, "_x%04x_", u)
		}
	}
	return b.String()
}

// stableGUID returns a GUID derived from parts, so that declared sites get
// the same list, field and item GUIDs on every run.
func stableGUID(parts ...string) string {
	h := sha1.Sum([]byte(strings.Join(parts, "\x00")))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	s := hex.EncodeToString(h[:16])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

// normalizeGUID lower-cases id and strips braces; ok is false when id is not
// a GUID.
func normalizeGUID(id string) (string, bool) {
	id = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "{"), "}"))
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' {
		return "", false
	}
	for i, c := range id {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	return id, true
}
