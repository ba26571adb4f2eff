package sptest

// systemField describes a column SharePoint adds to every custom list. The
// set and order follow the recorded field collections (testdata/payloads
// pnpcore_list_fields_and_items_*): five before the list's own fields, the
// rest after. Columns whose values the emulator cannot give meaningfully
// (workflow, compliance, app principals) are left out.
type systemField struct {
	internal string
	title    string
	typ      string // TypeAsString as reported
	hidden   bool
	readOnly bool
	before   bool // listed before the list's own fields
	indexed  bool
	// defaultOut: returned when $select is absent. Recorded default rows
	// carry ContentTypeId, Title, ComplianceAssetId, ID, Modified, Created,
	// AuthorId, EditorId, OData__UIVersionString, Attachments and GUID besides
	// the list's own visible fields (docs/sharepoint.md §3.1).
	defaultOut bool
	// textual: reported as Lookup/File/Computed but returned as a plain
	// string (FileRef, FileLeafRef, …), or null for computed UI columns.
	textual bool
}

// systemFields are added to every list. ID, Created, Modified and Author are
// indexed, as they commonly are (docs/sharepoint.md §7.5).
var systemFields = []systemField{
	{internal: "ContentTypeId", title: "Content Type ID", typ: "ContentTypeId", hidden: true, readOnly: true, before: true, defaultOut: true},
	{internal: "Title", title: "Title", typ: "Text", before: true, defaultOut: true},
	{internal: "_ModerationComments", title: "Approver Comments", typ: "Note", hidden: true, readOnly: true, before: true},
	{internal: "File_x0020_Type", title: "File Type", typ: "Text", hidden: true, readOnly: true, before: true},
	{internal: "ComplianceAssetId", title: "Compliance Asset Id", typ: "Text", hidden: true, readOnly: true, before: true, defaultOut: true},

	{internal: "ID", title: "ID", typ: "Counter", readOnly: true, indexed: true, defaultOut: true},
	{internal: "ContentType", title: "Content Type", typ: "Computed", textual: true},
	{internal: "Modified", title: "Modified", typ: "DateTime", readOnly: true, indexed: true, defaultOut: true},
	{internal: "Created", title: "Created", typ: "DateTime", readOnly: true, indexed: true, defaultOut: true},
	{internal: "Author", title: "Created By", typ: "User", readOnly: true, indexed: true, defaultOut: true},
	{internal: "Editor", title: "Modified By", typ: "User", readOnly: true, defaultOut: true},
	{internal: "_HasCopyDestinations", title: "Has Copy Destinations", typ: "Boolean", hidden: true, readOnly: true},
	{internal: "_CopySource", title: "Copy Source", typ: "Text", hidden: true, readOnly: true},
	{internal: "owshiddenversion", title: "owshiddenversion", typ: "Integer", hidden: true, readOnly: true},
	{internal: "_UIVersion", title: "UI Version", typ: "Integer", hidden: true, readOnly: true},
	{internal: "_UIVersionString", title: "Version", typ: "Text", hidden: true, readOnly: true, defaultOut: true},
	{internal: "Attachments", title: "Attachments", typ: "Attachments", readOnly: true, defaultOut: true},
	{internal: "Edit", title: "Edit", typ: "Computed", readOnly: true, textual: true},
	{internal: "LinkTitleNoMenu", title: "Title", typ: "Computed", readOnly: true, textual: true},
	{internal: "LinkTitle", title: "Title", typ: "Computed", readOnly: true, textual: true},
	{internal: "InstanceID", title: "Instance ID", typ: "Integer", hidden: true, readOnly: true},
	{internal: "Order", title: "Order", typ: "Number", hidden: true},
	{internal: "GUID", title: "GUID", typ: "Guid", hidden: true, readOnly: true, defaultOut: true},
	{internal: "FileRef", title: "URL Path", typ: "Lookup", hidden: true, readOnly: true, textual: true},
	{internal: "FileDirRef", title: "Path", typ: "Lookup", hidden: true, readOnly: true, textual: true},
	{internal: "FSObjType", title: "Item Type", typ: "Lookup", hidden: true, readOnly: true, textual: true},
	{internal: "FileLeafRef", title: "Name", typ: "File", hidden: true, readOnly: true, textual: true},
	{internal: "UniqueId", title: "Unique Id", typ: "Lookup", hidden: true, readOnly: true, textual: true},
}

