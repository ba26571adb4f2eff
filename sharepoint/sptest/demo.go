package sptest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// DemoSite returns the demo site behind the CLI demo and the README
// examples: the lists Projects (30 items), Tasks (250) and Employees (80)
// with every common column type, display names that differ from internal
// names (Project Code → Project_x0020_Code, Due Date → DueDate), empty
// values, a title with an apostrophe and some non-ASCII text. It is
// generated from a fixed seed, so it is the same on every call; the same
// site is in testdata/demo-site.json for LoadSite.
func DemoSite() Site {
	rng := rand.New(rand.NewPCG(2024, 6))
	users := DefaultUsers()
	pickUser := func() int { return users[rng.IntN(len(users))].ID }
	day := func(y int, m time.Month, d int) string {
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
	}

	projects := List{
		Title:       "Projects",
		Description: "Customer and internal projects",
		Created:     time.Date(2023, 11, 6, 14, 30, 0, 0, time.UTC),
		Fields: []Field{
			{Title: "Project Code", Type: "Text", Required: true, Indexed: true},
			{Title: "Status", Type: "Choice", Choices: []string{"Proposed", "Active", "On Hold", "Completed", "Cancelled"}},
			{Title: "Budget", Type: "Currency"},
			{Title: "Start Date", Type: "DateTime", DisplayFormat: "DateOnly"},
			{Title: "Manager", Type: "User"},
			{Title: "Active", Type: "Boolean"},
			{Title: "Website", Type: "URL"},
		},
	}
	projectNames := []string{
		"Website relaunch", "O'Brien & Co rebrand", "CRM migration", "Data warehouse", "Mobile app v2",
		"Zürich office move", "Café Menü redesign", "Security audit 2024", "Intranet refresh", "Payroll integration",
		"Customer portal", "Supplier onboarding", "ERP upgrade", "Marketing automation", "Help desk revamp",
		"Cloud cost review", "東京 launch", "Accessibility fixes", "Warehouse scanners", "Partner API",
		"Quarterly planning", "Brand guidelines", "Sales dashboard", "Field service app", "Document archive",
		"Loyalty programme", "Network refresh", "GDPR review", "Training portal", "Année fiscale close",
	}
	statuses := []string{"Proposed", "Active", "Active", "Active", "On Hold", "Completed", "Cancelled"}
	for i, name := range projectNames {
		status := statuses[rng.IntN(len(statuses))]
		it := Item{
			"Title":              name,
			"Project_x0020_Code": fmt.Sprintf("PRJ-%03d", i+1),
			"Status":             status,
			"Start_x0020_Date":   day(2023, time.Month(1+rng.IntN(12)), 1+rng.IntN(28)),
			"Manager":            pickUser(),
			"Active":             status == "Active",
			"Created":            time.Date(2023, 12, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * 26 * time.Hour),
		}
		if i%7 != 3 {
			it["Budget"] = float64(5000+rng.IntN(400)*500) + float64(rng.IntN(100))/100
		}
		if i%5 != 2 {
			slug := strings.ToLower(strings.Join(strings.FieldsFunc(name, func(r rune) bool { return r == ' ' || r == '\'' || r == '&' }), "-"))
			it["Website"] = URLValue{URL: "https://projects.contoso.com/" + slug, Description: name + " site"}
		}
		projects.Items = append(projects.Items, it)
	}

	tasks := List{
		Title:       "Tasks",
		Description: "Work items of all projects",
		Created:     time.Date(2023, 11, 6, 14, 45, 0, 0, time.UTC),
		Fields: []Field{
			{Title: "Project", Type: "Lookup", LookupList: "Projects", Indexed: true},
			{Title: "Assigned To", Type: "User"},
			{Title: "Reviewers", Type: "UserMulti"},
			{Title: "Status", Type: "Choice", Choices: []string{"Not Started", "In Progress", "Completed", "Blocked"}},
			{Title: "Priority", Type: "Choice", Choices: []string{"(1) High", "(2) Normal", "(3) Low"}},
			{Title: "Due Date", InternalName: "DueDate", Type: "DateTime", DisplayFormat: "DateOnly"},
			{Title: "Percent Complete", Type: "Number"},
			{Title: "Tags", Type: "MultiChoice", Choices: []string{"Backend", "Frontend", "Docs", "Ops", "Design", "Legal"}},
			{Title: "Related", Type: "LookupMulti", LookupList: "Projects"},
			{Title: "Estimate Hours", Type: "Integer"},
			{Title: "Effort", Type: "Calculated", OutputType: "Number", Formula: "=[Estimate Hours]*[Percent Complete]"},
			{Title: "Notes", Type: "Note"},
		},
	}
	verbs := []string{"Draft", "Review", "Implement", "Test", "Deploy", "Document", "Plan", "Fix", "Design", "Migrate"}
	objects := []string{"login page", "invoice export", "API schema", "release notes", "backup job", "user survey",
		"pricing table", "search index", "Straße field", "onboarding e-mail", "SSO setup", "budget sheet"}
	taskStatuses := []string{"Not Started", "In Progress", "In Progress", "Completed", "Completed", "Blocked"}
	tagNames := []string{"Backend", "Frontend", "Docs", "Ops", "Design", "Legal"}
	for i := range 250 {
		status := taskStatuses[rng.IntN(len(taskStatuses))]
		pct := map[string]float64{"Not Started": 0, "Completed": 1}[status]
		if status == "In Progress" || status == "Blocked" {
			pct = float64(1+rng.IntN(9)) / 10
		}
		hours := 1 + rng.IntN(40)
		it := Item{
			"Title":                  fmt.Sprintf("%s %s", verbs[rng.IntN(len(verbs))], objects[rng.IntN(len(objects))]),
			"Project":                1 + rng.IntN(len(projectNames)),
			"Status":                 status,
			"Priority":               []string{"(1) High", "(2) Normal", "(2) Normal", "(3) Low"}[rng.IntN(4)],
			"Percent_x0020_Complete": pct,
			"Estimate_x0020_Hours":   hours,
			"Effort":                 float64(hours) * pct,
			"Created":                time.Date(2024, 1, 3, 8, 0, 0, 0, time.UTC).Add(time.Duration(i)*7*time.Hour + time.Duration(rng.IntN(3600))*time.Second),
			"Author":                 pickUser(),
		}
		if i%9 != 4 {
			it["Assigned_x0020_To"] = pickUser()
		}
		if i%4 == 0 {
			it["Reviewers"] = []int{pickUser(), pickUser()}
			if a, b := it["Reviewers"].([]int)[0], it["Reviewers"].([]int)[1]; a == b {
				it["Reviewers"] = []int{a}
			}
		}
		if i%6 != 5 {
			it["DueDate"] = day(2024, time.Month(1+rng.IntN(12)), 1+rng.IntN(28))
		}
		var tags []string
		for _, t := range tagNames {
			if rng.IntN(4) == 0 {
				tags = append(tags, t)
			}
		}
		if len(tags) > 0 {
			it["Tags"] = tags
		}
		if i%10 == 0 {
			it["Related"] = []int{1 + rng.IntN(len(projectNames)), 1 + rng.IntN(len(projectNames))}
			if r := it["Related"].([]int); r[0] == r[1] {
				it["Related"] = r[:1]
			}
		}
		if i%3 == 0 {
			it["Notes"] = fmt.Sprintf("<div>Discussed on call #%d; see the “%s” thread.</div>", i, objects[i%len(objects)])
		}
		tasks.Items = append(tasks.Items, it)
	}

	employees := List{
		Title:       "Employees",
		Description: "Staff directory",
		Created:     time.Date(2023, 10, 2, 10, 0, 0, 0, time.UTC),
		Fields: []Field{
			{Title: "Email", Type: "Text"},
			{Title: "Department", Type: "Choice", Choices: []string{"Engineering", "Sales", "Marketing", "Finance", "HR", "Support"}},
			{Title: "Hire Date", Type: "DateTime", DisplayFormat: "DateOnly"},
			{Title: "Salary", Type: "Currency"},
			{Title: "Employee ID", Type: "Guid"},
			{Title: "Skills", Type: "MultiChoice", Choices: []string{"Go", "SQL", "Excel", "Negotiation", "Design", "Writing", "Support"}},
		},
	}
	first := []string{"Olivia", "Liam", "Amélie", "Noah", "Sofía", "Mateo", "Chloé", "Lukas", "Aiko", "Ravi", "Fatima", "Jonas", "Émile", "Zoë", "Björn", "Ngozi"}
	last := []string{"Smith", "García", "Müller", "O'Connor", "Dubois", "Tanaka", "Nowak", "Rossi", "Johansson", "Okafor", "Kowalski", "Van der Berg", "Nguyen", "D'Souza", "Øster", "Patel"}
	skills := []string{"Go", "SQL", "Excel", "Negotiation", "Design", "Writing", "Support"}
	seen := map[string]bool{}
	for len(employees.Items) < 80 {
		name := first[rng.IntN(len(first))] + " " + last[rng.IntN(len(last))]
		if seen[name] {
			continue
		}
		seen[name] = true
		i := len(employees.Items)
		mail := strings.NewReplacer("'", "", " ", "", "é", "e", "É", "E", "á", "a", "í", "i", "ë", "e", "ö", "o", "ü", "u", "Ø", "O", "ø", "o").Replace(strings.ToLower(name[:strings.IndexByte(name, ' ')]) + "." + strings.ToLower(name[strings.IndexByte(name, ' ')+1:]))
		it := Item{
			"Title":             name,
			"Email":             mail + "@contoso.com",
			"Department":        []string{"Engineering", "Sales", "Marketing", "Finance", "HR", "Support"}[rng.IntN(6)],
			"Hire_x0020_Date":   day(2015+rng.IntN(9), time.Month(1+rng.IntN(12)), 1+rng.IntN(28)),
			"Employee_x0020_ID": stableGUID("employee", name),
			"Created":           time.Date(2023, 10, 2, 11, 0, 0, 0, time.UTC).Add(time.Duration(i) * 90 * time.Minute),
		}
		if i%8 != 6 {
			it["Salary"] = float64(42000 + rng.IntN(90)*1000)
		}
		var sk []string
		for _, s := range skills {
			if rng.IntN(3) == 0 {
				sk = append(sk, s)
			}
		}
		if len(sk) > 0 {
			it["Skills"] = sk
		}
		employees.Items = append(employees.Items, it)
	}

	return Site{
		Title:    "Contoso Projects",
		Path:     "/sites/demo",
		TimeZone: "America/New_York",
		Users:    users,
		Lists:    []List{projects, tasks, employees},
	}
}
