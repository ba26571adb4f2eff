package sptest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Site.TimeZone must resolve the same way on every machine
)

// defaultThreshold is SharePoint Online's list view threshold (docs/sharepoint.md §9.1).
const defaultThreshold = 5000

// defaultListCreated is when declared lists were "created" unless they say.
var defaultListCreated = time.Date(2024, 1, 2, 9, 0, 0, 0, time.UTC)

// siteModel is a Site prepared for serving: names derived, system columns
// added, items converted and checked. It is immutable once built, so
// requests read it without locking.
type siteModel struct {
	loc      *time.Location
	tz       timeZoneInfo
	users    []User
	lists    []*listModel // declared order, then the hidden user list
	userList *listModel

	// listsMu guards the lists slice itself: schema writes (under
	// writeState.mu) replace it with a new one, never change it in place,
	// while item writes look their list up before taking writeState.mu.
	// Readers of one list take a snapshot with listSnapshot.
	listsMu sync.RWMutex
}

// listSnapshot returns the lists as they are now; the slice is never
// changed in place (setLists replaces it).
func (m *siteModel) listSnapshot() []*listModel {
	m.listsMu.RLock()
	defer m.listsMu.RUnlock()
	return m.lists
}

// setLists replaces the lists (schema writes, under writeState.mu).
func (m *siteModel) setLists(lists []*listModel) {
	m.listsMu.Lock()
	defer m.listsMu.Unlock()
	m.lists = lists
}

// listModel is a List prepared for serving.
type listModel struct {
	List
	entityTypeName string
	itemType       string // ListItemEntityTypeFullName
	threshold      int
	contentTypeID  string
	serverRelURL   string // e.g. /sites/demo/Lists/Tasks

	fields []*fieldModel
	byName map[string]*fieldModel // lower-cased internal and entity names

	// Declared items, sorted by ID; ids[i] is rows[i]'s ID.
	ids  []int
	rows [][]value
	// gen, when set, produces items 1..gen.Len() instead.
	gen   Generator
	synth *synthPlan // gen's allocation-free fast path, for Synthetic
	// site converts gen's values as declared Items are converted: dates
	// in the site's zone, persons among its users.
	site *siteContext

	idIdx, titleIdx, createdIdx, modifiedIdx, authorIdx, editorIdx, guidIdx int
	uiVersionIdx, versionIdx, ctIdx, attachIdx, fileRefIdx                  int
}

// fieldModel is a Field prepared for serving.
type fieldModel struct {
	Field
	entity      string // EntityPropertyName
	info        fieldTypeInfo
	logical     logicalType
	calcLogical logicalType // a Calculated field's value type
	calcKind    int         // a Calculated field's OutputType as FieldTypeKind
	dateOnly    bool
	index       int
	system      bool
	defaultOut  bool
	textual     bool   // system column returned as a string (or null)
	staticName  string // StaticName
	target      *listModel
	targetField *fieldModel // the LookupField column of target
}

