package sptest

import (
	"net/http"
	"regexp"
)

// WithLanguage makes the SharePoint side answer errors in the site's
// language, as SharePoint does: the error body's "lang" is the language
// and "message.value" is translated, while the HTTP status and the
// "<hresult>, <exception type>" code stay the same (docs/sharepoint.md
// §8.4). The only language known is "de-DE" (German); the default is
// English. Texts the emulator has no translation for stay English.
func WithLanguage(lang string) Option { return func(c *config) { c.language = lang } }

type languageKey struct{}

// languageOf is the language serveSharePoint put in the request's context.
func languageOf(r *http.Request) string {
	lang, _ := r.Context().Value(languageKey{}).(string)
	return lang
}

// translation rewrites one English error text.
type translation struct {
	english *regexp.Regexp
	local   string // a regexp replacement template
}

// translations are the texts the emulator translates, by language. The
// list text is SharePoint's German answer as a user reported it (see
// docs/sharepoint.md §8.4); the column and field texts are the emulator's
// own German, not recorded from SharePoint.
var translations = map[string][]translation{
	"de-DE": {
		{regexp.MustCompile(`^List '(.*)' does not exist at site with URL '(.*)'\.$`), "Die Liste '$1' ist in der Website mit der URL '$2' nicht vorhanden."},
		{regexp.MustCompile(`^List does not exist\.[\s\S]*$`), "Die Liste ist nicht vorhanden."},
		{regexp.MustCompile(`^Column '(.*)' does not exist\. It may have been deleted by another user\.$`), "Die Spalte '$1' ist nicht vorhanden. Sie wurde möglicherweise von einem anderen Benutzer gelöscht."},
		{regexp.MustCompile(`^The field or property '(.*)' does not exist\.$`), "Das Feld oder die Eigenschaft '$1' ist nicht vorhanden."},
	},
}

// localize translates msg into lang where the emulator knows how.
func localize(lang, msg string) string {
	for _, t := range translations[lang] {
		if t.english.MatchString(msg) {
			return t.english.ReplaceAllString(msg, t.local)
		}
	}
	return msg
}
