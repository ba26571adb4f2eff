package sptest

// typeShortDescriptions are the TypeShortDescription values SharePoint
// reports where they differ from TypeDisplayName, by TypeAsString, as
// recorded (docs/sharepoint.md §6.10).
var typeShortDescriptions = map[string]string{
	"Boolean":     "Yes/No (check box)",
	"Calculated":  "Calculated (calculation based on other columns)",
	"Choice":      "Choice (menu to choose from)",
	"MultiChoice": "Choice (menu to choose from)",
	"Currency":    "Currency ($, ¥, €)",
	"Lookup":      "Lookup (information already on this site)",
	"LookupMulti": "Lookup (information already on this site)",
	"Number":      "Number (1, 1.0, 100)",
}

// typeShortDescription is a field type's TypeShortDescription.
func typeShortDescription(info fieldTypeInfo) string {
	if d, ok := typeShortDescriptions[info.typeAsString]; ok {
		return d
	}
	return info.displayName
}