// buildSite prepares site. Errors name the list, item and field at fault.
func buildSite(site Site, threshold int) (*siteModel, error) {
	if threshold <= 0 {
		threshold = defaultThreshold
	}
	m := &siteModel{users: site.Users}
	if len(m.users) == 0 {
		m.users = DefaultUsers()
	}
	seen := map[int]bool{}
	for _, u := range m.users {
		if u.ID <= 0 || seen[u.ID] {
			return nil, fmt.Errorf("sptest: user %q: IDs must be positive and unique", u.Title)
		}
		seen[u.ID] = true
	}
	tzName := site.TimeZone
	if tzName == "" {
		tzName = "UTC"
	}
	loc, err := time.LoadLocation(tzName)
	if err != nil {
		return nil, fmt.Errorf("sptest: Site.TimeZone %q: %v", site.TimeZone, err)
	}
	m.loc, m.tz = loc, timeZoneFor(tzName, loc)
	sc := &siteContext{loc: loc, users: m.users}

	// Pass 1: lists and their columns.
	titles := map[string]bool{}
	ids := map[string]bool{}
	for _, l := range site.Lists {
		lm, err := newListModel(site.Path, l, threshold)
		if err != nil {
			return nil, err
		}
		key := strings.ToLower(lm.Title)
		if titles[key] || ids[lm.ID] {
			return nil, fmt.Errorf("sptest: list %q: another list has the same title or ID", l.Title)
		}
		titles[key], ids[lm.ID] = true, true
		lm.site = sc
		m.lists = append(m.lists, lm)
	}
	ul, err := newListModel(site.Path, List{
		Title: userListTitle, BaseTemplate: 112, Hidden: true,
		EntityTypeName: userListEntityType, ListItemEntityTypeFullName: userListItemType,
		Fields: userInfoFields,
	}, threshold)
	if err != nil {
		return nil, err
	}
	if titles[strings.ToLower(userListTitle)] {
		return nil, errors.New("sptest: a list may not be titled " + userListTitle + "; declare Site.Users instead")
	}
	m.userList = ul
	m.lists = append(m.lists, ul)

	// Pass 2: lookup targets.
	for _, l := range m.lists {
		for _, f := range l.fields {
			if err := m.resolveLookup(l, f); err != nil {
				return nil, err
			}
		}
	}

	// Pass 3: items, then the plans of synthetic lists, which need the
	// users and the lookup targets' items: a synthetic lookup into a
	// declared list picks among its item IDs, so they must exist first.
	for _, u := range m.users {
		ul.Items = append(ul.Items, Item{"ID": u.ID, "Title": u.Title, "Name": u.LoginName, "EMail": u.Email, "UserName": userName(u)})
	}
	for _, l := range m.lists {
		if err := l.addItems(sc); err != nil {
			return nil, err
		}
	}
	for _, l := range m.lists {
		if g, ok := l.gen.(*SyntheticItems); ok {
			l.synth = newSynthPlan(g, l, m)
			g.bind(l)
		}
	}

	// Pass 4: every lookup value must point at an item that exists.
	var buf []value
	for _, l := range m.lists {
		if l.gen != nil {
			continue // generators are trusted; checking would mean generating everything
		}
		for i, row := range l.rows {
			for _, f := range l.fields {
				if f.target == nil {
					continue
				}
				v := row[f.index]
				for _, id := range lookupIDs(v) {
					var ok bool
					buf = f.target.scratch(buf)
					if _, ok = f.target.row(id, buf); !ok {
						return nil, fmt.Errorf("sptest: list %q item %d: field %q points at item %d, which %q does not have", l.Title, l.ids[i], f.InternalName, id, f.target.Title)
					}
				}
			}
		}
	}
	return m, nil
}

func userName(u User) string {
	if i := strings.LastIndexByte(u.LoginName, '|'); i >= 0 {
		return u.LoginName[i+1:]
	}
	return u.Email
}

func lookupIDs(v value) []int {
	switch v.kind {
	case vInt:
		return []int{v.int()}
	case vInts:
		return v.ints
	}
	return nil
}

