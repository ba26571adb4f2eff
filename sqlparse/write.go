package sqlparse

import (
	"errors"
	"fmt"
	"strings"

	"github.com/xwb1989/sqlparser"
)

// Insert is INSERT INTO list (col, …) VALUES (…), (…): one item per row.
type Insert struct {
	// List is the list's name as written (quotes removed).
	List string
	// Columns are the column names as written, in order.
	Columns []string

	Rows   [][]Expr
	Params map[string]Placeholder
}

// Update is UPDATE list SET col = value, … [WHERE …].
type Update struct {
	// List is the list's name as written (quotes removed).
	List string

	Set    []Assignment
	Where  Expr // nil without WHERE
	Params map[string]Placeholder
}

// Delete is DELETE FROM list [WHERE …].
type Delete struct {
	// List is the list's name as written (quotes removed).
	List string

	Where  Expr
	Params map[string]Placeholder
}

type Assignment struct {
	Col string
	Val Expr
}

func (*Insert) statement() {}
func (*Update) statement() {}
func (*Delete) statement() {}

// NumInput counts the statement's placeholders as Select.NumInput does.
func (s *Insert) NumInput() int { return numInput(s.Params) }

// NumInput counts the statement's placeholders as Select.NumInput does.
func (s *Update) NumInput() int { return numInput(s.Params) }

// NumInput counts the statement's placeholders as Select.NumInput does.
func (s *Delete) NumInput() int { return numInput(s.Params) }

func numInput(params map[string]Placeholder) int { return (&Select{Params: params}).NumInput() }

// parseWrite parses INSERT, UPDATE and DELETE through the same parser as
// SELECT, and refuses everything outside the dialect: INSERT … SELECT,
// ON DUPLICATE KEY, multi-table forms, ORDER BY and LIMIT on writes.
func parseWrite(toks []token) (Statement, error) {
	text, params, spans := renderForParser(toks)
	st, err := sqlparser.ParseStrictDDL(text)
	if err != nil {
		return nil, syntaxError(err, spans, toks)
	}
	spelling := map[string]string{}
	for _, t := range toks {
		if t.kind == tkWord {
			if _, ok := spelling[strings.ToLower(t.text)]; !ok {
				spelling[strings.ToLower(t.text)] = t.text
			}
		}
	}
	respellName := func(s string) string {
		if w, ok := spelling[s]; ok && s == strings.ToLower(s) {
			return w
		}
		return s
	}
	listOf := func(tn sqlparser.TableName) (string, error) {
		if !tn.Qualifier.IsEmpty() {
			return "", fmt.Errorf("sqlparse: %s.%s cannot be written: only lists can", tn.Qualifier.String(), tn.Name.String())
		}
		return respellName(tn.Name.String()), nil
	}
	switch st := st.(type) {
	case *sqlparser.Insert:
		switch {
		case st.Action != sqlparser.InsertStr:
			return nil, errors.New("sqlparse: REPLACE is not supported: SharePoint has no keys to replace by; use UPDATE")
		case st.Ignore != "":
			return nil, errors.New("sqlparse: INSERT IGNORE is not supported")
		case len(st.OnDup) > 0:
			return nil, errors.New("sqlparse: ON DUPLICATE KEY UPDATE is not supported: SharePoint has no unique keys to collide on")
		case len(st.Columns) == 0:
			return nil, errors.New("sqlparse: INSERT needs its column list: INSERT INTO list (col, …) VALUES (…)")
		}
		list, err := listOf(st.Table)
		if err != nil {
			return nil, err
		}
		ins := &Insert{List: list, Params: params}
		for _, c := range st.Columns {
			ins.Columns = append(ins.Columns, respellName(c.String()))
		}
		values, ok := st.Rows.(sqlparser.Values)
		if !ok {
			return nil, errors.New("sqlparse: INSERT … SELECT is not supported; list the rows with VALUES")
		}
		for i, tuple := range values {
			if len(tuple) != len(ins.Columns) {
				return nil, fmt.Errorf("sqlparse: INSERT row %d has %d %s for %d %s (%s): give one value per column, in the same order",
					i+1, len(tuple), plural(len(tuple), "value", "values"), len(ins.Columns), plural(len(ins.Columns), "column", "columns"), strings.Join(ins.Columns, ", "))
			}
			row := make([]Expr, len(tuple))
			for j, e := range tuple {
				if row[j], err = convertExpr(e, params); err != nil {
					return nil, err
				}
			}
			ins.Rows = append(ins.Rows, row)
		}
		return ins, nil
	case *sqlparser.Update:
		if len(st.OrderBy) > 0 || st.Limit != nil {
			return nil, errors.New("sqlparse: ORDER BY and LIMIT are not supported on UPDATE; narrow the WHERE clause")
		}
		list, err := singleTable(st.TableExprs, "UPDATE")
		if err != nil {
			return nil, err
		}
		up := &Update{List: respellName(list), Params: params}
		for _, ue := range st.Exprs {
			if !ue.Name.Qualifier.IsEmpty() {
				return nil, fmt.Errorf("sqlparse: SET %s: name the column without a qualifier", sqlparser.String(ue.Name))
			}
			v, err := convertExpr(ue.Expr, params)
			if err != nil {
				return nil, err
			}
			up.Set = append(up.Set, Assignment{Col: respellName(ue.Name.Name.String()), Val: v})
		}
		if st.Where != nil {
			if up.Where, err = convertExpr(st.Where.Expr, params); err != nil {
				return nil, err
			}
		}
		return up, nil
	case *sqlparser.Delete:
		if len(st.OrderBy) > 0 || st.Limit != nil {
			return nil, errors.New("sqlparse: ORDER BY and LIMIT are not supported on DELETE; narrow the WHERE clause")
		}
		if len(st.Targets) > 0 || len(st.Partitions) > 0 {
			return nil, errors.New("sqlparse: multi-table DELETE is not supported; DELETE FROM one list")
		}
		list, err := singleTable(st.TableExprs, "DELETE")
		if err != nil {
			return nil, err
		}
		del := &Delete{List: respellName(list), Params: params}
		if st.Where != nil {
			if del.Where, err = convertExpr(st.Where.Expr, params); err != nil {
				return nil, err
			}
		}
		return del, nil
	}
	return nil, fmt.Errorf("sqlparse: %T statements are not supported", st)
}

// singleTable returns the one list an UPDATE or DELETE names.
func singleTable(exprs sqlparser.TableExprs, verb string) (string, error) {
	if len(exprs) != 1 {
		return "", fmt.Errorf("sqlparse: %s names one list; joins are not supported", verb)
	}
	ate, ok := exprs[0].(*sqlparser.AliasedTableExpr)
	if !ok {
		return "", fmt.Errorf("sqlparse: %s names one list; joins are not supported", verb)
	}
	tn, ok := ate.Expr.(sqlparser.TableName)
	if !ok || !tn.Qualifier.IsEmpty() {
		return "", fmt.Errorf("sqlparse: %s names one list", verb)
	}
	if !ate.As.IsEmpty() {
		return "", fmt.Errorf("sqlparse: %s does not take an alias for the list", verb)
	}
	return tn.Name.String(), nil
}

// plural is one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
