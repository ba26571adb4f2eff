package spsql_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// Reporting code often scans into structs with sqlx; column names as the
// user wrote them (aliases) are what its db tags match.
func TestSqlxStructScanning(t *testing.T) {
	srv := sptest.NewServer(sptest.DemoSite())
	defer srv.Close()
	db, err := sqlx.Open("sharepoint", srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	type task struct {
		ID      int64           `db:"ID"`
		Title   string          `db:"Title"`
		Due     sql.NullTime    `db:"due"`
		Percent sql.NullFloat64 `db:"pct"`
		Project sql.NullString  `db:"Project"`
	}
	var tasks []task
	err = db.Select(&tasks, `SELECT ID, Title, [Due Date] AS due, [Percent Complete] AS pct, Project FROM Tasks WHERE Status = ? ORDER BY ID LIMIT 5`, "Completed")
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 5 {
		t.Fatalf("got %d tasks, want 5", len(tasks))
	}
	for i, tk := range tasks {
		if tk.ID == 0 || tk.Title == "" || (i > 0 && tk.ID <= tasks[i-1].ID) {
			t.Errorf("task %d = %+v", i, tk)
		}
		if tk.Due.Valid && tk.Due.Time.Location() != time.UTC {
			t.Errorf("task %d due date in %v, want UTC", i, tk.Due.Time.Location())
		}
	}
	var one task
	if err := db.Get(&one, `SELECT ID, Title, [Due Date] AS due, [Percent Complete] AS pct, Project FROM Tasks WHERE ID = :id`, sql.Named("id", tasks[0].ID)); err != nil {
		t.Fatal(err)
	}
	if one.ID != tasks[0].ID || one.Title != tasks[0].Title {
		t.Errorf("Get = %+v, want %+v", one, tasks[0])
	}
}
