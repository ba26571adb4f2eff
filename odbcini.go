package spsql

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-spsql/spsql/internal/suggest"
)

// odbcManagerKeys are keys that ODBC driver managers (unixODBC, iODBC) and
// their setup tools write into odbc.ini sections. They configure the
// manager, not the driver, so they are accepted and ignored.
var odbcManagerKeys = []string{
	"Setup", "Trace", "TraceFile", "TraceDll", "FileUsage", "UsageCount",
	"DontDLClose", "Threading", "CPTimeout", "CPTimeToLive", "DisableGetFunctions",
}

// odbcIniFiles returns the odbc.ini files to search, in order: the file
// named by $ODBCINI if set (and nothing else, as the ODBC driver managers
// do), else ~/.odbc.ini, then odbc.ini in $ODBCSYSINI or /etc.
func odbcIniFiles() []string {
	if f := os.Getenv("ODBCINI"); f != "" {
		return []string{f}
	}
	var files []string
	if home, err := os.UserHomeDir(); err == nil {
		files = append(files, filepath.Join(home, ".odbc.ini"))
	}
	sysDir := os.Getenv("ODBCSYSINI")
	if sysDir == "" {
		sysDir = "/etc"
	}
	return append(files, filepath.Join(sysDir, "odbc.ini"))
}

// ErrDataSourceNotFound is wrapped by the error for a DSN= name that no
// odbc.ini file defines; the message lists the files looked at.
var ErrDataSourceNotFound = errors.New("spsql: data source not found")

// loadDataSource reads the [name] section of the first odbc.ini file that
// has it. Section names match case-insensitively.
func loadDataSource(name string) ([]pair, error) {
	files := odbcIniFiles()
	var looked, sections []string
	for _, file := range files {
		pairs, found, err := readIniSection(file, name)
		if errors.Is(err, fs.ErrNotExist) {
			looked = append(looked, file+" (missing)")
			continue
		}
		if err != nil {
			return nil, err
		}
		if found {
			return pairs, nil
		}
		looked = append(looked, file)
		sections = append(sections, iniSections(file)...)
	}
	hint := "; no data source is defined there (spsql login --write-odbc-ini writes one)"
	if len(sections) > 0 {
		hint = "; the data sources there are [" + strings.Join(sections, "], [") + "]"
		for _, s := range sections {
			if d := suggest.Distance(strings.ToLower(name), strings.ToLower(s)); d <= suggest.MaxDistance(name) && d < len(name) {
				hint = fmt.Sprintf("; did you mean [%s]?", s)
				break
			}
		}
	}
	return nil, fmt.Errorf("%w: no [%s] section in %s%s", ErrDataSourceNotFound, name, strings.Join(looked, ", "), hint)
}

// iniSections lists the data sources of an odbc.ini file, for the error
// of a name it lacks: its section names but the driver managers' own
// ([ODBC Data Sources], [ODBC]). A file that cannot be read lists none.
func iniSections(file string) []string {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var names []string
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "[") {
			continue
		}
		name, _, ok := strings.Cut(line[1:], "]")
		name = strings.TrimSpace(name)
		if ok && name != "" && !strings.EqualFold(name, "ODBC Data Sources") && !strings.EqualFold(name, "ODBC") {
			names = append(names, name)
		}
	}
	return names
}

// readIniSection returns the key=value lines of section in file. Lines
// starting with ';' or '#' are comments; spaces around '=' are allowed.
// Values are taken literally (no braces): odbc.ini has no quoting.
func readIniSection(file, section string) (pairs []pair, found bool, err error) {
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if err != nil {
		return nil, false, iniReadError(file, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	inSection := false
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if line == 1 {
			text = strings.TrimPrefix(text, "\uFEFF") // files saved by Windows editors
		}
		if text == "" || text[0] == ';' || text[0] == '#' {
			continue
		}
		if text[0] == '[' {
			end := strings.IndexByte(text, ']')
			if end < 0 {
				return nil, false, fmt.Errorf("spsql: %s:%d: section header without ']'", file, line)
			}
			if inSection {
				return pairs, true, nil // the next section starts
			}
			inSection = strings.EqualFold(strings.TrimSpace(text[1:end]), strings.TrimSpace(section))
			found = found || inSection
			continue
		}
		if !inSection {
			continue
		}
		origin := fmt.Sprintf("%s:%d", file, line)
		key, value, ok := strings.Cut(text, "=")
		if !ok {
			return nil, false, fmt.Errorf("spsql: %s: line has no '=' (expected key=value)", origin)
		}
		key = strings.TrimSpace(key)
		if isODBCManagerKey(key) {
			continue
		}
		pairs = append(pairs, pair{key: key, value: strings.TrimSpace(value), origin: origin})
	}
	if err := sc.Err(); err != nil {
		return nil, false, iniReadError(file, err)
	}
	return pairs, found, nil
}

// iniReadError says that an odbc.ini file could not be read, naming the
// file once (an *fs.PathError would name it again).
func iniReadError(file string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("spsql: cannot read the odbc.ini file %s: %w (check its permissions, or set ODBCINI to the file to use)", file, err)
}

func isODBCManagerKey(key string) bool {
	for _, k := range odbcManagerKeys {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}
