package track

import (
	"image"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
)

var t0 = time.Date(2026, 11, 24, 22, 30, 0, 0, time.UTC)

// read is an observation of text at box, every character at probability
// p except the misread ones: misread[i] is a character given 0.6 over the
// right one's 0.35.
func read(at time.Duration, box image.Rectangle, text string, p float32, misread map[int]byte) Observation {
	o := Observation{At: t0.Add(at), Box: box, Conf: p}
	shown := []byte(text)
	for i := range text {
		probs := make([]float32, ukplate.Reject+1)
		right := strings.IndexByte(ukplate.Alphabet, text[i])
		if w, ok := misread[i]; ok {
			probs[strings.IndexByte(ukplate.Alphabet, w)] = 0.6
			probs[right] = 0.35
			shown[i] = w
		} else {
			probs[right] = p
		}
		o.Probs = append(o.Probs, probs)
	}
	o.Text = string(shown)
	return o
}

// at is a 60x14 plate box centred at x, y.
func at(x, y int) image.Rectangle { return image.Rect(x-30, y-7, x+30, y+7) }

const frame = 80 * time.Millisecond

func TestOnePassageOutvotesMisreads(t *testing.T) {
	var tr Tracker
	var got []Passage
	for i := range 12 {
		var mis map[int]byte
		if i%4 == 1 { // a quarter of the frames read the B as 8
			mis = map[int]byte{1: '8'}
		}
		got = append(got, tr.Add(t0.Add(time.Duration(i)*frame), []Observation{read(time.Duration(i)*frame, at(100+40*i, 200), "AB12CDE", 0.9, mis)})...)
	}
	if len(got) != 0 {
		t.Fatalf("passage before the plate left: %+v", got)
	}
	got = tr.Add(t0.Add(3*time.Second), nil)
	if len(got) != 1 {
		t.Fatalf("%d passages, want 1", len(got))
	}
	p := got[0]
	if p.Text != "AB12 CDE" || p.Frames != 12 || p.Direction != "left-to-right" || !p.First.Equal(t0) || !p.Last.Equal(t0.Add(11*frame)) {
		t.Fatalf("passage %+v", p)
	}
	if p.CharConf[1] < 0.5 {
		t.Errorf("voted B confidence %v", p.CharConf[1])
	}
	if tr.Open() != 0 {
		t.Errorf("%d tracks still open", tr.Open())
	}
}

func TestTwoVehiclesCrossing(t *testing.T) {
	tr := Tracker{}
	var got []Passage
	for i := range 10 {
		d := time.Duration(i) * frame
		got = append(got, tr.Add(t0.Add(d), []Observation{
			read(d, at(100+50*i, 150), "LB07ABC", 0.92, nil),
			read(d, at(600-50*i, 160), "YK19RXT", 0.88, nil),
		})...)
	}
	got = append(got, tr.Flush()...)
	texts := map[string]string{}
	for _, p := range got {
		texts[p.Text] = p.Direction
	}
	if len(got) != 2 || texts["LB07 ABC"] != "left-to-right" || texts["YK19 RXT"] != "right-to-left" {
		t.Fatalf("passages %v", texts)
	}
}

func TestLoneReads(t *testing.T) {
	tr := Tracker{}
	doubtful := tr.Add(t0, []Observation{read(0, at(100, 100), "AB12CDE", 0.6, nil)})
	doubtful = append(doubtful, tr.Flush()...)
	if len(doubtful) != 0 {
		t.Errorf("a lone doubtful read made a passage: %+v", doubtful)
	}
	sure := tr.Add(t0, []Observation{read(0, at(100, 100), "AB12CDE", 0.97, nil)})
	sure = append(sure, tr.Flush()...)
	if len(sure) != 1 || sure[0].Frames != 1 || sure[0].Direction != "" {
		t.Errorf("a lone sure read: %+v", sure)
	}
}

// TestGapSplitsPassages: a plate gone longer than ReappearWithin and seen
// again is a new passage, even in the same place (a vehicle that came back).
func TestGapSplitsPassages(t *testing.T) {
	tr := Tracker{}
	var got []Passage
	for _, d := range []time.Duration{0, frame, 2 * frame, 8 * time.Second, 8*time.Second + frame} {
		got = append(got, tr.Add(t0.Add(d), []Observation{read(d, at(300, 200), "AB12CDE", 0.9, nil)})...)
	}
	got = append(got, tr.Flush()...)
	if len(got) != 2 || got[0].Frames != 3 || got[1].Frames != 2 {
		t.Fatalf("passages %+v", got)
	}
}

func TestExtraCharacterFrameOutvoted(t *testing.T) {
	tr := Tracker{}
	for i := range 6 {
		d := time.Duration(i) * frame
		text := "AB12CDE"
		if i == 2 {
			text = "AB12CDE1" // a bolt read as a character in one frame
		}
		tr.Add(t0.Add(d), []Observation{read(d, at(200+10*i, 200), text, 0.9, nil)})
	}
	got := tr.Flush()
	if len(got) != 1 || got[0].Text != "AB12 CDE" || got[0].Frames != 6 {
		t.Fatalf("passages %+v", got)
	}
}

