package sharepoint

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorded loads a response recorded from a real tenant (testdata/payloads).
func recorded(t *testing.T, name string) (status int, body []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "payloads", name))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		StatusCode int
		Body       json.RawMessage
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rec.StatusCode, rec.Body
}

func TestParseErrorRecordedPayloads(t *testing.T) {
	tests := []struct {
		file         string
		code         string
		message      string
		listNotFound bool
	}{
		{"pnpcore_error_404_list_does_not_exist_nometadata.json", "-1, System.ArgumentException",
			"List 'nonexisting' does not exist at site with URL 'https://bertonline.sharepoint.com/sites/prov-2'.", true},
		{"pnpcore_error_404_file_not_found.json", "-2147024894, System.IO.FileNotFoundException", "File Not Found.", false},
		{"pnpcore_error_400_argument_exception.json", "-2147024809, System.ArgumentException",
			"Server relative urls must start with SPWeb.ServerRelativeUrl", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			status, body := recorded(t, tt.file)
			e := parseError(status, "GET", "https://x/_api/web", body)
			if e.Code != tt.code || e.Message != tt.message {
				t.Errorf("parseError = code %q message %q, want %q %q", e.Code, e.Message, tt.code, tt.message)
			}
			if got := errors.Is(e, ErrListNotFound); got != tt.listNotFound {
				t.Errorf("errors.Is(ErrListNotFound) = %v, want %v", got, tt.listNotFound)
			}
			if !strings.Contains(e.Error(), tt.message) || !strings.HasPrefix(e.Error(), "sharepoint: GET https://x/_api/web: ") {
				t.Errorf("Error() = %q", e.Error())
			}
		})
	}
}

func TestParseErrorShapes(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		message string
		is      error
	}{
		{"verbose error", 400, `{"error":{"code":"-1, Microsoft.SharePoint.Client.InvalidClientQueryException","message":{"lang":"en-US","value":"The expression \"x\" is not valid."}}}`,
			`The expression "x" is not valid.`, nil},
		{"OData v4 error with a plain message", 400, `{"error":{"code":"-1, System.ArgumentException","message":"Column 'Nope' does not exist. It may have been deleted by another user."}}`,
			"Column 'Nope' does not exist. It may have been deleted by another user.", ErrFieldNotFound},
		{"threshold", 500, `{"odata.error":{"code":"-2147024860, Microsoft.SharePoint.SPQueryThrottledException","message":{"lang":"en-US","value":"The attempted operation is prohibited because it exceeds the list view threshold."}}}`,
			"The attempted operation is prohibited because it exceeds the list view threshold.", ErrViewThreshold},
		{"lookup threshold is not the view threshold", 500, `{"odata.error":{"code":"-2147024749, Microsoft.SharePoint.SPQueryThrottledException","message":{"lang":"en-US","value":"The query cannot be completed because the number of lookup columns it contains exceeds the lookup column threshold."}}}`,
			"The query cannot be completed because the number of lookup columns it contains exceeds the lookup column threshold.", ErrLookupThreshold},
		{"unknown field in select", 400, `{"odata.error":{"code":"-1, System.ArgumentException","message":{"lang":"en-US","value":"The field or property 'Nope' does not exist."}}}`,
			"The field or property 'Nope' does not exist.", ErrFieldNotFound},
		{"401 error_description", 401, `{"error_description":"Invalid issuer or signature."}`, "Invalid issuer or signature.", ErrUnauthorized},
		{"403 is unauthorized too", 403, `{"odata.error":{"code":"-2147024891, System.UnauthorizedAccessException","message":{"value":"Access denied."}}}`, "Access denied.", ErrUnauthorized},
		{"429 is throttled", 429, ``, "", ErrThrottled},
		{"an HTML page is excerpted on one line", 502, "<html>\n<body>Bad   gateway</body>\n</html>", "<html> <body>Bad gateway</body> </html>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseError(tt.status, "GET", "u", []byte(tt.body))
			if e.Message != tt.message {
				t.Errorf("Message = %q, want %q", e.Message, tt.message)
			}
			if tt.is != nil && !errors.Is(e, tt.is) {
				t.Errorf("errors.Is(%v) = false", tt.is)
			}
			if errors.Is(e, ErrLookupThreshold) && errors.Is(e, ErrViewThreshold) {
				t.Error("a lookup threshold refusal also matches ErrViewThreshold")
			}
		})
	}
}

// Localized answers are classified by status, code and request, not by
// their text; the same status and code answering something else are not.
func TestLocalizedErrorsAreClassifiedByCodeAndRequest(t *testing.T) {
	const site = "https://contoso.sharepoint.com/sites/x/_api/web/"
	for _, tc := range []struct {
		name      string
		status    int
		code, url string
		msg       string
		list      bool
		field     string
	}{
		// SharePoint's German text for getbytitle (a user's report, docs/sharepoint.md §8.4).
		{"German list", 404, "-1, System.ArgumentException", site + "lists/getbytitle('Aufgaben')/items?$select=ID",
			"Die Liste 'Aufgaben' ist in der Website mit der URL 'https://contoso.sharepoint.com/sites/x' nicht vorhanden.", true, ""},
		{"Japanese list by GUID", 404, "-1, System.ArgumentException", site + "lists(guid'0b8c0f5e-0000-4000-8000-000000000000')/fields",
			"リストが存在しません。", true, ""},
		{"no resource for the path", 404, "-1, System.ArgumentException", site + "lists/getbytitle('Tasks')/nope",
			"Cannot find resource for the request lists/getbytitle('Tasks')/nope.", false, ""},
		{"item not found", 404, "-2130575338, System.ArgumentException", site + "lists/getbytitle('Tasks')/items(7)",
			"Das Element ist nicht vorhanden.", false, ""},
		{"German column in $filter", 400, "-2147024809, System.ArgumentException", site + "lists/getbytitle('Tasks')/items?$select=ID,Title&$filter=Statsu%20eq%20'Title'",
			"Die Spalte 'Statsu' ist nicht vorhanden.", false, "Statsu"},
		{"Japanese field in $select", 400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", site + "lists/getbytitle('Tasks')/items?$select=ID,Nope",
			"フィールドまたはプロパティ「Nope」は存在しません。", false, "Nope"},
		{"a value, not a name", 400, "-2147024809, System.ArgumentException", site + "lists/getbytitle('Tasks')/items?$select=ID&$filter=Title%20eq%20'Nope'",
			"Der Wert 'Nope' ist ungültig.", false, ""},
		{"write body", 400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", site + "lists/getbytitle('Tasks')/items",
			"Die Eigenschaft 'Nope' ist nicht vorhanden.", false, ""},
	} {
		e := &Error{StatusCode: tc.status, Code: tc.code, Message: tc.msg, Method: "GET", URL: tc.url}
		if got := errors.Is(e, ErrListNotFound); got != tc.list {
			t.Errorf("%s: ErrListNotFound = %v, want %v", tc.name, got, tc.list)
		}
		if got := errors.Is(e, ErrFieldNotFound); got != (tc.field != "") {
			t.Errorf("%s: ErrFieldNotFound = %v, want %v", tc.name, got, tc.field != "")
		}
		if got := e.FieldName(); got != tc.field {
			t.Errorf("%s: FieldName = %q, want %q", tc.name, got, tc.field)
		}
	}
}
