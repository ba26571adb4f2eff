package sptest

import "fmt"

// DeleteField deletes a column of a declared list, as a site owner
// deleting it in SharePoint would: from then on the list's fields leave it
// out, its items lose its values, and a request naming it in $select,
// $expand, $filter or $orderby gets SharePoint's 400 field-not-found
// answer (docs/sharepoint.md §7.6, §8.2). field is the column's internal
// name, entity name or title. It serves tests of clients that cache a
// list's fields. System columns, a column another list's lookup shows,
// and the columns of generated lists (Site.Lists[].Generator) cannot be
// deleted. Requests under way finish first: the change waits for them.
func (s *Server) DeleteField(list, field string) error {
	s.writes.mu.Lock()
	defer s.writes.mu.Unlock()
	defer s.clearSortCache()
	l := s.model.listByTitle(list)
	if l == nil {
		return fmt.Errorf("sptest: DeleteField: no list %q", list)
	}
	if l.gen != nil {
		return fmt.Errorf("sptest: DeleteField: list %q is generated; its columns cannot change", l.Title)
	}
	f := l.field(field)
	if f == nil {
		f = l.fieldByTitle(field)
	}
	if f == nil {
		return fmt.Errorf("sptest: DeleteField: list %q has no field %q", l.Title, field)
	}
	if f.system {
		return fmt.Errorf("sptest: DeleteField: %q is a system column of list %q", f.InternalName, l.Title)
	}
	for _, other := range s.model.lists {
		for _, of := range other.fields {
			if of.targetField == f {
				return fmt.Errorf("sptest: DeleteField: list %q's lookup %q shows %q", other.Title, of.InternalName, f.InternalName)
			}
		}
	}
	// Rows hold one value per field, at the field's index: renumber the
	// fields after f and drop its value from every row.
	at := f.index
	l.fields = append(l.fields[:at:at], l.fields[at+1:]...)
	for _, g := range l.fields[at:] {
		g.index--
	}
	for i, row := range l.rows {
		l.rows[i] = append(row[:at:at], row[at+1:]...)
	}
	for k, g := range l.byName {
		if g == f {
			delete(l.byName, k)
		}
	}
	idx := func(name string) int { return l.field(name).index }
	l.idIdx, l.titleIdx, l.createdIdx, l.modifiedIdx = idx("ID"), idx("Title"), idx("Created"), idx("Modified")
	l.authorIdx, l.editorIdx, l.guidIdx, l.ctIdx = idx("Author"), idx("Editor"), idx("GUID"), idx("ContentTypeId")
	l.uiVersionIdx, l.versionIdx, l.attachIdx, l.fileRefIdx = idx("_UIVersionString"), idx("owshiddenversion"), idx("Attachments"), idx("FileRef")
	return nil
}
