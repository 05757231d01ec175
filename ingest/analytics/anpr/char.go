package anpr

import (
	"errors"
	"image"
	"image/draw"
)

// ReadChar recognises a picture of one character (a crop, dark on light or
// light on dark): the likeliest of the 36 characters, and its probability.
func (r *Reader) ReadChar(img image.Image) (byte, float32, error) {
	g := image.NewGray(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	box := glyphBox(g)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec == nil {
		return 0, 0, errors.New("anpr: reader closed")
	}
	p, err := r.rec.classify(g, box)
	if err != nil {
		return 0, 0, err
	}
	best := argmax(p[:numClasses-1])
	return "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[best], p[best], nil
}

// classifyNormalised classifies an already normalised 20x32 character.
func (r *Reader) classifyNormalised(g *image.Gray) ([]float32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec == nil {
		return nil, errors.New("anpr: reader closed")
	}
	return r.rec.classifyTensor(g)
}

// glyphBox makes g dark-on-light (inverting it in place when its border is
// dark) and returns the box of its largest dark blob, with the blobs
// above or below it (a broken stroke): the box a segmenter would give.
func glyphBox(g *image.Gray) image.Rectangle {
	var hist [256]int
	for _, v := range g.Pix {
		hist[v]++
	}
	t := otsu(hist[:], len(g.Pix))
	w, h := g.Rect.Dx(), g.Rect.Dy()
	border, dark := 0, 0
	for x := 0; x < w; x++ {
		for _, y := range []int{0, h - 1} {
			border++
			if g.Pix[y*g.Stride+x] <= t {
				dark++
			}
		}
	}
	if dark*2 > border {
		for i, v := range g.Pix {
			g.Pix[i] = 255 - v
		}
		t = 255 - t - 1
	}
	label := make([]int32, w*h)
	var boxes []image.Rectangle
	var sizes []int
	for start := range label {
		if label[start] != 0 || g.Pix[(start/w)*g.Stride+start%w] > t {
			continue
		}
		id := int32(len(boxes) + 1)
		stack := []int{start}
		label[start] = id
		box := image.Rect(start%w, start/w, start%w+1, start/w+1)
		n := 0
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n++
			x, y := i%w, i/w
			box = box.Union(image.Rect(x, y, x+1, y+1))
			for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				nx, ny := x+d[0], y+d[1]
				j := ny*w + nx
				if nx >= 0 && ny >= 0 && nx < w && ny < h && label[j] == 0 && g.Pix[ny*g.Stride+nx] <= t {
					label[j] = id
					stack = append(stack, j)
				}
			}
		}
		boxes, sizes = append(boxes, box), append(sizes, n)
	}
	if len(boxes) == 0 {
		return g.Rect
	}
	big := 0
	for i := range sizes {
		if sizes[i] > sizes[big] {
			big = i
		}
	}
	out := boxes[big]
	for i, b := range boxes {
		ov := min(b.Max.X, out.Max.X) - max(b.Min.X, out.Min.X)
		if i != big && sizes[i]*20 > sizes[big] && ov*2 > b.Dx() {
			out = out.Union(b)
		}
	}
	return out.Add(g.Rect.Min)
}

// otsu is the threshold (dark <= t) that best splits a histogram in two.
func otsu(hist []int, total int) uint8 {
	sum := 0.0
	for i, n := range hist {
		sum += float64(i * n)
	}
	var sumB, best float64
	wB, t := 0, 127
	for i, n := range hist {
		wB += n
		if wB == 0 {
			continue
		}
		wF := total - wB
		if wF == 0 {
			break
		}
		sumB += float64(i * n)
		mB, mF := sumB/float64(wB), (sum-sumB)/float64(wF)
		if v := float64(wB) * float64(wF) * (mB - mF) * (mB - mF); v > best {
			best, t = v, i
		}
	}
	return uint8(t)
}