// systemFieldIDs are the well-known field GUIDs SharePoint uses for its
// system columns (as recorded); others get derived GUIDs.
var systemFieldIDs = map[string]string{
	"ContentTypeId":        "03e45e84-1992-4d42-9116-26f756012634",
	"Title":                "fa564e0f-0c70-4ab9-b863-0177e6ddd247",
	"_ModerationComments":  "34ad21eb-75bd-4544-8c73-0e08330291fe",
	"File_x0020_Type":      "39360f11-34cf-4356-9945-25c44e68dade",
	"ComplianceAssetId":    "3a6b296c-3f50-445c-a13f-9c679ea9dda3",
	"ID":                   "1d22ea11-1e32-424e-89ab-9fedbadb6ce1",
	"ContentType":          "c042a256-787d-4a6f-8a8a-cf6ab767f12d",
	"Modified":             "28cf69c5-fa48-462a-b5cd-27b6f9d2bd5f",
	"Created":              "8c06beca-0777-48f7-91c7-6da68bc07b69",
	"Author":               "1df5e554-ec7e-46a6-901d-d85a3881cb18",
	"Editor":               "d31655d1-1d5b-4511-95a1-7a09e9b75bf2",
	"_HasCopyDestinations": "26d0756c-986a-48a7-af35-bf18ab85ff4a",
	"_CopySource":          "6b4e226d-3d88-4a36-808d-a129bf52bccf",
	"owshiddenversion":     "d4e44a66-ee3a-4d02-88c9-4ec5ff3f4cd5",
	"_UIVersion":           "7841bf41-43d0-4434-9f50-a673baef7631",
	"_UIVersionString":     "dce8262a-3ae9-45aa-aab4-83bd75fb738a",
	"Attachments":          "67df98f4-9dec-48ff-a553-29bece9c5bf4",
	"Edit":                 "503f1caa-358e-4918-9094-4a2cdc4bc034",
	"LinkTitleNoMenu":      "bc91a437-52e7-49e1-8c4e-4698904b2b6d",
	"LinkTitle":            "82642ec8-ef9b-478f-acf9-31f7d45fbc31",
	"InstanceID":           "50a54da4-1528-4e67-954a-e2d24f1e9efb",
	"GUID":                 "ae069f25-3ac2-4256-b9c3-15dbc15da0e0",
	"FileRef":              "94f89715-e097-4e8b-ba79-ea02aa8b7adb",
	"FileDirRef":           "56605df6-8fa1-47e4-a04c-5b384d59609f",
	"FSObjType":            "30bb605f-5bae-48fe-b4e3-1f81d9772af9",
	"FileLeafRef":          "8553196d-ec8d-4564-9861-3dbe931050c8",
	"UniqueId":             "4b7403de-8d94-43e8-9f0f-137a3e298126",
}

// userInfoFields are the own columns of the hidden "User Information List"
// that person columns point to; $expand=Author&$select=Author/Title,
// Author/EMail projects them (docs/sharepoint.md §3.2).
var userInfoFields = []Field{
	{Title: "Account", InternalName: "Name", Type: "Text"},
	{Title: "Work email", InternalName: "EMail", Type: "Text"},
	{Title: "User name", InternalName: "UserName", Type: "Text"},
}

// Fixed names of the site's user list, as SharePoint has them.
const (
	userListTitle      = "User Information List"
	userListEntityType = "UserInfo"
	userListItemType   = "SP.Data.UserInfoItem"
)
