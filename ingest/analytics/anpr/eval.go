package anpr

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/charimg"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
)

// MatchIoU is the overlap a detection needs with a ground-truth plate box
// to count as finding it. 0.3, not the usual 0.5: truth boxes are the whole
// plate, ours are drawn from the characters with a margin, and on small
// plates a few pixels of disagreement cost a lot of IoU.
const MatchIoU = 0.3

// Report is an evaluation's figures.
type Report struct {
	Dir    string   `json:"dir"`
	Layout string   `json:"layout"` // "scenes" (openalpr benchmark), "chars" (CLASS-*.jpg), "labels" (plategen labels.csv)
	Region string   `json:"region"`
	Files  int      `json:"files"`
	Failed []string `json:"failed,omitempty"` // files that could not be read, with why

	// Scenes.
	Plates     int     `json:"plates,omitempty"`     // ground-truth plates
	Detections int     `json:"detections,omitempty"` // plates the reader reported
	Found      int     `json:"found,omitempty"`      // truths matched by a detection (IoU >= MatchIoU)
	Read       int     `json:"read,omitempty"`       // truths read exactly (spaces ignored) by an overlapping detection
	Recall     float64 `json:"recall,omitempty"`
	Precision  float64 `json:"precision,omitempty"`
	Accuracy   float64 `json:"accuracy"` // Read/Plates, or characters right/characters
	MsPerFile  float64 `json:"ms_per_file"`

	// Characters.
	Chars    int                   `json:"chars,omitempty"`
	Correct  int                   `json:"correct,omitempty"`
	PerClass map[string]ClassScore `json:"per_class,omitempty"`
	Misses   []string              `json:"misses,omitempty"` // scenes: "file: want X, read Y"
}

// ClassScore is one character class's accuracy.
type ClassScore struct {
	N        int     `json:"n"`
	Correct  int     `json:"correct"`
	Accuracy float64 `json:"accuracy"`
}

// Eval scores the reader on a folder: the openalpr benchmark layout
// (NAME.jpg + NAME.txt), single-character crops named CLASS-*.jpg, or a
// plategen characters set (labels.csv). region is as in Options.
func Eval(dir, region string) (Report, error) {
	r, err := New(Options{Region: region})
	if err != nil {
		return Report{}, err
	}
	defer r.Close()
	return r.Eval(dir)
}

// Eval is the package Eval with this reader.
func (r *Reader) Eval(dir string) (Report, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Dir: dir, Region: r.opts.Region}
	var scenes, chars []string
	hasLabels := false
	for _, e := range ents {
		n := e.Name()
		switch {
		case n == "labels.csv":
			hasLabels = true
		case !e.Type().IsRegular():
		case strings.HasSuffix(strings.ToLower(n), ".txt"):
			scenes = append(scenes, n)
		case isPicture(n) && len(n) > 2 && n[1] == '-' && strings.ContainsRune(charimg.Classes, rune(n[0])):
			chars = append(chars, n)
		}
	}
	start := time.Now()
	switch {
	case len(scenes) > 0:
		rep.Layout = "scenes"
		err = r.evalScenes(dir, scenes, &rep)
	case hasLabels:
		rep.Layout = "labels"
		err = r.evalLabels(dir, &rep)
	case len(chars) > 0:
		rep.Layout = "chars"
		err = r.evalChars(dir, chars, &rep)
	default:
		return rep, fmt.Errorf("anpr: %s: no NAME.txt ground truth, labels.csv or CLASS-*.jpg crops", dir)
	}
	if rep.Files > 0 {
		rep.MsPerFile = float64(time.Since(start).Microseconds()) / 1000 / float64(rep.Files)
	}
	return rep, err
}

func isPicture(n string) bool {
	switch strings.ToLower(filepath.Ext(n)) {
	case ".jpg", ".jpeg", ".png":
		return true
	}
	return false
}

// Truth is one ground-truth plate.
type Truth struct {
	File  string
	Box   image.Rectangle
	Plate string
}

// ParseTruth reads an openalpr benchmark NAME.txt: per line, tab (or
// space) separated, the picture's name, x, y, width, height and the plate.
func ParseTruth(b []byte) ([]Truth, error) {
	if len(b) > 1<<20 {
		return nil, errors.New("ground truth over 1 MiB")
	}
	var out []Truth
	sc := bufio.NewScanner(bytes.NewReader(b))
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 6 {
			return nil, fmt.Errorf("line %d: want NAME x y width height PLATE", ln)
		}
		if f[0] != filepath.Base(f[0]) || f[0] == ".." || f[0] == "." {
			return nil, fmt.Errorf("line %d: %q is not a file name in the folder", ln, f[0])
		}
		var v [4]int
		for i := range v {
			n, err := strconv.Atoi(f[1+i])
			if err != nil || n < 0 || n > MaxSide {
				return nil, fmt.Errorf("line %d: %q is not a coordinate", ln, f[1+i])
			}
			v[i] = n
		}
		if v[2] == 0 || v[3] == 0 {
			return nil, fmt.Errorf("line %d: empty box", ln)
		}
		plate := ukplate.Normalize(strings.Join(f[5:], ""))
		if plate == "" {
			return nil, fmt.Errorf("line %d: no plate", ln)
		}
		out = append(out, Truth{File: f[0], Box: image.Rect(v[0], v[1], v[0]+v[2], v[1]+v[3]), Plate: plate})
	}
	return out, sc.Err()
}

