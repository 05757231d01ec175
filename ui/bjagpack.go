package ui

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-cctv/vigil/ingest/tasking"
	"github.com/vigil-cctv/vigil/ui/pdf"
)

// pack answers the monthly BJAG pack of ?month=YYYY-MM (default this
// month) as JSON, or as a download with ?format=csv or pdf.
func (a *deploymentAPI) pack(w http.ResponseWriter, r *http.Request) {
	month := a.gate.now()
	if v := r.URL.Query().Get("month"); v != "" {
		t, err := time.ParseInLocation("2006-01", v, london)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("month: %q is not a month (2026-11)", v), nil)
			return
		}
		month = t
	}
	p, err := a.flow.Pack(r.Context(), month)
	if err != nil {
		a.fail(w, err)
		return
	}
	name := "bjag-pack-" + p.Month
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		writeJSON(w, http.StatusOK, p)
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		writePackCSV(w, p)
	case "pdf":
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.pdf"`)
		w.Write(packPDF(p))
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("format: %q must be json, csv or pdf", f), nil)
	}
}

// day is a London date, or "" for none.
func day(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(london).Format("2006-01-02")
}

// figures is a before/after column: score, motion %, rule hits.
func figures(f *tasking.PackFigures) (score, motion, hits string) {
	if f == nil {
		return "", "", ""
	}
	return strconv.FormatFloat(f.Score, 'f', 2, 64), strconv.FormatFloat(100*f.MotionShare, 'f', 1, 64), strconv.Itoa(f.RuleHits)
}

func monthEvents(r tasking.PackRow) string {
	s := ""
	for _, e := range []struct {
		on   bool
		what string
	}{{r.Requested, "requested"}, {r.Live, "live"}, {r.Reviewed, "reviewed"}, {r.Removed, "removed"}} {
		if e.on {
			if s != "" {
				s += " "
			}
			s += e.what
		}
	}
	return s
}

// writePackCSV writes the deployments, then the hotspots, as one CSV table
// each with a header line (a blank line between).
func writePackCSV(w http.ResponseWriter, p tasking.Pack) {
	c := csv.NewWriter(w)
	c.Write([]string{"deployment", "state", "this month", "problem", "address", "ward", "camera", "requested", "live", "review",
		"removed", "score before", "motion % before", "rule hits before", "score after", "motion % after", "rule hits after"})
	for _, r := range p.Rows {
		bs, bm, bh := figures(r.Before)
		as, am, ah := figures(r.After)
		c.Write([]string{strconv.FormatInt(r.ID, 10), r.State, monthEvents(r), r.Problem, csvSafe(r.Address), csvSafe(r.Ward),
			r.Camera, day(&r.RequestedAt), day(r.LiveAt), day(r.ReviewDate), day(r.RemovedAt), bs, bm, bh, as, am, ah})
	}
	c.Write(nil)
	c.Write([]string{"hotspot ward", "score", "motion %", "rule hits"})
	for _, h := range p.Hotspots {
		c.Write([]string{csvSafe(h.Label), strconv.FormatFloat(h.Score, 'f', 2, 64),
			strconv.FormatFloat(100*h.MotionShare, 'f', 1, 64), strconv.Itoa(h.RuleHits)})
	}
	c.Flush()
}

// packPDF is the pack as a printable report.
func packPDF(p tasking.Pack) []byte {
	var d pdf.Doc
	from, to := p.From.In(london), p.To.In(london)
	d.Line(pdf.Title, "BJAG monthly pack: "+from.Format("January 2006"))
	d.Line(pdf.Body, fmt.Sprintf("Mobile camera deployments and hotspots, %s to %s (London). Generated %s.",
		from.Format("2 Jan 2006"), to.Format("2 Jan 2006 15:04"), p.Generated.In(london).Format("2 Jan 2006 15:04")))
	d.Line(pdf.Body, fmt.Sprintf("Live: %d   Requested: %d   Reviewed: %d   Removed: %d",
		p.Counts.Live, p.Counts.Requested, p.Counts.Reviewed, p.Counts.Removed))
	d.Gap()
	d.Line(pdf.Heading, "Deployments")
	d.Line(pdf.Mono, pdf.Pad("#", 5)+pdf.Pad("state", 18)+pdf.Pad("problem", 18)+pdf.Pad("address", 26)+pdf.Pad("camera", 9)+
		pdf.Pad("live", 11)+"review")
	for _, r := range p.Rows {
		d.Line(pdf.Mono, pdf.Pad(strconv.FormatInt(r.ID, 10), 5)+pdf.Pad(r.State, 18)+pdf.Pad(r.Problem, 18)+pdf.Pad(r.Address, 26)+
			pdf.Pad(r.Camera, 9)+pdf.Pad(day(r.LiveAt), 11)+day(r.ReviewDate))
		if r.Before != nil || r.After != nil {
			bs, bm, bh := figures(r.Before)
			as, am, ah := figures(r.After)
			d.Line(pdf.Mono, fmt.Sprintf("     activity before: score %s, motion %s%%, rule hits %s;  since: score %s, motion %s%%, rule hits %s",
				or(bs), or(bm), or(bh), or(as), or(am), or(ah)))
		}
	}
	if len(p.Rows) == 0 {
		d.Line(pdf.Body, "No deployment was requested, live or removed this month.")
	}
	d.Gap()
	d.Line(pdf.Heading, "Top hotspots (wards, by score)")
	d.Line(pdf.Mono, pdf.Pad("ward", 30)+pdf.Pad("score", 8)+pdf.Pad("motion %", 10)+"rule hits")
	for _, h := range p.Hotspots {
		d.Line(pdf.Mono, pdf.Pad(h.Label, 30)+pdf.Pad(strconv.FormatFloat(h.Score, 'f', 2, 64), 8)+
			pdf.Pad(strconv.FormatFloat(100*h.MotionShare, 'f', 1, 64), 10)+strconv.Itoa(h.RuleHits))
	}
	d.Gap()
	d.Line(pdf.Body, "Score: motion against the usual for those hours of the week, plus 1 per nuisance-vehicle rule hit.")
	return d.Bytes()
}

func or(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
