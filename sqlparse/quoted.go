package sqlparse

// markDoubleQuoted sets ColumnRef.DoubleQuoted on the one-part column
// references whose name the statement writes in double quotes and
// nowhere bare or in `…` or […]: WHERE Status = "Blocked" is a column
// named Blocked in this dialect, most likely meant as the text 'Blocked'.
// (The parser's AST keeps no positions, so a name written both ways is
// left unmarked.)
func markDoubleQuoted(st Statement, sql string) {
	toks, err := lex(sql)
	if err != nil {
		return
	}
	dq, other := map[string]bool{}, map[string]bool{}
	for _, t := range toks {
		switch {
		case t.kind == tkQuoted && t.text[0] == '"':
			dq[t.val] = true
		case t.kind == tkQuoted:
			other[t.val] = true
		case t.kind == tkWord:
			other[t.text] = true
		}
	}
	if len(dq) == 0 {
		return
	}
	var mark func(e Expr)
	var markSelect func(sel *Select)
	mark = func(e Expr) {
		Walk(e, func(n Expr) {
			switch n := n.(type) {
			case *ColumnRef:
				if len(n.Path) == 1 && dq[n.Path[0]] && !other[n.Path[0]] {
					n.DoubleQuoted = true
				}
			case *InSelect:
				markSelect(n.Sub)
			}
		})
	}
	markSelect = func(sel *Select) {
		if sel == nil {
			return
		}
		for _, it := range sel.Items {
			mark(it.Expr)
		}
		mark(sel.Where)
		mark(sel.Having)
		for _, g := range sel.GroupBy {
			mark(g)
		}
		for _, o := range sel.OrderBy {
			mark(o.Expr)
		}
		for _, j := range sel.Joins {
			mark(j.On)
		}
		if sel.Union != nil {
			for _, p := range sel.Union.Parts {
				markSelect(p)
			}
		}
	}
	switch st := st.(type) {
	case *Select:
		markSelect(st)
	case *Explain:
		markSelect(st.Select)
	case *Update:
		mark(st.Where)
		for _, a := range st.Set {
			mark(a.Val)
		}
	case *Delete:
		mark(st.Where)
	case *Insert:
		for _, row := range st.Rows {
			for _, e := range row {
				mark(e)
			}
		}
	}
}
