package sptest

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Generator produces a list's items on demand instead of List.Items, for
// lists too large to hold in memory. Item IDs are 1..Len().
type Generator interface {
	// Len is the number of items.
	Len() int
	// Item returns item id's values, keyed like Item keys. It is called for
	// every item a request reads, so it should be fast and must be
	// deterministic: paging relies on item id always being the same.
	Item(id int) Item
}

// SyntheticItems is a Generator of deterministic pseudo-random items for
// the columns of the list it is attached to (see Synthetic).
type SyntheticItems struct {
	Seed  int64
	Count int

	mu    sync.Mutex
	bound *listModel
}

// Synthetic returns a Generator of count items whose values derive from
// seed and the item's ID alone: item i is the same on every run and is
// generated when read, never stored, so a list of millions of items costs
// no memory. Values fit each column's type: choices from Choices, lookups
// pointing at existing items of the target list, persons among the site's
// users, dates within 2020–2024 (date-only columns at local midnight), and
// about one empty value in twenty for optional columns. Created grows
// with the ID, as it does in a list filled in order.
//
// Generation does not allocate for scalar columns, so a benchmark
// streaming a synthetic list measures the client, not the emulator.
func Synthetic(seed int64, count int) *SyntheticItems {
	return &SyntheticItems{Seed: seed, Count: count}
}

// Len returns the number of items.
func (g *SyntheticItems) Len() int { return g.Count }

// Item returns item id as an Item, for the list the generator was last
// attached to by NewServer; before that it holds only the ID.
func (g *SyntheticItems) Item(id int) Item {
	g.mu.Lock()
	l := g.bound
	g.mu.Unlock()
	if l == nil {
		return Item{"ID": id}
	}
	row := make([]value, len(l.fields))
	l.synth.fill(l, id, row)
	it := Item{}
	for _, f := range l.fields {
		if v := row[f.index]; !v.isNull() && !f.textual {
			it[f.InternalName] = goValue(f, v)
		}
	}
	return it
}

func (g *SyntheticItems) bind(l *listModel) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.bound = l
}

// goValue converts a stored value back to the Go type Item documents.
func goValue(f *fieldModel, v value) any {
	switch v.kind {
	case vText:
		return v.s
	case vNumber:
		return v.n
	case vInt:
		return int(v.n)
	case vBool:
		return v.n != 0
	case vTime:
		return v.time()
	case vTexts:
		return append([]string(nil), v.strs...)
	case vInts:
		return append([]int(nil), v.ints...)
	case vURL:
		return URLValue{URL: v.s, Description: v.s2}
	case vTax:
		return v.taxs[0]
	case vTaxes:
		return append([]TaxonomyValue(nil), v.taxs...)
	case vGUIDGen:
		return v.guidString()
	case vGeo:
		return *v.geo
	}
	return nil
}

// synthPlan is what generating a list's items needs, computed once.
type synthPlan struct {
	seed     uint64
	cols     []synthCol
	users    []int
	dayStart []int64 // Unix seconds of local midnight for each day since synthEpoch
}

type synthCol struct {
	f        *fieldModel
	lt       logicalType
	nullable bool
	texts    []string
	subsets  [][]string
	urls     []URLValue
	taxs     []TaxonomyValue
	skip     bool  // a system column fill sets, or leaves empty
	target   int   // lookup target's item count
	ids      []int // a declared lookup target's item IDs
}

var synthEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

const synthDays = 5 * 365

// Word lists for synthetic text: enough variety for filters to be
// selective, fixed so that values are reproducible.
var (
	synthAdjectives = []string{"Quarterly", "Annual", "Urgent", "Pending", "Revised", "Draft", "Final", "Internal", "Regional", "Global", "Legacy", "Strategic", "Café", "Nördlich", "O'Hara's"}
	synthNouns      = []string{"report", "review", "budget", "audit", "migration", "launch", "survey", "invoice", "contract", "roadmap", "workshop", "release", "backlog", "forecast", "onboarding", "renewal"}
)

