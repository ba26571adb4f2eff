// Package sqlparse is the driver's SQL dialect: Parse reads one statement
// into an AST (Select, Insert, Update, Delete, ShowTables, Describe,
// Explain), and BindArgs binds its placeholders; SplitStatements cuts a
// script into statements with the same lexer. It does no I/O and knows
// no list. This documentation describes the dialect and what its
// statements mean; the driver's engine (the internal/engine package)
// resolves a statement against the lists' fields, decides what goes to
// SharePoint and runs the rest, as described here.
//
// # Dialect
//
//	SELECT [DISTINCT] cols | * | list.* FROM list [[AS] alias]
//	  [WHERE …] [ORDER BY …] [LIMIT n [OFFSET m] | LIMIT m, n]
//	SELECT COUNT(*) FROM list [WHERE …]
//	SHOW TABLES; DESCRIBE list; DESC list; SHOW COLUMNS FROM list
//	EXPLAIN SELECT … | SHOW TABLES | DESCRIBE list
//	INSERT INTO list (col, …) VALUES (…)[, (…)…]
//	UPDATE list SET col = value, … [WHERE …]
//	DELETE FROM list [WHERE …]
//
// Writes take constant values: literals,
// placeholders, or expressions over them. A lookup or person is written
// through XId (a multi-value one takes a JSON array '[1,2]' or '1,2');
// MultiChoice takes a JSON array of strings; DateTime a time.Time or an
// ISO-8601 string, sent in UTC. Read-only fields are an error naming the
// field. UPDATE and DELETE without WHERE are refused unless they say
// WHERE 1=1 or the connection sets AllowFullTableWrites.
//
// Identifiers are bare (ASCII, or any letters, which are quoted for the
// parser), `backticked`, "double-quoted" or [bracketed]; reserved words
// (Order, Key, Values…) must be quoted. Strings are in single quotes, a
// quote inside doubled ("Blocked" is a column name, not text); a
// backslash is an ordinary character. A statement the parser cannot read
// is a *SyntaxError (errors.As) giving the line, column and token where
// it stopped, what was expected when that can be told, and the line with
// a caret under the spot. Lists are matched by title
// and columns by display name, internal name or entity property name,
// case-insensitively (a display name wins; when two fields share one, the
// internal name decides). A lookup or person column X reads its display value (the
// lookup's LookupField, a person's Title) through $expand; XId or X.Id its
// item ID; X.Y another field of the target (Author.EMail); a Hyperlink
// column X its URL and X.Description its description. t.X and list.X
// qualify a column by the list's alias or name.
//
// Placeholders are ? (positional) and :name or @name (sql.Named). A
// parameter is always a value: it is bound after parsing and reaches
// $filter only as one escaped literal, so it can never change the shape
// of a query.
//
// Reporting SQL — joins, GROUP BY, HAVING, aggregates, UNION and
// IN (SELECT …) — is planned the same way as a plain SELECT (see
// "Reporting queries" below). Unsupported SQL — RIGHT and NATURAL joins, JOIN … USING,
// EXISTS, scalar and correlated subqueries, subqueries in FROM, WITH,
// INSERT … SELECT — is an error that names it.
//
// # Functions
//
// Scalar functions are ordinary expressions, usable in the select list,
// WHERE, GROUP BY, HAVING and ORDER BY. Their argument types are checked before any
// request is sent ("SUBSTRING needs text, but Amount is NUMBER"); a NULL
// argument gives NULL except in COALESCE, IFNULL and CASE.
//
//	text     LOWER LCASE UPPER UCASE TRIM LTRIM RTRIM
//	         LENGTH CHAR_LENGTH (characters, not bytes)
//	         SUBSTRING SUBSTR (s, pos[, len]) or (s FROM pos [FOR len])
//	         CONCAT (NULL if any argument is NULL, as MySQL)
//	numbers  + - * / % MOD ABS ROUND(x[, d])
//	dates    YEAR MONTH DAY DAYOFMONTH DATE NOW() CURRENT_TIMESTAMP
//	         CURDATE() CURRENT_DATE UTC_TIMESTAMP() UTC_DATE()
//	other    COALESCE IFNULL CASE CAST(x AS t) CONVERT(x, t)
//
// SUBSTRING is MySQL's, in characters: pos counts from 1, or from the
// end when negative; pos 0, a pos beyond either end, or len ≤ 0 give the
// empty string; a len past the end stops there; a fractional pos or len
// is rounded.
// ROUND rounds half away from zero on the value as written (ROUND(2.675,
// 2) is 2.68 although the float64 is 2.67499…); d may be negative
// (ROUND(1250, -2) is 1300); an integer stays an integer. / always
// gives a NUMBER; MOD and % keep the dividend's sign.
//
// CASE WHEN c THEN v … [ELSE e] END takes the first true condition;
// CASE x WHEN v THEN r … END compares x with each v as = does (text
// case-insensitively; NULL never matches). Without ELSE, no match is
// NULL. The THEN and ELSE values must share a type (integers and
// numbers mix, as in COALESCE).
//
// CAST(x AS t) and CONVERT(x, t) take t among SIGNED [INTEGER], INTEGER,
// INT, BIGINT, UNSIGNED (an int64); DECIMAL[(m[, d])], DOUBLE, FLOAT,
// REAL (a float64; DECIMAL(m, d) rounds to d places, the others keep
// every digit); CHAR[(n)], VARCHAR, TEXT, NCHAR (text, as CONCAT writes
// values; CHAR(n) keeps n characters); DATE and DATETIME. A number
// becomes an integer by rounding half away from zero (CAST(2.5 AS
// SIGNED) is 3, as in MySQL); text must be a number (spaces around it
// allowed): unlike MySQL, which reads '12abc' as 12 and 'abc' as 0, any
// other text is an error, as is UNSIGNED of a negative number and a
// result beyond int64. DATE (and DATE(x)) is the calendar date as the
// evaluator sees the value (see Time), as midnight UTC; DATETIME is the
// instant; text for either is read as a date literal, in UTC. TIME,
// BINARY and JSON are refused.
//
// ODBC escapes are accepted anywhere an expression is: {fn f(…)} is
// f(…) ({fn CONVERT(x, SQL_INTEGER)} maps ODBC's SQL_* types onto the
// ones above), {d '2024-01-02'} is CAST('2024-01-02' AS DATE) and
// {ts '2024-01-02 10:00:00'} is CAST(… AS DATETIME).
//
// SharePoint's $filter has no functions that work on list items, so a
// WHERE part that calls one runs in the driver while the other AND-ed
// parts still go to $filter. CAST and DATE of constants, NOW() and
// CURDATE() are values, compared and pushed like literals.
//
// # What runs where
//
// A WHERE clause is split into its AND-ed parts. A part goes to $filter
// when SharePoint evaluates it exactly as SQL does: comparisons of Text,
// Number, Currency, Integer, Counter, DateTime columns; = and <> of
// Choice and Boolean columns, of single lookup/person IDs, and = of their
// display values; IS [NOT] NULL; LIKE 'abc', 'abc%' (startswith) and
// '%abc%' (substringof) on Text and Choice; IN (an or-chain of at most
// 1,500 characters; a longer list is checked in the driver), BETWEEN;
// AND, OR, and NOT pushed down to the comparisons. Everything else runs
// in the driver (the residual): Note, MultiChoice, multi-value lookups
// and persons, Calculated, Hyperlink, taxonomy and Guid columns, other
// LIKE patterns, NOT LIKE, functions, arithmetic, column-to-column
// comparisons, and any OR with such a branch. Which parts went where is
// in Plan.Explain.
//
// A SELECT of one list (no join, grouping or union) sends its ORDER BY
// as $orderby when every key is a Text, Number, Currency, Integer,
// Counter, DateTime or Boolean column; otherwise the driver sorts,
// keeping only the first OFFSET+LIMIT rows when there is a LIMIT. LIMIT
// becomes $top (OFFSET+LIMIT, since SharePoint ignores $skip on items)
// only when nothing in the driver can drop rows (no residual, sort or
// DISTINCT). A whole list's COUNT(*) is its ItemCount, read when the
// query runs.
//
// # Semantics of what the driver evaluates
//
// The driver evaluates with SQL's NULLs and three-valued logic, and
// compares strings case-insensitively as SharePoint does, so that a
// predicate means the same wherever it runs (multi-values compare as their JSON array text; LENGTH counts
// characters; division by zero and integer overflow are errors).
//
// # Reporting queries
//
//	SELECT exprs FROM list [AS a] [[INNER] JOIN | LEFT [OUTER] JOIN list [AS b] ON cond]…
//	  [WHERE cond] [GROUP BY expr|position|alias, …] [HAVING cond]
//	  [ORDER BY …] [LIMIT …]
//	SELECT … FROM list a, list b WHERE a.x = b.y …
//	SELECT … UNION [ALL] SELECT … [ORDER BY name|position] [LIMIT …]
//	… WHERE x [NOT] IN (SELECT col FROM …)
//
// Every SELECT — one list or several, grouped or not, a UNION,
// information_schema, SHOW TABLES and DESCRIBE — is planned into one tree
// of operators over one scan per list read (EXPLAIN prints it):
//
//   - Each list's scan gets the conjuncts of WHERE that read only that
//     list (except on the NULL-extended side of a LEFT JOIN, where they
//     stay above the join) and of its ON, and selects only the columns
//     used above it; its Plan pushes down what SharePoint can evaluate.
//   - A join's equalities between its list and the lists before it (in
//     ON, or in WHERE for inner joins) are hash keys; the rest of ON is
//     checked per matching pair. The side held in memory is the list
//     with fewer items (by the lists' ItemCount); holding the left side of a
//     LEFT JOIN returns its unmatched rows last. When the right key is the right list's ID and that list takes
//     more than a page, the left rows are held and the right list is read
//     by the IDs they name, 30 per request, when that takes
//     fewer requests than reading it all.
//   - Columns are named as in a plain SELECT; ambiguous names (Title in
//     both lists) must be qualified.
//   - Aggregates: COUNT(*), COUNT/SUM/AVG/MIN/MAX([DISTINCT] x). NULLs are
//     skipped; over no rows COUNT is 0 and the others NULL; SUM of
//     integers is an integer (overflow is an error), AVG a float; MIN and
//     MAX compare as ORDER BY does. GROUP BY keys compare as = does
//     (strings case-insensitively, NULLs together); groups come out in
//     the order first seen unless ORDER BY says otherwise. A column of
//     the select list, HAVING or ORDER BY must be a GROUP BY expression
//     or inside an aggregate. HAVING and ORDER BY may name select-list
//     aliases.
//   - UNION drops duplicate rows (as DISTINCT does), UNION ALL keeps them;
//     mixed, they apply left to right. Column types must agree (integers
//     and numbers mix as numbers). ORDER BY of a UNION names result
//     columns or positions.
//   - x IN (SELECT c …) runs the subquery once, before the query, into a
//     set; it cannot refer to the outer query. NULL semantics are SQL's:
//     NOT IN a set that holds NULL is never true.
//   - The connection's MaxMemoryRows caps the rows held at once (groups, a join's
//     held side, rows to sort — 2×(OFFSET+LIMIT)+8 at most with a LIMIT —,
//     DISTINCT and UNION keys, subquery values): beyond it, the query fails
//     with an error wrapping spsql.ErrMemoryLimit.
//   - A query whose context is cancelled or past its deadline stops
//     within a few thousand rows of work, in every operator.
//
// # Time
//
// SharePoint compares DateTime values in UTC. time.Time parameters are
// instants and are sent in UTC; literals ('2024-01-02 10:00') are UTC
// unless they carry an offset (RFC 3339). Date-only fields hold midnight
// in the site's time zone (its regional settings): a literal compared with
// such a field is read in that zone, a time.Time that is midnight in its
// own location means that calendar day there, and YEAR/MONTH/DAY and
// DATE read the field in that zone — so that a report is never a day
// off. A date such as DATE(x), CURDATE() or {d '…'} (midnight UTC)
// compared with a date-only field is that calendar day in the site's
// zone, as a literal is.
//
// NOW() and CURRENT_TIMESTAMP are the instant the statement was planned,
// in UTC, in whole seconds: one value however often a statement uses
// it. CURDATE() and CURRENT_DATE are today in the site's zone, so that DueDate = CURDATE() is "due today" there;
// DATE(NOW()) and UTC_DATE() are today in UTC, which differs from it for
// part of each day.
package sqlparse
