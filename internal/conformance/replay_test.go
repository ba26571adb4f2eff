package conformance_test

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/internal/conformance"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

var update = flag.Bool("update", false, "record testdata/sptest-recording again")

// recordingDir holds a run of the kit recorded against the emulator.
const recordingDir = "testdata/sptest-recording"

// recordedSite is the site the recording was made on; a replay needs the
// same one.
func recordedSite() sptest.Site { return sptest.Site{TimeZone: "Europe/Berlin"} }

// record runs the kit against the emulator with a Recorder into dir.
func record(t *testing.T, dir string) {
	t.Helper()
	srv := sptest.NewServer(recordedSite())
	defer srv.Close()
	cfg, err := spsql.ParseDSN(srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	rec, err := conformance.NewRecorder(dir, http.DefaultTransport, []string{cfg.ClientSecret, cfg.RefreshToken}, cfg.ServiceURL, cfg.TokenURI)
	if err != nil {
		t.Fatal(err)
	}
	c, err := spsql.NewConnector(cfg, spsql.WithHTTPClient(&http.Client{Transport: rec}))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	var out bytes.Buffer
	res, err := conformance.Run(context.Background(), conformance.Config{DB: db, Schema: c.(*spsql.Connector).SharePoint(), Out: &out})
	if err != nil || !res.OK() {
		t.Fatalf("recording run: %v %v\n%s", res, err, out.String())
	}
}

// A recording made on the emulator replays on a fresh emulator with no
// difference: same statuses, error codes, JSON shapes and values.
func TestRecordingFromTheEmulatorReplaysWithoutDifferences(t *testing.T) {
	if *update {
		files, _ := filepath.Glob(filepath.Join(recordingDir, "*.json"))
		for _, f := range files {
			os.Remove(f)
		}
		record(t, recordingDir)
	}
	rec, err := conformance.LoadRecording(recordingDir)
	if err != nil {
		t.Fatal(err)
	}
	srv := sptest.NewServer(recordedSite(), sptest.WithoutAuth())
	defer srv.Close()
	diffs, err := conformance.Replay(rec, srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Error(d)
	}
	t.Logf("%d exchanges replayed", len(rec.Exchanges))
}

// Replay lists each way an answer differs: a status, an error code, a
// value, a property that is missing — in plain answers and in $batch
// parts.
func TestReplayListsEveryDifference(t *testing.T) {
	rec, err := conformance.LoadRecording(recordingDir)
	if err != nil {
		t.Fatal(err)
	}
	// Change what the "site" answered in a few exchanges.
	changed := map[string]string{}
	for i, ex := range rec.Exchanges {
		b := ex.Response.Body
		switch {
		case changed["value"] == "" && strings.Contains(b, `"plain text"`) && !strings.Contains(ex.Request.URL, "$batch"):
			rec.Exchanges[i].Response.Body = strings.Replace(b, `"plain text"`, `"plain texx"`, 1)
			changed["value"] = rec.Names[i]
		case changed["status"] == "" && ex.Response.Status == http.StatusCreated && strings.Contains(ex.Request.URL, "createfieldasxml"):
			rec.Exchanges[i].Response.Status = http.StatusBadRequest
			changed["status"] = rec.Names[i]
		case changed["batch"] == "" && strings.Contains(ex.Request.URL, "$batch") && strings.Contains(b, `"Id":`):
			rec.Exchanges[i].Response.Body = strings.Replace(b, `"Id":`, `"Idx":`, 1)
			changed["batch"] = rec.Names[i]
		}
	}
	if len(changed) != 3 {
		t.Fatalf("the recording lacks the exchanges to change: %v", changed)
	}
	srv := sptest.NewServer(recordedSite(), sptest.WithoutAuth())
	defer srv.Close()
	diffs, err := conformance.Replay(rec, srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, d := range diffs {
		switch {
		case d.Exchange == changed["value"] && strings.Contains(d.Recorded, "plain texx"):
			found["value"] = true
		case d.Exchange == changed["status"] && d.Path == "status" && d.Recorded == "400" && d.Replayed == "201":
			found["status"] = true
		case d.Exchange == changed["batch"] && strings.HasPrefix(d.Path, "part[") && strings.HasSuffix(d.Path, ".Idx"):
			found["batch"] = true
		}
	}
	if len(found) != 3 {
		t.Errorf("found %v of the changes in:\n%v", found, diffs)
	}
}

var (
	recordingFlag   = flag.String("recording", "", "a --record directory to replay against the emulator (TestReplayRecording)")
	recordingTZFlag = flag.String("recording-tz", "UTC", "the IANA time zone of the recorded site, for -recording")
)

// TestReplayRecording replays a recording given with -recording (a
// user's, from a real tenant) against the emulator and logs every
// difference: a measure of the emulator's fidelity, not a failure.
func TestReplayRecording(t *testing.T) {
	if *recordingFlag == "" {
		t.Skip("no -recording DIR given")
	}
	rec, err := conformance.LoadRecording(*recordingFlag)
	if err != nil {
		t.Fatal(err)
	}
	site := sptest.Site{TimeZone: *recordingTZFlag, Path: "/"}
	for _, ex := range rec.Exchanges {
		if i := strings.Index(ex.Request.URL, "/_api/"); i >= 0 && strings.Contains(ex.Request.URL, conformance.ScrubbedHost) {
			site.Path = ex.Request.URL[strings.Index(ex.Request.URL, conformance.ScrubbedHost)+len(conformance.ScrubbedHost) : i]
			break
		}
	}
	if site.Path == "" {
		site.Path = "/"
	}
	srv := sptest.NewServer(site, sptest.WithoutAuth())
	defer srv.Close()
	diffs, err := conformance.Replay(rec, srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Log(d)
	}
	t.Logf("%d exchanges, %d differences", len(rec.Exchanges), len(diffs))
}
