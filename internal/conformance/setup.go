package conformance

import (
	"context"
	"fmt"
	"strconv"

	"github.com/go-spsql/spsql/sharepoint"
)

// column is one scratch column: internal name, display name (always
// different, so that both ways of naming a column are tested) and type.
type column struct {
	name, display, typ string
	dateOnly           bool
	choices            []string
	lookup             bool // into the target list
}

var choices = []string{"Red", "Green & Blue", "Ünïcode"}

// columns of the main list, one of every type the driver writes.
var columns = []column{
	{name: "TxtV", display: "Text value", typ: "Text"},
	{name: "MemoV", display: "Long text", typ: "Note"},
	{name: "NumV", display: "Amount", typ: "Number"},
	{name: "MoneyV", display: "Price", typ: "Currency"},
	{name: "WholeV", display: "Count of things", typ: "Integer"},
	{name: "FlagV", display: "Is flagged", typ: "Boolean"},
	{name: "WhenV", display: "Happened at", typ: "DateTime"},
	{name: "DayV", display: "Due day", typ: "DateTime", dateOnly: true},
	{name: "PickV", display: "Colour", typ: "Choice", choices: choices},
	{name: "PicksV", display: "Tags", typ: "MultiChoice", choices: choices},
	{name: "RefV", display: "Target ref", typ: "Lookup", lookup: true},
	{name: "RefsV", display: "Target refs", typ: "LookupMulti", lookup: true},
	{name: "WhoV", display: "Owner", typ: "User"},
	{name: "LinkV", display: "Web link", typ: "URL"},
	{name: "UidV", display: "Item guid", typ: "Guid"},
}

// wideLookups is how many lookups the third list has: one more than
// SharePoint's lookup threshold, so the driver must split its reads.
const wideLookups = sharepoint.LookupThreshold + 1

func (k *kit) setup(ctx context.Context) error {
	s := k.cfg.Schema
	tz, err := s.TimeZone(ctx)
	if err != nil {
		return fmt.Errorf("reading the site's time zone: %w", err)
	}
	k.loc = tz.Location
	create := func(title string) (sharepoint.List, error) {
		// Registered first: a create whose answer was lost may still
		// have made the list, and cleanup ignores lists that are not there.
		k.created = append(k.created, title)
		return s.CreateList(ctx, title, "Scratch list of spsql conformance; safe to delete.")
	}
	tl, err := create(k.target)
	if err != nil {
		return fmt.Errorf("creating list %q (does the account may create lists?): %w", k.target, err)
	}
	k.targetID = tl.ID
	if _, err := s.CreateField(ctx, k.target, sharepoint.NewField{Name: "Code", DisplayName: "Target code", Type: "Integer"}); err != nil {
		return fmt.Errorf("creating a column of %q: %w", k.target, err)
	}
	if _, err := create(k.main); err != nil {
		return fmt.Errorf("creating list %q: %w", k.main, err)
	}
	for _, c := range columns {
		nf := sharepoint.NewField{Name: c.name, DisplayName: c.display, Type: c.typ, DateOnly: c.dateOnly, Choices: c.choices}
		if c.lookup {
			nf.LookupListID = k.targetID
		}
		if _, err := s.CreateField(ctx, k.main, nf); err != nil {
			return fmt.Errorf("creating column %s (%s) of %q: %w", c.name, c.typ, k.main, err)
		}
	}
	if _, err := create(k.wide); err != nil {
		return fmt.Errorf("creating list %q: %w", k.wide, err)
	}
	for i := 1; i <= wideLookups; i++ {
		n := "L" + strconv.Itoa(i)
		if _, err := s.CreateField(ctx, k.wide, sharepoint.NewField{Name: n, DisplayName: "Lookup " + strconv.Itoa(i), Type: "Lookup", LookupListID: k.targetID}); err != nil {
			return fmt.Errorf("creating lookup column %s of %q: %w", n, k.wide, err)
		}
	}
	// The target's items, through the driver: three, with codes.
	res, err := k.db.ExecContext(ctx, "INSERT INTO "+quote(k.target)+" (Title, Code) VALUES ('alpha', 1), ('beta', 2), ('gamma', 3)")
	if err != nil {
		return fmt.Errorf("writing the lookup target's items: %w", err)
	}
	last, _ := res.LastInsertId()
	k.targetItems = []int64{last - 2, last - 1, last}
	return nil
}

// quote makes a list or column name an SQL identifier.
func quote(name string) string { return "[" + name + "]" }
