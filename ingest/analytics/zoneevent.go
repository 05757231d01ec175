package analytics

import "time"

// zoneEvent turns per-picture "motion here or not" into motion events: an
// event starts on the second picture in a row with motion (one noisy
// picture is not an event) and ends when the zone has been still for hold.
type zoneEvent struct {
	hold time.Duration

	run     int       // pictures in a row with motion
	firstAt time.Time // first picture of the current run
	open    bool
	start   time.Time
	last    time.Time // last picture with motion in the open event
	peak    float64
	objects int
}

// eventChange is what one picture did to a zone's event.
type eventChange int

const (
	eventNone eventChange = iota
	eventStarted
	eventPeak // a new peak (worth a new thumbnail)
	eventEnded
)

// observe takes one analysed picture at t with the zone's moving share.
func (z *zoneEvent) observe(t time.Time, moving bool, share float64) eventChange {
	if !moving {
		z.run = 0
		if z.open && t.Sub(z.last) >= z.hold {
			z.open = false
			return eventEnded
		}
		return eventNone
	}
	if z.run == 0 {
		z.firstAt = t
	}
	z.run++
	if z.open {
		z.last = t
		if share > z.peak {
			z.peak = share
			return eventPeak
		}
		return eventNone
	}
	if z.run < 2 {
		return eventNone
	}
	z.open, z.start, z.last, z.peak, z.objects = true, z.firstAt, t, share, 0
	return eventStarted
}

// activity counts one camera zone's motion in the current 15-minute bucket
// since the last flush (deltas: the store adds them up).
type activity struct {
	bucket       time.Time
	frames       int
	motionFrames int
	objects      int
}

func (a *activity) empty() bool { return a.frames == 0 && a.objects == 0 }
