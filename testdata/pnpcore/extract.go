//go:build ignore

// Command extract copies the recordings of this corpus out of a checkout
// of github.com/pnp/pnpcore (see README.md):
//
//	git clone https://github.com/pnp/pnpcore /tmp/pnpcore
//	git -C /tmp/pnpcore checkout 95f18404b58a671b1cc10661b7a1bce115b29fcb
//	go run testdata/pnpcore/extract.go -src /tmp/pnpcore -out testdata/pnpcore
//
// Files are copied byte for byte; the selection rules are README.md's.
package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

const mockData = "src/sdk/PnP.Core.Test/SharePoint/MockData"

// listDirs are the test classes about lists, fields and items: their
// batches, item pages, fields and lists are taken. Errors are taken from
// every test class.
var listDirs = map[string]bool{"ListTests": true, "ListItemTests": true, "ListFieldTests": true, "WebFieldTests": true}

// maxMetadataFile bounds a file taken only for its fields or list
// metadata: the big ones are whole collections of a web's fields, which
// repeat what the small ones hold.
const maxMetadataFile = 16 << 10

type recording struct {
	StatusCode int
	Response   string
}

var partStatus = regexp.MustCompile(`(?m)^HTTP/1\.1 (\d{3})[^\r\n]*\r?\n`)

func main() {
	src := flag.String("src", "", "a checkout of github.com/pnp/pnpcore")
	out := flag.String("out", "testdata/pnpcore", "where the corpus goes")
	flag.Parse()
	if *src == "" {
		log.Fatal("extract: -src (a pnpcore checkout) is required")
	}
	root := filepath.Join(*src, filepath.FromSlash(mockData))
	dirs, err := os.ReadDir(root)
	if err != nil {
		log.Fatal(err)
	}
	seen := map[[20]byte]bool{}
	counts := map[string]int{}
	for _, d := range dirs {
		files, err := os.ReadDir(filepath.Join(root, d.Name()))
		if err != nil {
			log.Fatal(err)
		}
		names := make([]string, 0, len(files))
		for _, f := range files {
			if strings.HasSuffix(f.Name(), ".response.json") {
				names = append(names, f.Name())
			}
		}
		sort.Strings(names)
		for _, name := range names {
			raw, err := os.ReadFile(filepath.Join(root, d.Name(), name))
			if err != nil {
				log.Fatal(err)
			}
			var rec recording
			if err := json.Unmarshal(bytes.TrimPrefix(raw, []byte("\ufeff")), &rec); err != nil {
				log.Printf("skipping %s/%s: %v", d.Name(), name, err)
				continue
			}
			cat := category(d.Name(), len(raw), rec)
			if cat == "" {
				continue
			}
			sum := sha1.Sum([]byte(rec.Response))
			if seen[sum] { // the same answer recorded again (a test run twice)
				continue
			}
			seen[sum] = true
			dst := filepath.Join(*out, cat, d.Name(), name)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				log.Fatal(err)
			}
			if err := os.WriteFile(dst, raw, 0o644); err != nil {
				log.Fatal(err)
			}
			counts[cat]++
		}
	}
	fmt.Println(counts)
}

// category is the corpus folder a recording goes to, or "" to leave it.
func category(dir string, size int, rec recording) string {
	body := rec.Response
	if strings.HasPrefix(body, "--batchresponse_") {
		if listDirs[dir] {
			return "batch"
		}
		for _, m := range partStatus.FindAllStringSubmatch(body, -1) {
			if s, _ := strconv.Atoi(m[1]); s >= 400 {
				return "errors"
			}
		}
		return ""
	}
	if rec.StatusCode >= 400 || strings.Contains(body, `"odata.error"`) {
		return "errors"
	}
	if !listDirs[dir] {
		return ""
	}
	k := kinds(body)
	switch {
	case k["items"]:
		return "items"
	case k["fields"] && size <= maxMetadataFile:
		return "fields"
	case k["lists"] && dir == "ListTests" && size <= maxMetadataFile:
		return "lists"
	}
	return ""
}

// kinds says what a JSON body holds, looking two levels down: field
// definitions (FieldTypeKind), lists (BaseTemplate), or items (an array
// under "value" or "Items" of objects with an item's system properties).
func kinds(body string) map[string]bool {
	k := map[string]bool{}
	var v any
	if json.Unmarshal([]byte(body), &v) != nil {
		return k
	}
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		switch v := v.(type) {
		case map[string]any:
			if _, ok := v["FieldTypeKind"]; ok {
				k["fields"] = true
			}
			if _, ok := v["BaseTemplate"]; ok {
				k["lists"] = true
			}
			for _, key := range []string{"value", "Items"} {
				arr, _ := v[key].([]any)
				if len(arr) == 0 {
					continue
				}
				if it, ok := arr[0].(map[string]any); ok && isItem(it) {
					k["items"] = true
				}
			}
			if depth < 2 {
				for _, x := range v {
					walk(x, depth+1)
				}
			}
		case []any:
			if depth < 3 {
				for _, x := range v[:min(len(v), 3)] {
					walk(x, depth+1)
				}
			}
		}
	}
	walk(v, 0)
	return k
}

func isItem(m map[string]any) bool {
	if _, ok := m["FieldTypeKind"]; ok {
		return false
	}
	if _, ok := m["BaseTemplate"]; ok {
		return false
	}
	for _, key := range []string{"FileSystemObjectType", "ContentTypeId", "GUID"} {
		if _, ok := m[key]; ok {
			return true
		}
	}
	return false
}
