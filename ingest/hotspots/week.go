package hotspots

import (
	"time"
	_ "time/tzdata" // Europe/London even where the system has no zoneinfo
)

// BaselineWeeks is how many past weeks the baseline looks back over.
const BaselineWeeks = 4

// London is the control room's time zone, where hours of the week are
// counted.
func London() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err) // embedded by time/tzdata: cannot happen
	}
	return loc
}

// weeksLater is t moved by n weeks on the local calendar, so that it keeps
// its local weekday and hour across a GMT/BST change (168 hours would not).
func weeksLater(t time.Time, n int, loc *time.Location) time.Time {
	return t.In(loc).AddDate(0, 0, 7*n).UTC()
}

// hourOfWeek is t's local weekday (Monday 0 to Sunday 6) and hour.
func hourOfWeek(t time.Time, loc *time.Location) (dow, hour int) {
	l := t.In(loc)
	return (int(l.Weekday()) + 6) % 7, l.Hour()
}
