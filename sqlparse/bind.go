package sqlparse

import (
	"database/sql/driver"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// BindArgs maps each placeholder of the statement (by bind name) to its
// argument's value, normalised to the evaluator's types: string, int64,
// float64, bool, time.Time (UTC) or nil. A positional ? number k takes
// the k-th argument; :name and @name take the argument named name
// (sql.Named). Every argument must be used: a stray one is a mistake
// (a misspelt name) more often than not.
func BindArgs(params map[string]Placeholder, args []driver.NamedValue) (map[string]any, error) {
	values := make(map[string]any, len(params))
	used := make([]bool, len(args))
	positional := 0 // how many ? the statement has
	for _, p := range params {
		positional = max(positional, p.ordinal)
	}
	for bind, p := range params {
		i := -1
		if p.name == "" {
			if p.ordinal <= len(args) {
				i = p.ordinal - 1
				if args[i].Name != "" {
					return nil, fmt.Errorf("sqlparse: placeholder ? number %d got the named argument %q; use :%s in the query or pass it unnamed", p.ordinal, args[i].Name, args[i].Name)
				}
			}
			if i < 0 {
				return nil, fmt.Errorf("sqlparse: the query has %s but got %s: pass one argument per ?, in order",
					count(positional, "? placeholder", "? placeholders"), count(len(args), "argument", "arguments"))
			}
		} else {
			for j, a := range args {
				if a.Name == p.name {
					i = j
					break
				}
			}
			if i < 0 {
				for j, a := range args {
					if strings.EqualFold(a.Name, p.name) {
						if i >= 0 {
							return nil, fmt.Errorf("sqlparse: arguments %q and %q both match :%s; names are matched exactly first, then ignoring case", args[i].Name, a.Name, p.name)
						}
						i = j
					}
				}
			}
			if i < 0 {
				var given []string
				for _, a := range args {
					if a.Name != "" {
						given = append(given, strconv.Quote(a.Name))
					}
				}
				also := ""
				if len(given) > 0 {
					also = " (the named arguments given are " + strings.Join(given, ", ") + ")"
				}
				return nil, fmt.Errorf("sqlparse: no argument named %q for the placeholder of that name: pass sql.Named(%q, value)%s", p.name, p.name, also)
			}
		}
		used[i] = true
		v, err := normaliseArg(args[i].Value)
		if err != nil {
			return nil, fmt.Errorf("sqlparse: %s: %w", describeArg(args[i]), err)
		}
		values[bind] = v
	}
	for i, u := range used {
		if !u {
			if args[i].Name != "" {
				return nil, fmt.Errorf("sqlparse: %s is not used by the query: it has no placeholder :%s or @%s", describeArg(args[i]), args[i].Name, args[i].Name)
			}
			return nil, fmt.Errorf("sqlparse: %s is not used by the query, which has %s: remove the argument or add a ?", describeArg(args[i]), count(positional, "? placeholder", "? placeholders"))
		}
	}
	return values, nil
}

// count is "1 thing" or "n things".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func describeArg(a driver.NamedValue) string {
	if a.Name != "" {
		return fmt.Sprintf("argument %q", a.Name)
	}
	return fmt.Sprintf("argument %d", a.Ordinal)
}

// normaliseArg converts an argument to the evaluator's types. Times are
// instants and become UTC (SharePoint compares in UTC); []byte must be
// UTF-8 text. driver.Valuer values are asked for their value first.
func normaliseArg(v any) (any, error) {
	for range 8 { // a Valuer may return another Valuer; stop cycles
		vr, ok := v.(driver.Valuer)
		if !ok {
			break
		}
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return nil, nil
		}
		var err error
		if v, err = vr.Value(); err != nil {
			return nil, err
		}
	}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return x, nil
	case []byte:
		if x == nil {
			return nil, nil
		}
		if !utf8.Valid(x) {
			return nil, fmt.Errorf("[]byte values must be UTF-8 text; SharePoint lists hold no binary columns")
		}
		return string(x), nil
	case bool:
		return x, nil
	case int64:
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%v is not a number SharePoint can compare", x)
		}
		return x, nil
	case float32:
		return normaliseArg(float64(x))
	case time.Time:
		return x.UTC(), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("%d does not fit in a 64-bit integer", u)
		}
		return int64(u), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Float32, reflect.Float64:
		return normaliseArg(rv.Float())
	case reflect.Pointer:
		if rv.IsNil() {
			return nil, nil
		}
		return normaliseArg(rv.Elem().Interface())
	}
	return nil, fmt.Errorf("unsupported type %T (use string, integers, floats, bool, time.Time, []byte or nil)", v)
}
