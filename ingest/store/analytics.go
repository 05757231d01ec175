package store

import (
	"time"

	"github.com/vigil-cctv/vigil/ingest/zones"
)

// CameraAnalytics is one camera's analytics settings: what counts as
// motion, where (named zones), what to ignore (exclusions) and what must
// never be shown (privacy masks). Polygons are in fractions of the frame.
type CameraAnalytics struct {
	Camera  string
	Enabled bool
	// Sensitivity 1 (only big, clear motion) to 10 (the slightest change).
	Sensitivity int
	// MinArea is the smallest moving blob counted, as a fraction of the frame.
	MinArea    float64
	Zones      []zones.Zone
	Exclusions []zones.Polygon
	Privacy    []zones.Polygon
	Updated    time.Time
	UpdatedBy  string
}

// Analytics defaults for a camera with no settings of its own.
const (
	DefaultSensitivity = 5
	DefaultMinArea     = 0.0015
)

// Event kinds.
const (
	EventMotion          = "motion"
	EventTamperMoved     = "tamper.moved"
	EventTamperCovered   = "tamper.covered"
	EventTamperDefocused = "tamper.defocused"
	EventTamperFrozen    = "tamper.frozen"
)

// Event is something analytics saw on a camera over a time: motion in a
// zone ("" is the whole frame) or a tamper condition. End is zero while it
// goes on.
type Event struct {
	ID     int64
	Camera string
	Kind   string
	Zone   string
	Start  time.Time
	End    time.Time
	// Peak is the largest moving area seen, as a fraction of the zone (motion),
	// or the detector's measure at its worst (tamper).
	Peak    float64
	Objects int
	Detail  string
	// Thumbnail is a small JPEG at the peak; the event lists leave it out.
	Thumbnail []byte
}

// Activity is one camera zone's motion over one 15-minute bucket: how many
// frames were analysed, how many had motion, and how many moving objects
// were tracked. Zone "" is the whole frame.
type Activity struct {
	Camera       string
	Zone         string
	Bucket       time.Time // start of the 15-minute bucket, UTC
	Frames       int
	MotionFrames int
	Objects      int
}

// ActivityBucket is the length of an activity bucket.
const ActivityBucket = 15 * time.Minute

// ActivityRetention is how long activity rows are kept.
const ActivityRetention = 366 * 24 * time.Hour

// AlertRule raises an alert when a zone's motion share in the last bucket
// is above Factor times its baseline (the same hour of the week over the
// past weeks) and at least MinShare, between HourFrom and HourTo (local
// hours, 0-24; HourFrom > HourTo wraps midnight).
type AlertRule struct {
	ID        int64
	Name      string
	Camera    string
	Zone      string
	Factor    float64
	MinShare  float64
	HourFrom  int
	HourTo    int
	Severity  string
	Enabled   bool
	CreatedBy string
	Created   time.Time
}

// Alert severities.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// Alert kinds.
const (
	AlertActivity = "activity" // an AlertRule fired
	AlertTamper   = "tamper"   // a tamper detector fired
)

// Alert is something an operator must see and acknowledge.
type Alert struct {
	ID       int64
	At       time.Time
	Camera   string
	Kind     string
	Rule     string // the rule's name, or the tamper event kind
	Severity string
	Message  string
	EventID  int64 // 0 when none
	// Plate and ReadID: the plate (normal form) and read an ANPR alert is
	// about ("" and 0 for others).
	Plate  string
	ReadID int64
	// Thumbnail is a small JPEG; lists leave it out.
	Thumbnail []byte
	Acked     time.Time // zero while unacknowledged
	AckedBy   string
	AckNote   string
}