func newSynthPlan(g *SyntheticItems, l *listModel, m *siteModel) *synthPlan {
	p := &synthPlan{seed: uint64(g.Seed)}
	for _, u := range m.users {
		p.users = append(p.users, u.ID)
	}
	p.dayStart = make([]int64, synthDays)
	for d := range p.dayStart {
		day := synthEpoch.AddDate(0, 0, d)
		p.dayStart[d] = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, m.loc).Unix()
	}
	for _, f := range l.fields {
		c := synthCol{f: f, lt: f.logical, nullable: !f.system && !f.Required, skip: f.system && f.InternalName != "Title"}
		if c.lt == ltCalculated {
			c.lt = f.calcLogical
		}
		switch c.lt {
		case ltText:
			switch {
			case len(f.Choices) > 0:
				c.texts = f.Choices
			case f.info.typeAsString == "Note":
				for i := range 64 {
					c.texts = append(c.texts, fmt.Sprintf("%s %s notes, part %d: follow up with the team and update the tracker.", synthAdjectives[i%len(synthAdjectives)], synthNouns[i%len(synthNouns)], i))
				}
			default:
				for i := range 256 {
					c.texts = append(c.texts, fmt.Sprintf("%s %s %03d", synthAdjectives[i%len(synthAdjectives)], synthNouns[(i/len(synthAdjectives))%len(synthNouns)], i))
				}
			}
		case ltMultiChoice:
			choices := f.Choices
			if len(choices) > 10 {
				choices = choices[:10]
			}
			for mask := 0; mask < 1<<len(choices); mask++ {
				var set []string
				for i, ch := range choices {
					if mask&(1<<i) != 0 {
						set = append(set, ch)
					}
				}
				c.subsets = append(c.subsets, set)
			}
		case ltURL:
			for i := range 32 {
				c.urls = append(c.urls, URLValue{URL: fmt.Sprintf("https://example.com/%s/%d", synthNouns[i%len(synthNouns)], i), Description: strings.ToUpper(synthNouns[i%len(synthNouns)][:1]) + synthNouns[i%len(synthNouns)][1:] + fmt.Sprintf(" %d", i)})
			}
		case ltTaxonomy, ltTaxonomyMulti:
			for i, n := range synthNouns {
				c.taxs = append(c.taxs, TaxonomyValue{Label: n, TermGuid: stableGUID("term", n), WssId: i + 1})
			}
		case ltLookup, ltLookupMulti:
			c.target = f.target.itemCount()
			if f.target.gen == nil {
				c.ids = f.target.ids
			}
		}
		p.cols = append(p.cols, c)
	}
	return p
}

// fill generates item id into dst, one value per field of l, reusing dst's
// slices.
func (p *synthPlan) fill(l *listModel, id int, dst []value) {
	base := splitmix(p.seed ^ uint64(id)*0x9e3779b97f4a7c15)
	for i := range p.cols {
		c := &p.cols[i]
		h := splitmix(base + uint64(i))
		if c.skip || c.nullable && h%20 == 0 {
			dst[i] = value{ints: dst[i].ints[:0]}
			continue
		}
		dst[i] = p.cell(c, h, dst[i].ints[:0])
	}
	// System columns: IDs in order, Created growing with the ID.
	created := synthEpoch.Unix() + int64(id)*97
	dst[l.idIdx] = intValue(id)
	dst[l.createdIdx] = unixValue(created)
	dst[l.modifiedIdx] = unixValue(created + int64(base%(30*86400)))
	dst[l.authorIdx] = intValue(p.users[base%uint64(len(p.users))])
	dst[l.editorIdx] = intValue(p.users[(base>>8)%uint64(len(p.users))])
	dst[l.ctIdx] = textValue(l.contentTypeID)
	dst[l.uiVersionIdx] = textValue("1.0")
	dst[l.versionIdx] = intValue(1)
	dst[l.attachIdx] = boolValue(false)
	dst[l.guidIdx] = value{kind: vGUIDGen, u: base}
}

// lookupID picks a target item from h.
func (c *synthCol) lookupID(h uint64) int {
	if c.ids != nil {
		return c.ids[h%uint64(len(c.ids))]
	}
	return 1 + int(h%uint64(c.target))
}

// cell generates one value from hash h; ints is a reusable buffer.
func (p *synthPlan) cell(c *synthCol, h uint64, ints []int) value {
	switch c.lt {
	case ltText:
		if c.f.textual || len(c.texts) == 0 {
			return value{}
		}
		return textValue(c.texts[h%uint64(len(c.texts))])
	case ltGuid:
		return value{kind: vGUIDGen, u: h}
	case ltNumber:
		return numberValue(float64(h%10_000_000) / 100)
	case ltInt:
		return intValue(int(h % 1000))
	case ltBool:
		return boolValue(h&1 == 1)
	case ltDateTime:
		d := int(h % synthDays)
		if c.f.dateOnly {
			return unixValue(p.dayStart[d])
		}
		return unixValue(synthEpoch.Unix() + int64(d)*86400 + int64(h>>32)%86400)
	case ltMultiChoice:
		s := c.subsets[h%uint64(len(c.subsets))]
		if len(s) == 0 {
			return value{}
		}
		return value{kind: vTexts, strs: s}
	case ltURL:
		u := c.urls[h%uint64(len(c.urls))]
		return value{kind: vURL, s: u.URL, s2: u.Description}
	case ltTaxonomy:
		return value{kind: vTax, taxs: c.taxs[h%uint64(len(c.taxs)):][:1]}
	case ltTaxonomyMulti:
		i := h % uint64(len(c.taxs))
		n := min(uint64(len(c.taxs))-i, 1+(h>>16)%3)
		return value{kind: vTaxes, taxs: c.taxs[i : i+n]}
	case ltLookup:
		if c.target == 0 {
			return value{}
		}
		return intValue(c.lookupID(h))
	case ltLookupMulti:
		if c.target == 0 {
			return value{kind: vInts, ints: ints}
		}
		for k := range int((h >> 20) % 4) {
			ints = append(ints, c.lookupID(h>>(8*k)))
		}
		return value{kind: vInts, ints: ints}
	case ltUser:
		return intValue(p.users[h%uint64(len(p.users))])
	case ltUserMulti:
		for k := range int((h >> 20) % 4) {
			ints = append(ints, p.users[(h>>(8*k))%uint64(len(p.users))])
		}
		return value{kind: vInts, ints: ints}
	}
	return value{}
}