func TestKeepsOnlyTheSurestPictures(t *testing.T) {
	tr := Tracker{}
	pic := func(v uint8) image.Image {
		g := image.NewGray(image.Rect(0, 0, 1, 1))
		g.Pix[0] = v
		return g
	}
	for i, c := range []float32{0.8, 0.95, 0.85} {
		o := read(time.Duration(i)*frame, at(200, 200), "AB12CDE", c, nil)
		o.Crop, o.Thumb = pic(uint8(i)), pic(uint8(i))
		tr.Add(o.At, []Observation{o})
	}
	for i, o := range tr.open[0].obs {
		if (o.Crop != nil) != (i == 1) {
			t.Errorf("frame %d keeps its crop: %v", i, o.Crop != nil)
		}
	}
	got := tr.Flush()
	if len(got) != 1 || got[0].Crop.(*image.Gray).Pix[0] != 1 || !got[0].Best.Equal(t0.Add(frame)) {
		t.Fatalf("passage %+v", got)
	}
}

func TestMaxTracksBound(t *testing.T) {
	tr := Tracker{MaxTracks: 3, SureConf: 0.5}
	var got []Passage
	for i, text := range []string{"AB12CDE", "XY34ZZZ", "LM56NOP", "GH78JKL"} {
		got = append(got, tr.Add(t0, []Observation{read(0, at(100*i+50, 100*i+50), text, 0.9, nil)})...)
	}
	if tr.Open() != 3 || len(got) != 1 || got[0].Text != "AB12 CDE" {
		t.Fatalf("open %d, closed early %+v", tr.Open(), got)
	}
}

// TestFragmentsOfAPlateAreNotPassages: in some frames the reader sees a
// plate's two groups apart, each a valid-looking short mark; those are not
// vehicles of their own, whichever closes first.
func TestFragmentsOfAPlateAreNotPassages(t *testing.T) {
	var tr Tracker
	var got []Passage
	for i := range 12 {
		d := time.Duration(i) * frame
		obs := []Observation{read(d, at(200+20*i, 200), "YK19RXT", 0.9, nil)}
		if i >= 3 && i < 6 { // the halves, apart, in three frames
			obs = []Observation{read(d, at(185+20*i, 200), "YK19", 0.9, nil), read(d, at(215+20*i, 200), "9RXT", 0.9, nil)}
		}
		got = append(got, tr.Add(t0.Add(d), obs)...)
	}
	got = append(got, tr.Add(t0.Add(5*time.Second), nil)...)
	if len(got) != 1 || got[0].Text != "YK19 RXT" {
		t.Fatalf("passages %v, want YK19 RXT alone", plainsOf(got))
	}
	// A short mark elsewhere in the picture is a vehicle of its own.
	var tr2 Tracker
	got = nil
	for i := range 6 {
		d := time.Duration(i) * frame
		got = append(got, tr2.Add(t0.Add(d), []Observation{read(d, at(100+20*i, 100), "YK19RXT", 0.9, nil), read(d, at(600-20*i, 300), "A1", 0.95, nil)})...)
	}
	got = append(got, tr2.Flush()...)
	if len(got) != 2 {
		t.Fatalf("passages %v, want YK19 RXT and A 1", plainsOf(got))
	}
}

func plainsOf(ps []Passage) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Text)
	}
	return out
}

// TestHiddenVehicleIsOnePassage: a plate lost behind another vehicle for
// longer than MaxGap and seen again ahead of where it was lost continues
// its passage; the same plate coming in again at the start is a new pass.
func TestHiddenVehicleIsOnePassage(t *testing.T) {
	var tr Tracker
	var got []Passage
	step := func(d time.Duration, x int) {
		got = append(got, tr.Add(t0.Add(d), []Observation{read(d, at(x, 200), "LB07ABC", 0.9, nil)})...)
	}
	for i := range 5 { // seen, moving right
		step(time.Duration(i)*frame, 100+20*i)
	}
	// hidden 2.5 s (longer than MaxGap), seen again further right
	for i := range 5 {
		step(2500*time.Millisecond+time.Duration(i)*frame, 260+20*i)
	}
	got = append(got, tr.Add(t0.Add(10*time.Second), nil)...)
	if len(got) != 1 {
		t.Fatalf("a hidden vehicle made %d passages, want 1", len(got))
	}
	// The same plate coming in again at the left, 3 s after it left: a new pass.
	for i := range 5 {
		step(13*time.Second+time.Duration(i)*frame, 100+20*i)
	}
	got = append(got, tr.Flush()...)
	if len(got) != 2 {
		t.Fatalf("%d passages, want 2 (the second pass counted)", len(got))
	}
}

// TestVoteAny reads each position's likeliest character, dropping "not a
// character", with no syntax: region any.
func TestVoteAny(t *testing.T) {
	probs := read(0, at(0, 0), "XQ7", 0.9, nil).Probs
	reject := make([]float32, ukplate.Reject+1)
	reject[ukplate.Reject] = 0.9
	plain, spaced, confs, ok := VoteAny(append(probs, reject))
	if !ok || plain != "XQ7" || spaced != "XQ7" || len(confs) != 3 || confs[0] != 0.9 {
		t.Fatalf("VoteAny = %q %q %v %v", plain, spaced, confs, ok)
	}
	if _, _, _, ok := VoteAny([][]float32{reject}); ok {
		t.Fatal("VoteAny read a plate from no characters")
	}
}