func (r *Reader) evalScenes(dir string, txts []string, rep *Report) error {
	for _, txt := range txts {
		b, err := os.ReadFile(filepath.Join(dir, txt))
		if err != nil {
			return err
		}
		truths, err := ParseTruth(b)
		if err != nil {
			rep.Failed = append(rep.Failed, fmt.Sprintf("%s: %v", txt, err))
			continue
		}
		if len(truths) == 0 {
			continue
		}
		rep.Files++
		rep.Plates += len(truths)
		ps, err := r.ReadFile(filepath.Join(dir, truths[0].File))
		if err != nil {
			rep.Failed = append(rep.Failed, err.Error())
			continue
		}
		rep.Detections += len(ps)
		used := make([]bool, len(ps))
		for _, tr := range truths {
			best, bestIoU, read := -1, 0.0, ""
			for i, p := range ps {
				o := iou(p.Box, tr.Box)
				if o >= MatchIoU && ukplate.Normalize(p.Text) == tr.Plate {
					read = p.Text
				}
				if o >= MatchIoU && !used[i] && o > bestIoU {
					best, bestIoU = i, o
				}
			}
			if best >= 0 {
				used[best] = true
				rep.Found++
			}
			if read != "" {
				rep.Read++
				continue
			}
			got := "nothing"
			if best >= 0 {
				got = ukplate.Normalize(ps[best].Text)
			}
			rep.Misses = append(rep.Misses, fmt.Sprintf("%s: want %s, read %s", tr.File, tr.Plate, got))
		}
	}
	rep.Recall = ratio(rep.Found, rep.Plates)
	rep.Precision = ratio(rep.Found, rep.Detections)
	rep.Accuracy = ratio(rep.Read, rep.Plates)
	return nil
}

func (r *Reader) evalChars(dir string, files []string, rep *Report) error {
	for _, n := range files {
		img, err := readFile(filepath.Join(dir, n), 4)
		if err != nil {
			rep.Failed = append(rep.Failed, err.Error())
			continue
		}
		got, _, err := r.ReadChar(img)
		if err != nil {
			return err
		}
		rep.score(n[0], got)
	}
	rep.finishChars()
	return nil
}

func (r *Reader) evalLabels(dir string, rep *Report) error {
	f, err := os.Open(filepath.Join(dir, "labels.csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return fmt.Errorf("anpr: labels.csv: %w", err)
	}
	for i, row := range rows {
		if i == 0 && len(row) > 0 && row[0] == "file" {
			continue
		}
		if len(row) != 2 || len(row[1]) != 1 || filepath.IsAbs(row[0]) || strings.Contains(row[0], "..") {
			rep.Failed = append(rep.Failed, fmt.Sprintf("labels.csv line %d: %q", i+1, row))
			continue
		}
		img, err := ReadFile(filepath.Join(dir, row[0]))
		if err != nil {
			rep.Failed = append(rep.Failed, err.Error())
			continue
		}
		g, ok := img.(*image.Gray)
		if !ok || g.Bounds().Dx() != charimg.Width || g.Bounds().Dy() != charimg.Height {
			rep.Failed = append(rep.Failed, fmt.Sprintf("%s: not a %dx%d grey picture", row[0], charimg.Width, charimg.Height))
			continue
		}
		p, err := r.classifyNormalised(g)
		if err != nil {
			return err
		}
		got := byte('_')
		if best := argmax(p); best < len(charimg.Classes) {
			got = charimg.Classes[best]
		}
		rep.score(row[1][0], got)
	}
	rep.finishChars()
	return nil
}

// score counts one character; O and 0 score equal (real sets mix them up,
// and a UK plate's format tells them apart, not the glyph).
func (rep *Report) score(want, got byte) {
	if rep.PerClass == nil {
		rep.PerClass = map[string]ClassScore{}
	}
	rep.Files++
	rep.Chars++
	cs := rep.PerClass[string(want)]
	cs.N++
	if got == want || want == 'O' && got == '0' || want == '0' && got == 'O' {
		cs.Correct++
		rep.Correct++
	}
	rep.PerClass[string(want)] = cs
}

func (rep *Report) finishChars() {
	for k, cs := range rep.PerClass {
		cs.Accuracy = ratio(cs.Correct, cs.N)
		rep.PerClass[k] = cs
	}
	rep.Accuracy = ratio(rep.Correct, rep.Chars)
}

// Table is the report as text for a terminal.
func (rep Report) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s layout, region %s): %d files, %.1f ms per file\n", rep.Dir, rep.Layout, rep.Region, rep.Files, rep.MsPerFile)
	if rep.Layout == "scenes" {
		fmt.Fprintf(&b, "  plates %d  detections %d  found %d (IoU >= %.1f)\n", rep.Plates, rep.Detections, rep.Found, MatchIoU)
		fmt.Fprintf(&b, "  detection recall %.1f%%  precision %.1f%%  exact reads %d = %.1f%%\n", 100*rep.Recall, 100*rep.Precision, rep.Read, 100*rep.Accuracy)
	} else {
		fmt.Fprintf(&b, "  characters %d  correct %d = %.1f%% (O and 0 equal)\n  class      n  accuracy\n", rep.Chars, rep.Correct, 100*rep.Accuracy)
		keys := make([]string, 0, len(rep.PerClass))
		for k := range rep.PerClass {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			cs := rep.PerClass[k]
			fmt.Fprintf(&b, "  %-5s %6d  %6.1f%%\n", k, cs.N, 100*cs.Accuracy)
		}
	}
	if len(rep.Failed) > 0 {
		fmt.Fprintf(&b, "  %d files could not be read, first: %s\n", len(rep.Failed), rep.Failed[0])
	}
	return b.String()
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func argmax(p []float32) int {
	best := 0
	for i := range p {
		if p[i] > p[best] {
			best = i
		}
	}
	return best
}
