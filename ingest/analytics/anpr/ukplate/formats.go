package ukplate

// Formats is every layout of UK mark the reader accepts, each
// variable-length family spelt out at each of its lengths.
var Formats = buildFormats()

// Shares of the vehicles on the road by family (current marks are most of
// them; the rest are older or cherished marks), split evenly among each
// family's lengths.
const (
	shareCurrent  = 0.86
	sharePrefix   = 0.07
	shareSuffix   = 0.015
	shareDateless = 0.03
	shareNI       = 0.025
)

func buildFormats() []Format {
	rep := func(c Class, n int) []Class {
		g := make([]Class, n)
		for i := range g {
			g[i] = c
		}
		return g
	}
	// serial is n digits without a leading zero.
	serial := func(n int) []Class { return append([]Class{nonZero}, rep(digit, n-1)...) }

	fs := []Format{{
		Name:   "current", // AB12 CDE
		Groups: [][]Class{{area, areaOffice, digit, digit}, rep(randomLetter, 3)},
		Prior:  shareCurrent,
	}}
	for n := 1; n <= 3; n++ { // A123 BCD
		fs = append(fs, Format{Name: "prefix",
			Groups: [][]Class{append([]Class{yearLetter}, serial(n)...), rep(randomLetter, 3)},
			Prior:  sharePrefix / 3})
	}
	for n := 1; n <= 3; n++ { // ABC 123D
		fs = append(fs, Format{Name: "suffix",
			Groups: [][]Class{rep(gbLetter, 3), append(serial(n), yearLetter)},
			Prior:  shareSuffix / 3})
	}
	for l := 1; l <= 3; l++ { // ABC 1234 and 1234 ABC
		for d := 1; d <= 4; d++ {
			fs = append(fs,
				Format{Name: "dateless", Groups: [][]Class{rep(gbLetter, l), serial(d)}, Prior: shareDateless / 24},
				Format{Name: "dateless", Groups: [][]Class{serial(d), rep(gbLetter, l)}, Prior: shareDateless / 24})
		}
	}
	for l := 2; l <= 3; l++ { // ABZ 1234, IA 123
		for d := 1; d <= 4; d++ {
			fs = append(fs, Format{Name: "northern-ireland",
				Groups:  [][]Class{rep(niLetter, l), serial(d)},
				Prior:   shareNI / 8,
				niCheck: true})
		}
	}
	return fs
}
