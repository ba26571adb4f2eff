package sptest

import (
	"net/http"
	"strconv"
)

// maxBatchOperations is how many operations one $batch may hold, its
// changesets' operations counted one by one (docs/sharepoint.md §11.3).
const maxBatchOperations = 100

// errBatchTooLarge refuses a whole batch of more than maxBatchOperations
// operations with 400, as SharePoint does; the text is the emulator's
// (SharePoint's is not recorded).
func errBatchTooLarge(n int) *apiError {
	return &apiError{http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
		"The batch request holds " + strconv.Itoa(n) + " operations; at most " + strconv.Itoa(maxBatchOperations) + " are allowed."}
}
