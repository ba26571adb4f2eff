package sharepoint

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// An exported field of an unexported type can be read but not named by
// a caller (no variable of its type, no conversion): every exported
// field of an exported type must have an exported type, here and in
// sptest.
func TestNoExportedFieldHasAnUnexportedType(t *testing.T) {
	for _, dir := range []string{".", "sptest"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		var parsed []*ast.File
		unexported := map[string]bool{} // the package's unexported type names
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			parsed = append(parsed, f)
			for _, d := range f.Decls {
				if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
					for _, s := range g.Specs {
						if ts := s.(*ast.TypeSpec); !ts.Name.IsExported() {
							unexported[ts.Name.Name] = true
						}
					}
				}
			}
		}
		if len(parsed) == 0 {
			t.Fatalf("no Go files in %s", dir)
		}
		for _, f := range parsed {
			ast.Inspect(f, func(n ast.Node) bool {
				ts, ok := n.(*ast.TypeSpec)
				if !ok || !ts.Name.IsExported() {
					return true
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					return true
				}
				for _, fl := range st.Fields.List {
					for _, name := range fl.Names {
						if bad := unexportedIn(fl.Type, unexported); name.IsExported() && bad != "" {
							t.Errorf("%s: %s.%s has the unexported type %s", fset.Position(fl.Pos()), ts.Name.Name, name.Name, bad)
						}
					}
				}
				return true
			})
		}
	}
}

// unexportedIn returns an unexported type of the package that the type
// expression e uses, or "".
func unexportedIn(e ast.Expr, unexported map[string]bool) string {
	fieldTypes := func(l *ast.FieldList) string {
		if l == nil {
			return ""
		}
		for _, f := range l.List {
			if bad := unexportedIn(f.Type, unexported); bad != "" {
				return bad
			}
		}
		return ""
	}
	switch e := e.(type) {
	case *ast.Ident:
		if unexported[e.Name] {
			return e.Name
		}
	case *ast.StarExpr:
		return unexportedIn(e.X, unexported)
	case *ast.ArrayType:
		return unexportedIn(e.Elt, unexported)
	case *ast.MapType:
		if bad := unexportedIn(e.Key, unexported); bad != "" {
			return bad
		}
		return unexportedIn(e.Value, unexported)
	case *ast.ChanType:
		return unexportedIn(e.Value, unexported)
	case *ast.FuncType:
		if bad := fieldTypes(e.Params); bad != "" {
			return bad
		}
		return fieldTypes(e.Results)
	case *ast.StructType:
		return fieldTypes(e.Fields)
	case *ast.IndexExpr:
		if bad := unexportedIn(e.X, unexported); bad != "" {
			return bad
		}
		return unexportedIn(e.Index, unexported)
	}
	return ""
}