func newListModel(sitePath string, l List, threshold int) (*listModel, error) {
	if strings.TrimSpace(l.Title) == "" {
		return nil, errors.New("sptest: a list has no Title")
	}
	lm := &listModel{List: l, byName: map[string]*fieldModel{}}
	if lm.ID == "" {
		lm.ID = stableGUID("list", l.Title)
	} else if id, ok := normalizeGUID(lm.ID); ok {
		lm.ID = id
	} else {
		return nil, fmt.Errorf("sptest: list %q: ID %q is not a GUID", l.Title, l.ID)
	}
	if lm.BaseTemplate == 0 {
		lm.BaseTemplate = 100
	}
	lm.entityTypeName = l.EntityTypeName
	if lm.entityTypeName == "" {
		lm.entityTypeName = EntityTypeName(l.Title, lm.BaseTemplate)
	}
	lm.itemType = l.ListItemEntityTypeFullName
	if lm.itemType == "" {
		lm.itemType = "SP.Data." + lm.entityTypeName + "Item"
	}
	lm.threshold = l.Threshold
	if lm.threshold <= 0 {
		lm.threshold = threshold
	}
	if lm.Created.IsZero() {
		lm.Created = defaultListCreated
	}
	lm.Created = lm.Created.UTC().Truncate(time.Second)
	lm.contentTypeID = "0x0100" + strings.ToUpper(strings.ReplaceAll(stableGUID("ct", lm.ID), "-", ""))
	urlName := strings.Map(func(r rune) rune {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, l.Title)
	if urlName == "" {
		urlName = "List"
	}
	lm.serverRelURL = sitePath + "/Lists/" + urlName
	if l.Generator != nil {
		lm.gen = l.Generator
		if len(l.Items) > 0 {
			return nil, fmt.Errorf("sptest: list %q has both Items and a Generator", l.Title)
		}
	}

	// The list's own fields; a declared Title replaces the system one.
	own := map[string]*Field{}
	var custom []Field
	for _, f := range l.Fields {
		if f.InternalName == "" {
			f.InternalName = InternalName(f.Title)
		}
		if f.Title == "" {
			f.Title = f.InternalName
		}
		if f.InternalName == "" {
			return nil, fmt.Errorf("sptest: list %q has a field with neither Title nor InternalName", l.Title)
		}
		if f.InternalName == "Title" {
			ff := f
			own["Title"] = &ff
			continue
		}
		custom = append(custom, f)
	}
	add := func(f Field, sys *systemField) error {
		fm, err := newFieldModel(lm, f, sys)
		if err != nil {
			return fmt.Errorf("sptest: list %q field %q: %w", l.Title, f.Title, err)
		}
		fm.index = len(lm.fields)
		for _, n := range []string{fm.InternalName, fm.entity} {
			k := strings.ToLower(n)
			if other, dup := lm.byName[k]; dup && other != fm {
				return fmt.Errorf("sptest: list %q: two fields are named %q", l.Title, n)
			}
			lm.byName[k] = fm
		}
		lm.fields = append(lm.fields, fm)
		if f.Type == "TaxonomyFieldType" || f.Type == "TaxonomyFieldTypeMulti" {
			// Taxonomy columns come with a hidden Note column named after the
			// field's GUID, its first digit replaced by 'p' (docs/sharepoint.md §6.5,
			// recorded "paa8bb18f4854584a5ba01ad0c8432cc").
			hexID := strings.ReplaceAll(fm.ID, "-", "")
			if hexID[0] >= '0' && hexID[0] <= '9' {
				hexID = "p" + hexID[1:]
			}
			return addHidden(lm, Field{Title: f.Title + "_0", InternalName: hexID, Type: "Note", Hidden: true})
		}
		return nil
	}
	sysAdd := func(before bool) error {
		for i := range systemFields {
			sf := &systemFields[i]
			if sf.before != before {
				continue
			}
			f := Field{Title: sf.title, InternalName: sf.internal, Type: sf.typ, Hidden: sf.hidden, ReadOnly: sf.readOnly, Indexed: sf.indexed}
			if sf.internal == "Title" {
				f.Required = true
				if o := own["Title"]; o != nil {
					f.Title, f.Required, f.Description, f.Indexed = o.Title, o.Required, o.Description, o.Indexed
				}
			}
			if err := add(f, sf); err != nil {
				return err
			}
		}
		return nil
	}
	if err := sysAdd(true); err != nil {
		return nil, err
	}
	for _, f := range custom {
		if err := add(f, nil); err != nil {
			return nil, err
		}
	}
	if err := sysAdd(false); err != nil {
		return nil, err
	}
	idx := func(name string) int { return lm.byName[strings.ToLower(name)].index }
	lm.idIdx, lm.titleIdx, lm.createdIdx, lm.modifiedIdx = idx("ID"), idx("Title"), idx("Created"), idx("Modified")
	lm.authorIdx, lm.editorIdx, lm.guidIdx, lm.ctIdx = idx("Author"), idx("Editor"), idx("GUID"), idx("ContentTypeId")
	lm.uiVersionIdx, lm.versionIdx, lm.attachIdx, lm.fileRefIdx = idx("_UIVersionString"), idx("owshiddenversion"), idx("Attachments"), idx("FileRef")
	return lm, nil
}

func addHidden(lm *listModel, f Field) error {
	fm, err := newFieldModel(lm, f, nil)
	if err != nil {
		return err
	}
	fm.index = len(lm.fields)
	lm.byName[strings.ToLower(fm.InternalName)] = fm
	lm.fields = append(lm.fields, fm)
	return nil
}

func newFieldModel(l *listModel, f Field, sys *systemField) (*fieldModel, error) {
	info, ok := fieldTypes[strings.ToLower(f.Type)]
	if !ok {
		return nil, fmt.Errorf("unknown Type %q", f.Type)
	}
	f.Type = info.typeAsString
	fm := &fieldModel{Field: f, info: info, logical: info.logical, entity: EntityPropertyName(f.InternalName), staticName: f.InternalName}
	if fm.ID == "" {
		if id, ok := systemFieldIDs[f.InternalName]; ok && sys != nil {
			fm.ID = id
		} else {
			fm.ID = stableGUID("field", l.ID, f.InternalName)
		}
	} else if id, ok := normalizeGUID(fm.ID); ok {
		fm.ID = id
	} else {
		return nil, fmt.Errorf("ID %q is not a GUID", f.ID)
	}
	if sys != nil {
		fm.system, fm.defaultOut, fm.textual = true, sys.defaultOut, sys.textual
		if sys.textual {
			fm.logical = ltText
		}
	} else {
		// The list's own visible columns are returned by default, hidden
		// ones (such as a taxonomy column's _0 note) are not (docs/sharepoint.md §3.1).
		fm.defaultOut = !f.Hidden
	}
	switch info.logical {
	case ltCalculated:
		out := f.OutputType
		if out == "" {
			out = "Text"
		}
		ot, ok := calculatedOutputTypes[strings.ToLower(out)]
		if !ok {
			return nil, fmt.Errorf("OutputType %q is not Text, Number, Currency, DateTime or Boolean", f.OutputType)
		}
		fm.OutputType, fm.calcLogical, fm.calcKind = ot.name, ot.logical, ot.kind
		fm.ReadOnly = true
	case ltDateTime:
		switch strings.ToLower(f.DisplayFormat) {
		case "", "datetime":
			fm.DisplayFormat = "DateTime"
		case "dateonly":
			fm.DisplayFormat, fm.dateOnly = "DateOnly", true
		default:
			return nil, fmt.Errorf("DisplayFormat %q is not DateOnly or DateTime", f.DisplayFormat)
		}
	case ltLookup, ltLookupMulti:
		if sys == nil && f.LookupList == "" {
			return nil, errors.New("a Lookup field needs LookupList")
		}
	}
	if (info.logical == ltText && f.Type == "Choice" || info.logical == ltMultiChoice) && len(f.Choices) == 0 {
		return nil, errors.New("a Choice field needs Choices")
	}
	if fm.LookupField == "" && info.logical.isLookup() {
		fm.LookupField = "Title"
	}
	return fm, nil
}

// resolveLookup points a lookup or person column at its target list.
func (m *siteModel) resolveLookup(l *listModel, f *fieldModel) error {
	switch f.logical {
	case ltUser, ltUserMulti:
		f.target = m.userList
	case ltLookup, ltLookupMulti:
		f.target = m.listByTitleOrID(f.LookupList)
		if f.target == nil {
			return fmt.Errorf("sptest: list %q field %q: LookupList %q is not a list of the site", l.Title, f.Title, f.LookupList)
		}
	default:
		return nil
	}
	f.targetField = f.target.field(f.LookupField)
	if f.targetField == nil {
		return fmt.Errorf("sptest: list %q field %q: LookupField %q is not a field of %q", l.Title, f.Title, f.LookupField, f.target.Title)
	}
	return nil
}

func (m *siteModel) listByTitleOrID(s string) *listModel {
	if id, ok := normalizeGUID(s); ok {
		for _, l := range m.listSnapshot() {
			if l.ID == id {
				return l
			}
		}
		return nil
	}
	for _, l := range m.listSnapshot() {
		if strings.EqualFold(l.Title, s) {
			return l
		}
	}
	return nil
}

// field finds a column by internal or entity name, case-insensitively.
func (l *listModel) field(name string) *fieldModel { return l.byName[strings.ToLower(name)] }

// addItems converts the declared items.
func (l *listModel) addItems(sc *siteContext) error {
	if l.gen != nil {
		return nil
	}
	// Explicit IDs first, so that missing ones continue after the highest.
	type pending struct {
		item Item
		id   int
	}
	next := 1
	seen := map[int]bool{}
	items := make([]pending, len(l.Items))
	for i, it := range l.Items {
		raw, ok := it["ID"]
		if !ok {
			raw, ok = it["Id"]
		}
		if ok && raw != nil {
			id, isInt := toInt(raw)
			if !isInt || id <= 0 {
				return fmt.Errorf("sptest: list %q item %d: ID %v is not a positive integer", l.Title, i+1, raw)
			}
			if seen[id] {
				return fmt.Errorf("sptest: list %q: two items have ID %d", l.Title, id)
			}
			seen[id] = true
			items[i].id = id
		}
		items[i].item = it
	}
	for i := range items {
		if items[i].id != 0 {
			next = max(next, items[i].id+1)
		}
	}
	for i := range items {
		if items[i].id == 0 {
			items[i].id = next
			next++
		}
	}
	slices.SortFunc(items, func(a, b pending) int { return a.id - b.id })
	for _, p := range items {
		row := make([]value, len(l.fields))
		l.defaultRow(p.id, row)
		for key, raw := range p.item {
			if key == "ID" || key == "Id" {
				continue
			}
			f := l.itemKey(key)
			if f == nil {
				return fmt.Errorf("sptest: list %q item %d: %q is not a field of the list", l.Title, p.id, key)
			}
			v, err := sc.convertValue(f, raw)
			if err != nil {
				return fmt.Errorf("sptest: list %q item %d field %q: %v", l.Title, p.id, key, err)
			}
			row[f.index] = v
		}
		if _, set := p.item["Modified"]; !set {
			row[l.modifiedIdx] = row[l.createdIdx]
		}
		if _, set := p.item["Editor"]; !set {
			if _, set := p.item["EditorId"]; !set {
				row[l.editorIdx] = row[l.authorIdx]
			}
		}
		l.ids = append(l.ids, p.id)
		l.rows = append(l.rows, row)
	}
	return nil
}

// itemKey maps an Item key to its field: internal name, entity name, or
// "XId" for lookup and person columns.
func (l *listModel) itemKey(key string) *fieldModel {
	if f := l.field(key); f != nil {
		return f
	}
	if base, ok := strings.CutSuffix(key, "Id"); ok {
		if f := l.field(base); f != nil && f.logical.isLookup() {
			return f
		}
	}
	return nil
}

// defaultRow fills the system columns of item id with SharePoint-like
// values: created an hour apart from the list's creation on, by the
// default user, version 1.0, no attachments.
func (l *listModel) defaultRow(id int, row []value) {
	row[l.idIdx] = intValue(id)
	created := l.Created.Add(time.Duration(id) * time.Hour)
	row[l.createdIdx] = timeValue(created)
	row[l.modifiedIdx] = timeValue(created)
	row[l.authorIdx] = intValue(defaultAuthorID)
	row[l.editorIdx] = intValue(defaultAuthorID)
	row[l.ctIdx] = textValue(l.contentTypeID)
	row[l.uiVersionIdx] = textValue("1.0")
	row[l.versionIdx] = intValue(1)
	row[l.attachIdx] = boolValue(false)
	row[l.guidIdx] = value{kind: vGUIDGen, u: splitmix(uint64(id)) ^ hashString(l.ID)}
}

func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}

