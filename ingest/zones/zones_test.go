package zones

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func poly(xy ...float64) Polygon {
	var p Polygon
	for i := 0; i+1 < len(xy); i += 2 {
		p = append(p, Point{xy[i], xy[i+1]})
	}
	return p
}

func TestValidateRefusesBadOutlines(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Polygon
		want string // "" valid
	}{
		{"square", poly(0.1, 0.1, 0.5, 0.1, 0.5, 0.5, 0.1, 0.5), ""},
		{"whole frame", poly(0, 0, 1, 0, 1, 1, 0, 1), ""},
		{"two points", poly(0.1, 0.1, 0.5, 0.5), "3 to"},
		{"bow tie", poly(0.1, 0.1, 0.5, 0.5, 0.5, 0.1, 0.1, 0.5), "crosses"},
		{"outside", poly(0.1, 0.1, 1.2, 0.1, 0.5, 0.5), "outside the frame"},
		{"negative", poly(-0.1, 0.1, 0.5, 0.1, 0.5, 0.5), "outside the frame"},
		{"NaN", poly(math.NaN(), 0.1, 0.5, 0.1, 0.5, 0.5), "outside the frame"},
		{"on a line", poly(0.1, 0.1, 0.3, 0.3, 0.5, 0.5), "almost nothing"},
		{"repeated point", poly(0.1, 0.1, 0.1, 0.1, 0.5, 0.5, 0.1, 0.5), "same"},
		{"sliver", poly(0.1, 0.1, 0.9, 0.1, 0.9, 0.1001), "almost nothing"},
	} {
		err := tc.p.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}

func TestValidateSetRefusesAMaskOverTheWholeFrame(t *testing.T) {
	whole := poly(0, 0, 1, 0, 1, 1, 0, 1)
	if err := ValidateSet(nil, nil, []Polygon{whole}); err == nil || !strings.Contains(err.Error(), "cover") {
		t.Errorf("whole-frame privacy mask: %v", err)
	}
	left, right := poly(0, 0, 0.5, 0, 0.5, 1, 0, 1), poly(0.5, 0, 1, 0, 1, 1, 0.5, 1)
	if err := ValidateSet(nil, []Polygon{left}, []Polygon{right}); err == nil {
		t.Error("an exclusion and a privacy mask covering the frame together were accepted")
	}
	door := Zone{Name: "Door", Points: poly(0.1, 0.1, 0.3, 0.1, 0.3, 0.4)}
	if err := ValidateSet([]Zone{door, door}, nil, nil); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate zone names: %v", err)
	}
	if err := ValidateSet([]Zone{{Name: "<b>", Points: door.Points}}, nil, nil); err == nil {
		t.Error("a zone named <b> was accepted")
	}
	if err := ValidateSet([]Zone{door}, []Polygon{left}, nil); err != nil {
		t.Error(err)
	}
}

func TestContainsAndJSON(t *testing.T) {
	sq := poly(0.2, 0.2, 0.6, 0.2, 0.6, 0.6, 0.2, 0.6)
	if !sq.Contains(Point{0.4, 0.4}) || sq.Contains(Point{0.1, 0.4}) || sq.Contains(Point{0.7, 0.7}) {
		t.Error("Contains is wrong on a square")
	}
	if a := sq.Area(); math.Abs(a-0.16) > 1e-9 {
		t.Errorf("area %v, want 0.16", a)
	}
	b, _ := json.Marshal(Zone{Name: "Z", Points: sq[:3]})
	if string(b) != `{"name":"Z","points":[[0.2,0.2],[0.6,0.2],[0.6,0.6]]}` {
		t.Errorf("JSON %s", b)
	}
	var z Zone
	if err := json.Unmarshal([]byte(`{"name":"Z","points":[[0.2,"x"]]}`), &z); err == nil {
		t.Error("a point with a string was accepted")
	}
}
