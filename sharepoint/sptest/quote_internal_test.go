package sptest

import "testing"

func TestQuoteConnValue(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a plain value is left alone", "abc8Q~x.y_z-", "abc8Q~x.y_z-"},
		{"a semicolon is braced", "a;b", "{a;b}"},
		{"an opening brace is braced", "a{b", "{a{b}"},
		{"a closing brace is doubled inside braces", "a}b", "{a}}b}"},
		{"surrounding spaces are braced", " a ", "{ a }"},
		{"an empty value stays empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := quoteConnValue(tc.in); got != tc.want {
				t.Errorf("quoteConnValue(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestNewClientSecretLooksLikeEntras(t *testing.T) {
	s := newClientSecret()
	if len(s) != 40 || s[3:6] != "8Q~" {
		t.Errorf("secret has length %d and marker %q", len(s), s[3:6])
	}
}