// itemCount is the list's ItemCount.
func (l *listModel) itemCount() int {
	if l.gen != nil {
		return l.gen.Len()
	}
	return len(l.rows)
}

// scratch returns a row buffer for l, reusing buf when it is large enough.
func (l *listModel) scratch(buf []value) []value {
	if cap(buf) < len(l.fields) {
		return make([]value, len(l.fields))
	}
	return buf[:len(l.fields)]
}

// row returns item id's values, generating them into buf for generated
// lists. Declared rows are returned directly and must not be modified.
func (l *listModel) row(id int, buf []value) ([]value, bool) {
	if l.gen != nil {
		if id < 1 || id > l.gen.Len() {
			return nil, false
		}
		l.generate(id, buf)
		return buf, true
	}
	i, ok := slices.BinarySearch(l.ids, id)
	if !ok {
		return nil, false
	}
	return l.rows[i], true
}

// generate fills buf with generated item id.
func (l *listModel) generate(id int, buf []value) {
	if l.synth != nil {
		l.synth.fill(l, id, buf)
		return
	}
	clear(buf)
	l.defaultRow(id, buf)
	// A custom Generator's values were declared like Items; values that do
	// not convert are left empty rather than failing mid-response.
	sc := l.site
	if sc == nil {
		sc = &siteContext{loc: time.UTC}
	}
	for key, raw := range l.gen.Item(id) {
		if f := l.itemKey(key); f != nil && key != "ID" && key != "Id" {
			if v, err := sc.convertValue(f, raw); err == nil {
				buf[f.index] = v
			}
		}
	}
	buf[l.idIdx] = intValue(id)
}

// scan calls fn with each item after ID `after` (before, when desc), in ID
// order, until fn returns false. after 0 (desc: 0 too) starts at the first
// (last) item. The row passed to fn is only valid during the call.
func (l *listModel) scan(after int, desc bool, buf []value, fn func(row []value) bool) {
	if l.gen != nil {
		n := l.gen.Len()
		if !desc {
			for id := max(after+1, 1); id <= n; id++ {
				l.generate(id, buf)
				if !fn(buf) {
					return
				}
			}
			return
		}
		start := n
		if after > 0 {
			start = min(after-1, n)
		}
		for id := start; id >= 1; id-- {
			l.generate(id, buf)
			if !fn(buf) {
				return
			}
		}
		return
	}
	if !desc {
		i, found := slices.BinarySearch(l.ids, after+1)
		_ = found
		for ; i < len(l.rows); i++ {
			if !fn(l.rows[i]) {
				return
			}
		}
		return
	}
	i := len(l.rows) - 1
	if after > 0 {
		j, _ := slices.BinarySearch(l.ids, after)
		i = j - 1
	}
	for ; i >= 0; i-- {
		if !fn(l.rows[i]) {
			return
		}
	}
}
