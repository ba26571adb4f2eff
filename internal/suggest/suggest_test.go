package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"clientsecert", "clientsecret", 1}, // a swap is one edit
		{"titel", "title", 1},
		{"kitten", "sitting", 3},
		{"Zürich", "Zurich", 1}, // runes, not bytes
		{"status", "status", 0},
	} {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetry)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestMaxDistance(t *testing.T) {
	for name, want := range map[string]int{"x": 2, "Title": 2, "ClientSecert": 4, "Percent Complete": 5} {
		if got := MaxDistance(name); got != want {
			t.Errorf("MaxDistance(%q) = %d, want %d", name, got, want)
		}
	}
}
